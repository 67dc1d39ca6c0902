"""Honest evaluation: test metrics, curves, simple baselines and feature importance.

Every function is pure (arrays in, plain data out) and returns JSON-compatible
values only: Python floats/ints/strings, lists and dicts, never numpy types
and never NaN. A metric that is undefined for the data at hand (for example
ROC AUC when the test rows hold a single outcome) is ``None``.

Conventions shared with :mod:`core.model.network` and :mod:`core.data.profiling`:

- classification targets are class indices ``0..k-1`` in ``class_labels``
  order, and probabilities have shape ``(n, k)``; for a binary task the
  model's own ``(n, 1)`` output (probability of ``class_labels[1]``) is
  accepted too;
- regression targets and predictions are in the target's own units.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from core.errors import TrainingError

# All user-facing sentences of this module, in one place for translation.
MESSAGES = {
    "mape_zero": "Not shown: some actual values are zero, and a percentage of zero is meaningless.",
    "mape_sign": "Not shown: the actual values are partly negative and partly positive, so "
    "percentages around zero would be misleading.",
    "mape_tiny": "Not shown: some actual values are tiny compared with the typical value, and "
    "their percentage errors would swamp the average.",
    "bad_predictions": "The model's predictions contain invalid numbers (not-a-number or "
    "infinity), which usually means training became unstable. Lower the learning rate or scale "
    "the numeric columns, then train again.",
}

PRIMARY_METRIC = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "r2"}

# Plain-language label and one-line explanation of every metric key.
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "accuracy": ("Accuracy", "Share of rows where the predicted outcome is the right one"),
    "precision": (
        "Precision",
        "Of the rows the model flags, the share that really are that outcome",
    ),
    "recall": ("Recall", "Of the rows that really are that outcome, the share the model finds"),
    "f1": ("F1 score", "A balance of precision and recall: 1.0 is perfect, 0 is useless"),
    "weighted_f1": ("Weighted F1", "F1 averaged over outcomes, weighting common outcomes more"),
    "roc_auc": (
        "ROC AUC",
        "How well the model ranks positives above negatives: 0.5 is guessing, 1.0 is perfect",
    ),
    "log_loss": (
        "Log loss",
        "How confident and right the probabilities are: lower is better, 0 is perfect",
    ),
    "average_precision": (
        "Average precision",
        "Area under the precision-recall curve: 1.0 is perfect",
    ),
    "mae": ("Typical error (MAE)", "Average size of the error, in the target's own units"),
    "rmse": ("RMSE", "Like the typical error, but big misses count extra"),
    "r2": (
        "R²",
        "Share of the ups and downs in the target the model explains: "
        "0 is no better than the average, 1.0 is perfect",
    ),
    "mape": (
        "Percentage error (MAPE)",
        "Average error as a share of the actual value: 0.10 means 10%",
    ),
    "median_absolute_error": (
        "Median error",
        "Half the rows are off by less than this, in the target's own units",
    ),
}
# Errors and losses go down as the model gets better; every other metric goes up.
LOWER_IS_BETTER = {"log_loss", "mae", "rmse", "mape", "median_absolute_error"}
HIGHER_IS_BETTER = {key: key not in LOWER_IS_BETTER for key in METRIC_LABELS}
# Scores used by permutation_importance (drop = importance). Multiclass uses log
# loss, not accuracy: accuracy only moves when a shuffle flips the top class, so on a
# few thousand rows many columns score exactly 0; log loss reacts to every change of
# confidence and is what the network was trained to minimise.
IMPORTANCE_METRIC = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "r2"}

SAME_TOLERANCE = 0.005  # "about the same" within this (metrics on a 0-1 scale)
UNIT_METRICS = ("mae", "rmse", "median_absolute_error")
MAPE_MIN_ABS = 1e-9  # an actual value this close to zero makes MAPE meaningless
MAPE_MIN_RELATIVE = 1e-3  # ... and so does one this small relative to the median |value|
LOGISTIC_MAX_ROWS = 200_000
LOGISTIC_MAX_ITER = 1000
RIDGE_ALPHA = 1e-3
BASELINE_NAMES = {
    "classification": ("majority class", "logistic regression"),
    "regression": ("average value", "linear regression"),
}


def _num(value: Any) -> float | None:
    """A plain float, or None when undefined (NaN/inf)."""
    value = float(value)
    return value if math.isfinite(value) else None


def _probabilities(proba: np.ndarray, k: int) -> np.ndarray:
    """Float64 ``(n, k)`` probabilities whose rows sum to 1 (float32 softmax drifts)."""
    p = np.asarray(proba, dtype=np.float64)
    if k == 2 and (p.ndim == 1 or (p.ndim == 2 and p.shape[1] == 1)):
        positive = np.clip(p.reshape(-1), 0.0, 1.0)
        p = np.column_stack([1.0 - positive, positive])
    if p.ndim != 2 or p.shape[1] != k:
        raise ValueError(f"Expected probabilities of shape (n, {k}), got {np.shape(proba)}.")
    if not np.isfinite(p).all():
        raise TrainingError(MESSAGES["bad_predictions"])
    p = np.clip(p, 0.0, None)
    totals = p.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise TrainingError(MESSAGES["bad_predictions"])
    return p / totals


def _classes(
    y_true: np.ndarray, proba: np.ndarray, class_labels: list[str]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Validated class indices, normalised probabilities and the number of classes."""
    k = len(class_labels)
    if k < 2:
        raise ValueError("class_labels needs at least two classes.")
    y = np.asarray(y_true).astype(np.int64).reshape(-1)
    p = _probabilities(proba, k)
    if len(y) != len(p) or len(y) == 0:
        raise ValueError(f"y_true has {len(y)} rows but the probabilities have {len(p)}.")
    if y.min() < 0 or y.max() >= k:
        raise ValueError(f"y_true must hold class indices 0..{k - 1}.")
    return y, p, k


