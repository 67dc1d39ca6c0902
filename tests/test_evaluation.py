"""Tests of core.evaluation: metrics, curves, baselines, importance, measures and verdict."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from core.errors import TrainingError
from core.evaluation import baselines
from core.evaluation import metrics as ev
from core.evaluation.baselines import baseline_metrics
from core.evaluation.importance import permutation_importance
from core.evaluation.measures import HIGHER_IS_BETTER, METRIC_LABELS, format_metric
from core.evaluation.verdict import VERDICT_TEMPLATES, verdict
from core.model.tasks import TASKS

PLAIN = (str, int, float, bool, type(None))


def assert_plain(value):
    """JSON-safe without help: exact Python types only (np.float64 would sneak through json)."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str
            assert_plain(item)
    elif isinstance(value, list):
        for item in value:
            assert_plain(item)
    else:
        assert type(value) in PLAIN, f"{value!r} is a {type(value)}"
    json.dumps(value, allow_nan=False)


def one_hot_proba(pred: list[int], k: int, confidence: float = 0.9) -> np.ndarray:
    proba = np.full((len(pred), k), (1 - confidence) / (k - 1))
    proba[np.arange(len(pred)), pred] = confidence
    return proba


def pairwise_auc(positive_scores, negative_scores) -> float:
    """ROC AUC by counting pairs (Mann-Whitney), independent of sklearn."""
    wins = sum((p > n) + 0.5 * (p == n) for p in positive_scores for n in negative_scores)
    return wins / (len(positive_scores) * len(negative_scores))


# ---------------------------------------------------------------- classification metrics


def test_perfect_binary_predictions_score_one():
    y = np.array([0, 1, 1, 0, 1])
    result = ev.classification_metrics(y, one_hot_proba(list(y), 2), ["No", "Yes"])
    for key in ("accuracy", "precision", "recall", "f1", "roc_auc"):
        assert result[key] == 1.0
    assert result["log_loss"] == pytest.approx(-math.log(0.9))
    assert result["class_labels"] == ["No", "Yes"]
    assert_plain(result)


def test_binary_counts_and_positive_class_metrics_by_hand():
    y = np.array([0, 0, 0, 1, 1, 1, 1])
    p_yes = np.array([0.2, 0.7, 0.4, 0.9, 0.3, 0.8, 0.6])
    result = ev.classification_metrics(y, p_yes.reshape(-1, 1), ["stay", "leave"])
    pred = (p_yes > 0.5).astype(int)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    assert result["confusion_matrix"] == [[tn, fp], [fn, tp]]
    assert result["precision"] == pytest.approx(tp / (tp + fp))
    assert result["recall"] == pytest.approx(tp / (tp + fn))
    assert result["accuracy"] == pytest.approx((tp + tn) / len(y))
    assert result["roc_auc"] == pytest.approx(pairwise_auc(p_yes[y == 1], p_yes[y == 0]))
    expected_loss = -np.mean(np.where(y == 1, np.log(p_yes), np.log(1 - p_yes)))
    assert result["log_loss"] == pytest.approx(expected_loss)
    # The model's own (n, 1) output and a full (n, 2) matrix give the same answer.
    two_columns = np.column_stack([1 - p_yes, p_yes])
    assert ev.classification_metrics(y, two_columns, ["stay", "leave"]) == result


def test_constant_predictor_has_roc_auc_one_half():
    y = np.array([0, 1, 0, 1, 1, 0, 0])
    result = ev.classification_metrics(y, np.full((7, 2), 0.5), ["a", "b"])
    assert result["roc_auc"] == 0.5


def test_multiclass_confusion_matrix_and_macro_averages():
    y = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])
    pred = [0, 1, 1, 1, 2, 2, 2, 0, 2]
    result = ev.classification_metrics(y, one_hot_proba(pred, 3), ["red", "green", "blue"])
    expected = [[0] * 3 for _ in range(3)]
    for actual, guess in zip(y, pred, strict=True):
        expected[actual][guess] += 1
    assert result["confusion_matrix"] == expected
    f1s, recalls = [], []
    for c in range(3):
        tp = expected[c][c]
        precision = tp / sum(expected[r][c] for r in range(3))
        recall = tp / sum(expected[c])
        recalls.append(recall)
        f1s.append(2 * precision * recall / (precision + recall) if tp else 0.0)
    assert result["recall"] == pytest.approx(np.mean(recalls))
    assert result["f1"] == pytest.approx(np.mean(f1s))
    support = np.bincount(y)
    assert result["weighted_f1"] == pytest.approx(np.dot(f1s, support) / support.sum())
    assert result["accuracy"] == pytest.approx(6 / 9)
    assert 0.5 < result["roc_auc"] <= 1.0
    assert_plain(result)


