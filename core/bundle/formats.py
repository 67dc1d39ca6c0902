"""Writing each network format of a bundle, and checking it by loading it back.

Every format is loaded back right after it is written and run on a few real rows; its
outputs must match the in-memory model's (see :data:`ABS_TOLERANCE`). A format that
cannot be written or does not match raises :class:`FormatCheckFailed` with a plain
reason, and the bundle leaves it out instead of shipping it broken.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np

from core.quiet_tensorflow import native_stderr_hidden

# Outputs of a reloaded format may differ from the in-memory model by float32 rounding only.
# Numbers in real units (prices in the millions) carry rounding in proportion to their size,
# hence the relative part: |a - b| <= ABS_TOLERANCE + REL_TOLERANCE * |b|.
ABS_TOLERANCE = 1e-5
REL_TOLERANCE = 1e-5


class FormatCheckFailed(Exception):
    """A format could not be written, or does not predict what the trained model predicts."""


def max_difference(actual: np.ndarray, expected: np.ndarray) -> float:
    """Largest absolute difference between two output arrays of the same shape."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.size != expected.size:
        raise FormatCheckFailed(
            f"it gives {actual.size} outputs where the trained model gives {expected.size}"
        )
    actual = actual.reshape(expected.shape)
    if actual.size == 0:
        return 0.0
    return float(np.max(np.abs(actual - expected)))


def check_outputs(actual: np.ndarray, expected: np.ndarray) -> float:
    """The largest difference, or :class:`FormatCheckFailed` if it is beyond rounding."""
    difference = max_difference(actual, expected)
    expected = np.asarray(expected, dtype=np.float64).reshape(-1)
    actual = np.asarray(actual, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(actual)):
        raise FormatCheckFailed("it gives invalid numbers (not-a-number) on the check rows")
    if not np.allclose(actual, expected, rtol=REL_TOLERANCE, atol=ABS_TOLERANCE):
        raise FormatCheckFailed(
            f"its predictions differ from the trained model's by up to {difference:.3g}"
        )
    return difference


def run_checked(step: Callable[[], float], what: str) -> float:
    """Run an export-and-verify step, turning any failure into :class:`FormatCheckFailed`.

    Export tools fail in many ways (converter errors, unsupported operations, disk
    problems); for the bundle they all mean the same: this format is left out.
    """
    try:
        return step()
    except FormatCheckFailed:
        raise
    except Exception as error:  # noqa: BLE001 - any failure leaves this one format out
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise FormatCheckFailed(f"{what} failed ({type(error).__name__}: {first_line})") from error


# --- model.keras ---------------------------------------------------------------------------------


def load_keras(path: Path) -> keras.Model:
    """Load a ``.keras`` file the only way Trainboard ever does: safe mode, no custom objects."""
    return keras.saving.load_model(path, safe_mode=True, compile=False)


# --- TensorFlow SavedModel -----------------------------------------------------------------------


def export_saved_model(
    model: keras.Model, folder: Path, endpoints: Mapping[str, Any] | None = None
) -> None:
    """Write the SavedModel: ``serving_default`` on the feature matrix, plus ``endpoints``.

    ``endpoints`` maps a signature name to an object with ``fn`` and ``input_signature``
    (see :func:`core.bundle.serving.raw_endpoint`).
    """
    if not endpoints:
        model.export(str(folder), format="tf_saved_model", verbose=False)
        return
    import tensorflow as tf

    archive = keras.export.ExportArchive()
    archive.track(model)
    (matrix,) = model.inputs
    # The first endpoint is also written as "serving_default", as model.export does.
    archive.add_endpoint(
        "serve",
        model.__call__,
        input_signature=[tf.TensorSpec(tuple(matrix.shape), tf.float32, name=matrix.name)],
    )
    for name, endpoint in endpoints.items():
        archive.add_endpoint(name, endpoint.fn, input_signature=endpoint.input_signature)
    archive.write_out(str(folder), verbose=False)


def load_saved_model(folder: Path) -> Any:
    """The SavedModel in ``folder``, loaded once for all of its checks."""
    import tensorflow as tf

    return tf.saved_model.load(str(folder))


def saved_model_outputs(folder: Path | Any, features: np.ndarray) -> np.ndarray:
    """Outputs of the ``serving_default`` signature of a SavedModel on a feature matrix.

    ``folder`` may be the SavedModel already loaded (:func:`load_saved_model`).
    """
    import tensorflow as tf

    loaded = load_saved_model(folder) if isinstance(folder, (str, Path)) else folder
    signature = loaded.signatures["serving_default"]
    _, named_inputs = signature.structured_input_signature
    if len(named_inputs) != 1:
        raise FormatCheckFailed(f"its signature takes {len(named_inputs)} inputs instead of 1")
    (input_name,) = named_inputs
    result = signature(**{input_name: tf.constant(features, dtype=tf.float32)})
    if len(result) != 1:
        raise FormatCheckFailed(f"its signature gives {len(result)} outputs instead of 1")
    return next(iter(result.values())).numpy()


def verify_saved_model(model: keras.Model, folder: Path, features: np.ndarray) -> float:
    def step() -> float:
        export_saved_model(model, folder)
        return check_outputs(saved_model_outputs(folder, features), _keras_outputs(model, features))

    return run_checked(step, "Writing the TensorFlow SavedModel")


# --- LiteRT (TensorFlow Lite) ---------------------------------------------------------------


def export_tflite(model: keras.Model, path: Path) -> None:
    # Keras' own LiteRT export converts through a SavedModel (TFLiteConverter.from_saved_model).
    model.export(str(path), format="litert", verbose=False)


def tflite_outputs(path: Path, features: np.ndarray) -> np.ndarray:
    """Outputs of a ``.tflite`` file on a feature matrix, through a LiteRT interpreter."""
    # The interpreter announces "Created TensorFlow Lite XNNPACK delegate for CPU." on stderr.
    with native_stderr_hidden():
        interpreter = _tflite_interpreter(path)
        (input_detail,) = interpreter.get_input_details()
        shape = list(features.shape)
        interpreter.resize_tensor_input(input_detail["index"], shape, strict=False)
        interpreter.allocate_tensors()
        interpreter.set_tensor(input_detail["index"], features.astype(np.float32))
        interpreter.invoke()
    (output_detail,) = interpreter.get_output_details()
    return np.array(interpreter.get_tensor(output_detail["index"]))


def _tflite_interpreter(path: Path) -> Any:
    try:  # the standalone LiteRT runtime, when installed, is the supported one
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter  # noqa: N806 - a class chosen at run time
    with warnings.catch_warnings():
        # TensorFlow announces the move of its interpreter to ai_edge_litert; it still works.
        warnings.simplefilter("ignore")
        return Interpreter(model_path=str(path))


def verify_tflite(model: keras.Model, path: Path, features: np.ndarray) -> float:
    def step() -> float:
        export_tflite(model, path)
        return check_outputs(tflite_outputs(path, features), _keras_outputs(model, features))

    return run_checked(step, "Writing the LiteRT (TensorFlow Lite) model")


def _keras_outputs(model: keras.Model, features: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict(features, verbose=0))
