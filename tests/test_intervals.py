"""Tests of core.evaluation.intervals: bootstrap ranges and the honest verdict they allow."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.evaluation import bootstrap
from core.evaluation import intervals as iv
from core.evaluation.baselines import score_outputs
from core.evaluation.verdict import SAME_TOLERANCE, VERDICT_TEMPLATES, verdict
from core.model.tasks import task_spec

LABELS = {"binary": ["no", "yes"], "multiclass": ["a", "b", "c"], "regression": []}


def made_up(task: str, n: int, skill: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Actual outcomes and a model's outputs whose quality grows with ``skill``."""
    rng = np.random.default_rng(seed)
    if task == "regression":
        y = rng.normal(50.0, 10.0, n)
        return y, y + rng.normal(0.0, 10.0 * (1.0 - skill) + 0.1, n)
    k = len(LABELS[task])
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 3.0 * skill
    return y, np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def paired_outputs(
    task: str, n: int, ours: float, theirs: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One set of actual outcomes with two models' outputs on it."""
    y, network = made_up(task, n, ours, seed)
    rng = np.random.default_rng(seed + 1)
    if task == "regression":
        return y, network, y + rng.normal(0.0, 10.0 * (1.0 - theirs) + 0.1, n)
    k = len(LABELS[task])
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 3.0 * theirs
    return y, network, np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_every_metric_gets_a_range_around_its_score(task):
    y, outputs = made_up(task, 400, 0.6)
    point = score_outputs(task, y, outputs, LABELS[task])
    found = iv.measure_uncertainty(task, y, outputs, {}, LABELS[task], seed=3, resamples=300)
    numbers = {k for k, v in point.items() if isinstance(v, float)}
    assert set(found.intervals) == numbers
    for metric, (low, high) in found.intervals.items():
        assert low <= point[metric] <= high, metric
        assert low < high, metric  # a real spread, not a collapsed range
    json.dumps(found.to_dict(), allow_nan=False)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_resampled_scores_are_the_metrics_of_the_resampled_rows(task):
    """Vectorised scores match the plain metrics computed on the drawn rows themselves."""
    y, outputs = made_up(task, 300, 0.5, seed=4)
    outputs = np.round(outputs, 2)  # ties in the scores, as real probabilities have
    drawn = np.random.default_rng(8).integers(0, len(y), len(y))
    counts = np.bincount(drawn, minlength=len(y)).astype(np.float32)[None, :]
    scores = bootstrap._scorer(task, y, outputs, LABELS[task]).scores(counts)
    expected = score_outputs(task, y[drawn], outputs[drawn], LABELS[task])
    for metric, values in scores.items():
        assert values[0] == pytest.approx(expected[metric], rel=1e-5, abs=1e-6), metric


def test_ranges_shrink_with_more_test_rows():
    widths = []
    for n in (200, 5000):
        y, outputs = made_up("binary", n, 0.5, seed=1)
        found = iv.measure_uncertainty("binary", y, outputs, {}, LABELS["binary"], seed=0)
        low, high = found.intervals["roc_auc"]
        widths.append(high - low)
    # The spread of a mean falls as 1/sqrt(n): 25 times the rows, about a fifth of the width.
    assert widths[1] < widths[0] / 3


def test_the_seed_fixes_the_ranges():
    y, outputs = made_up("regression", 300, 0.5)
    first = iv.measure_uncertainty("regression", y, outputs, {}, [], seed=5, resamples=200)
    again = iv.measure_uncertainty("regression", y, outputs, {}, [], seed=5, resamples=200)
    other = iv.measure_uncertainty("regression", y, outputs, {}, [], seed=6, resamples=200)
    assert first.intervals == again.intervals
    assert first.intervals != other.intervals


def test_a_metric_undefined_in_many_resamples_gets_no_range():
    y = np.zeros(60, dtype=int)
    y[0] = 1  # one positive: most resamples miss it, so ROC AUC is mostly undefined
    proba = np.linspace(0.1, 0.9, 60)
    found = iv.measure_uncertainty("binary", y, proba, {}, LABELS["binary"], seed=0)
    assert found.intervals["roc_auc"] is None
    assert found.intervals["accuracy"] is not None


def test_constant_actual_values_have_no_r2_range():
    y = np.full(50, 3.0)
    found = iv.measure_uncertainty("regression", y, y + 0.5, {}, [], seed=0, resamples=100)
    assert found.intervals["r2"] is None
    assert found.intervals["mae"] == [0.5, 0.5]


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_a_clearly_better_network_is_better_and_a_tie_is_noise(task):
    y, network, weaker = paired_outputs(task, 3000, ours=0.8, theirs=0.3)
    clear = iv.measure_uncertainty(task, y, network, {"rival": weaker}, LABELS[task], seed=1)
    headline = task_spec(task).headline_metric
    assert clear.outcome("rival", headline) == "better"
    comparison = clear.comparisons["rival"][headline]
    assert comparison.low > 0 and comparison.low <= comparison.difference <= comparison.high

    y, network, twin = paired_outputs(task, 150, ours=0.5, theirs=0.5, seed=2)
    tie = iv.measure_uncertainty(task, y, network, {"rival": twin}, LABELS[task], seed=1)
    assert tie.outcome("rival", headline) == "noise"
    low, high = tie.comparisons["rival"][headline].low, tie.comparisons["rival"][headline].high
    assert low < 0 < high


def test_a_worse_network_is_worse_on_error_metrics_too():
    y, network, better = paired_outputs("regression", 2000, ours=0.2, theirs=0.9)
    found = iv.measure_uncertainty("regression", y, network, {"rival": better}, [], seed=0)
    assert found.outcome("rival", "mae") == "worse"  # lower is better: the sign is handled
    assert found.outcome("rival", "r2") == "worse"


def test_paired_differences_are_narrower_than_the_two_ranges_suggest():
    """Scoring both models on the same resamples cancels the luck of the draw they share."""
    y, network, rival = paired_outputs("binary", 800, ours=0.6, theirs=0.55, seed=3)
    found = iv.measure_uncertainty("binary", y, network, {"rival": rival}, LABELS["binary"], seed=0)
    ours, theirs = found.intervals["roc_auc"], found.baseline_intervals["rival"]["roc_auc"]
    paired = found.comparisons["rival"]["roc_auc"]
    assert paired.high - paired.low < (ours[1] - ours[0]) + (theirs[1] - theirs[0])


def test_a_small_test_set_gets_a_plain_warning():
    y, outputs = made_up("binary", 60, 0.5)
    found = iv.measure_uncertainty("binary", y, outputs, {}, LABELS["binary"], seed=0)
    assert found.warning is not None
    assert "only 60 rows" in found.warning and "ROC AUC" in found.warning
    assert '"Rows for the final test"' in found.warning
    y, outputs = made_up("binary", 5000, 0.8)
    enough = iv.measure_uncertainty("binary", y, outputs, {}, LABELS["binary"], seed=0)
    assert enough.warning is None


def test_a_perfect_score_on_a_small_test_set_is_not_given_an_empty_range():
    y = np.array([0, 1] * 30)
    perfect = np.column_stack([1.0 - y, y]).astype(float)
    found = iv.measure_uncertainty("binary", y, perfect, {}, LABELS["binary"], seed=0)
    assert found.intervals["roc_auc"] == [1.0, 1.0]
    assert found.warning is not None and "only 60 rows" in found.warning
    assert "from 1.00 to 1.00" not in found.warning and "perfect score" in found.warning


def test_a_wide_headline_range_warns_even_with_enough_rows():
    y, outputs = made_up("regression", 150, 0.05)
    found = iv.measure_uncertainty("regression", y, outputs, {}, [], seed=0, min_rows=100)
    low, high = found.intervals["r2"]
    assert high - low > iv.MAX_HEADLINE_WIDTH
    assert found.warning is not None and "R²" in found.warning


def test_uncertainty_round_trips_through_json():
    y, network, rival = paired_outputs("multiclass", 200, ours=0.6, theirs=0.3)
    found = iv.measure_uncertainty(
        "multiclass", y, network, {"rival": rival}, LABELS["multiclass"], seed=0, resamples=100
    )
    text = json.dumps(found.to_dict(), allow_nan=False)
    assert iv.Uncertainty.from_dict(json.loads(text)) == found


def test_resamples_must_be_positive():
    with pytest.raises(ValueError, match="resamples"):
        iv.bootstrap_scores("binary", np.array([0, 1]), {}, ["n", "y"], seed=0, resamples=0)


# ---------------------------------------------------------------- the verdict with ranges


def _result(task: str, y: np.ndarray, outputs: np.ndarray) -> dict:
    return score_outputs(task, y, outputs, LABELS[task])


def test_verdict_says_better_only_when_the_ranges_say_so():
    y, network, twin = paired_outputs("binary", 120, ours=0.5, theirs=0.45, seed=1)
    constant = np.tile([0.5, 0.5], (len(y), 1))
    baselines = {"majority class": constant, "logistic regression": twin}
    scores = {name: _result("binary", y, out) for name, out in baselines.items()}
    ours = _result("binary", y, network)
    assert ours["roc_auc"] - scores["logistic regression"]["roc_auc"] > SAME_TOLERANCE
    found = iv.measure_uncertainty("binary", y, network, baselines, LABELS["binary"], seed=0)
    assert found.outcome("logistic regression", "roc_auc") == "noise"

    without = verdict("binary", ours, scores, LABELS["binary"])
    honest = verdict("binary", ours, scores, LABELS["binary"], found)
    assert "better than a simple logistic regression" in without
    assert "better than a simple logistic regression" not in honest.replace("not clearly ", "")
    assert "not clearly better or worse than a simple logistic regression" in honest
    assert "within the noise of 120 test rows" in honest


def test_verdict_keeps_better_when_the_difference_is_real():
    y, network, weak = paired_outputs("regression", 2000, ours=0.8, theirs=0.2, seed=3)
    mean = np.full(len(y), y.mean())
    baselines = {"average value": mean, "linear regression": weak}
    scores = {name: _result("regression", y, out) for name, out in baselines.items()}
    found = iv.measure_uncertainty("regression", y, network, baselines, [], seed=0)
    sentence = verdict("regression", _result("regression", y, network), scores, [], found)
    assert sentence.startswith("Typical error")
    assert "smaller than the" in sentence
    assert "and it explains more of the ups and downs than a simple linear regression" in sentence
    assert "noise" not in sentence


def test_noise_templates_name_the_number_of_rows():
    for key in ("majority_noise", "average_noise", "simple_noise", "linear_noise"):
        assert "{n}" in VERDICT_TEMPLATES[key]


def test_bootstrap_cost_on_ten_thousand_rows_is_small():
    """1,000 resamples of 10,000 rows for three models: about a second of CPU when idle."""
    import time

    y, network, rival = paired_outputs("binary", 10_000, ours=0.6, theirs=0.5)
    started = time.process_time()
    iv.measure_uncertainty("binary", y, network, {"a": rival, "b": rival}, LABELS["binary"], seed=0)
    # CPU time, not wall time: generous enough for a busy machine, tight enough to catch a
    # fallback to one metric call per resample (that takes minutes).
    assert time.process_time() - started < 20


def test_the_training_doctor_reads_the_same_paired_comparison_as_the_verdict():
    from core.model.curves import compare_with_baseline

    y, network, twin = paired_outputs("binary", 120, ours=0.5, theirs=0.45, seed=1)
    y_big, strong, weak = paired_outputs("binary", 3000, ours=0.8, theirs=0.3, seed=1)
    for labels, outputs, rival, expected in (
        (y, network, twin, "uncertain"),
        (y_big, strong, weak, "better"),
    ):
        found = iv.measure_uncertainty(
            "binary", labels, outputs, {"logistic regression": rival}, LABELS["binary"], seed=0
        )
        scores = {"logistic regression": _result("binary", labels, rival)}
        compared = compare_with_baseline(
            "binary", _result("binary", labels, outputs), scores, None, found.to_dict()
        )
        assert compared is not None and compared.outcome == expected
