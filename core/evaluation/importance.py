"""Which raw columns the model relies on: the score drop when one column is shuffled.

The score follows from the task (:attr:`core.model.tasks.TaskSpec.importance_metric`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from core.evaluation.metrics import finite_or_none, normalised_probabilities
from core.model.tasks import task_spec


def _importance_scorer(task: str, y: np.ndarray) -> Callable[[np.ndarray], float]:
    """A higher-is-better score of predictions on ``y`` (the task's importance metric).

    Where that metric is undefined on ``y`` (R² of all-equal values, ROC AUC of a
    single outcome) the scorer falls back to minus squared error or minus log loss.
    """
    spec = task_spec(task)
    metric = spec.importance_metric
    if not spec.predicts_class:
        if metric == "r2" and np.ptp(y) > 0:
            return lambda pred: skm.r2_score(y, np.asarray(pred, dtype=np.float64).reshape(-1))
        return lambda pred: -skm.mean_squared_error(y, np.asarray(pred).reshape(-1))
    y = y.astype(np.int64)
    if metric == "roc_auc" and len(np.unique(y)) == 2:
        return lambda proba: skm.roc_auc_score(y, normalised_probabilities(proba, 2)[:, 1])

    def minus_log_loss(proba: np.ndarray) -> float:
        # A yes/no model's single probability is widened to two columns.
        k = 2 if spec.outputs.single_probability else np.shape(proba)[1]
        p = normalised_probabilities(proba, k)
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
    The score is the task's importance metric: ROC AUC (binary), minus log loss
    (multiclass) or R² (regression); where that is undefined on the sample (a single outcome, or
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
    y = y[rows] if task_spec(task).predicts_class else y[rows].astype(np.float64)
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
                "importance": finite_or_none(np.mean(drops)) or 0.0,
                "std": finite_or_none(np.std(drops)) or 0.0,
            }
        )
    return sorted(results, key=lambda r: r["importance"], reverse=True)