def _roc_auc(y: np.ndarray, p: np.ndarray, k: int) -> float | None:
    present = np.bincount(y, minlength=k) > 0
    if k == 2:
        return _num(skm.roc_auc_score(y == 1, p[:, 1])) if present.all() else None
    if not present.all():  # one-vs-rest AUC of an absent class is undefined
        return None
    return _num(skm.roc_auc_score(y, p, multi_class="ovr", average="macro", labels=range(k)))


def classification_metrics(
    y_true: np.ndarray, proba: np.ndarray, class_labels: list[str]
) -> dict[str, Any]:
    """Test metrics of a classifier from its probabilities.

    Parameters
    ----------
    y_true : np.ndarray
        Actual class indices ``0..k-1``.
    proba : np.ndarray
        Probabilities ``(n, k)`` in ``class_labels`` order (binary: ``(n, 1)`` accepted).
    class_labels : list of str
        Class names, in model output order; the positive class is the last one.

    Returns
    -------
    dict
        ``accuracy, precision, recall, f1`` (binary: for the positive class; multiclass:
        macro averages, plus ``weighted_f1``), ``roc_auc`` (None when a class is absent
        from ``y_true``), ``log_loss``, ``confusion_matrix`` (rows = actual, columns =
        predicted) and ``class_labels``.

    Raises
    ------
    TrainingError
        If the probabilities contain NaN or infinity (training diverged).
    """
    y, p, k = _classes(y_true, proba, class_labels)
    pred = p.argmax(axis=1)
    labels = list(range(k))
    if k == 2:
        avg: dict[str, Any] = {"average": "binary", "pos_label": 1}
    else:
        avg = {"average": "macro", "labels": labels}
    result: dict[str, Any] = {
        "accuracy": _num(skm.accuracy_score(y, pred)),
        "precision": _num(skm.precision_score(y, pred, zero_division=0, **avg)),
        "recall": _num(skm.recall_score(y, pred, zero_division=0, **avg)),
        "f1": _num(skm.f1_score(y, pred, zero_division=0, **avg)),
    }
    if k > 2:
        result["weighted_f1"] = _num(
            skm.f1_score(y, pred, average="weighted", labels=labels, zero_division=0)
        )
    result["roc_auc"] = _roc_auc(y, p, k)
    result["log_loss"] = _num(skm.log_loss(y, p, labels=labels))
    result["confusion_matrix"] = skm.confusion_matrix(y, pred, labels=labels).tolist()
    result["class_labels"] = [str(label) for label in class_labels]
    return result


