"""The SavedModel signature that takes raw columns: preparation inside the graph.

``serving_default`` takes the prepared float32 matrix (the output of
:class:`~core.portable.preprocess.Preprocessor`). :func:`raw_endpoint` builds a second
signature, ``serving_raw`` (:data:`~core.bundle.layout.RAW_SIGNATURE`), that takes one
input per raw column and applies the same preparation with TensorFlow ops, built from
the fitted preprocessor's state, so TensorFlow Serving needs no preparation code:

* a number column is a float64 input; NaN (or an infinity) is an empty cell, filled
  and scaled with the fitted values (the quantile scaling's knots interpolated with
  ``searchsorted``, smooth clipping as the same formula), with the "is empty" indicator
  where there is one;
* a category column is a string input; the text is trimmed, inner runs of whitespace
  become one space and letters are lower-cased, as :func:`category_key` does; an empty
  string or a missing marker ("N/A", "null", ...) is an empty cell; a value never seen
  in training goes where the preprocessor puts it (the "(other)" slot). Each known
  value's encoded row is taken from the preprocessor itself, so one-hot and ordinal
  encodings (and the "(missing)" slot) cannot drift from the Python path;
* a row that the recipe leaves out (an empty cell where it says "drop rows") gets NaN.

The outputs are those of the bundle's predictions: ``probabilities`` (one column per
class, in the order of ``schema.json``'s ``class_labels``) and ``prediction`` (the
class label), or ``prediction`` (a number in the target's units) for regression.

Python's ``casefold`` and TensorFlow's lower-casing differ for a few letters (German
"ß", Greek final "ς"); both spellings of every known category are in the table, so
only a differently cased spelling of such a word can reach "(other)" here and not in
``predict.py`` (the model card's serving section says so: ``core.bundle.serving.case_note``).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.bundle.layout import RAW_SIGNATURE
from core.portable.choices import SCALINGS
from core.portable.decision import DEFAULT_THRESHOLD
from core.portable.outputs import predict_frame
from core.portable.preprocess import (
    CategoricalColumn,
    NumericColumn,
    Preprocessor,
    category_key,
    label_text,
)
from core.portable.preprocess_scaling import CLIP_BOUND, CLIP_LIMIT
from core.portable.reading import MISSING_MARKERS, is_missing, parse_numbers
from core.portable.tasks import PREDICTION, probability_column, task_outputs

if TYPE_CHECKING:  # the pipeline imports the bundle lazily; no cycle at run time
    from core.pipeline import TrainedRun

# Characters Python's str.split() treats as whitespace (normalise_label splits on them);
# RE2's \s knows only the ASCII ones.
_WHITESPACE = (
    r"[\t\n\x{0b}\x{0c}\r\x{1c}-\x{1f} \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}"
    r"\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]+"
)
# Characters TensorFlow accepts in a signature's input name (a placeholder's op name).
_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_.\-]+")
OUTPUT_PROBABILITIES = "probabilities"
# One input per column stops being practical (a request naming every column; minutes to build
# and check, about 0.1 s a column) beyond this many columns: then serving_raw is left out.
RAW_MAX_COLUMNS = 300
RAW_TOO_WIDE = (
    "the table has {columns:,} input columns, more than the {limit} a signature with one input "
    "per column can serve in practice; send the prepared matrix to serving_default, or use "
    "predict.py, which takes the raw columns"
)
OUTPUT_PREDICTION = "prediction"


def raw_input_names(preprocessor: Preprocessor) -> dict[str, str]:
    """Column -> the name of its input in ``serving_raw``.

    TensorFlow accepts only letters, digits, ``_``, ``.`` and ``-`` in an input name:
    other characters become ``_``, and a name taken twice gets ``_2``, ``_3``.
    """
    names: dict[str, str] = {}
    taken: set[str] = set()
    for column in preprocessor.input_columns:
        base = _NAME_CHARACTERS.sub("_", str(column)).strip("_") or "column"
        if not re.match(r"[A-Za-z0-9.]", base):
            base = f"column_{base}"
        name, suffix = base, 2
        while name.casefold() in taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        taken.add(name.casefold())
        names[column] = name
    return names


def raw_tensors(preprocessor: Preprocessor, rows: pd.DataFrame) -> dict[str, np.ndarray]:
    """Raw rows as ``serving_raw`` takes them (what a client sends).

    Numbers as float64 with NaN for empty cells; category cells as their text, with ""
    for empty cells.
    """
    names = raw_input_names(preprocessor)
    tensors: dict[str, np.ndarray] = {}
    kinds = preprocessor.column_kinds()
    for column in preprocessor.input_columns:
        values = rows[column]
        if kinds[column] == "numeric":
            # Numbers pass as they are (an infinity too: the signature treats it as empty).
            numeric = pd.api.types.is_numeric_dtype(values.dtype)
            numbers = values.astype("float64") if numeric else parse_numbers(values)[0]
            tensors[names[column]] = numbers.to_numpy(dtype=np.float64)
        else:
            empty = is_missing(values).to_numpy()
            texts = [("" if gap else label_text(v)) for v, gap in zip(values, empty, strict=True)]
            tensors[names[column]] = np.array(texts, dtype=object)
    return tensors


@dataclass(frozen=True)
class RawEndpoint:
    """What ``ExportArchive.add_endpoint`` needs: the function and its input signature."""

    fn: Callable[[Mapping[str, Any]], dict[str, Any]]
    input_signature: list[dict[str, Any]]


def raw_endpoint(
    model: Any, preprocessor: Preprocessor, task: str, class_labels: list[str]
) -> RawEndpoint:
    """The ``serving_raw`` function: raw columns in, the bundle's predictions out."""
    import tensorflow as tf

    prepare = raw_preparation(preprocessor)
    spec = task_outputs(task)
    labels = tf.constant([str(label) for label in class_labels] or [""], dtype=tf.string)

    def serve(inputs: Mapping[str, Any]) -> dict[str, Any]:
        matrix, usable = prepare(inputs)
        outputs = tf.cast(model(matrix), tf.float32)
        nan = tf.constant(np.nan, dtype=tf.float32)
        if not spec.predicts_class:
            value = tf.reshape(outputs, [-1])
            return {OUTPUT_PREDICTION: tf.where(usable, value, nan)}
        if spec.single_probability:  # widened to both probabilities, as predictions_frame does
            positive = tf.reshape(outputs, [-1, 1])
            outputs = tf.concat([1.0 - positive, positive], axis=1)
        probabilities = tf.where(usable[:, None], outputs, nan)
        if spec.single_probability:  # the same rule as chosen_labels: at least the threshold
            flagged = outputs[:, 1] >= DEFAULT_THRESHOLD
            chosen = tf.gather(labels, tf.cast(flagged, tf.int32))
        else:
            chosen = tf.gather(labels, tf.argmax(outputs, axis=1))
        return {
            OUTPUT_PROBABILITIES: probabilities,
            OUTPUT_PREDICTION: tf.where(usable, chosen, tf.constant("", dtype=tf.string)),
        }

    names = raw_input_names(preprocessor)
    signature = {
        names[spec.name]: tf.TensorSpec(
            [None],
            tf.float64 if isinstance(spec, NumericColumn) else tf.string,
            name=names[spec.name],
        )
        for spec in specs_in_order(preprocessor)
    }
    return RawEndpoint(fn=serve, input_signature=[signature])


