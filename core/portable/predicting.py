"""Predicting a file of new rows: the one path shared by the app, the CLI and ``predict.py``.

:func:`predict_file` reads the rows, runs the model and returns :class:`Predictions`: the
table to write, and plain-language :class:`Note` objects about what the model had to
guess (a category it never saw, a number cell holding text, rows it could not predict).
The Predict page shows the notes, the CLI prints them, a bundle's ``predict.py`` prints
them: all three run this module, so they cannot disagree.

Every input cell is echoed exactly as it was written in the file (``007`` stays ``007``),
so predictions can be joined back to the original rows; the model itself gets the parsed
values. This module ships inside every export bundle: stdlib, numpy and pandas only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import PredictionInputError
from .outputs import PREDICTION, model_outputs, predictions_frame, to_safe_csv, write_atomically
from .preprocess import CategoricalColumn, NumericColumn, Preprocessor, category_key
from .reading import is_missing, parse_numbers, read_table_with_text
from .tasks import task_outputs

INFO = "info"
WARNING = "warning"
# Stable codes, for programs reading the CLI's JSON.
UNSEEN_CATEGORIES = "unseen_categories"
NOT_NUMBERS = "not_numbers"
ROWS_LEFT_OUT = "rows_left_out"
MAX_LISTED = 10  # rows (or values) named in one note; the rest are counted
ROWS_COUNTED = "counting from the first row under the header"


def count_text(count: int, noun: str) -> str:
    """``1 row``, ``2 rows``, ``1,234 rows``: a count with its noun in the right number."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


@dataclass(frozen=True)
class RowsToPredict:
    """Rows read from a file: parsed values for the model, the cells' text for the output."""

    values: pd.DataFrame
    text: pd.DataFrame

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> RowsToPredict:
        """Rows that come as a table already (no file): the output echoes the table itself."""
        return cls(values=frame, text=frame)


@dataclass(frozen=True)
class Note:
    """Something about the input that the person predicting should know.

    Attributes
    ----------
    code
        ``unseen_categories``, ``not_numbers`` or ``rows_left_out``.
    level
        ``info`` (the prediction was made, with a guess) or ``warning`` (a cell was ignored
        or a row got no prediction).
    message
        One plain sentence that names the column, how many rows, and what was done.
    column
        The column concerned (``None`` when the note is about whole rows).
    rows
        Row numbers concerned (1 = the first row under the header), at most ``MAX_LISTED``.
    count
        How many rows (or cells) are concerned in all.
    """

    code: str
    level: str
    message: str
    column: str | None = None
    rows: tuple[int, ...] = ()
    count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "level": self.level,
            "message": self.message,
            "column": self.column,
            "rows": list(self.rows),
            "count": self.count,
        }


@dataclass
class Predictions:
    """What :func:`predict_file` returns: the predictions table and the notes about it."""

    frame: pd.DataFrame
    task: str
    class_labels: list[str]
    notes: list[Note] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.frame)

    @property
    def predicted(self) -> int:
        """Rows that got a prediction (the others were left out by the recipe's rules)."""
        return int(self.frame[PREDICTION].notna().sum())

    def headline(self, target: str) -> str:
        """``Predicted churn for 1 row.`` or ``Predicted churn for 9 of 10 rows.``"""
        if self.predicted == self.rows:
            return f"Predicted {target} for {count_text(self.rows, 'row')}."
        return f"Predicted {target} for {self.predicted:,} of {count_text(self.rows, 'row')}."

    def summary(self) -> dict[str, Any]:
        """JSON-ready counts: rows, predicted, what was predicted, columns and notes."""
        predicted = self.frame[PREDICTION].notna()
        summary: dict[str, Any] = {
            "rows": self.rows,
            "predicted": int(predicted.sum()),
            "not_predicted": int((~predicted).sum()),
        }
        if task_outputs(self.task).predicts_class:
            counts = self.frame.loc[predicted, PREDICTION].value_counts()
            summary["prediction_counts"] = {
                str(label): int(counts.get(label, 0)) for label in self.class_labels
            }
        else:
            values = pd.to_numeric(self.frame[PREDICTION], errors="coerce")
            summary["prediction_mean"] = float(values.mean()) if predicted.any() else None
        summary["columns"] = [str(column) for column in self.frame.columns]
        summary["notes"] = [note.to_dict() for note in self.notes]
        return summary

    def to_csv(self) -> bytes:
        """The predictions as spreadsheet-safe CSV bytes (see :func:`.outputs.to_safe_csv`)."""
        return to_safe_csv(self.frame)


