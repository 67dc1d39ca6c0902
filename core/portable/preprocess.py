"""Turning raw columns into the numbers a network learns from, defined once.

:class:`Preprocessor` is fitted on the training split only and then applied,
unchanged, to validation, test and every future row: in the app, in the CLI and
in an export bundle's ``predict.py`` (this module ships inside the bundle). Its
fitted state is plain JSON (``to_dict``/``from_dict``), so a bundle carries the
statistics in readable form and nothing is ever pickled.

:class:`core.portable.target.TargetEncoder` does the same for the column to predict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .choices import CATEGORICAL_MISSING, ENCODINGS, NUMERIC_MISSING, SCALINGS, choose, chosen
from .errors import PredictionInputError, UnusableDataError
from .preprocess_scaling import apply_quantiles, quantile_knots, smooth_clip
from .reading import is_missing, normalise_label, parse_numbers

NUMERIC = "numeric"
CATEGORICAL = "categorical"
# Profile kinds the preprocessor can use, and how it treats each.
USABLE_KINDS = {"numeric": NUMERIC, "categorical": CATEGORICAL, "boolean": CATEGORICAL}

OTHER = "(other)"
MISSING = "(missing)"
PREPROCESSOR_FORMAT = 1


def label_text(value: Any) -> str:
    """The text form of a class label or category: ``1.0`` -> ``"1"``, ``" Yes"`` -> ``"Yes"``."""
    if (
        isinstance(value, (float, np.floating))
        and math.isfinite(value)
        and float(value).is_integer()
    ):
        return str(int(value))
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    return str(value).strip()


@dataclass
class NumericColumn:
    """Fitted state of one number column."""

    name: str
    impute: str  # a key of choices.NUMERIC_MISSING
    fill: float  # the value that replaces an empty cell (unused with drop_rows)
    scaling: str  # a key of choices.SCALINGS
    center: float
    scale: float
    missing_indicator: bool  # add a 0/1 input "this cell was empty" (training had empty cells)
    # Describe the training values for people (forms, explanations); the transformation never
    # reads them. Optional, so a schema.json written before they existed still loads.
    median: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    decimals: int | None = None  # places needed to write every training value (0: whole numbers)
    # Quantile scaling only: training quantiles and their normal scores (.preprocess_scaling).
    knots: list[float] | None = None
    knot_scores: list[float] | None = None

    def __post_init__(self) -> None:
        # A fitted state read from a file must name rules this version knows.
        choose(NUMERIC_MISSING, "numeric_missing", self.impute)
        choose(SCALINGS, "numeric_scaling", self.scaling)

    @property
    def width(self) -> int:
        return 2 if self.missing_indicator else 1

    def feature_names(self) -> list[str]:
        names = [self.name]
        if self.missing_indicator:
            names.append(f"{self.name} is empty")
        return names


@dataclass
class CategoricalColumn:
    """Fitted state of one category column."""

    name: str
    encoding: str  # a key of choices.ENCODINGS
    categories: list[str]  # kept categories, most frequent first (their training spelling)
    has_other: bool  # a slot for rare and unseen categories
    missing: str  # a key of choices.CATEGORICAL_MISSING
    fill: str | None  # most frequent category (for most_frequent)
    has_missing_slot: bool = False  # "missing" was seen in training and kept as its own category

    def __post_init__(self) -> None:
        choose(CATEGORICAL_MISSING, "categorical_missing", self.missing)
        choose(ENCODINGS, "categorical_encoding", self.encoding)

    @property
    def slots(self) -> list[str]:
        """Every value this column can take after fitting, in slot order."""
        slots = list(self.categories)
        if self.has_missing_slot:
            slots.append(MISSING)
        if self.has_other:
            slots.append(OTHER)
        return slots

    @property
    def width(self) -> int:
        return len(self.slots) if ENCODINGS[self.encoding].one_input_per_category else 1

    def feature_names(self) -> list[str]:
        if not ENCODINGS[self.encoding].one_input_per_category:
            return [self.name]
        return [f"{self.name} = {slot}" for slot in self.slots]


@dataclass
class Preprocessor:
    """Fitted transformation from raw columns to a float32 matrix."""

    numeric: list[NumericColumn] = field(default_factory=list)
    categorical: list[CategoricalColumn] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # input columns in feature order

    # --- fitting --------------------------------------------------------------------------

    @classmethod
    def fit(
        cls, frame: pd.DataFrame, columns: Mapping[str, str], config: Mapping[str, Any]
    ) -> Preprocessor:
        """Learn the statistics of each column from the training rows only.

        Parameters
        ----------
        frame
            Training rows (raw, as read by :func:`read_table`).
        columns
            Column name -> profile kind ("numeric", "categorical" or "boolean").
        config
            The recipe's preprocessing section as a dict.

        Raises
        ------
        UnusableDataError
            If no usable input column is left.
        """
        numeric: list[NumericColumn] = []
        categorical: list[CategoricalColumn] = []
        order: list[str] = []
        for name, kind in columns.items():
            treatment = USABLE_KINDS.get(kind)
            if treatment is None:
                continue
            if name not in frame.columns:
                raise UnusableDataError(f"The column '{name}' is not in the data.")
            if treatment == NUMERIC:
                numeric.append(_fit_numeric(name, frame[name], config))
            else:
                categorical.append(_fit_categorical(name, frame[name], config))
            order.append(name)
        if not order:
            raise UnusableDataError(
                "No column is left for the model to learn from: every column is the target, left "
                "out, or unusable (identifiers, empty or constant columns). Keep at least one "
                "column of numbers or categories."
            )
        return cls(numeric=numeric, categorical=categorical, order=order)

    # --- applying ---------------------------------------------------------------------------

    @property
    def input_columns(self) -> list[str]:
        """The raw columns a prediction needs, in the order they become features."""
        return list(self.order)

    @property
    def n_features(self) -> int:
        return sum(spec.width for spec in self._specs_in_order())

    @property
    def feature_names(self) -> list[str]:
        names: list[str] = []
        for spec in self._specs_in_order():
            names.extend(spec.feature_names())
        return names

    def column_kinds(self) -> dict[str, str]:
        """Input column -> "numeric" or "categorical"."""
        return {
            spec.name: NUMERIC if isinstance(spec, NumericColumn) else CATEGORICAL
            for spec in self._specs_in_order()
        }

    def transform(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Turn raw rows into model inputs.

        Returns
        -------
        features
            float32 array of shape (rows, n_features).
        usable
            bool array of shape (rows,): False for rows the recipe says to leave out
            (an empty cell in a column whose missing-value rule is "drop rows"); their
            feature values are placeholders and must not be used.

        Raises
        ------
        PredictionInputError
            If required columns are absent. A cell of a number column that is not a
            number counts as empty (:func:`input_problems` in ``.predicting`` says where).
        """
        self.check_columns(frame)
        n_rows = len(frame)
        out = np.empty((n_rows, self.n_features), dtype=np.float32)
        usable = np.ones(n_rows, dtype=bool)
        position = 0
        for spec in self._specs_in_order():
            block, dropped = (
                _transform_numeric(spec, frame[spec.name])
                if isinstance(spec, NumericColumn)
                else _transform_categorical(spec, frame[spec.name])
            )
            out[:, position : position + spec.width] = block
            usable &= ~dropped
            position += spec.width
        return out, usable

    def check_columns(self, frame: pd.DataFrame) -> None:
        """Raise :class:`PredictionInputError` naming any required column that is absent."""
        absent = [name for name in self.order if name not in frame.columns]
        if absent:
            listed = ", ".join(f"'{name}'" for name in absent[:10])
            more = f" and {len(absent) - 10} more" if len(absent) > 10 else ""
            raise PredictionInputError(
                f"The data is missing {len(absent)} column(s) the model needs: {listed}{more}. "
                "Add them (with the same names as in the training data) and try again."
            )

    # --- serialisation ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PREPROCESSOR_FORMAT,
            "order": list(self.order),
            "numeric": [asdict(spec) for spec in self.numeric],
            "categorical": [asdict(spec) for spec in self.categorical],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Preprocessor:
        if data.get("format") != PREPROCESSOR_FORMAT:
            raise UnusableDataError(
                "The preprocessing description has an unknown format; it was made by another "
                "version of Trainboard."
            )
        return cls(
            numeric=[NumericColumn(**spec) for spec in data["numeric"]],
            categorical=[CategoricalColumn(**spec) for spec in data["categorical"]],
            order=list(data["order"]),
        )

    def _specs_in_order(self) -> list[NumericColumn | CategoricalColumn]:
        by_name: dict[str, NumericColumn | CategoricalColumn] = {s.name: s for s in self.numeric}
        by_name.update({s.name: s for s in self.categorical})
        return [by_name[name] for name in self.order]