def raw_preparation(preprocessor: Preprocessor) -> Callable[[Mapping[str, Any]], tuple[Any, Any]]:
    """The preparation as TensorFlow ops: raw inputs by name -> (float32 matrix, usable rows).

    The matrix is what :meth:`Preprocessor.transform` gives for the same rows.
    """
    import tensorflow as tf

    names = raw_input_names(preprocessor)
    specs = specs_in_order(preprocessor)
    blocks = [
        _numeric_block(spec) if isinstance(spec, NumericColumn) else _category_block(spec)
        for spec in specs
    ]

    def prepare(inputs: Mapping[str, Any]) -> tuple[Any, Any]:
        pieces, usable = [], None
        for spec, block in zip(specs, blocks, strict=True):
            features, kept = block(inputs[names[spec.name]])
            pieces.append(features)
            usable = kept if usable is None else tf.logical_and(usable, kept)
        return tf.cast(tf.concat(pieces, axis=1), tf.float32), usable

    return prepare


def raw_outputs(signature: Any, tensors: Mapping[str, np.ndarray], task: str) -> np.ndarray:
    """The numbers ``serving_raw`` gives: probabilities, or values as one column."""
    import tensorflow as tf

    result = signature(**{name: tf.constant(values) for name, values in tensors.items()})
    key = OUTPUT_PROBABILITIES if task_outputs(task).predicts_class else OUTPUT_PREDICTION
    values = np.asarray(result[key].numpy(), dtype=np.float64)
    return values.reshape(len(values), -1)


