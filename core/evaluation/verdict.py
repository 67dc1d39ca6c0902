"""One plain sentence that says whether the network is worth it.

The network is compared on the same test rows with the two baselines of
:func:`core.evaluation.baselines.baseline_metrics`: always giving the same answer, and a
simple logistic or linear regression (named by the task's :class:`TaskSpec`). Given the
bootstrap comparisons of :mod:`core.evaluation.intervals`, "better" is said only when the
range of the difference excludes zero; otherwise the sentence says the difference is within
the noise.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from core.evaluation.measures import HIGHER_IS_BETTER, UNIT_METRICS
from core.i18n import Message, Texts
from core.model.tasks import TaskSpec, task_spec

SAME_TOLERANCE = 0.005  # "about the same" within this (metrics on a 0-1 scale)

if TYPE_CHECKING:
    from core.evaluation.intervals import Uncertainty

# All user-facing sentences of this module: keys of the catalog "core.evaluation.verdict"
# (verdict.po). The verdict is kept as a Message, so a stored run is read in the reader's
# language.
VERDICT_TEMPLATES = Texts("core.evaluation.verdict")


def _m(name: str, /, **params: Any) -> Message:
    VERDICT_TEMPLATES[name]  # an unknown name fails here, where it is written
    return Message(VERDICT_TEMPLATES.key(name), params)


def baseline_message(name: str) -> Message:
    """A baseline's plain name ("logistic regression") as a message; an unknown name is kept."""
    key = "baseline_" + name.replace(" ", "_")
    return _m(key) if key in VERDICT_TEMPLATES else Message.verbatim(name)


def metric_message(metric: str) -> Message:
    """A measure's name as the verdict says it ("accuracy"), as a message."""
    key = f"metric_{metric}"
    return _m(key) if key in VERDICT_TEMPLATES else Message.verbatim(metric)


def _compare(
    ours: float,
    theirs: float,
    metric: str,
    noise: Uncertainty | None = None,
    baseline: str = "",
) -> str:
    """Whether the network (ours) is "better", "same", "worse" or within the "noise".

    With bootstrap comparisons (``noise``), a difference whose range includes zero is
    "noise"; a real difference within ``SAME_TOLERANCE`` is still "about the same".
    """
    diff = ours - theirs if HIGHER_IS_BETTER[metric] else theirs - ours
    # Errors are in the target's units, so "about the same" is relative for them.
    tolerance = SAME_TOLERANCE * (abs(theirs) if metric in UNIT_METRICS else 1.0)
    if abs(diff) <= tolerance:
        return "same"
    # No range for the difference (the metric is undefined in too many resamples) is no
    # evidence either way: say so rather than claim a winner.
    if noise is not None and noise.outcome(baseline, metric) in ("noise", None):
        return "noise"
    return "better" if diff > 0 else "worse"


def _fmt(value: float, metric: str, decimals: int = 2) -> str:
    """A metric value as a person reads it: accuracy as a percentage, errors in units.

    ``decimals`` is for a 0-1 score; errors get 3 significant digits at that setting.
    """
    if metric == "accuracy":
        return f"{value * 100:.{max(decimals - 2, 0)}f}%"
    if metric in UNIT_METRICS:
        digits = decimals if value == 0 else decimals - math.floor(math.log10(abs(value)))
        return f"{value:,.{min(max(digits, 0), 8)}f}"
    return f"{value:.{decimals}f}"


def _fmt_pair(ours: float, theirs: float, metric: str, outcome: str) -> tuple[str, str]:
    """Format two values with enough decimals that a real difference shows."""
    decimals = 2
    a, b = _fmt(ours, metric, decimals), _fmt(theirs, metric, decimals)
    while outcome != "same" and a == b and decimals < 6:
        decimals += 1
        a, b = _fmt(ours, metric, decimals), _fmt(theirs, metric, decimals)
    return a, b