# --- numeric columns ------------------------------------------------------------------------


def numbers_in(name: str, values: pd.Series) -> pd.Series:
    """The column's cells as float64 numbers (NaN where empty); text is a plain error."""
    numbers, not_numbers = parse_numbers(values)
    if bool(not_numbers.any()):
        sample = values[not_numbers].iloc[0]
        raise PredictionInputError(
            f"The column '{name}' should hold numbers, but it contains {str(sample)!r}. "
            "Fix or empty those cells and try again."
        )
    return numbers.astype("float64")


def _fit_numeric(name: str, values: pd.Series, config: Mapping[str, Any]) -> NumericColumn:
    numbers = numbers_in(name, values)
    present = numbers.dropna().to_numpy(dtype="float64")
    impute = chosen(config, "numeric_missing")
    scaling = chosen(config, "numeric_scaling")
    fill, center, scale = 0.0, 0.0, 1.0
    if present.size:
        if impute.fill is not None:
            fill = impute.fill(present, float(config.get("numeric_fill_value", 0.0)))
        center, scale = scaling.statistics(present)
    if not math.isfinite(scale) or scale <= 1e-12:
        scale = 1.0  # a constant column: centring alone is enough
    knots = scores = None
    if scaling.quantile:
        knots, scores = quantile_knots(present)
    has_missing = bool(numbers.isna().any())
    return NumericColumn(
        name=name,
        impute=impute.value,
        fill=fill,
        scaling=scaling.value,
        center=center,
        scale=scale,
        missing_indicator=has_missing and impute.fill is not None,
        median=float(np.median(present)) if present.size else None,
        minimum=float(present.min()) if present.size else None,
        maximum=float(present.max()) if present.size else None,
        decimals=_decimals(present) if present.size else None,
        knots=knots,
        knot_scores=scores,
    )


