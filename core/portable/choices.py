"""The preparation choices a recipe can make, each declared once with its wording and its rule.

Every way of filling empty cells, scaling numbers and encoding categories is one entry of a
table below: its value (what a recipe stores), its plain label and short help (what the
Design page shows) and the rule :mod:`.preprocess` applies. The recipe
(:mod:`core.model.recipe`) builds its allowed values and its form from these same tables.

This module ships inside every export bundle (it imports numpy and the standard library
only), so a bundle applies exactly the rule the app trained with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from .errors import RecipeError
from .preprocess_scaling import robust_statistics


@dataclass(frozen=True)
class Choice:
    """One value a user can pick for a setting, with its words for people."""

    value: str  # what the recipe stores, e.g. "median"
    label: str  # short, shown in the choice box
    help: str  # one sentence on when to pick it


@dataclass(frozen=True)
class NumericMissingChoice(Choice):
    """A way to handle an empty cell in a number column."""

    # The number that replaces an empty cell, from the training values present and the
    # recipe's fixed number; None when the rows are left out instead.
    fill: Callable[[np.ndarray, float], float] | None


@dataclass(frozen=True)
class CategoryMissingChoice(Choice):
    """A way to handle an empty cell in a category column."""

    drops_rows: bool = False
    own_category: bool = False  # "missing" becomes a category of its own
    most_frequent: bool = False  # the most common category fills the cell


@dataclass(frozen=True)
class ScalingChoice(Choice):
    """A way to bring a number column to a similar range as the others."""

    # (centre, scale) from the training values present; the input becomes (x - centre) / scale.
    statistics: Callable[[np.ndarray], tuple[float, float]]
    # Then squeezed smoothly towards ±3 (RealMLP's smooth clipping; .preprocess_scaling).
    clip: bool = False
    # Instead of the above: the normal score of the value's rank among the training values,
    # from fitted quantiles (.preprocess_scaling.quantile_knots).
    quantile: bool = False


@dataclass(frozen=True)
class EncodingChoice(Choice):
    """A way to turn a category into numbers."""

    one_input_per_category: bool


def _most_frequent(present: np.ndarray) -> float:
    uniques, counts = np.unique(present, return_counts=True)
    return float(uniques[np.argmax(counts)])


def _robust(present: np.ndarray) -> tuple[float, float]:
    q1, median, q3 = np.percentile(present, [25, 50, 75])
    scale = float(q3 - q1)
    if scale <= 0:  # most values equal: fall back to the spread, so the column still varies
        scale = float(present.std())
    return float(median), scale


def _table(*choices: Choice) -> dict[str, Any]:
    return {choice.value: choice for choice in choices}


NUMERIC_MISSING: dict[str, NumericMissingChoice] = _table(
    NumericMissingChoice(
        "median",
        "Middle value (median)",
        "Fill with the middle value; safe when a few values are extreme.",
        lambda present, _: float(np.median(present)),
    ),
    NumericMissingChoice(
        "mean",
        "Average (mean)",
        "Fill with the average; pulled by extreme values.",
        lambda present, _: float(present.mean()),
    ),
    NumericMissingChoice(
        "most_frequent",
        "Most common value",
        "Fill with the value seen most often; suits codes and counts.",
        lambda present, _: _most_frequent(present),
    ),
    NumericMissingChoice(
        "constant",
        "A fixed number",
        "Fill with the number you choose (for example 0 when empty means none).",
        lambda _, fixed: float(fixed),
    ),
    NumericMissingChoice(
        "drop_rows",
        "Leave those rows out",
        "Rows with an empty cell are not learned from and get no prediction.",
        None,
    ),
)

CATEGORICAL_MISSING: dict[str, CategoryMissingChoice] = _table(
    CategoryMissingChoice(
        "missing_category",
        '"Missing" as its own category',
        "Lets the model learn whether a blank answer means something.",
        own_category=True,
    ),
    CategoryMissingChoice(
        "most_frequent",
        "Most common category",
        "Fill with the category seen most often.",
        most_frequent=True,
    ),
    CategoryMissingChoice(
        "drop_rows",
        "Leave those rows out",
        "Rows with an empty cell are not learned from and get no prediction.",
        drops_rows=True,
    ),
)

SCALINGS: dict[str, ScalingChoice] = _table(
    ScalingChoice(
        "standard",
        "Standard",
        "Centre on the average and divide by the spread; works for most data.",
        lambda present: (float(present.mean()), float(present.std())),
    ),
    ScalingChoice(
        "minmax",
        "Min-max (0 to 1)",
        "Squeeze the training values into 0 to 1; one extreme value squashes the rest.",
        lambda present: (float(present.min()), float(present.max() - present.min())),
    ),
    ScalingChoice(
        "robust",
        "Robust",
        "Centre on the median and divide by the middle half's range; resists extreme values.",
        _robust,
    ),
    ScalingChoice(
        "robust_clip",
        "Robust, extremes softened",
        "Like robust, then extreme values are bent smoothly towards the rest instead of "
        "dominating; good for data with outliers.",
        robust_statistics,
        clip=True,
    ),
    ScalingChoice(
        "quantile",
        "By rank (quantile)",
        "Replace each number by its rank among the training values, spread as a bell curve; "
        "suits skewed columns, long tails and sharp thresholds.",
        lambda present: (0.0, 1.0),
        quantile=True,
    ),
    ScalingChoice(
        "none",
        "None",
        "Use the numbers as they are; only for columns already on a similar, small range.",
        lambda present: (0.0, 1.0),
    ),
)

ENCODINGS: dict[str, EncodingChoice] = _table(
    EncodingChoice(
        "onehot",
        "One input per category",
        "One yes/no input per category: the safe choice (recommended).",
        one_input_per_category=True,
    ),
    EncodingChoice(
        "ordinal",
        "One number per category",
        "Compact, but pretends the categories have an order.",
        one_input_per_category=False,
    ),
)

# Recipe setting (in its preprocessing section) -> the table of its allowed values.
PREPROCESSING_CHOICES: dict[str, Mapping[str, Choice]] = {
    "numeric_missing": NUMERIC_MISSING,
    "categorical_missing": CATEGORICAL_MISSING,
    "numeric_scaling": SCALINGS,
    "categorical_encoding": ENCODINGS,
}

# The recommended value of each setting (the recipe's default too).
PREPROCESSING_DEFAULTS: dict[str, str] = {
    "numeric_missing": "median",
    "categorical_missing": "missing_category",
    "numeric_scaling": "standard",
    "categorical_encoding": "onehot",
}

C = TypeVar("C", bound=Choice)


def choose(table: Mapping[str, C], setting: str, value: Any) -> C:
    """The entry of ``table`` for ``value``, or a plain error naming the allowed values.

    Raises
    ------
    RecipeError
        If ``value`` is not one of the table's values (a hand-edited or damaged setting).
    """
    choice = table.get(str(value)) if isinstance(value, str) else None
    if choice is None:
        allowed = ", ".join(f"'{name}'" for name in table)
        raise RecipeError(
            f"The preparation setting '{setting}' is {value!r}, which Trainboard does not know. "
            f"Use one of {allowed}."
        )
    return choice


def chosen(config: Mapping[str, Any], setting: str) -> Choice:
    """The entry a preprocessing config picks for ``setting`` (its default when absent).

    Raises
    ------
    RecipeError
        If the config holds a value the setting's table does not know.
    """
    value = config.get(setting, PREPROCESSING_DEFAULTS[setting])
    return choose(PREPROCESSING_CHOICES[setting], setting, value)
