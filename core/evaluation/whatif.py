"""Explaining one prediction: a typical row to start from, and what pushed an answer up or down.

The what-if form starts from a *typical row*: the training median of every number column and
the most frequent category of every category column, read from the fitted statistics in the
bundle's ``schema.json`` (:func:`typical_row`, :func:`input_fields`). A person edits any value
and sees the prediction change.

The explanation of one row is deliberately simple (:func:`explain_row`): for each input column
in turn, put back its typical value, keep every other column as it is, and ask the model again.
The change in the answer, "this row" minus "this row with the column typical", is that
column's push: positive means the row's value raises the answer compared with a typical value.
The answer measured is the probability of the positive class (yes/no), of the predicted class
(several classes), or the predicted number itself. All the rows (the row, the fully typical
row and one per column) go to the model in a single call, so the explanation costs one
prediction of ``n_columns + 2`` rows. What the method cannot tell is said by :func:`limit_notes`,
which the app shows beside the chart.

No TensorFlow and no Streamlit here: ``model`` is a loaded bundle or any function turning raw
rows into a predictions table, so the logic is tested with a stand-in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from core.errors import PredictionInputError
from core.i18n import Texts
from core.portable.preprocess import (
    CategoricalColumn,
    NumericColumn,
    Preprocessor,
    category_key,
)
from core.portable.tasks import PREDICTION, probability_column, task_outputs

# How many steps of a number field's "+" button cross the training range, roughly.
STEPS_ACROSS_RANGE = 100
# Decimal places shown when an older bundle does not say how the training values were written.
FALLBACK_DECIMALS = 2

# What the method does and cannot tell, in plain words (catalog "core.whatif", whatif.po),
# read at draw time so they follow the reader's language.
TEXT = Texts("core.whatif")
LIMITS = ("one_at_a_time", "one_typical_value", "model_not_world")


def method_note() -> str:
    """How the bars are measured, in the current language."""
    return TEXT["method"]


def limit_notes() -> tuple[str, ...]:
    """What the method cannot tell, one sentence each, in the current language."""
    return tuple(TEXT["limits"][name] for name in LIMITS)


# --- the form: one field per input column, with its typical value ---------------------------


@dataclass(frozen=True)
class NumberField:
    """A number column as the form shows it."""

    name: str
    typical: float  # an int when the training values were whole numbers
    source: str  # which training statistic ``typical`` is: "median" or, in old bundles, "mean"
    step: float  # what one click of "+" adds: about 1/100 of the training range, a round number
    decimals: int  # places to show
    minimum: float | None  # smallest and largest training value (None in older bundles)
    maximum: float | None

    @property
    def whole(self) -> bool:
        return self.decimals == 0

    @property
    def format(self) -> str:
        """A printf-style format for the value ("%d" for whole numbers)."""
        return "%d" if self.whole else f"%.{self.decimals}f"

    def outside_training(self, value: float) -> bool:
        """True when ``value`` lies beyond every training value: the model is extrapolating."""
        if self.minimum is None or self.maximum is None:
            return False
        return bool(value < self.minimum or value > self.maximum)


@dataclass(frozen=True)
class CategoryField:
    """A category (or yes/no) column as the form shows it."""

    name: str
    typical: str | None  # the most frequent training category (None: never filled in training)
    options: tuple[str, ...]  # the categories the model knows, most frequent first


InputField = NumberField | CategoryField


def input_fields(schema: Mapping[str, Any]) -> list[InputField]:
    """One field per input column of a bundle, in the model's column order.

    Parameters
    ----------
    schema
        The content of a bundle's ``schema.json`` (``LoadedBundle.schema``).

    Raises
    ------
    PredictionInputError
        If the schema holds no preprocessing description.
    """
    return fields_of(_preprocessor(schema))


def fields_of(preprocessor: Preprocessor) -> list[InputField]:
    """One field per input column of fitted preprocessing (see :func:`input_fields`)."""
    specs: dict[str, NumericColumn | CategoricalColumn] = {s.name: s for s in preprocessor.numeric}
    specs.update({s.name: s for s in preprocessor.categorical})
    return [
        _number_field(spec) if isinstance(spec, NumericColumn) else _category_field(spec)
        for spec in (specs[name] for name in preprocessor.input_columns)
    ]


def typical_row(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Column -> typical value: the training median (numbers) or most frequent category."""
    return {field.name: field.typical for field in input_fields(schema)}