def _vs_constant(
    spec: TaskSpec,
    metrics: dict,
    constant: dict,
    class_labels: list[str],
    noise: Uncertainty | None,
    name: str,
) -> tuple[Message, bool] | None:
    """First half of the verdict, against always giving the same answer (or None)."""
    metric = spec.constant_metric
    if metrics.get(metric) is None or constant.get(metric) is None:
        return None
    outcome = _compare(metrics[metric], constant[metric], metric, noise, name)
    n = f"{noise.n_test:,}" if noise is not None else ""
    ours, theirs = _fmt_pair(metrics[metric], constant[metric], metric, outcome)
    if not spec.predicts_class:
        text = _m(f"average_{outcome}", ours=ours, theirs=theirs, n=n)
    else:
        # The constant guess is the class its confusion-matrix column is full of.
        guessed = int(np.asarray(constant["confusion_matrix"]).sum(axis=0).argmax())
        points = round(float(ours.rstrip("%")) - float(theirs.rstrip("%")), 4)
        text = _m(
            f"majority_{outcome}",
            label=class_labels[guessed],
            points=f"{points:g}",
            ours=ours,
            theirs=theirs,
            n=n,
        )
    return text, outcome == "better"


def _vs_simple(
    spec: TaskSpec,
    metrics: dict,
    simple: dict,
    first_is_good: bool | None,
    noise: Uncertainty | None,
    name: str,
) -> tuple[Message, bool] | None:
    """Second half of the verdict, against logistic/linear regression (or None)."""
    metric = spec.headline_metric
    if metrics.get(metric) is None or simple.get(metric) is None:
        metric = spec.constant_metric
        if metrics.get(metric) is None or simple.get(metric) is None:
            return None
    outcome = _compare(metrics[metric], simple[metric], metric, noise, name)
    ours, theirs = _fmt_pair(metrics[metric], simple[metric], metric, outcome)
    good = outcome in ("better", "same")
    joiner = "" if first_is_good is None else _m("and" if first_is_good == good else "but")
    key = f"linear_{outcome}" if metric == "r2" else f"simple_{outcome}"
    text = _m(
        key,
        joiner=joiner,
        model=baseline_message(spec.simple_baseline),
        metric=metric_message(metric),
        ours=ours,
        theirs=theirs,
        n=f"{noise.n_test:,}" if noise is not None else "",
    )
    return text, good


def verdict(
    task: str,
    metrics: dict[str, Any],
    baselines: dict[str, dict[str, Any]],
    class_labels: list[str],
    uncertainty: Uncertainty | None = None,
) -> str:
    """One plain sentence, in the current language: see :func:`verdict_message`."""
    return verdict_message(task, metrics, baselines, class_labels, uncertainty).render()


def verdict_message(
    task: str,
    metrics: dict[str, Any],
    baselines: dict[str, dict[str, Any]],
    class_labels: list[str],
    uncertainty: Uncertainty | None = None,
) -> Message:
    """One plain sentence, kept as a message: is the network better than the simple baselines?

    Part one compares with the constant baseline: accuracy against always guessing
    the majority class (a constant guess always has ROC AUC 0.5, so accuracy is the
    honest yardstick), or typical error against always predicting the average.
    Part two compares with logistic/linear regression on the primary metric
    (falling back to accuracy or typical error when that metric is undefined).
    Within ``SAME_TOLERANCE`` counts as "about as good". With ``uncertainty`` (see
    :func:`core.evaluation.intervals.measure_uncertainty`), a larger difference whose
    paired bootstrap range includes zero is said to be within the noise, not better or worse.
    """
    spec = task_spec(task)
    constant_name, simple_name = spec.baselines
    first = second = None
    if constant_name in baselines:
        first = _vs_constant(
            spec, metrics, baselines[constant_name], class_labels, uncertainty, constant_name
        )
    if simple_name in baselines:
        first_is_good = first[1] if first else None
        second = _vs_simple(
            spec, metrics, baselines[simple_name], first_is_good, uncertainty, simple_name
        )
    if first and second:
        return _m("both", first=first[0], second=second[0])
    if first:
        return _m("constant_only", first=first[0])
    if second:
        return _m("simple_only", second=second[0])
    return _m("no_baseline")