def _downsample(arrays: list[np.ndarray], max_points: int) -> list[list[float]]:
    """Evenly spaced points of aligned curve arrays, always keeping both ends."""
    n = len(arrays[0])
    if n > max_points:
        keep = np.unique(np.linspace(0, n - 1, max_points).round().astype(int))
        arrays = [a[keep] for a in arrays]
    return [[float(v) for v in a] for a in arrays]


def classification_curves(
    y_true: np.ndarray, proba: np.ndarray, class_labels: list[str], max_points: int = 200
) -> dict[str, list[dict[str, Any]]]:
    """ROC and precision-recall curve points, ready to plot.

    Binary: one entry, for the positive class ``class_labels[-1]``. Multiclass: one
    entry per class (that class against all others). A class with no rows in
    ``y_true`` (or, for ROC, only rows of it) has no defined curve and is left out.
    Each curve keeps at most ``max_points`` points, including both ends.

    Returns
    -------
    dict
        ``{"roc": [{"label", "fpr", "tpr", "auc"}], "pr": [{"label", "precision",
        "recall", "average_precision"}]}``.
    """
    if max_points < 2:
        raise ValueError("max_points must be at least 2 (a curve has two ends).")
    y, p, k = _classes(y_true, proba, class_labels)
    curves: dict[str, list[dict[str, Any]]] = {"roc": [], "pr": []}
    for c in [1] if k == 2 else range(k):
        is_c, score = y == c, p[:, c]
        n_pos = int(is_c.sum())
        if n_pos == 0:
            continue
        label = str(class_labels[c])
        if n_pos < len(y):
            fpr, tpr, _ = skm.roc_curve(is_c, score)
            fpr_l, tpr_l = _downsample([fpr, tpr], max_points)
            auc = _num(skm.roc_auc_score(is_c, score))
            curves["roc"].append({"label": label, "fpr": fpr_l, "tpr": tpr_l, "auc": auc})
        precision, recall, _ = skm.precision_recall_curve(is_c, score)
        prec_l, rec_l = _downsample([precision, recall], max_points)
        ap = _num(skm.average_precision_score(is_c, score))
        curves["pr"].append(
            {"label": label, "precision": prec_l, "recall": rec_l, "average_precision": ap}
        )
    return curves


def _regression_arrays(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=np.float64).reshape(-1)
    pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    if len(y) != len(pred) or len(y) == 0:
        raise ValueError(f"y_true has {len(y)} rows but y_pred has {len(pred)}.")
    if not np.isfinite(pred).all():
        raise TrainingError(MESSAGES["bad_predictions"])
    return y, pred


def _mape_problem(y: np.ndarray) -> str | None:
    """Why a percentage error would mislead on these actual values (None if it is fine)."""
    size = np.abs(y)
    if size.min() <= MAPE_MIN_ABS:
        return MESSAGES["mape_zero"]
    if y.min() < 0 < y.max():
        return MESSAGES["mape_sign"]
    if size.min() < MAPE_MIN_RELATIVE * np.median(size):
        return MESSAGES["mape_tiny"]
    return None


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """Test metrics of a regressor, in the target's own units.

    Returns
    -------
    dict
        ``mae, rmse, r2`` (None if the actual values are all equal), ``mape`` (a share:
        0.1 = 10%; None where percentages would mislead, see ``mape_note``),
        ``mape_note`` (None or the reason) and ``median_absolute_error``.

    Raises
    ------
    TrainingError
        If the predictions contain NaN or infinity (training diverged).
    """
    y, pred = _regression_arrays(y_true, y_pred)
    note = _mape_problem(y)
    # R² compares with the spread of the actual values: undefined when they are all equal.
    r2 = skm.r2_score(y, pred) if np.ptp(y) > 0 else None
    return {
        "mae": _num(skm.mean_absolute_error(y, pred)),
        "rmse": _num(skm.root_mean_squared_error(y, pred)),
        "r2": None if r2 is None else _num(r2),
        "mape": None if note else _num(skm.mean_absolute_percentage_error(y, pred)),
        "mape_note": note,
        "median_absolute_error": _num(skm.median_absolute_error(y, pred)),
    }