@dataclass(frozen=True)
class SavedModelCheck:
    """How the SavedModel was written: its check, and the raw-columns signature's."""

    difference: float
    raw_difference: float | None = None  # None: serving_raw was left out
    raw_reason: str = ""  # why it was left out


def write_saved_model(
    run: TrainedRun, folder: Path, features: np.ndarray, rows: pd.DataFrame
) -> SavedModelCheck:
    """Write the SavedModel with ``serving_raw`` and check both signatures by loading it back.

    ``serving_default`` must match the trained model on ``features``; ``serving_raw`` must
    give the bundle's predictions (:func:`predict_frame`) on ``rows`` and on made-up rows
    (other spellings of each category, missing markers, empty cells). If ``serving_raw``
    fails in any way, the SavedModel is written again without it and the reason returned.

    Raises
    ------
    FormatCheckFailed
        If even the SavedModel without ``serving_raw`` fails (then it is left out).
    """
    from core.bundle import formats

    columns = len(run.preprocessor.input_columns)
    if columns > RAW_MAX_COLUMNS:
        difference = formats.verify_saved_model(run.model, folder, features)
        reason = RAW_TOO_WIDE.format(columns=columns, limit=RAW_MAX_COLUMNS)
        return SavedModelCheck(difference=difference, raw_reason=reason)
    loaded: list[Any] = []  # the SavedModel loaded once, for both signatures' checks

    def step() -> float:
        endpoint = raw_endpoint(
            run.model, run.preprocessor, run.task.task, list(run.task.class_labels)
        )
        formats.export_saved_model(run.model, folder, endpoints={RAW_SIGNATURE: endpoint})
        loaded.append(formats.load_saved_model(folder))
        return formats.check_outputs(
            formats.saved_model_outputs(loaded[0], features),
            np.asarray(run.model.predict(features, verbose=0)),
        )

    try:
        difference = formats.run_checked(step, "Writing the TensorFlow SavedModel")
        raw_difference = formats.run_checked(
            lambda: verify_raw_signature(run, loaded[0], rows),
            f"Checking the {RAW_SIGNATURE} signature",
        )
        return SavedModelCheck(difference=difference, raw_difference=raw_difference)
    except formats.FormatCheckFailed as failure:
        reason = str(failure)
    shutil.rmtree(folder, ignore_errors=True)
    difference = formats.verify_saved_model(run.model, folder, features)
    return SavedModelCheck(difference=difference, raw_reason=reason)


