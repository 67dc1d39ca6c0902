"""Bootstrap scores: every test metric recomputed on resampled test rows, vectorised.

A resample is a vector of counts (how often each test row was drawn), and every metric is
a weighted sum over rows (ranking metrics and the median use one sort per model, done
once), so 1,000 resamples of 10,000 rows cost well under a second. :mod:`core.evaluation.
intervals` turns these scores into ranges and paired comparisons.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from core.evaluation.metrics import _classes, regression_metrics
from core.model.tasks import task_spec

BOOTSTRAP_RESAMPLES = 1000  # enough for stable 2.5% / 97.5% percentiles
CONFIDENCE = 0.95
# A metric undefined in more than this share of resamples (e.g. ROC AUC when a class is so
# rare that many resamples hold none of it) gets no range: the range would be misleading.
MAX_UNDEFINED_SHARE = 0.1
CHUNK_CELLS = 2_000_000  # resamples x rows held in memory at once (16 MB of float64)
_EPS = np.finfo(np.float64).eps


def _counts(n: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Bootstrap resamples as count vectors ``(chunk, n)``: how often each row was drawn.

    Chunks depend only on ``n`` and ``resamples``, so the same seed gives the same
    resamples however many models are scored on them.
    """
    rng = np.random.default_rng(seed)
    chunk = max(1, min(resamples, CHUNK_CELLS // max(n, 1)))
    done = 0
    while done < resamples:
        size = min(chunk, resamples - done)
        drawn = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
        counts = np.bincount(drawn.ravel(), minlength=size * n).reshape(size, n)
        # float32 holds every count and running total exactly below 16 million rows,
        # and halves the memory traffic of the sorts and sums below.
        yield counts.astype(np.float32)
        done += size


def _divide(top: np.ndarray, bottom: np.ndarray, undefined: float = 0.0) -> np.ndarray:
    """top / bottom, with ``undefined`` where bottom is 0 (sklearn's zero_division)."""
    out = np.full(np.broadcast(top, bottom).shape, undefined, dtype=np.float64)
    np.divide(top, bottom, out=out, where=bottom > 0)
    return out


class _Ranking:
    """Weighted ROC AUC of one score column against one yes/no outcome, for many resamples.

    Rows are sorted by score once. For each resample the weighted count of negatives
    ranked below each positive is a running sum; a tied positive/negative pair counts
    one half, which is the average of sorting negatives first and positives first within
    ties (so tied scores cost a second pass, and distinct scores none).
    """

    def __init__(self, positive: np.ndarray, score: np.ndarray) -> None:
        positive = positive.astype(bool)
        negatives_first = np.lexsort((positive, score))
        self.orders = [negatives_first]
        ordered = score[negatives_first]
        if (ordered[1:] == ordered[:-1]).any():
            self.orders.append(np.lexsort((~positive, score)))
        self.positive = [positive[order].astype(np.float32) for order in self.orders]

    def auc(self, counts: np.ndarray) -> np.ndarray:
        total = 0.0
        for order, positive in zip(self.orders, self.positive, strict=True):
            w = counts[:, order]
            pos = w * positive
            below = np.cumsum(w - pos, axis=1)  # negatives up to here (none at a positive row)
            total = total + (pos * below).sum(axis=1, dtype=np.float64)
            n_pos = pos.sum(axis=1, dtype=np.float64)
        n_neg = counts.sum(axis=1, dtype=np.float64) - n_pos
        return _divide(total / len(self.orders), n_pos * n_neg, np.nan)


class _ClassScorer:
    """Every classification metric of :func:`classification_metrics`, per resample."""

    def __init__(self, y: np.ndarray, proba: np.ndarray, k: int) -> None:
        self.k, self.n = k, len(y)
        pred = proba.argmax(axis=1)
        # float32 like the counts, so the products stay in fast single-precision BLAS.
        self.truth = np.eye(k, dtype=np.float32)[y]  # (n, k) one-hot actual class
        self.predicted = np.eye(k, dtype=np.float32)[pred]
        self.hit = self.truth * self.predicted
        loss = -np.log(np.clip(proba[np.arange(self.n), y], _EPS, 1.0))
        self.loss = loss.astype(np.float32)
        columns = [1] if k == 2 else range(k)
        self.rankings = [_Ranking(y == c, proba[:, c]) for c in columns]

    def scores(self, counts: np.ndarray) -> dict[str, np.ndarray]:
        support = (counts @ self.truth).astype(np.float64)
        flagged = (counts @ self.predicted).astype(np.float64)
        tp = (counts @ self.hit).astype(np.float64)
        precision, recall = _divide(tp, flagged), _divide(tp, support)
        f1 = _divide(2 * tp, flagged + support)
        out = {"accuracy": tp.sum(axis=1) / self.n}
        if self.k == 2:
            out.update(precision=precision[:, 1], recall=recall[:, 1], f1=f1[:, 1])
        else:
            out.update(precision=precision.mean(1), recall=recall.mean(1), f1=f1.mean(1))
            out["weighted_f1"] = (f1 * support).sum(axis=1) / self.n
        aucs = np.column_stack([r.auc(counts) for r in self.rankings])
        # Multiclass: macro one-vs-rest, undefined when a resample misses a class.
        out["roc_auc"] = aucs.mean(axis=1)
        out["log_loss"] = (counts @ self.loss).astype(np.float64) / self.n
        return out


class _NumberScorer:
    """Every regression metric of :func:`regression_metrics`, per resample."""

    def __init__(self, y: np.ndarray, pred: np.ndarray, with_mape: bool) -> None:
        self.n = len(y)
        error = y - pred
        self.abs_error, self.squared = np.abs(error), error**2
        centred = y - y.mean()  # the spread is shift-free; centring keeps it accurate
        self.centred, self.centred_sq = centred, centred**2
        self.relative = self.abs_error / np.abs(y) if with_mape else None
        self.order = np.argsort(self.abs_error, kind="mergesort")
        self.sorted_error = self.abs_error[self.order]
        # The median of n values: the average of the values at these 1-based positions.
        half = self.n // 2
        self.positions = (half + 1,) if self.n % 2 else (half, half + 1)

    def scores(self, counts: np.ndarray) -> dict[str, np.ndarray]:
        n = self.n
        order_counts = counts[:, self.order]
        counts = counts.astype(np.float64)  # sums of squares cancel: need the precision
        sse = counts @ self.squared
        spread = counts @ self.centred_sq - (counts @ self.centred) ** 2 / n
        out = {
            "mae": counts @ self.abs_error / n,
            "rmse": np.sqrt(sse / n),
            "r2": 1.0 - _divide(sse, np.where(spread > 1e-12 * n, spread, 0.0), np.nan),
        }
        if self.relative is not None:
            out["mape"] = counts @ self.relative / n
        cumulative = np.cumsum(order_counts, axis=1)
        picks = [(cumulative < p).sum(axis=1) for p in self.positions]
        out["median_absolute_error"] = np.mean([self.sorted_error[i] for i in picks], axis=0)
        return out


def _scorer(task: str, y_true: np.ndarray, outputs: np.ndarray, class_labels: list[str]) -> Any:
    if not task_spec(task).predicts_class:
        y = np.asarray(y_true, dtype=np.float64).reshape(-1)
        pred = np.asarray(outputs, dtype=np.float64).reshape(-1)
        with_mape = regression_metrics(y, pred)["mape"] is not None
        return _NumberScorer(y, pred, with_mape)
    y, proba, k = _classes(y_true, outputs, class_labels)
    return _ClassScorer(y, proba, k)


def bootstrap_scores(
    task: str,
    y_true: np.ndarray,
    outputs: dict[str, np.ndarray],
    class_labels: list[str],
    *,
    seed: int,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> dict[str, dict[str, np.ndarray]]:
    """Every test metric of every model on the same bootstrap resamples of the test rows.

    Parameters
    ----------
    task : str
        "binary", "multiclass" or "regression".
    y_true : np.ndarray
        Actual class indices, or actual values.
    outputs : dict
        Model name -> its test outputs (probabilities or predicted values).
    seed : int
        Seeds the resamples (the recipe's seed: the same run gives the same ranges).
    resamples : int
        How many resamples.

    Returns
    -------
    dict
        Model name -> metric -> array of ``resamples`` values (NaN where undefined).
    """
    if resamples < 1:
        raise ValueError("resamples must be at least 1.")
    scorers = {name: _scorer(task, y_true, out, class_labels) for name, out in outputs.items()}
    n = len(np.asarray(y_true).reshape(-1))
    parts: dict[str, dict[str, list[np.ndarray]]] = {name: {} for name in scorers}
    # One BLAS thread: the products are thin (rows x classes), threads mostly wait for each
    # other, and on a busy machine that cost three times the CPU for the same result.
    with threadpool_limits(1):
        for counts in _counts(n, resamples, seed):
            for name, scorer in scorers.items():
                for metric, values in scorer.scores(counts).items():
                    parts[name].setdefault(metric, []).append(values)
    return {
        name: {metric: np.concatenate(chunks) for metric, chunks in metrics.items()}
        for name, metrics in parts.items()
    }


def percentile_range(values: np.ndarray, point: float | None = None) -> list[float] | None:
    """The middle ``CONFIDENCE`` share of bootstrap values, as ``[low, high]``.

    None when the metric is undefined in too many resamples. With ``point`` (the score
    on all test rows) the range is stretched to include it: on a skewed metric and few
    rows the percentiles can leave it just outside, and a range that does not contain
    the score shown next to it would only confuse.
    """
    values = np.asarray(values, dtype=np.float64)
    defined = values[np.isfinite(values)]
    if len(defined) == 0 or len(defined) < (1 - MAX_UNDEFINED_SHARE) * len(values):
        return None
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = (float(v) for v in np.percentile(defined, [tail, 100 - tail]))
    if point is not None and np.isfinite(point):
        low, high = min(low, float(point)), max(high, float(point))
    return [low, high]