def regression_plots(
    y_true: np.ndarray, y_pred: np.ndarray, max_points: int = 2000, seed: int = 0
) -> dict[str, list[float]]:
    """A seeded random sample of at most ``max_points`` rows for scatter plots.

    ``residual`` is actual minus predicted: positive means the model guessed too low.
    """
    y, pred = _regression_arrays(y_true, y_pred)
    rows = np.arange(len(y))
    if len(y) > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(len(y), max_points, replace=False))
    return {
        "actual": [float(v) for v in y[rows]],
        "predicted": [float(v) for v in pred[rows]],
        "residual": [float(v) for v in y[rows] - pred[rows]],
    }


def _proba_in_class_order(model: Any, X: np.ndarray, k: int) -> np.ndarray:
    """predict_proba widened to all k classes (a class absent from training gets 0)."""
    full = np.zeros((len(X), k))
    full[:, np.asarray(model.classes_, dtype=int)] = model.predict_proba(X)
    return full


def baseline_outputs(
    task: str,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    class_labels: list[str],
    seed: int,
) -> dict[str, np.ndarray]:
    """Test outputs of two simple models fitted on the same split and matrix as the network.

    Classification: "majority class" (predicts the training class shares) and
    "logistic regression" (standardised inputs; fitted on at most 200,000 training
    rows sampled with ``seed``, which keeps it to seconds on a million rows while the
    estimate stays stable). Regression: "average value" and "linear regression"
    (Ridge with a tiny penalty, so repeated one-hot columns cannot break it).
    A class missing from ``y_train`` gets probability 0; with a single training class
    the logistic baseline falls back to the class shares.

    Returns
    -------
    dict
        Baseline name -> probabilities ``(n, k)`` or predicted values ``(n,)``.
    """
    X_train = np.asarray(X_train, dtype=np.float64)
    X_test = np.asarray(X_test, dtype=np.float64)
    if task == "regression":
        y_train = np.asarray(y_train, dtype=np.float64).reshape(-1)
        average = DummyRegressor(strategy="mean").fit(X_train, y_train)
        linear = Ridge(alpha=RIDGE_ALPHA).fit(X_train, y_train)
        names = BASELINE_NAMES["regression"]
        return {names[0]: average.predict(X_test), names[1]: linear.predict(X_test)}
    if task not in ("binary", "multiclass"):
        raise ValueError(f"Unknown task {task!r}.")
    k = len(class_labels)
    y_train = np.asarray(y_train).astype(np.int64).reshape(-1)
    prior = DummyClassifier(strategy="prior").fit(X_train, y_train)
    prior_proba = _proba_in_class_order(prior, X_test, k)
    logistic_proba = prior_proba
    if len(np.unique(y_train)) > 1:
        rows = np.arange(len(y_train))
        if len(rows) > LOGISTIC_MAX_ROWS:
            rows = np.random.default_rng(seed).choice(len(rows), LOGISTIC_MAX_ROWS, replace=False)
        if len(np.unique(y_train[rows])) > 1:
            logistic = make_pipeline(
                StandardScaler(),
                LogisticRegression(max_iter=LOGISTIC_MAX_ITER, random_state=seed),
            )
            with warnings.catch_warnings():
                # Not fully converged is still a fair "simple model" yardstick.
                warnings.simplefilter("ignore", ConvergenceWarning)
                logistic.fit(X_train[rows], y_train[rows])
            logistic_proba = _proba_in_class_order(logistic, X_test, k)
    names = BASELINE_NAMES["classification"]
    return {names[0]: prior_proba, names[1]: logistic_proba}


def score_outputs(
    task: str, y_true: np.ndarray, outputs: np.ndarray, class_labels: list[str]
) -> dict[str, Any]:
    """:func:`classification_metrics` or :func:`regression_metrics`, as the task says."""
    if task == "regression":
        return regression_metrics(y_true, outputs)
    return classification_metrics(y_true, outputs, class_labels)