def read_rows_to_predict(
    source: str | os.PathLike[str] | bytes,
    *,
    name: str | None = None,
    sheet: str | None = None,
) -> RowsToPredict:
    """Read a CSV file or Excel sheet of rows to predict, with the training data's rules.

    Unlike training data, a file to predict may hold a single row. The text of every
    cell is kept beside the parsed values, to be echoed in the predictions.

    Raises
    ------
    UnusableDataError
        If the file cannot be read as a table.
    """
    values, text = read_table_with_text(source, name=name, min_rows=1, sheet=sheet)
    return RowsToPredict(values=values, text=text)


def predict_file(
    model: Any,
    preprocessor: Preprocessor,
    task: str,
    class_labels: list[str],
    source: str | os.PathLike[str] | bytes,
    *,
    name: str | None = None,
    sheet: str | None = None,
    threshold: float | None = None,
) -> Predictions:
    """Read a file of rows and predict them: the one prediction path for people.

    Parameters
    ----------
    model
        A Keras model, or a callable taking the float32 feature matrix.
    preprocessor
        The fitted :class:`Preprocessor` the model was trained with.
    task
        "binary", "multiclass" or "regression".
    class_labels
        Class labels in model output order (empty for regression).
    source
        A path, or the file's bytes (an upload).
    name
        The file name used in messages.
    sheet
        The sheet to read from an Excel workbook (default: the first one).
    threshold
        Yes/no models: the decision threshold, read from the bundle's ``schema.json``
        (see :func:`.decision.threshold_from_schema`; default 0.5).

    Raises
    ------
    UnusableDataError
        If the file cannot be read as a table.
    PredictionInputError
        If columns the model needs are absent.
    """
    rows = read_rows_to_predict(source, name=name, sheet=sheet)
    return predict_rows(model, preprocessor, task, class_labels, rows, threshold)


def predict_rows(
    model: Any,
    preprocessor: Preprocessor,
    task: str,
    class_labels: list[str],
    rows: RowsToPredict,
    threshold: float | None = None,
) -> Predictions:
    """Predict rows already read (see :func:`predict_file`)."""
    preprocessor.check_columns(rows.values)
    features, usable = preprocessor.transform(rows.values)
    outputs = model_outputs(model, features, usable)
    labels = [str(label) for label in class_labels]
    frame = predictions_frame(rows.text, outputs, task, labels, usable, threshold)
    notes = input_notes(preprocessor, rows, usable)
    return Predictions(frame=frame, task=task, class_labels=labels, notes=notes)


def check_output_path(data: Path, out: Path | None) -> None:
    """Refuse, before any work, an output that is a folder or the data file itself.

    Raises
    ------
    PredictionInputError
        Saying which output file to choose instead.
    """
    if out is None:
        return
    if out.is_dir():
        raise PredictionInputError(
            f"'{out}' is a folder. Give a file name for the predictions, e.g. {out / 'p.csv'}."
        )
    if out.exists() and data.exists() and out.resolve() == data.resolve():
        raise PredictionInputError(
            "The predictions would overwrite the data file. Choose another output file."
        )


def write_predictions(predictions: Predictions, out: Path) -> None:
    """Write the spreadsheet-safe CSV atomically: a failure never leaves half a file."""
    write_atomically(out, predictions.to_csv())


# --- notes about the input ---------------------------------------------------------------------