def verify_raw_signature(run: TrainedRun, folder: Path | Any, rows: pd.DataFrame) -> float:
    """Largest difference between ``serving_raw`` and the bundle's predictions.

    ``folder`` may be the SavedModel already loaded.

    Raises
    ------
    FormatCheckFailed
        If they differ beyond rounding, or not on the same rows.
    """
    import tensorflow as tf

    from core.bundle.formats import FormatCheckFailed, check_outputs

    preprocessor, task = run.preprocessor, run.task.task
    labels = [str(label) for label in run.task.class_labels]
    check_rows = pd.concat([rows, spelling_rows(preprocessor)], ignore_index=True)
    expected_table = predict_frame(run.model, preprocessor, task, labels, check_rows)
    if task_outputs(task).predicts_class:  # the probabilities (the answer follows from them)
        columns = [probability_column(label) for label in labels]
    else:
        columns = [PREDICTION]
    expected = expected_table[columns].to_numpy(dtype=np.float64)
    loaded = tf.saved_model.load(str(folder)) if isinstance(folder, (str, Path)) else folder
    signature = loaded.signatures[RAW_SIGNATURE]
    actual = raw_outputs(signature, raw_tensors(preprocessor, check_rows), task)
    if actual.shape != expected.shape:
        raise FormatCheckFailed(f"it gives {actual.shape} outputs instead of {expected.shape}")
    if not np.array_equal(np.isnan(actual), np.isnan(expected)):
        raise FormatCheckFailed("it leaves out different rows than predict.py")
    kept = ~np.isnan(expected)
    return check_outputs(actual[kept], expected[kept])


def spelling_rows(preprocessor: Preprocessor) -> pd.DataFrame:
    """Made-up rows that test the text rules: other cases and spacing, markers, empty cells."""
    columns: dict[str, list[Any]] = {}
    variants = 6
    for spec in preprocessor.numeric:
        # Beyond the training range too: the quantile scaling and clipping treat it apart.
        far = 10.0 * max(abs(spec.maximum or 0.0), abs(spec.minimum or 0.0), 1.0)
        columns[spec.name] = [spec.fill, np.nan, spec.center + spec.scale, np.inf, far, -far]
    for spec in preprocessor.categorical:
        known = spec.categories or ["unknown"]
        first, last = known[0], known[-1]
        columns[spec.name] = [
            f"  {first.upper()} ",
            "N/A",
            last.title().replace(" ", " \t ") + "\u00a0",  # inner and Unicode spaces
            "",
            _unseen_value(spec),
            "  ",
        ]
    frame = pd.DataFrame(
        {
            name: pd.Series(columns[name][:variants], dtype="object")
            for name in preprocessor.input_columns
        }
    )
    for spec in preprocessor.numeric:
        frame[spec.name] = frame[spec.name].astype("float64")
    return frame


def normalise_text(texts: Any) -> Any:
    """TensorFlow's :func:`category_key`: trimmed, whitespace runs as one space, lower case."""
    import tensorflow as tf

    spaced = tf.strings.regex_replace(texts, _WHITESPACE, " ")
    trimmed = tf.strings.regex_replace(spaced, r"^ | $", "")
    return tf.strings.lower(trimmed, encoding="utf-8")


# --- one column each ------------------------------------------------------------------------


def specs_in_order(preprocessor: Preprocessor) -> list[NumericColumn | CategoricalColumn]:
    by_name: dict[str, NumericColumn | CategoricalColumn] = {
        s.name: s for s in preprocessor.numeric
    }
    by_name.update({s.name: s for s in preprocessor.categorical})
    return [by_name[name] for name in preprocessor.input_columns]


def _numeric_block(spec: NumericColumn) -> Callable[[Any], tuple[Any, Any]]:
    """Fill, scale (in float64, as numpy does) and flag empty cells of one number column."""
    import tensorflow as tf

    scale = _scaling(spec)

    def block(values: Any) -> tuple[Any, Any]:
        values = tf.cast(values, tf.float64)
        empty = tf.logical_not(tf.math.is_finite(values))
        filled = tf.where(empty, tf.constant(spec.fill, tf.float64), values)
        columns = [scale(filled)]
        if spec.missing_indicator:
            columns.append(tf.cast(empty, tf.float64))
        kept = tf.logical_not(empty) if spec.impute == "drop_rows" else tf.ones_like(empty)
        return tf.stack(columns, axis=1), kept

    return block