def baseline_metrics(
    task: str,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    class_labels: list[str],
    seed: int,
) -> dict[str, dict[str, Any]]:
    """Test metrics of the two simple models of :func:`baseline_outputs`.

    Returns
    -------
    dict
        Baseline name -> the dict of :func:`classification_metrics` or
        :func:`regression_metrics`.
    """
    outputs = baseline_outputs(task, X_train, y_train, X_test, class_labels, seed)
    return {name: score_outputs(task, y_test, out, class_labels) for name, out in outputs.items()}


def _importance_scorer(task: str, y: np.ndarray) -> Callable[[np.ndarray], float]:
    """A higher-is-better score of predictions on ``y`` (see IMPORTANCE_METRIC)."""
    if task == "regression":
        if np.ptp(y) > 0:
            return lambda pred: skm.r2_score(y, np.asarray(pred, dtype=np.float64).reshape(-1))
        # R² is undefined for constant actual values: fall back to (minus) squared error.
        return lambda pred: -skm.mean_squared_error(y, np.asarray(pred).reshape(-1))
    y = y.astype(np.int64)
    if task == "binary" and len(np.unique(y)) == 2:
        return lambda proba: skm.roc_auc_score(y, _probabilities(proba, 2)[:, 1])
    if task not in ("binary", "multiclass"):
        raise ValueError(f"Unknown task {task!r}.")

    def minus_log_loss(proba: np.ndarray) -> float:
        p = _probabilities(proba, 2 if task == "binary" else np.shape(proba)[1])
        return -skm.log_loss(y, p, labels=range(p.shape[1]))

    return minus_log_loss


def permutation_importance(
    predict: Callable[[pd.DataFrame], np.ndarray],
    frame: pd.DataFrame,
    y_true: np.ndarray,
    task: str,
    columns: list[str],
    *,
    n_repeats: int = 3,
    seed: int = 0,
    max_rows: int = 5000,
) -> list[dict[str, Any]]:
    """How much the score drops when one raw input column is shuffled.

    Works on the raw columns a person knows (not the one-hot inputs of the network):
    for each column and repeat, that column's values are shuffled in a copy of a
    seeded sample of at most ``max_rows`` rows and ``predict`` is called once on it.
    The score is ROC AUC (binary), minus log loss (multiclass, see IMPORTANCE_METRIC)
    or R² (regression); where that is undefined on the sample (a single outcome, or
    all-equal values) minus log loss or minus squared error is used instead.

    Parameters
    ----------
    predict : callable
        Raw rows -> probabilities ``(n, k)`` (classification) or values ``(n,)``.
    frame : pandas.DataFrame
        Raw rows (e.g. the test split), aligned with ``y_true``.

    Returns
    -------
    list of dict
        ``[{"column", "importance", "std"}]``, largest mean drop first; a drop near 0
        or below means the model does not rely on that column.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"Columns not in the frame: {missing}.")
    y = np.asarray(y_true).reshape(-1)
    if len(y) != len(frame):
        raise ValueError(f"frame has {len(frame)} rows but y_true has {len(y)}.")
    rng = np.random.default_rng(seed)
    rows = np.arange(len(frame))
    if len(rows) > max_rows:
        rows = np.sort(rng.choice(len(rows), max_rows, replace=False))
    sample = frame.iloc[rows].reset_index(drop=True)
    y = y[rows] if task != "regression" else y[rows].astype(np.float64)
    score = _importance_scorer(task, y)
    base = score(predict(sample))
    results = []
    for column in columns:
        drops = []
        for _ in range(n_repeats):
            shuffled = sample.copy()
            # set_axis keeps the column's dtype (category, str, datetime...) intact.
            shuffled[column] = (
                sample[column].iloc[rng.permutation(len(sample))].set_axis(sample.index)
            )
            drops.append(base - score(predict(shuffled)))
        results.append(
            {
                "column": str(column),
                "importance": _num(np.mean(drops)) or 0.0,
                "std": _num(np.std(drops)) or 0.0,
            }
        )
    return sorted(results, key=lambda r: r["importance"], reverse=True)