def _preprocessor(schema: Mapping[str, Any]) -> Preprocessor:
    state = schema.get("preprocessor")
    if not isinstance(state, Mapping):
        raise PredictionInputError(TEXT["no_statistics"])
    return Preprocessor.from_dict(state)


def _number_field(spec: NumericColumn) -> NumberField:
    typical, source = _typical_number(spec)
    if spec.minimum is not None and spec.maximum is not None:
        spread = spec.maximum - spec.minimum
    else:  # older bundles: the scaling statistics give the spread roughly
        spread = spec.scale if spec.scaling == "minmax" else 4.0 * spec.scale
    step = nice_step(spread, spec.decimals)
    decimals = spec.decimals if spec.decimals is not None else FALLBACK_DECIMALS
    decimals = max(decimals, _places(step))
    if decimals == 0:
        return NumberField(
            spec.name, int(round(typical)), source, int(step), 0, spec.minimum, spec.maximum
        )
    typical = round(typical, decimals)
    return NumberField(spec.name, typical, source, step, decimals, spec.minimum, spec.maximum)


def _typical_number(spec: NumericColumn) -> tuple[float, str]:
    if spec.median is not None:
        return spec.median, "median"
    # Bundles written before the median was stored: the best statistic they hold.
    if spec.impute == "median":
        return spec.fill, "median"
    if spec.scaling == "robust":
        return spec.center, "median"
    if spec.scaling == "standard":
        return spec.center, "mean"
    return spec.fill, "mean" if spec.impute == "mean" else "fill value"


def nice_step(spread: float | None, decimals: int | None) -> float:
    """A power of ten near 1/100 of ``spread`` (30 to 300 clicks across it), never finer than
    the data's own decimals.

    >>> nice_step(72.0, 0), nice_step(290.0, 2), nice_step(0.8, 3)
    (1.0, 1.0, 0.01)
    """
    finest = 10.0**-decimals if decimals is not None else 0.0
    if spread is None or not math.isfinite(spread) or spread <= 0:
        return max(finest, 1.0 if decimals is None or decimals == 0 else finest)
    step = 10.0 ** round(math.log10(spread / STEPS_ACROSS_RANGE))
    return float(max(step, finest))