def _scaling(spec: NumericColumn) -> Callable[[Any], Any]:
    """:func:`core.portable.preprocess.scale_numbers` as TensorFlow ops (float64)."""
    import tensorflow as tf

    scaling = SCALINGS[spec.scaling]
    if scaling.quantile:
        return _quantile_scaling(spec.knots or [], spec.knot_scores or [])

    def affine(filled: Any) -> Any:
        scaled = (filled - spec.center) / spec.scale
        if scaling.clip:  # smooth_clip
            scaled = tf.clip_by_value(scaled, -CLIP_BOUND, CLIP_BOUND)
            scaled = scaled / tf.sqrt(1.0 + tf.square(scaled / CLIP_LIMIT))
        return scaled

    return affine


def _quantile_scaling(knots: list[float], scores: list[float]) -> Callable[[Any], Any]:
    """``np.interp(x, knots, scores)``: the line between the two knots around each value."""
    import tensorflow as tf

    if len(knots) < 2:  # a constant (or empty) training column: one score for every value
        constant = scores[0] if scores else 0.0
        return lambda filled: tf.fill(tf.shape(filled), tf.constant(constant, tf.float64))
    xs = tf.constant(knots, tf.float64)
    ys = tf.constant(scores, tf.float64)
    last = len(knots) - 1

    def interpolate(filled: Any) -> Any:
        x = tf.clip_by_value(filled, knots[0], knots[-1])
        right = tf.searchsorted(xs[tf.newaxis, :], x[tf.newaxis, :], side="right")[0]
        right = tf.clip_by_value(right, 1, last)
        x0, x1 = tf.gather(xs, right - 1), tf.gather(xs, right)
        y0, y1 = tf.gather(ys, right - 1), tf.gather(ys, right)
        return y0 + (x - x0) * (y1 - y0) / (x1 - x0)

    return interpolate


def _category_block(spec: CategoricalColumn) -> Callable[[Any], tuple[Any, Any]]:
    """Look one category column up in a table of encoded rows taken from the preprocessor."""
    import tensorflow as tf

    unseen = _unseen_value(spec)
    probes = [*spec.categories, None, unseen]  # known values, an empty cell, a new value
    single = Preprocessor(categorical=[spec], order=[spec.name])
    encoded, usable = single.transform(pd.DataFrame({spec.name: pd.Series(probes, dtype=object)}))
    rows = tf.constant(encoded.astype(np.float64))
    kept_rows = tf.constant(usable)
    empty_row, unseen_row = len(spec.categories), len(spec.categories) + 1
    # Python's key first (argmax takes the first match), then TensorFlow's own lower-casing
    # of the same names, so a letter the two fold differently still finds its category.
    python_keys = [category_key(category) for category in spec.categories]
    tf_keys = [
        k.decode("utf-8") for k in normalise_text(tf.constant(spec.categories or [""])).numpy()
    ]
    keys = python_keys + tf_keys[: len(spec.categories)]
    key_rows = list(range(len(spec.categories))) * 2
    markers = tf.constant(sorted(MISSING_MARKERS))
    table_keys = tf.constant(keys or [""], dtype=tf.string)
    table_rows = tf.constant(key_rows or [unseen_row], dtype=tf.int64)

    def block(values: Any) -> tuple[Any, Any]:
        key = normalise_text(values)
        empty = tf.reduce_any(tf.equal(key[:, None], markers[None, :]), axis=1)
        matches = tf.equal(key[:, None], table_keys[None, :])
        found = tf.reduce_any(matches, axis=1) if keys else tf.zeros_like(empty)
        row = tf.where(found, tf.gather(table_rows, tf.argmax(matches, axis=1)), unseen_row)
        row = tf.where(empty, tf.constant(empty_row, tf.int64), row)
        return tf.gather(rows, row), tf.gather(kept_rows, row)

    return block


def _unseen_value(spec: CategoricalColumn) -> str:
    """A value that is none of the column's categories (nor a missing marker)."""
    known = {category_key(category) for category in spec.categories}
    candidate = "a value never seen in training"
    while category_key(candidate) in known:
        candidate += "!"
    return candidate