def test_multiclass_roc_auc_is_none_when_a_class_is_absent():
    y = np.array([0, 1, 0, 1])
    result = ev.classification_metrics(y, one_hot_proba([0, 1, 1, 1], 3), ["a", "b", "c"])
    assert result["roc_auc"] is None
    assert len(result["confusion_matrix"]) == 3
    assert math.isfinite(result["log_loss"])
    assert_plain(result)


def test_invalid_probabilities_raise_a_training_error():
    proba = np.array([[0.5, 0.5], [np.nan, np.nan]])
    with pytest.raises(TrainingError, match="learning rate"):
        ev.classification_metrics(np.array([0, 1]), proba, ["a", "b"])


# ---------------------------------------------------------------- curves


def test_binary_curves_are_downsampled_and_keep_their_ends():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 3000)
    score = np.clip(y * 0.3 + rng.random(3000) * 0.7, 0, 1)
    curves = ev.classification_curves(y, score.reshape(-1, 1), ["no", "yes"], max_points=50)
    assert len(curves["roc"]) == len(curves["pr"]) == 1
    roc, pr = curves["roc"][0], curves["pr"][0]
    assert roc["label"] == "yes"
    assert 2 <= len(roc["fpr"]) == len(roc["tpr"]) <= 50
    assert (roc["fpr"][0], roc["tpr"][0]) == (0.0, 0.0)
    assert (roc["fpr"][-1], roc["tpr"][-1]) == (1.0, 1.0)
    assert roc["fpr"] == sorted(roc["fpr"])
    assert roc["auc"] == pytest.approx(pairwise_auc(score[y == 1], score[y == 0]))
    assert 2 <= len(pr["precision"]) == len(pr["recall"]) <= 50
    assert pr["recall"][0] == 1.0 and pr["recall"][-1] == 0.0
    assert pr["precision"][0] == pytest.approx(y.mean())  # everyone flagged
    assert 0 < pr["average_precision"] <= 1
    assert_plain(curves)


def test_multiclass_curves_one_entry_per_present_class():
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    proba = one_hot_proba([0, 1, 2, 1, 1, 2, 0, 0], 4, confidence=0.7)
    curves = ev.classification_curves(y, proba, ["a", "b", "c", "d"])
    # "d" never occurs, so its curves are undefined and left out.
    assert [c["label"] for c in curves["roc"]] == ["a", "b", "c"]
    assert [c["label"] for c in curves["pr"]] == ["a", "b", "c"]
    assert curves["roc"][2]["auc"] == 1.0  # class "c" is predicted perfectly
    assert_plain(curves)


# ---------------------------------------------------------------- regression


def test_perfect_regression_and_hand_computed_errors():
    y = np.array([10.0, 20.0, 30.0, 40.0])
    perfect = ev.regression_metrics(y, y.copy())
    assert perfect["r2"] == 1.0 and perfect["mae"] == 0.0 and perfect["mape"] == 0.0
    pred = np.array([12.0, 18.0, 33.0, 40.0])
    errors = y - pred
    result = ev.regression_metrics(y, pred)
    assert result["mae"] == pytest.approx(np.abs(errors).mean())
    assert result["rmse"] == pytest.approx(math.sqrt((errors**2).mean()))
    assert result["r2"] == pytest.approx(1 - (errors**2).sum() / ((y - y.mean()) ** 2).sum())
    assert result["mape"] == pytest.approx(np.mean(np.abs(errors) / y))
    assert result["median_absolute_error"] == pytest.approx(np.median(np.abs(errors)))
    assert result["mape_note"] is None
    assert_plain(result)


@pytest.mark.parametrize(
    ("actual", "reason"),
    [([0.0, 5.0, 9.0], "zero"), ([-3.0, 4.0, 8.0], "negative"), ([0.001, 50.0, 90.0], "tiny")],
)
def test_mape_is_left_out_where_it_would_mislead(actual, reason):
    y = np.array(actual)
    result = ev.regression_metrics(y, y + 1.0)
    assert result["mape"] is None
    assert reason in result["mape_note"]
    assert result["mae"] == pytest.approx(1.0)