def _places(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0


def _category_field(spec: CategoricalColumn) -> CategoryField:
    options = tuple(str(category) for category in spec.categories)
    by_key = {category_key(option): option for option in options}
    # The most frequent training value is always kept, so it is among the options; the check
    # guards hand-edited schemas.
    typical = by_key.get(category_key(spec.fill)) if spec.fill is not None else None
    if typical is None and options:
        typical = options[0]
    return CategoryField(spec.name, typical, options)


# --- the explanation of one row ---------------------------------------------------------------


@runtime_checkable
class BundleLike(Protocol):
    """Anything that predicts raw rows, as :class:`core.bundle.loading.LoadedBundle` does."""

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame: ...


Predictor = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class Contribution:
    """How much one column's value moved the answer for this row."""

    column: str
    value: Any  # the row's value
    typical: Any  # the value put back to measure it
    change: float  # answer(row) - answer(row with this column typical)

    @property
    def at_typical(self) -> bool:
        return _same(self.value, self.typical)


@dataclass(frozen=True)
class Explanation:
    """The prediction for one row and what pushed it up or down.

    ``answer`` is the number the contributions measure: the probability of
    ``measured_class`` (0 to 1) for classification, the predicted value for regression
    (``measured_class`` is then None).
    """

    task: str
    target: str
    prediction: Any  # a class label, or a number in the target's units
    probabilities: dict[str, float]  # class -> probability (empty for regression)
    measured_class: str | None
    answer: float
    typical_answer: float  # the same number for the fully typical row
    contributions: tuple[Contribution, ...]  # largest push first

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["contributions"] = [asdict(c) for c in self.contributions]
        return data


def explain_row(
    model: BundleLike | Predictor, row: Mapping[str, Any], schema: Mapping[str, Any]
) -> Explanation:
    """Predict one row and measure each column's push by putting back its typical value.

    Parameters
    ----------
    model
        A :class:`core.bundle.loading.LoadedBundle`, or a function taking raw rows and
        returning the predictions table of :func:`core.portable.outputs.predictions_frame`.
    row
        Column -> value. A column not given takes its typical value; unknown keys are ignored.
    schema
        The bundle's ``schema.json`` content (task, target, classes, preprocessing).

    Returns
    -------
    Explanation
        Contributions sorted by the size of their push, largest first.

    Raises
    ------
    PredictionInputError
        If the model gives no answer for the row (a number cell that is not a number, or an
        empty cell where the recipe leaves such rows out).
    """
    fields = input_fields(schema)
    typical = {field.name: field.typical for field in fields}
    values = {name: row.get(name, default) for name, default in typical.items()}
    # Row 0: as given; row 1: fully typical; row 2 + i: as given with column i typical.
    records = [values, typical] + [{**values, name: typical[name]} for name in typical]
    batch = pd.DataFrame.from_records(records, columns=list(typical))
    for field in fields:
        if isinstance(field, CategoryField):  # keep categories as text ("1" is not 1.0)
            batch[field.name] = batch[field.name].astype("object")
    predictions = model.predict(batch) if isinstance(model, BundleLike) else model(batch)
    if len(predictions) != len(batch):
        raise ValueError("The model must give one prediction per row.")
    task, labels = str(schema["task"]), [str(label) for label in schema.get("class_labels", [])]
    prediction = predictions[PREDICTION].iloc[0]
    if prediction is None or (isinstance(prediction, float) and math.isnan(prediction)):
        raise PredictionInputError(TEXT["no_answer"])
    spec = task_outputs(task)
    if not spec.predicts_class:
        measured_class, column, probabilities = None, PREDICTION, {}
    else:
        measured_class = labels[1] if spec.single_probability else str(prediction)
        column = probability_column(measured_class)
        probabilities = {
            label: float(predictions[probability_column(label)].iloc[0]) for label in labels
        }
    answers = pd.to_numeric(predictions[column], errors="coerce").to_numpy(dtype="float64")
    contributions = [
        Contribution(name, values[name], typical[name], _change(answers[0], answers[2 + i]))
        for i, name in enumerate(typical)
    ]
    contributions.sort(key=lambda c: -abs(c.change))
    return Explanation(
        task=task,
        target=str(schema["target"]),
        prediction=prediction.item() if isinstance(prediction, np.generic) else prediction,
        probabilities=probabilities,
        measured_class=measured_class,
        answer=float(answers[0]),
        typical_answer=float(answers[1]),
        contributions=tuple(contributions),
    )


def _change(answer: float, with_typical: float) -> float:
    change = float(answer - with_typical)
    return change if math.isfinite(change) else 0.0


def _same(value: Any, typical: Any) -> bool:
    if isinstance(typical, (int, float)) and not isinstance(typical, bool):
        try:
            return math.isclose(float(value), float(typical), rel_tol=1e-12, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return category_key(value) == category_key(typical) if typical is not None else value is None


def outside_training(fields: Sequence[InputField], row: Mapping[str, Any]) -> list[NumberField]:
    """The number fields whose value in ``row`` lies beyond every training value."""
    return [
        field
        for field in fields
        if isinstance(field, NumberField)
        and isinstance(row.get(field.name), (int, float))
        and field.outside_training(float(row[field.name]))
    ]
