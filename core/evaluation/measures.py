"""What each test measure means and how it is written, declared once.

The app's score table, the model card and the CLI all show a measure with
:data:`METRIC_LABELS` (plain name and meaning) and :func:`format_metric` (one way of
writing its value), so a score reads the same everywhere.
"""

from __future__ import annotations

from typing import Any

from core.evaluation.formatting import format_number

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
