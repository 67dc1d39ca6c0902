"""What each test measure means and how it is written, declared once.

The app's score table, the model card and the CLI all show a measure with
:data:`METRIC_LABELS` (plain name and meaning) and :func:`format_metric` (one way of
writing its value), so a score reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from core.evaluation.formatting import format_number
from core.i18n import Texts

# Every metric key, in the order tables list them. Its plain-language label and one-line
# explanation are catalog texts "core.evaluation.measures.<key>" and "<key>_help"
# (measures.po), looked up in the current language.
METRIC_KEYS = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "weighted_f1",
    "roc_auc",
    "log_loss",
    "average_precision",
    "mae",
    "rmse",
    "r2",
    "mape",
    "median_absolute_error",
)
_TEXT = Texts("core.evaluation.measures")


class _MetricLabels(Mapping[str, tuple[str, str]]):
    """metric key -> (plain name, meaning), in the current language at each read."""

    def __getitem__(self, key: str) -> tuple[str, str]:
        if key not in METRIC_KEYS:
            raise KeyError(key)
        return _TEXT[key], _TEXT[f"{key}_help"]

    def __iter__(self) -> Iterator[str]:
        return iter(METRIC_KEYS)

    def __len__(self) -> int:
        return len(METRIC_KEYS)


# Plain-language label and one-line explanation of every metric key.
METRIC_LABELS: Mapping[str, tuple[str, str]] = _MetricLabels()
# Errors and losses go down as the model gets better; every other metric goes up.
LOWER_IS_BETTER = {"log_loss", "mae", "rmse", "mape", "median_absolute_error"}
HIGHER_IS_BETTER = {key: key not in LOWER_IS_BETTER for key in METRIC_LABELS}
# Measures in the target's own units (the others are shares or scores on a fixed scale).
UNIT_METRICS = ("mae", "rmse", "median_absolute_error")
# Measures that are a share a person reads as a percentage.
PERCENT_METRICS = ("mape",)


def metric_label(key: str) -> str:
    """The plain name of a measure ("log_loss" -> "Log loss" when it has no entry)."""
    entry = METRIC_LABELS.get(key)
    return entry[0] if entry else key.replace("_", " ").capitalize()


def format_metric(value: Any, key: str = "") -> str:
    """A measure's value as a person reads it, the same in the app, the card and the CLI.

    ``key`` names the measure (see :data:`METRIC_LABELS`): shares such as MAPE are written
    as percentages ("12.3%"), every other measure as a score. The writing itself is
    :func:`core.evaluation.formatting.format_number`, the one number formatter.
    """
    return format_number(value, "percent" if key in PERCENT_METRICS else "score")