def test_r2_is_none_for_constant_actual_values():
    result = ev.regression_metrics(np.array([3.0, 3.0, 3.0]), np.array([2.0, 3.0, 4.0]))
    assert result["r2"] is None
    assert_plain(result)


def test_regression_plots_sample_is_bounded_seeded_and_consistent():
    rng = np.random.default_rng(0)
    y = rng.normal(size=5000)
    pred = y + rng.normal(scale=0.1, size=5000)
    plots = ev.regression_plots(y, pred, max_points=300, seed=3)
    assert len(plots["actual"]) == len(plots["predicted"]) == len(plots["residual"]) == 300
    assert plots == ev.regression_plots(y, pred, max_points=300, seed=3)
    assert plots != ev.regression_plots(y, pred, max_points=300, seed=4)
    pairs = set(zip(y.tolist(), pred.tolist(), strict=True))
    for a, p, r in zip(plots["actual"], plots["predicted"], plots["residual"], strict=True):
        assert (a, p) in pairs
        assert r == pytest.approx(a - p)
    small = ev.regression_plots(y[:10], pred[:10])
    assert small["actual"] == y[:10].tolist()
    assert_plain(plots)


# ---------------------------------------------------------------- baselines


def separable_task(n: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0.3).astype(int)
    return X[: n // 2], y[: n // 2], X[n // 2 :], y[n // 2 :]


def test_logistic_baseline_beats_majority_on_a_separable_task():
    X_train, y_train, X_test, y_test = separable_task()
    result = baseline_metrics("binary", X_train, y_train, X_test, y_test, ["no", "yes"], 0)
    assert set(result) == {"majority class", "logistic regression"}
    majority, logistic = result["majority class"], result["logistic regression"]
    assert majority["roc_auc"] == 0.5
    # The prior predicts the training class shares for every row.
    share = y_train.mean()
    expected = -np.mean(np.where(y_test == 1, np.log(share), np.log(1 - share)))
    assert majority["log_loss"] == pytest.approx(expected)
    assert majority["accuracy"] == pytest.approx(max(y_test.mean(), 1 - y_test.mean()))
    assert logistic["accuracy"] >= 0.9 > majority["accuracy"]
    assert logistic["roc_auc"] > 0.95
    assert_plain(result)


def test_logistic_baseline_samples_large_training_sets(monkeypatch):
    X_train, y_train, X_test, y_test = separable_task(n=2000)
    monkeypatch.setattr(baselines, "LOGISTIC_MAX_ROWS", 100)
    first = baseline_metrics("binary", X_train, y_train, X_test, y_test, ["n", "y"], 7)
    again = baseline_metrics("binary", X_train, y_train, X_test, y_test, ["n", "y"], 7)
    assert first == again
    assert first["logistic regression"]["accuracy"] > 0.85


def test_class_missing_from_training_still_gets_a_column():
    rng = np.random.default_rng(2)
    X_train = rng.normal(size=(30, 2))
    y_train = np.array([0, 2] * 15)  # class 1 ("b") never seen in training
    X_test = rng.normal(size=(6, 2))
    y_test = np.array([0, 1, 2, 0, 1, 2])
    result = baseline_metrics("multiclass", X_train, y_train, X_test, y_test, list("abc"), 0)
    for metrics in result.values():
        matrix = np.array(metrics["confusion_matrix"])
        assert matrix.shape == (3, 3)
        assert matrix[:, 1].sum() == 0  # nobody predicts a class never seen
        assert math.isfinite(metrics["log_loss"])
    assert_plain(result)


def test_single_training_class_falls_back_to_class_shares():
    X = np.arange(20, dtype=float).reshape(10, 2)
    result = baseline_metrics(
        "binary", X, np.zeros(10), X[:4], np.array([0, 1, 0, 1]), ["no", "yes"], 0
    )
    assert result["logistic regression"]["accuracy"] == 0.5
    assert result["majority class"]["confusion_matrix"] == [[2, 0], [2, 0]]


def test_linear_baseline_handles_collinear_one_hot_columns():
    rng = np.random.default_rng(3)
    category = rng.integers(0, 3, 300)
    one_hot = np.eye(3)[category]
    x = rng.normal(size=300)
    X = np.column_stack([x, one_hot, one_hot[:, 0]])  # a duplicated column, on purpose
    y = 2.0 * x + category * 5.0 + 100.0
    result = baseline_metrics("regression", X[:200], y[:200], X[200:], y[200:], [], 0)
    assert set(result) == {"average value", "linear regression"}
    assert result["linear regression"]["r2"] > 0.999
    assert result["average value"]["r2"] < 0.01
    assert result["average value"]["mae"] == pytest.approx(np.abs(y[200:] - y[:200].mean()).mean())
    assert_plain(result)


# ---------------------------------------------------------------- permutation importance


def importance_frame(n: int = 800, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "noise": rng.normal(size=n),
            "signal": rng.normal(size=n),
            "city": pd.Series(rng.choice(["Oslo", "Rome", "Lima"], n), dtype="str"),
        }
    )


