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
from core.model.tasks import TaskSpec, task_spec

SAME_TOLERANCE = 0.005  # "about the same" within this (metrics on a 0-1 scale)

if TYPE_CHECKING:
    from core.evaluation.intervals import Uncertainty

# All user-facing sentences of this module, in one place for translation.
VERDICT_TEMPLATES = {
    "majority_better": "Better than always guessing '{label}' by {points} points of accuracy "
    "({ours} vs {theirs})",
    "majority_same": "About as accurate as always guessing '{label}' ({ours} vs {theirs})",
    "majority_worse": "Less accurate than always guessing '{label}' ({ours} vs {theirs})",
    "average_better": "Typical error {ours} per row, smaller than the {theirs} you get by always "
    "predicting the average value",
    "average_same": "Typical error {ours} per row, about the same as always predicting the "
    "average value ({theirs})",
    "average_worse": "Typical error {ours} per row, larger than the {theirs} you get by always "
    "predicting the average value",
    "simple_better": "{joiner} better than a simple {model} ({metric} {ours} vs {theirs}).",
    "simple_same": "{joiner} about as good as a simple {model} ({metric} {ours} vs {theirs}).",
    "simple_worse": "{joiner} a simple {model} does better ({metric} {theirs} vs {ours}): prefer "
    "the simpler model, or try more data or more epochs.",
    "linear_better": "{joiner} it explains more of the ups and downs than a simple linear "
    "regression (R² {ours} vs {theirs}, where 1 is perfect).",
    "linear_same": "{joiner} it explains about as much of the ups and downs as a simple linear "
    "regression (R² {ours} vs {theirs}, where 1 is perfect).",
    "linear_worse": "{joiner} a simple linear regression explains more of the ups and downs (R² "
    "{theirs} vs {ours}, where 1 is perfect): prefer the simpler model, or try more data or more "
    "epochs.",
    "majority_noise": "Not clearly more accurate than always guessing '{label}' ({ours} vs "
    "{theirs}: the difference is within the noise of {n} test rows)",
    "average_noise": "Typical error {ours} per row, not clearly smaller than the {theirs} you get "
    "by always predicting the average value (the difference is within the noise of {n} test rows)",
    "simple_noise": "{joiner} not clearly better or worse than a simple {model} ({metric} {ours} "
    "vs {theirs}: the difference is within the noise of {n} test rows).",
    "linear_noise": "{joiner} not clearly better or worse than a simple linear regression at "
    "explaining the ups and downs (R² {ours} vs {theirs}: the difference is within the noise of "
    "{n} test rows).",
    "and": "and",
    "but": "but",
    "metric_accuracy": "accuracy",
    "metric_roc_auc": "ROC AUC",
    "metric_mae": "typical error",
    "metric_r2": "R²",
    "no_baseline": "No simpler model could be trained on this split, so there is nothing to "
    "compare the network with.",
}


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
) -> tuple[str, bool] | None:
    """First half of the verdict, against always giving the same answer (or None)."""
    metric = spec.constant_metric
    if metrics.get(metric) is None or constant.get(metric) is None:
        return None
    outcome = _compare(metrics[metric], constant[metric], metric, noise, name)
    n = f"{noise.n_test:,}" if noise is not None else ""
    ours, theirs = _fmt_pair(metrics[metric], constant[metric], metric, outcome)
    if not spec.predicts_class:
        text = VERDICT_TEMPLATES[f"average_{outcome}"].format(ours=ours, theirs=theirs, n=n)
    else:
        # The constant guess is the class its confusion-matrix column is full of.
        guessed = int(np.asarray(constant["confusion_matrix"]).sum(axis=0).argmax())
        points = round(float(ours.rstrip("%")) - float(theirs.rstrip("%")), 4)
        text = VERDICT_TEMPLATES[f"majority_{outcome}"].format(
            label=class_labels[guessed], points=f"{points:g}", ours=ours, theirs=theirs, n=n
        )
    return text, outcome == "better"


def _vs_simple(
    spec: TaskSpec,
    metrics: dict,
    simple: dict,
    first_is_good: bool | None,
    noise: Uncertainty | None,
    name: str,
) -> tuple[str, bool] | None:
    """Second half of the verdict, against logistic/linear regression (or None)."""
    metric = spec.headline_metric
    if metrics.get(metric) is None or simple.get(metric) is None:
        metric = spec.constant_metric
        if metrics.get(metric) is None or simple.get(metric) is None:
            return None
    outcome = _compare(metrics[metric], simple[metric], metric, noise, name)
    ours, theirs = _fmt_pair(metrics[metric], simple[metric], metric, outcome)
    good = outcome in ("better", "same")
    t = VERDICT_TEMPLATES
    joiner = "" if first_is_good is None else t["and" if first_is_good == good else "but"]
    key = f"linear_{outcome}" if metric == "r2" else f"simple_{outcome}"
    text = t[key].format(
        joiner=joiner,
        model=spec.simple_baseline,
        metric=t[f"metric_{metric}"],
        ours=ours,
        theirs=theirs,
        n=f"{noise.n_test:,}" if noise is not None else "",
    )
    return text.strip(), good


def verdict(
    task: str,
    metrics: dict[str, Any],
    baselines: dict[str, dict[str, Any]],
    class_labels: list[str],
    uncertainty: Uncertainty | None = None,
) -> str:
    """One plain sentence: is the network better than the simple baselines?

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
    parts = []
    if constant_name in baselines:
        first = _vs_constant(
            spec, metrics, baselines[constant_name], class_labels, uncertainty, constant_name
        )
        parts += [first] if first else []
    if simple_name in baselines:
        first_is_good = parts[0][1] if parts else None
        second = _vs_simple(
            spec, metrics, baselines[simple_name], first_is_good, uncertainty, simple_name
        )
        parts += [second] if second else []
    if not parts:
        return VERDICT_TEMPLATES["no_baseline"]
    sentence = ", ".join(text for text, _ in parts)
    sentence = sentence[0].upper() + sentence[1:]
    return sentence if sentence.endswith(".") else sentence + "."
