"""Honest evaluation: test metrics and curves of a classifier or a regressor.

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

The baselines are in :mod:`core.evaluation.baselines`, feature importance in
:mod:`core.evaluation.importance`, and what each measure means and how it is
written in :mod:`core.evaluation.measures`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn import metrics as skm

from core.errors import TrainingError
from core.i18n import Texts
from core.portable.tasks import widen_yes_no

# All user-facing sentences of this module: keys of the catalog "core.evaluation.metrics".
MESSAGES = Texts("core.evaluation.metrics")

MAPE_MIN_ABS = 1e-9  # an actual value this close to zero makes MAPE meaningless
MAPE_MIN_RELATIVE = 1e-3  # ... and so does one this small relative to the median |value|


def finite_or_none(value: Any) -> float | None:
    """A plain float, or None when undefined (NaN/inf)."""
    value = float(value)
    return value if math.isfinite(value) else None


def normalised_probabilities(proba: np.ndarray, k: int) -> np.ndarray:
    """Float64 ``(n, k)`` probabilities whose rows sum to 1 (float32 softmax drifts)."""
    p = np.asarray(proba, dtype=np.float64)
    if k == 2 and (p.ndim == 1 or (p.ndim == 2 and p.shape[1] == 1)):
        p = widen_yes_no(p)
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
    p = normalised_probabilities(proba, k)
    if len(y) != len(p) or len(y) == 0:
        raise ValueError(f"y_true has {len(y)} rows but the probabilities have {len(p)}.")
    if y.min() < 0 or y.max() >= k:
        raise ValueError(f"y_true must hold class indices 0..{k - 1}.")
    return y, p, k


def _roc_auc(y: np.ndarray, p: np.ndarray, k: int) -> float | None:
    present = np.bincount(y, minlength=k) > 0
    if k == 2:
        return finite_or_none(skm.roc_auc_score(y == 1, p[:, 1])) if present.all() else None
    if not present.all():  # one-vs-rest AUC of an absent class is undefined
        return None
    return finite_or_none(
        skm.roc_auc_score(y, p, multi_class="ovr", average="macro", labels=range(k))
    )


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
        "accuracy": finite_or_none(skm.accuracy_score(y, pred)),
        "precision": finite_or_none(skm.precision_score(y, pred, zero_division=0, **avg)),
        "recall": finite_or_none(skm.recall_score(y, pred, zero_division=0, **avg)),
        "f1": finite_or_none(skm.f1_score(y, pred, zero_division=0, **avg)),
    }
    if k > 2:
        result["weighted_f1"] = finite_or_none(
            skm.f1_score(y, pred, average="weighted", labels=labels, zero_division=0)
        )
    result["roc_auc"] = _roc_auc(y, p, k)
    result["log_loss"] = finite_or_none(skm.log_loss(y, p, labels=labels))
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
            auc = finite_or_none(skm.roc_auc_score(is_c, score))
            curves["roc"].append({"label": label, "fpr": fpr_l, "tpr": tpr_l, "auc": auc})
        precision, recall, _ = skm.precision_recall_curve(is_c, score)
        prec_l, rec_l = _downsample([precision, recall], max_points)
        ap = finite_or_none(skm.average_precision_score(is_c, score))
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
        "mae": finite_or_none(skm.mean_absolute_error(y, pred)),
        "rmse": finite_or_none(skm.root_mean_squared_error(y, pred)),
        "r2": None if r2 is None else finite_or_none(r2),
        "mape": None if note else finite_or_none(skm.mean_absolute_percentage_error(y, pred)),
        "mape_note": note,
        "median_absolute_error": finite_or_none(skm.median_absolute_error(y, pred)),
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
