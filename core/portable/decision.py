"""The yes/no decision: from a probability to an answer, declared once.

A yes/no model gives the probability of the second outcome (``class_labels[1]``). A row
is *flagged* as that outcome when its probability is at least the decision threshold;
the threshold is 0.5 unless the person chose another one on the Evaluate page, in which
case it is saved in the bundle's ``schema.json`` as ``decision_threshold``.

This rule is applied in one place for predictions (:func:`chosen_labels`, called by
:func:`.outputs.predictions_frame`) and read by the evaluation (``core.evaluation.decisions``),
so what the Evaluate page shows at a threshold is what the bundle predicts with it.
It ships inside every export bundle: standard library and numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .errors import BundleError
from .tasks import TASK_OUTPUTS

DEFAULT_THRESHOLD = 0.5
SCHEMA_KEY = "decision_threshold"  # in schema.json and metrics.json
# A threshold of 0 would flag every row and 1 (almost) none: neither is a decision.
LOWEST_THRESHOLD = 0.01
HIGHEST_THRESHOLD = 0.99


def is_flagged(positive: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """True where the probability of the second outcome is at least ``threshold``."""
    return np.asarray(positive, dtype=np.float64) >= threshold


def chosen_labels(
    probabilities: np.ndarray, labels: Sequence[str], threshold: float | None = None
) -> np.ndarray:
    """The predicted label of each row, from ``(n, k)`` class probabilities.

    Two classes: the second label where its probability reaches ``threshold`` (default
    0.5), else the first. More classes: the most likely label (no threshold applies).
    """
    names = np.asarray([str(label) for label in labels], dtype=object)
    p = np.asarray(probabilities, dtype=np.float64)
    if len(names) == 2:
        flagged = is_flagged(p[:, 1], DEFAULT_THRESHOLD if threshold is None else threshold)
        return np.where(flagged, names[1], names[0])
    return names[np.argmax(p, axis=1)]


def check_threshold(value: Any) -> float:
    """``value`` as a threshold, or ValueError saying the allowed range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"A decision threshold is a number, not {value!r}.")
    if not LOWEST_THRESHOLD <= value <= HIGHEST_THRESHOLD:
        raise ValueError(
            f"A decision threshold is between {LOWEST_THRESHOLD} and {HIGHEST_THRESHOLD}, "
            f"not {value}."
        )
    return float(value)


def threshold_from_schema(schema: Mapping[str, Any]) -> float | None:
    """The decision threshold a bundle predicts with (None unless the model is yes/no).

    A yes/no bundle without the key (made before thresholds could be chosen) uses 0.5.

    Raises
    ------
    BundleError
        If the saved threshold is not a number between 0.01 and 0.99.
    """
    task = schema.get("task")
    if not isinstance(task, str) or task not in TASK_OUTPUTS:
        return None
    if not TASK_OUTPUTS[task].single_probability:
        return None
    value = schema.get(SCHEMA_KEY, DEFAULT_THRESHOLD)
    try:
        return check_threshold(value)
    except ValueError as error:
        raise BundleError(
            f"The bundle's schema.json holds an unusable decision threshold ({error}). "
            "Export the model again."
        ) from None
