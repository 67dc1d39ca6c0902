"""Decisions in business terms: counts at a threshold, the curve, expected value, sentences.

Labels and probabilities are constructed; every count and rate is checked against
scikit-learn's own metrics at the same threshold (flagged = probability at least it).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn import metrics as skm

from core.evaluation.decision_text import best_sentence, outcome_sentences
from core.evaluation.decisions import (
    GRID,
    DecisionCurve,
    decision_document,
    outcome_at,
)
from core.evaluation.error_ranges import error_by_range
from core.evaluation.formatting import format_number
from core.portable.decision import chosen_labels, threshold_from_schema
from core.portable.errors import BundleError


def scored(n: int = 500, seed: int = 0, share: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Labels with about ``share`` positives and informative, tied-in-places probabilities."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < share).astype(int)
    p = np.clip(0.25 + 0.35 * y + rng.normal(0, 0.2, n), 0, 1).round(2)  # rounding makes ties
    return y, p


@pytest.mark.parametrize("threshold", [0.05, 0.3, 0.5, 0.61, 0.9])
def test_outcome_at_agrees_with_sklearn(threshold):
    y, p = scored()
    outcome = outcome_at(y, p, threshold)
    predicted = (p >= threshold).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(y, predicted, labels=[0, 1]).ravel()
    assert (outcome.true_negatives, outcome.false_positives) == (tn, fp)
    assert (outcome.false_negatives, outcome.true_positives) == (fn, tp)
    assert outcome.confusion_matrix == skm.confusion_matrix(y, predicted).tolist()
    assert outcome.precision == pytest.approx(skm.precision_score(y, predicted))
    assert outcome.recall == pytest.approx(skm.recall_score(y, predicted))
    assert outcome.f1 == pytest.approx(skm.f1_score(y, predicted))
    assert outcome.accuracy == pytest.approx(skm.accuracy_score(y, predicted))
    assert outcome.flagged_share == pytest.approx(predicted.mean())


def test_the_curve_matches_the_exact_outcome_at_every_grid_threshold():
    y, p = scored(n=2000, seed=3)
    curve = DecisionCurve.from_scores(y, p)
    assert curve.thresholds == GRID and len(GRID) == 101
    for t in GRID:
        assert curve.at(t) == outcome_at(y, p, t), t
    # The ends: everything flagged at 0, only probability 1 at 1.
    assert curve.at(0.0).flagged == len(y)
    assert curve.at(1.0).flagged == int((p >= 1.0).sum())


def test_curve_size_does_not_grow_with_the_rows_and_survives_json():
    y, p = scored(n=50_000, seed=4)
    curve = DecisionCurve.from_scores(y, p)
    document = curve.to_dict()
    assert len(json.dumps(document)) < 10_000  # bounded, whatever the test set size
    assert DecisionCurve.from_dict(json.loads(json.dumps(document))) == curve


def test_gains_curve_is_the_share_caught_by_the_highest_scores():
    y = np.array([1, 0, 1, 0, 0, 1, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.6, 0.1, 0.05, 0.4, 0.35])
    curve = DecisionCurve.from_scores(y, p, gains_points=11)
    assert curve.gains_rows[0] == 0.0 and curve.gains_rows[-1] == 1.0
    # Top 10%: 0.9 (yes); top 30%: 0.9, 0.8, 0.7 (2 of 3 yes); top 40% adds 0.6 (all 3).
    assert curve.gains_caught[1] == pytest.approx(1 / 3)
    assert curve.gains_caught[3] == pytest.approx(2 / 3)
    assert curve.gains_caught[4] == pytest.approx(1.0)
    assert curve.gains_caught[-1] == 1.0
    assert np.all(np.diff(curve.gains_caught) >= 0)


def test_best_threshold_maximises_value_of_catches_minus_false_alarms():
    y, p = scored(n=1000, seed=5)
    curve = DecisionCurve.from_scores(y, p)
    value, cost = 300.0, 40.0
    best = curve.best_threshold(value, cost)
    brute = {
        t: value * outcome_at(y, p, t).true_positives - cost * outcome_at(y, p, t).false_positives
        for t in GRID
        if 0.01 <= t <= 0.99
    }
    assert best.total == pytest.approx(max(brute.values()))
    assert brute[best.threshold] == pytest.approx(best.total)
    assert best.per_rows == pytest.approx(best.total * 1000 / len(y))
    assert best.pays_off
    # Dearer false alarms push the best threshold up (fewer, surer flags).
    assert curve.best_threshold(value, 400.0).threshold > best.threshold
    profit = curve.profit_curve(value, cost)
    assert len(profit["threshold"]) == 99 and max(profit["per_rows"]) == pytest.approx(
        best.per_rows
    )


def test_when_no_threshold_pays_off_it_is_said():
    # The surest flags are all false alarms: every threshold that flags anyone loses money.
    y = np.array([0, 0, 0, 1])
    p = np.array([0.9, 0.8, 0.7, 0.1])
    curve = DecisionCurve.from_scores(y, p)
    best = curve.best_threshold(1.0, 10.0)
    assert not best.pays_off and best.total == 0.0
    assert curve.at(best.threshold).flagged == 0  # acting on nobody
    assert "no threshold pays off" in best_sentence(best, 1.0, 10.0)
    assert curve.best_threshold(100.0, 1.0).pays_off  # a catch worth a lot: flag everyone
    with pytest.raises(ValueError):
        curve.best_threshold(-1.0, 5.0)


def test_sentences_name_the_target_and_outcome_with_the_right_numbers():
    y = np.array([1] * 40 + [0] * 60)
    p = np.array([0.9] * 30 + [0.2] * 10 + [0.8] * 10 + [0.1] * 50)
    outcome = outcome_at(y, p, 0.5)  # 30 right catches, 10 false alarms, 10 missed
    first, second, third = outcome_sentences(outcome, "churn", ["No", "Yes"], "customers")
    assert first == "Of every 100 customers flagged as churn “Yes”, about 75 really are."
    assert second.startswith("You catch 75.0% of the customers whose churn is “Yes”")
    assert "(30 of 40 in the test rows)" in second
    assert "You flag 40.0% of all customers (40 of 100)" in third
    assert "10 false alarms" in third and "you miss 10" in third
    nobody = outcome_sentences(outcome_at(y, p, 0.95), "churn", ["No", "Yes"])
    assert nobody[0] == "At this threshold the model flags none of the rows as churn “Yes”."


def test_best_sentence_writes_amounts_one_way():
    y, p = scored(seed=7)
    curve = DecisionCurve.from_scores(y, p)
    best = curve.best_threshold(250, 12.5)
    text = best_sentence(best, 250, 12.5, "customers")
    assert "worth 250 " in text and "costing 12.50" in text
    assert f"threshold is {best.threshold:.2f}" in text and "per 1,000 customers" in text


def test_metrics_document_holds_the_outcome_at_the_threshold():
    y, p = scored(seed=8)
    curve = DecisionCurve.from_scores(y, p).to_dict()
    document = decision_document(curve, 0.35)
    assert document["decision_threshold"] == 0.35
    assert document["at_threshold"]["precision"] == pytest.approx(
        skm.precision_score(y, (p >= 0.35).astype(int))
    )
    assert document["decision_curve"] == curve
    assert decision_document(None, 0.5) == {"decision_threshold": 0.5}


def test_predicted_labels_follow_the_threshold():
    probabilities = np.array([[0.8, 0.2], [0.6, 0.4], [0.3, 0.7]])
    assert list(chosen_labels(probabilities, ["no", "yes"])) == ["no", "no", "yes"]
    assert list(chosen_labels(probabilities, ["no", "yes"], 0.4)) == ["no", "yes", "yes"]
    assert list(chosen_labels(probabilities, ["no", "yes"], 0.75)) == ["no", "no", "no"]
    three = np.array([[0.2, 0.5, 0.3]])
    assert list(chosen_labels(three, ["a", "b", "c"], 0.1)) == ["b"]  # no threshold applies


def test_threshold_from_schema_defaults_and_refuses_damage():
    assert threshold_from_schema({"task": "binary"}) == 0.5
    assert threshold_from_schema({"task": "binary", "decision_threshold": 0.3}) == 0.3
    assert threshold_from_schema({"task": "regression", "decision_threshold": 0.3}) is None
    for bad in (1.5, 0.0, "0.3", None, float("nan")):
        with pytest.raises(BundleError, match="decision threshold"):
            threshold_from_schema({"task": "binary", "decision_threshold": bad})


def test_error_by_range_finds_where_the_model_is_worse():
    rng = np.random.default_rng(9)
    predicted = rng.uniform(0, 100, 1000)
    # Errors grow with the prediction: 1 unit near 0, about 20 units near 100.
    actual = predicted + rng.normal(0, 1 + predicted / 5, 1000)
    ranges = error_by_range(actual, predicted)
    assert len(ranges) == 5 and sum(r["rows"] for r in ranges) == 1000
    assert [r["low"] for r in ranges] == sorted(r["low"] for r in ranges)
    assert ranges[-1]["mae"] > 3 * ranges[0]["mae"]
    first = predicted <= ranges[0]["high"]
    assert ranges[0]["mae"] == pytest.approx(
        skm.mean_absolute_error(actual[first], predicted[first])
    )
    assert ranges[0]["median_error"] == pytest.approx(
        skm.median_absolute_error(actual[first], predicted[first])
    )
    # Few rows: fewer ranges, never fewer than 10 rows in one; all-equal predictions: one range.
    assert len(error_by_range(actual[:25], predicted[:25])) == 2
    assert len(error_by_range([1.0, 2.0, 3.0], [5.0, 5.0, 5.0])) == 1


def test_one_number_format():
    assert format_number(3016.4) == "3,016"
    assert format_number(291.84) == "291.8"
    assert format_number(-0.0001) == "-0.0001"
    assert format_number(-0.0004, "percent") == "0.0%"
    assert format_number(-0.00004) != "-0.000"
    assert format_number(0.8734) == "0.873"
    assert format_number(250, "amount") == "250" and format_number(12.5, "amount") == "12.50"
    assert format_number(None) == "—"
