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

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

# The names this module reads from the rest of the evaluation package, in one place.
from core.evaluation.baselines import score_outputs
from core.evaluation.bootstrap import (
    BOOTSTRAP_RESAMPLES,
    CONFIDENCE,
    bootstrap_scores,
    percentile_range,
)
from core.evaluation.measures import HIGHER_IS_BETTER, format_metric, metric_label
from core.model.recipe import Recipe
from core.model.tasks import task_spec

# Above this width (on a 0-1 scale) the headline metric is too rough to compare runs.
MAX_HEADLINE_WIDTH = 0.10

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