MAX_DECIMALS = 6


def _decimals(values: np.ndarray) -> int:
    """The fewest decimal places that write every value exactly (capped at ``MAX_DECIMALS``)."""
    for places in range(MAX_DECIMALS):
        rounded = np.round(values, places)
        if np.all(np.abs(rounded - values) <= 1e-9 * np.maximum(1.0, np.abs(values))):
            return places
    return MAX_DECIMALS


def _transform_numeric(spec: NumericColumn, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    # One mistyped cell must not reject a whole file to predict: it counts as empty
    # (filled, or its row left out, as the recipe says), and the prediction notes name it.
    numbers = parse_numbers(values)[0].to_numpy(dtype="float64")
    empty = ~np.isfinite(numbers)
    drops = NUMERIC_MISSING[spec.impute].fill is None
    dropped = empty if drops else np.zeros(len(numbers), dtype=bool)
    filled = np.where(empty, spec.fill, numbers)
    scaled = scale_numbers(spec, filled)
    if spec.missing_indicator:
        return np.column_stack([scaled, empty.astype("float64")]), dropped
    return scaled.reshape(-1, 1), dropped


def scale_numbers(spec: NumericColumn, filled: np.ndarray) -> np.ndarray:
    """One column's filled values (float64, no empty cells) scaled by its fitted rule."""
    scaling = SCALINGS[spec.scaling]
    if scaling.quantile:
        return apply_quantiles(filled, spec.knots or [], spec.knot_scores or [])
    scaled = (filled - spec.center) / spec.scale
    return smooth_clip(scaled) if scaling.clip else scaled


# --- category columns -----------------------------------------------------------------------


def category_key(value: Any) -> str:
    """The key under which a cell matches a known category (case and spacing ignored)."""
    return normalise_label(label_text(value))


def _category_texts(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Each cell's text form and whether it is empty (computed once per distinct value)."""
    empty = is_missing(values).to_numpy()
    texts = values.astype("object").where(~empty, None)
    return texts, empty


def _fit_categorical(name: str, values: pd.Series, config: Mapping[str, Any]) -> CategoricalColumn:
    texts, empty = _category_texts(values)
    present = texts[~empty].map(label_text)
    # Group spellings that differ only in case or spacing; keep the most frequent spelling.
    counts = present.value_counts(sort=True)
    merged: dict[str, tuple[str, int]] = {}
    for spelling, count in counts.items():
        key = normalise_label(spelling)
        if key in merged:
            merged[key] = (merged[key][0], merged[key][1] + int(count))
        else:
            merged[key] = (str(spelling), int(count))
    ranked = sorted(merged.values(), key=lambda item: (-item[1], item[0]))
    min_count = int(config.get("min_category_count", 5))
    max_categories = int(config.get("max_categories", 50))
    kept = [spelling for spelling, count in ranked if count >= min_count][:max_categories]
    if not kept and ranked:  # tiny data: keep the most frequent rather than nothing
        kept = [ranked[0][0]]
    missing = chosen(config, "categorical_missing")
    encoding = chosen(config, "categorical_encoding")
    return CategoricalColumn(
        name=name,
        encoding=encoding.value,
        categories=kept,
        # An "other" slot always exists, so rare and never-seen categories have somewhere to go.
        has_other=True,
        missing=missing.value,
        fill=ranked[0][0] if ranked else None,
        has_missing_slot=missing.own_category and bool(empty.any()),
    )


def _transform_categorical(
    spec: CategoricalColumn, values: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    texts, empty = _category_texts(values)
    slots = spec.slots
    slot_of_key = {category_key(category): i for i, category in enumerate(spec.categories)}
    other = slots.index(OTHER) if spec.has_other else -1
    missing_slot = slots.index(MISSING) if spec.has_missing_slot else other
    rule = CATEGORICAL_MISSING[spec.missing]
    if rule.most_frequent and spec.fill is not None:
        missing_slot = slot_of_key.get(category_key(spec.fill), other)
    # Map each distinct value once: columns have few distinct values and many rows.
    distinct = pd.unique(texts[~empty])
    code_of = {value: slot_of_key.get(category_key(value), other) for value in distinct}
    codes = np.full(len(texts), missing_slot, dtype=np.int64)
    if len(distinct):
        codes[~empty] = texts[~empty].map(code_of).to_numpy(dtype=np.int64)
    dropped = empty if rule.drops_rows else np.zeros(len(texts), dtype=bool)
    if not ENCODINGS[spec.encoding].one_input_per_category:
        denominator = max(1, len(slots) - 1)
        return (np.maximum(codes, 0) / denominator).reshape(-1, 1), dropped
    block = np.zeros((len(texts), len(slots)), dtype=np.float32)
    valid = codes >= 0
    block[np.nonzero(valid)[0], codes[valid]] = 1.0
    return block, dropped