def test_permutation_importance_ranks_the_informative_column_first():
    frame = importance_frame()
    y = (frame["signal"] > 0).astype(int).to_numpy()
    calls = []

    def predict(rows: pd.DataFrame) -> np.ndarray:
        calls.append(len(rows))
        assert rows["city"].isin(["Oslo", "Rome", "Lima"]).all()
        assert rows.dtypes.equals(frame.dtypes)  # shuffling keeps each column's type
        return (1 / (1 + np.exp(-3 * rows["signal"].to_numpy()))).reshape(-1, 1)

    columns = ["noise", "city", "signal"]
    result = permutation_importance(
        predict, frame, y, "binary", columns, n_repeats=2, seed=1, max_rows=500
    )
    assert [r["column"] for r in result][0] == "signal"
    assert result[0]["importance"] > 0.3
    for entry in result[1:]:  # columns the predictor ignores cannot matter
        assert entry["importance"] == 0.0 and entry["std"] == 0.0
    assert calls == [500] * (1 + len(columns) * 2)
    again = permutation_importance(
        predict, frame, y, "binary", columns, n_repeats=2, seed=1, max_rows=500
    )
    assert again == result
    assert_plain(result)


def test_permutation_importance_multiclass_and_regression():
    frame = importance_frame(300, seed=5)
    signal = frame["signal"].to_numpy()
    y_class = np.digitize(signal, [-0.5, 0.5])

    def predict_classes(rows: pd.DataFrame) -> np.ndarray:
        return np.eye(3)[np.digitize(rows["signal"].to_numpy(), [-0.5, 0.5])] * 0.8 + 0.2 / 3

    result = permutation_importance(
        predict_classes, frame, y_class, "multiclass", ["noise", "signal", "city"]
    )
    assert result[0]["column"] == "signal" and result[0]["importance"] > 0.1

    def predict_values(rows: pd.DataFrame) -> np.ndarray:
        return 4 * rows["signal"].to_numpy()

    result = permutation_importance(
        predict_values, frame, 4 * signal, "regression", ["city", "signal", "noise"]
    )
    assert result[0]["column"] == "signal"
    assert result[0]["importance"] == pytest.approx(2.0, abs=0.4)  # R² 1 -> about -1
    assert_plain(result)


# ---------------------------------------------------------------- verdict


def classification_result(accuracy: float, roc_auc: float | None, predicted: int = 0) -> dict:
    matrix = [[0, 0], [0, 0]]
    matrix[0][predicted], matrix[1][predicted] = 70, 30
    return {"accuracy": accuracy, "roc_auc": roc_auc, "confusion_matrix": matrix}


@pytest.mark.parametrize(
    ("network_auc", "expected"),
    [
        (0.90, "and better than a simple logistic regression (ROC AUC 0.90 vs 0.84)"),
        (0.843, "and about as good as a simple logistic regression (ROC AUC 0.84 vs 0.84)"),
        (0.78, "but a simple logistic regression does better (ROC AUC 0.84 vs 0.78)"),
    ],
)
def test_binary_verdict_better_same_worse(network_auc, expected):
    baselines = {
        "majority class": classification_result(0.70, 0.5),
        "logistic regression": classification_result(0.76, 0.84),
    }
    sentence = verdict("binary", classification_result(0.79, network_auc), baselines, ["No", "Yes"])
    assert sentence.startswith("Better than always guessing 'No' by 9 points of accuracy")
    assert expected in sentence
    assert ("prefer the simpler model" in sentence) == (network_auc < 0.84)
    assert sentence.endswith(".") and sentence.count(".") <= 4


