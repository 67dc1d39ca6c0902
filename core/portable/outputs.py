"""Turning model outputs into predictions a person can read, and writing them safely.

This module ships inside every export bundle (in the runtime package), so the app, the
CLI and a bundle's standalone ``predict.py`` build predictions with the same code:
:func:`predictions_frame` is the one way model outputs become a predictions table, and
:func:`to_safe_csv` the one way it is written. Predicting a whole file, with notes about
its cells, is :func:`.predicting.predict_file`. Standard library, numpy and pandas only.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .decision import chosen_labels
from .preprocess import Preprocessor
from .tasks import PREDICTION, probability_column, task_outputs

# Where an input column already uses one of our output names, the input keeps its
# values under this suffix, so the predictions keep their documented names.
INPUT_SUFFIX = " (input)"
# Rows per model call: large files are predicted in slices to bound memory.
PREDICT_BATCH_ROWS = 8192

# OWASP "CSV injection": a spreadsheet runs a cell beginning with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A cell that is nothing but a number runs nothing and stays as it is: a plain one ("-5",
# "+1.5e3") or one written the way people type amounts ("-1,234.50", "-€5", "-12 %", "+1'000").
# Input cells are echoed as text, so without this every negative amount would gain a quote.
# Only digits, separators, one sign, a currency sign, an exponent and "%" are allowed: no
# letter, bracket or operator, so no function call or formula can hide in such a cell.
_CURRENCY = "[$€£¥₹]"
_SPACE = "[ \u00a0]"  # not \s: a tab or a line break has no place in a number
_PLAIN_NUMBER = re.compile(
    rf"[+-]?{_CURRENCY}?{_SPACE}?(\d[\d,.'’ \u00a0]*|[.,]\d+)([eE][+-]?\d+)?"
    rf"{_SPACE}?%?{_SPACE}?{_CURRENCY}?"
)


def output_columns(task: str, class_labels: Sequence[str]) -> list[str]:
    """The columns :func:`predictions_frame` adds after the input columns, in order."""
    return task_outputs(task).output_columns(class_labels)


def predict_frame(
    model: Any,
    preprocessor: Preprocessor,
    task: str,
    class_labels: Sequence[str],
    frame: pd.DataFrame,
    threshold: float | None = None,
) -> pd.DataFrame:
    """Predict raw rows: preprocess, run the model, build the predictions table.

    The single code path used by the app, the CLI, the export verification and a
    bundle's ``predict.py``, so all of them give the same answers.

    Parameters
    ----------
    model
        A Keras model (anything with ``predict(x, verbose=0)``) or a callable taking the
        float32 feature matrix and returning the model outputs.
    preprocessor
        The fitted :class:`Preprocessor` the model was trained with.
    task
        "binary", "multiclass" or "regression".
    class_labels
        Class labels in model output order (empty for regression).
    frame
        Raw rows. Columns the model does not use (the target, notes...) are ignored in
        the computation but kept in the output.
    threshold
        Yes/no models: the decision threshold (see :mod:`.decision`; default 0.5).

    Returns
    -------
    pandas.DataFrame
        See :func:`predictions_frame`.

    Raises
    ------
    PredictionInputError
        If required columns are absent.
    """
    features, usable = preprocessor.transform(frame)
    outputs = model_outputs(model, features, usable)
    return predictions_frame(frame, outputs, task, class_labels, usable, threshold)


def model_outputs(model: Any, features: np.ndarray, usable: np.ndarray | None = None) -> np.ndarray:
    """Run the model on the usable rows only; other rows get NaN outputs.

    Rows the recipe leaves out hold placeholder features, so computing them would be
    wasted work (and could show a meaningless number if it leaked through).
    """
    if usable is None:
        usable = np.ones(len(features), dtype=bool)
    rows = np.nonzero(usable)[0]
    width = None
    pieces: list[np.ndarray] = []
    for start in range(0, len(rows), PREDICT_BATCH_ROWS):
        batch = features[rows[start : start + PREDICT_BATCH_ROWS]]
        if hasattr(model, "predict_on_batch"):
            # One batch per slice: Keras' default of 32 rows per step is slow on big files, and
            # predict() spends about 0.2 s setting up each call, which dominates small inputs
            # (a few rows, the what-if tab). predict_on_batch gives the same numbers.
            result = model.predict_on_batch(batch)
        elif hasattr(model, "predict"):
            result = model.predict(batch, batch_size=len(batch), verbose=0)
        else:
            result = model(batch)
        result = np.asarray(result, dtype=np.float64)
        pieces.append(result.reshape(len(batch), -1))
        width = pieces[-1].shape[1]
    if width is None:  # nothing to predict: the width is unknown, one column is harmless
        return np.full((len(features), 1), np.nan)
    out = np.full((len(features), width), np.nan)
    out[rows] = np.concatenate(pieces)
    return out


def predictions_frame(
    raw: pd.DataFrame,
    outputs: np.ndarray,
    task: str,
    class_labels: Sequence[str],
    usable: np.ndarray | None = None,
    threshold: float | None = None,
) -> pd.DataFrame:
    """The input rows followed by the model's predictions.

    Parameters
    ----------
    raw
        The rows as given (every column is kept, in order).
    outputs
        Model outputs, one row per input row: binary (n, 1) probability of
        ``class_labels[1]``; multiclass (n, k) probabilities; regression (n, 1) values.
    task
        "binary", "multiclass" or "regression".
    class_labels
        Class labels in model output order (empty for regression).
    usable
        False for rows the recipe leaves out (an empty cell where the recipe says "leave
        those rows out"): their prediction and probabilities are left empty.
    threshold
        Yes/no models: ``class_labels[1]`` is predicted where its probability is at least
        this (default 0.5; see :func:`.decision.chosen_labels`).

    Returns
    -------
    pandas.DataFrame
        The input columns, then ``prediction`` (a class label, or a number in the
        target's units) and, for classification, one ``probability_<label>`` column per
        class. An input column whose name clashes with these is kept as
        ``<name> (input)``.

    Raises
    ------
    ValueError
        If the outputs do not match the task, the classes or the number of rows (a
        programming error, not a user one).
    """
    spec = task_outputs(task)
    labels = [str(label) for label in class_labels]
    values = np.asarray(outputs, dtype=np.float64).reshape(len(raw), -1)
    keep = np.ones(len(raw), dtype=bool) if usable is None else np.asarray(usable, dtype=bool)
    if len(keep) != len(raw):
        raise ValueError("`usable` must have one entry per row.")
    result = _rename_clashing_inputs(raw, spec.output_columns(labels))
    if not spec.predicts_class:
        if values.shape[1] != 1:
            raise ValueError(f"A regression model gives 1 output per row, not {values.shape[1]}.")
        result[PREDICTION] = np.where(keep, values[:, 0], np.nan)
        return result
    probabilities = spec.class_probabilities(values, len(labels))
    chosen = chosen_labels(probabilities, labels, threshold)
    result[PREDICTION] = pd.Series(np.where(keep, chosen, None), index=raw.index, dtype="object")
    for i, label in enumerate(labels):
        result[probability_column(label)] = np.where(keep, probabilities[:, i], np.nan)
    return result


def _rename_clashing_inputs(raw: pd.DataFrame, added: list[str]) -> pd.DataFrame:
    result = raw.copy()
    taken = set(map(str, result.columns)) | set(added)
    renames: dict[Any, str] = {}
    for column in result.columns:
        if str(column) in added:
            new = f"{column}{INPUT_SUFFIX}"
            while new in taken:
                new += INPUT_SUFFIX
            taken.add(new)
            renames[column] = new
    return result.rename(columns=renames) if renames else result


# --- writing ---------------------------------------------------------------------------------


def neutralise_cell(value: Any) -> Any:
    """Make one text cell harmless in a spreadsheet (numbers and empty cells pass through).

    A text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    would be run as a formula by Excel, LibreOffice or Google Sheets; a leading ``'``
    makes it plain text. Text that is just a number ("-5") runs nothing and is kept.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        if not _PLAIN_NUMBER.fullmatch(value):
            return "'" + value
    return value


def _may_be_formula(cells: pd.Series) -> np.ndarray:
    try:
        starts = cells.str.startswith(FORMULA_STARTS)
    except AttributeError:  # not a single text cell in the column
        return np.zeros(len(cells), dtype=bool)
    return starts.eq(True).to_numpy(dtype=bool)  # NaN (not text) counts as False


def to_safe_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes that are safe to open in a spreadsheet.

    Only text cells (and column names) are changed, see :func:`neutralise_cell`;
    number columns, negative numbers included, are written as numbers. UTF-8 with a
    byte-order mark, so spreadsheet programs read accented text correctly; rows end
    with CRLF, as RFC 4180 and spreadsheets expect.
    """
    safe = frame.copy()
    for column in safe.columns:
        series = safe[column]
        text_like = series.dtype == object or isinstance(series.dtype, pd.CategoricalDtype)
        if text_like or pd.api.types.is_string_dtype(series.dtype):
            cells = series.astype("object")
            # Echoed input makes every column text: a vectorised look at the first character
            # finds the few cells that could be formulas; only those are checked one by one.
            risky = _may_be_formula(cells)
            if risky.any():
                cells[risky] = cells[risky].map(neutralise_cell)
            safe[column] = cells
    safe.columns = [neutralise_cell(str(column)) for column in safe.columns]
    buffer = io.StringIO()
    # RFC 4180 line ends: with "\r\n" as the terminator, a cell holding a lone carriage return
    # is quoted too (with "\n" alone it would silently split the row in two).
    safe.to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")


def usual_file_mode(path: Path) -> None:
    """Give a temporary file (created private, 0600) the mode a normal new file would have."""
    mask = os.umask(0o022)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def write_atomically(path: str | os.PathLike[str], payload: bytes) -> None:
    """Write bytes to a temporary file beside ``path``, then rename it: never a half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".partial", dir=path.parent
    )
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        usual_file_mode(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
