"""How sure a test score is: bootstrap ranges over the test rows, and honest comparisons.

A score on a few hundred test rows moves a lot with which rows happened to land in the
test set. This module resamples the test rows with replacement (``BOOTSTRAP_RESAMPLES``
times, seeded from the recipe) and recomputes every test metric on each resample; the
middle 95% of those values is the metric's range. The network and the baselines are
scored on the *same* resamples, so the range of their difference (a paired bootstrap)
says whether the network is really better or the gap is within the noise.

The resampling is vectorised: a resample is a vector of counts (how often each test
row was drawn), and every metric is a weighted sum over rows (ranking metrics and the
median use one sort per model, done once). On 10,000 test rows the whole evaluation
(network and two baselines, all metrics, 1,000 resamples) costs about 0.4 s of CPU for a
yes/no outcome, 0.3 s for numbers and 1 s for three classes (one thread).

Conventions are those of :mod:`core.evaluation.metrics`: class indices ``0..k-1`` and
``(n, k)`` probabilities (binary ``(n,)`` or ``(n, 1)`` accepted), numbers in the target's
units. Everything returned is JSON-ready (floats, lists, dicts, None).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

# The names this module reads from the rest of the evaluation package, in one place.
from core.evaluation.baselines import score_outputs
from core.evaluation.measures import HIGHER_IS_BETTER, format_metric, metric_label
from core.evaluation.metrics import _classes, regression_metrics
from core.model.recipe import Recipe
from core.model.tasks import task_spec

BOOTSTRAP_RESAMPLES = 1000  # enough for stable 2.5% / 97.5% percentiles
CONFIDENCE = 0.95
# A metric undefined in more than this share of resamples (e.g. ROC AUC when a class is so
# rare that many resamples hold none of it) gets no range: the range would be misleading.
MAX_UNDEFINED_SHARE = 0.1
# Above this width (on a 0-1 scale) the headline metric is too rough to compare runs.
MAX_HEADLINE_WIDTH = 0.10
CHUNK_CELLS = 2_000_000  # resamples x rows held in memory at once (16 MB of float64)
_EPS = np.finfo(np.float64).eps

# The setting that sizes the final test, named as the recipe labels it.
TEST_SETTING = Recipe.model_fields["split"].annotation.model_fields["test_fraction"]
TEST_SETTING_LABEL = f'"{TEST_SETTING.json_schema_extra["label"]}"'

# All user-facing sentences of this module, in one place for translation.
MESSAGES = {
    "small_test": "The final test has only {n:,} rows, so its scores are rough: the {metric} "
    "could be anywhere from {low} to {high} (95% range). Differences smaller than that, between "
    "runs or against the simple models, mean little. Raise {setting} or add more rows to get a "
    "score you can rely on.",
    # When every resample gives the same score (a perfect score, often) a range says nothing.
    "small_test_rows": "The final test has only {n:,} rows, so its scores are rough: on so few "
    "rows even a perfect score says little, and differences between runs or against the simple "
    "models mean little. Raise {setting} or add more rows to get a score you can rely on.",
}


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


@dataclass(frozen=True)
class Comparison:
    """The network against one baseline on one metric, on the same resamples.

    ``difference`` is network minus baseline on all test rows, ``low``/``high`` its range;
    ``outcome`` is "better" or "worse" when the range excludes zero, else "noise".
    """

    baseline: str
    metric: str
    difference: float
    low: float
    high: float
    outcome: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Uncertainty:
    """How sure the test scores are; what a run stores under ``uncertainty``.

    ``intervals`` (metric -> ``[low, high]``) is the network's; ``baseline_intervals``
    the same per baseline; ``comparisons`` baseline -> metric -> :class:`Comparison`;
    ``warning`` a plain sentence when the test set is too small to tell scores apart.
    """

    n_test: int
    resamples: int
    confidence: float
    seed: int
    intervals: dict[str, list[float] | None]
    baseline_intervals: dict[str, dict[str, list[float] | None]] = field(default_factory=dict)
    comparisons: dict[str, dict[str, Comparison]] = field(default_factory=dict)
    warning: str | None = None

    def outcome(self, baseline: str, metric: str) -> str | None:
        """The outcome against ``baseline`` on ``metric``: better, worse, noise (or None)."""
        found = self.comparisons.get(baseline, {}).get(metric)
        return found.outcome if found else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; the inverse of :meth:`from_dict`."""
        return {
            "n_test": self.n_test,
            "resamples": self.resamples,
            "confidence": self.confidence,
            "seed": self.seed,
            "intervals": self.intervals,
            "baseline_intervals": self.baseline_intervals,
            "comparisons": {
                name: {metric: c.to_dict() for metric, c in metrics.items()}
                for name, metrics in self.comparisons.items()
            },
            "warning": self.warning,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Uncertainty:
        comparisons = {
            name: {metric: Comparison(**c) for metric, c in metrics.items()}
            for name, metrics in (data.get("comparisons") or {}).items()
        }
        return cls(
            n_test=int(data["n_test"]),
            resamples=int(data["resamples"]),
            confidence=float(data["confidence"]),
            seed=int(data["seed"]),
            intervals=dict(data.get("intervals") or {}),
            baseline_intervals=dict(data.get("baseline_intervals") or {}),
            comparisons=comparisons,
            warning=data.get("warning"),
        )


def _compare(
    name: str, metric: str, ours: np.ndarray, theirs: np.ndarray, point: float
) -> Comparison | None:
    difference = percentile_range(ours - theirs, point)
    if difference is None:
        return None
    low, high = difference
    higher_is_better = HIGHER_IS_BETTER[metric]
    if low > 0 or high < 0:
        outcome = "better" if (low > 0) == higher_is_better else "worse"
    else:
        outcome = "noise"
    return Comparison(name, metric, float(point), low, high, outcome)


def _small_test_warning(
    n: int, headline: str, interval: list[float] | None, min_rows: int
) -> str | None:
    if interval is None:
        return None
    width = interval[1] - interval[0]
    if n >= min_rows and width <= MAX_HEADLINE_WIDTH:
        return None
    low, high = format_metric(interval[0], headline), format_metric(interval[1], headline)
    if low == high:
        return MESSAGES["small_test_rows"].format(n=n, setting=TEST_SETTING_LABEL)
    return MESSAGES["small_test"].format(
        n=n, metric=metric_label(headline), low=low, high=high, setting=TEST_SETTING_LABEL
    )


def measure_uncertainty(
    task: str,
    y_true: np.ndarray,
    network_outputs: np.ndarray,
    baseline_outputs: dict[str, np.ndarray],
    class_labels: list[str],
    *,
    seed: int,
    resamples: int = BOOTSTRAP_RESAMPLES,
    min_rows: int | None = None,
) -> Uncertainty:
    """Ranges for every test metric of the network and the baselines, and paired comparisons.

    Parameters
    ----------
    task : str
        "binary", "multiclass" or "regression".
    y_true : np.ndarray
        Actual class indices or values of the test rows.
    network_outputs : np.ndarray
        The network's probabilities ``(n, k)`` or predicted values ``(n,)``.
    baseline_outputs : dict
        Baseline name -> its outputs on the same rows
        (see :func:`core.evaluation.baselines.baseline_outputs`).
    seed : int
        The recipe's seed.
    resamples : int
        Bootstrap resamples (``BOOTSTRAP_RESAMPLES``).
    min_rows : int, optional
        Fewer test rows than this always get the small-test warning (default: the
        health check's ``MIN_TEST_ROWS``).

    Returns
    -------
    Uncertainty
    """
    if min_rows is None:
        from core.data.health import MIN_TEST_ROWS as min_rows
    y = np.asarray(y_true).reshape(-1)
    outputs = {"": network_outputs, **baseline_outputs}
    samples = bootstrap_scores(task, y, outputs, class_labels, seed=seed, resamples=resamples)
    points = {name: score_outputs(task, y, out, class_labels) for name, out in outputs.items()}

    def ranges(name: str) -> dict[str, list[float] | None]:
        return {
            metric: percentile_range(values, points[name].get(metric))
            if points[name].get(metric) is not None
            else None
            for metric, values in samples[name].items()
        }

    comparisons: dict[str, dict[str, Comparison]] = {}
    for name in baseline_outputs:
        found = {}
        for metric, values in samples[""].items():
            ours, theirs = points[""].get(metric), points[name].get(metric)
            if ours is None or theirs is None:
                continue
            compared = _compare(name, metric, values, samples[name][metric], ours - theirs)
            if compared is not None:
                found[metric] = compared
        comparisons[name] = found
    intervals = ranges("")
    headline = task_spec(task).headline_metric
    return Uncertainty(
        n_test=len(y),
        resamples=resamples,
        confidence=CONFIDENCE,
        seed=seed,
        intervals=intervals,
        baseline_intervals={name: ranges(name) for name in baseline_outputs},
        comparisons=comparisons,
        warning=_small_test_warning(len(y), headline, intervals.get(headline), min_rows),
    )