def input_notes(preprocessor: Preprocessor, rows: RowsToPredict, usable: np.ndarray) -> list[Note]:
    """What the model had to guess or ignore in these rows, column by column."""
    notes: list[Note] = []
    for spec in _specs(preprocessor):
        column = rows.values[spec.name]
        if isinstance(spec, NumericColumn):
            note = _not_numbers_note(spec.name, column, rows.text[spec.name])
        else:
            note = _unseen_note(spec, column)
        if note is not None:
            notes.append(note)
    left_out = np.flatnonzero(~np.asarray(usable, dtype=bool))
    if len(left_out):
        notes.append(_left_out_note(preprocessor, left_out))
    return notes


def _specs(preprocessor: Preprocessor) -> list[NumericColumn | CategoricalColumn]:
    order = {name: i for i, name in enumerate(preprocessor.input_columns)}
    return sorted([*preprocessor.numeric, *preprocessor.categorical], key=lambda s: order[s.name])


def _row_list(positions: np.ndarray, labels: list[str] | None = None) -> str:
    shown = [
        f"{position + 1}" + (f" ({labels[i]})" if labels else "")
        for i, position in enumerate(positions[:MAX_LISTED])
    ]
    more = f" and {len(positions) - MAX_LISTED:,} more" if len(positions) > MAX_LISTED else ""
    return f"{'row' if len(positions) == 1 else 'rows'} {', '.join(shown)}{more}"


def _not_numbers_note(name: str, values: pd.Series, text: pd.Series) -> Note | None:
    # A cell written in the file but without a number among the values: the reader may
    # already have emptied a rare typo in a number column, so the text is the witness.
    numbers = parse_numbers(values)[0].to_numpy(dtype="float64")
    bad = ~is_missing(text).to_numpy() & ~np.isfinite(numbers)
    positions = np.flatnonzero(bad)
    if not len(positions):
        return None
    samples = [repr(str(text.iloc[p]).strip()) for p in positions[:MAX_LISTED]]
    verb = "is" if len(positions) == 1 else "are"
    return Note(
        code=NOT_NUMBERS,
        level=WARNING,
        message=(
            f"'{name}': {count_text(len(positions), 'cell')} {verb} not a number and counted as "
            f"empty: {_row_list(positions, samples)} ({ROWS_COUNTED})."
        ),
        column=name,
        rows=tuple(int(p) + 1 for p in positions[:MAX_LISTED]),
        count=len(positions),
    )


def _unseen_note(spec: CategoricalColumn, column: pd.Series) -> Note | None:
    present = ~is_missing(column).to_numpy()
    known = {category_key(category) for category in spec.categories}
    # Each distinct value is looked up once: columns have few distinct values and many rows.
    unseen_values = [v for v in pd.unique(column[present]) if category_key(v) not in known]
    if not unseen_values:
        return None
    unseen = present & column.isin(unseen_values).to_numpy()
    positions = np.flatnonzero(unseen)
    examples = column[unseen].map(str).str.strip().value_counts().index[:3]
    listed = ", ".join(repr(example) for example in examples)
    whose = "that prediction is" if len(positions) == 1 else "those predictions are"
    return Note(
        code=UNSEEN_CATEGORIES,
        level=INFO,
        message=(
            f"'{spec.name}': {count_text(len(positions), 'row')} with a value the model never "
            f"learned (e.g. {listed}); the model treated it as “other”, so {whose} less certain."
        ),
        column=spec.name,
        rows=tuple(int(p) + 1 for p in positions[:MAX_LISTED]),
        count=len(positions),
    )


def _left_out_note(preprocessor: Preprocessor, rows: np.ndarray) -> Note:
    dropping = [spec.name for spec in preprocessor.numeric if spec.impute == "drop_rows"]
    dropping += [spec.name for spec in preprocessor.categorical if spec.missing == "drop_rows"]
    columns = ", ".join(f"'{name}'" for name in dropping) or "a column"
    verb = "has" if len(rows) == 1 else "have"
    return Note(
        code=ROWS_LEFT_OUT,
        level=WARNING,
        message=(
            f"{count_text(len(rows), 'row')} got no prediction: {_row_list(rows)} "
            f"({ROWS_COUNTED}) {verb} an empty cell in {columns}, and the recipe leaves such "
            "rows out. Fill those cells to predict them."
        ),
        rows=tuple(int(p) + 1 for p in rows[:MAX_LISTED]),
        count=len(rows),
    )