def test_verdict_shows_small_real_differences_and_majority_label():
    baselines = {
        "majority class": classification_result(0.60, 0.5, predicted=1),
        "logistic regression": classification_result(0.70, 0.838),
    }
    sentence = verdict("binary", classification_result(0.60, 0.844), baselines, ["No", "Yes"])
    assert sentence.startswith("About as accurate as always guessing 'Yes' (60% vs 60%)")
    assert "but better than a simple logistic regression (ROC AUC 0.844 vs 0.838)" in sentence


def test_multiclass_verdict_worse_than_both():
    baselines = {
        "majority class": {"accuracy": 0.5, "confusion_matrix": [[0, 5, 0]] * 3},
        "logistic regression": {"accuracy": 0.8, "confusion_matrix": [[1, 1, 1]] * 3},
    }
    sentence = verdict("multiclass", {"accuracy": 0.45}, baselines, ["a", "b", "c"])
    assert sentence.startswith("Less accurate than always guessing 'b' (45% vs 50%)")
    assert "and a simple logistic regression does better (accuracy 80% vs 45%)" in sentence
    assert "prefer the simpler model" in sentence


def test_regression_verdict_talks_about_typical_error_and_r2():
    baselines = {
        "average value": {"mae": 20.5, "r2": -0.01},
        "linear regression": {"mae": 13.0, "r2": 0.70},
    }
    better = verdict("regression", {"mae": 12.3, "r2": 0.72}, baselines, [])
    assert better.startswith("Typical error 12.3 per row, smaller than the 20.5")
    assert "and it explains more of the ups and downs than a simple linear regression" in better
    assert "(R² 0.72 vs 0.70" in better
    worse = verdict("regression", {"mae": 25.0, "r2": -0.2}, baselines, [])
    assert "larger than the 20.5" in worse and "prefer the simpler model" in worse
    close = verdict(
        "regression",
        {"mae": 12.93, "r2": 0.72},
        {"linear regression": {"mae": 13.0, "r2": None}},
        [],
    )
    assert close.startswith("Better than a simple linear regression (typical error 12.9 vs 13.0)")
    same = verdict("regression", {"mae": 20.5, "r2": 0.702}, baselines, [])
    assert "about the same as always predicting the average" in same
    assert "about as much of the ups and downs" in same


def test_verdict_falls_back_when_the_primary_metric_is_undefined():
    baselines = {"logistic regression": classification_result(0.70, None)}
    sentence = verdict("binary", classification_result(0.80, None), baselines, ["n", "y"])
    assert sentence.startswith("Better than a simple logistic regression (accuracy 80% vs 70%)")
    assert verdict("binary", {}, {}, ["n", "y"]) == VERDICT_TEMPLATES["no_baseline"]


def test_every_measure_a_task_reports_or_ranks_by_is_computed_and_explained():
    y = np.array([0, 1, 2, 1])
    computed = {
        True: set(ev.classification_metrics(y, one_hot_proba([0, 1, 2, 0], 3), list("abc"))),
        False: set(ev.regression_metrics(np.array([1.0, 2.0]), np.array([1.0, 2.5]))),
    }
    for spec in TASKS.values():
        keys = computed[spec.predicts_class]
        for metric in (spec.headline_metric, spec.constant_metric, spec.importance_metric):
            assert metric in keys and metric in METRIC_LABELS, (spec.name, metric)
    every_key = computed[True] | computed[False]
    assert every_key - {"confusion_matrix", "class_labels", "mape_note"} <= set(METRIC_LABELS)
    assert set(METRIC_LABELS) == set(HIGHER_IS_BETTER)
    for label, explanation in METRIC_LABELS.values():
        assert label and len(explanation) > 20


@pytest.mark.parametrize(
    ("value", "key", "written"),
    [
        (0.87345, "accuracy", "0.873"),
        (0.1234, "mape", "12.3%"),
        (-0.0004, "mape", "0.0%"),  # rounds to zero: never "-0.0%"
        (12345.6, "mae", "12,346"),
        (123.456, "rmse", "123.5"),
        (0.000123456, "mae", "0.000123"),
        (0.0, "r2", "0.000"),
        (-0.25, "r2", "-0.250"),
        (None, "roc_auc", "—"),
        (float("nan"), "mae", "—"),
        (True, "accuracy", "—"),
        ("0.5", "accuracy", "—"),
    ],
)
def test_format_metric_writes_each_value_one_way(value, key, written):
    assert format_metric(value, key) == written
