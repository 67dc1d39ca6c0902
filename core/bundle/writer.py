"""The export bundle: a trained model that works without Trainboard.

:func:`write_bundle` writes one ``.zip`` (file names in :mod:`core.bundle.layout`):
the network as ``model.keras``, a TensorFlow SavedModel and a LiteRT file; the
preprocessing code (``trainboard_runtime/``, a verbatim copy of ``core/portable``)
with its fitted statistics in ``schema.json``; a standalone ``predict.py`` with its
``requirements.txt``; the recipe, the test results, the learning curves and a model
card; the run as code (``train.py``, ``train.ipynb``, see :mod:`.training_code`) and as a
report to share (``report.html``, see :mod:`core.report`).
Every network format is loaded back and checked on real rows before it is
included; a format that fails is left out and the reason reported, never shipped
broken. The zip is written to a temporary file, opened again with
:func:`load_bundle` exactly as a user would open it, and only then moved into place.

Opening bundles and predicting live in :mod:`core.bundle.loading` and are
re-exported here: ``load_bundle``, ``LoadedBundle``, ``predict_frame``,
``predict_command``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.bundle.card import render_model_card
from core.bundle.contents import (
    build_schema,
    check_runtime_imports,
    dump_json,
    history_frame,
    metrics_document,
    recipe_json,
    render_template,
    requirement_ranges,
    software_versions,
    verification_rows,
)
from core.bundle.layout import (
    BUNDLE_FORMAT,
    DEFAULT_PREDICTIONS,
    HISTORY_CSV,
    METRICS_JSON,
    MODEL_CARD,
    MODEL_KERAS,
    MODEL_TFLITE,
    PREDICT_SCRIPT,
    RECIPE_JSON,
    REPORT_HTML,
    REQUIREMENTS_TXT,
    RUNTIME_PACKAGE,
    SAVED_MODEL,
    SAVED_MODEL_RAW,
    SCHEMA_JSON,
    TRAIN_NOTEBOOK,
    TRAIN_SCRIPT,
)
from core.bundle.loading import (
    LoadedBundle,
    check_model_matches,
    load_bundle,
    predict_command,
)
from core.bundle.safety import check_model_config, read_model_config
from core.bundle.training_code import write_training_code
from core.errors import BundleError
from core.files import atomic_path
from core.i18n import current_language
from core.i18n import language as in_language
from core.portable.outputs import model_outputs, predict_frame, to_safe_csv
from core.portable.preprocess import Preprocessor
from core.report import ReportRun, run_report

__all__ = [
    "BundleReport",
    "LoadedBundle",
    "load_bundle",
    "predict_command",
    "predict_frame",
    "write_bundle",
]

if TYPE_CHECKING:  # the pipeline imports this module lazily; no cycle at run time
    from core.pipeline import TrainedRun

PORTABLE_DIR = Path(__file__).resolve().parents[1] / "portable"


@dataclass
class BundleReport:
    """What :func:`write_bundle` wrote.

    Attributes
    ----------
    path
        The bundle written.
    files
        Top-level entries of the zip, folders ending with "/".
    left_out
        Format -> plain reason, for formats that failed their check.
    checks
        Format -> largest difference between its predictions and the trained model's
        (``saved_model:serving_raw``: the SavedModel's raw-columns signature against the
        bundle's predictions, see :mod:`core.bundle.serving`).
    size_bytes
        Size of the zip.
    model_card
        The model card's markdown (also inside the zip as ``model_card.md``).
    """

    path: Path
    files: list[str] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)
    checks: dict[str, float] = field(default_factory=dict)
    size_bytes: int = 0
    model_card: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the card's text)."""
        return {
            "path": str(self.path),
            "files": list(self.files),
            "left_out": dict(self.left_out),
            "checks": dict(self.checks),
            "size_bytes": self.size_bytes,
        }


# What packaging reports as its progress: the three model formats, the report, then the
# zip's own check.
PACKAGING_STEPS = 5


def write_bundle(
    run: TrainedRun,
    path: str | os.PathLike[str],
    on_step: Callable[[int, int], None] | None = None,
    language: str | None = None,
) -> BundleReport:
    """Write the export bundle of a trained run to ``path`` (a ``.zip``).

    Parameters
    ----------
    run
        The trained run, as :func:`core.pipeline.train_run` returns it.
    path
        Where to write the zip. Nothing is left there if writing fails.
    on_step
        Called with (part, ``PACKAGING_STEPS``) as each part starts (the Keras file,
        the SavedModel, the TFLite file, the report, then zipping and checking the whole),
        so a page can say how far packaging is.
    language
        The language of the model card ("en", "zh"; default: the current language).

    Raises
    ------
    BundleError
        If the run has no model, or ``model.keras`` or ``schema.json`` fails its check.
    """
    from core.bundle import formats  # TensorFlow, needed only when exporting

    if run.model is None:
        raise BundleError("This run has no usable model to export. Train again, then export.")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    report = BundleReport(path=target)
    rows = verification_rows(run)
    features, usable = run.preprocessor.transform(rows)
    check_features = features[usable]
    with tempfile.TemporaryDirectory(prefix="trainboard-export-") as staging_name:
        staging = Path(staging_name)
        schema = build_schema(run, versions=software_versions())
        step = on_step or (lambda part, total: None)
        step(1, PACKAGING_STEPS)
        report.checks[MODEL_KERAS] = _write_keras(run, staging / MODEL_KERAS, rows, schema, formats)
        _write_schema(run, staging / SCHEMA_JSON, schema, rows)
        step(2, PACKAGING_STEPS)
        _write_saved_model(run, staging / SAVED_MODEL, check_features, rows, report, formats)
        step(3, PACKAGING_STEPS)
        try:
            report.checks[MODEL_TFLITE] = formats.verify_tflite(
                run.model, staging / MODEL_TFLITE, check_features
            )
        except formats.FormatCheckFailed as failure:
            report.left_out[MODEL_TFLITE] = str(failure)
            _remove(staging / MODEL_TFLITE)
        _write_standalone(staging, report)
        _write_training_code(run, staging, report)
        _write_text(staging / RECIPE_JSON, recipe_json(run.recipe))
        (staging / HISTORY_CSV).write_bytes(to_safe_csv(history_frame(run.result.history)))
        _write_text(
            staging / METRICS_JSON, dump_json(metrics_document(run, report.checks, report.left_out))
        )
        step(4, PACKAGING_STEPS)
        with in_language(language or current_language()):  # the report in the card's language
            _write_report(run, staging, report)
        report.files = sorted(
            entry.name + ("/" if entry.is_dir() else "") for entry in staging.iterdir()
        ) + [MODEL_CARD]
        report.model_card = render_model_card(
            run, files=report.files, left_out=report.left_out, language_code=language
        )
        _write_text(staging / MODEL_CARD, report.model_card)
        report.files.sort()
        step(PACKAGING_STEPS, PACKAGING_STEPS)
        _zip_and_check(staging, target, run, rows)
    report.size_bytes = target.stat().st_size
    return report


# --- one step each ------------------------------------------------------------------------------


def _write_keras(
    run: TrainedRun, path: Path, rows: pd.DataFrame, schema: dict, formats: Any
) -> float:
    """Save model.keras and check it loads safely and predicts the same (fatal if not)."""
    features, usable = run.preprocessor.transform(rows)
    try:
        run.model.save(path)
        check_model_config(read_model_config(path))
        loaded = formats.load_keras(path)
        check_model_matches(loaded, run.preprocessor, schema)
        return formats.check_outputs(
            model_outputs(loaded, features, usable)[usable],
            model_outputs(run.model, features, usable)[usable],
        )
    except BundleError as error:
        raise BundleError(f"The trained network could not be exported safely: {error}") from error
    except formats.FormatCheckFailed as failure:
        raise BundleError(
            f"The saved network does not predict like the trained one: {failure}. Try training "
            "again; if it keeps happening, report it."
        ) from failure
    except Exception as error:  # noqa: BLE001 - without model.keras there is no bundle
        raise BundleError(
            f"The trained network could not be saved as {MODEL_KERAS} ({type(error).__name__}: "
            f"{str(error).strip()[:200]}). Try training again; if it keeps failing, report it."
        ) from error


def _write_saved_model(
    run: TrainedRun,
    folder: Path,
    features: np.ndarray,
    rows: pd.DataFrame,
    report: BundleReport,
    formats: Any,
) -> None:
    """The SavedModel with its raw-columns signature, each kept only if it checks out."""
    from core.bundle.serving import write_saved_model

    try:
        written = write_saved_model(run, folder, features, rows)
    except formats.FormatCheckFailed as failure:
        report.left_out[SAVED_MODEL] = str(failure)
        _remove(folder)
        return
    report.checks[SAVED_MODEL] = written.difference
    if written.raw_difference is None:
        report.left_out[SAVED_MODEL_RAW] = written.raw_reason
    else:
        report.checks[SAVED_MODEL_RAW] = written.raw_difference


def _write_schema(run: TrainedRun, path: Path, schema: dict[str, Any], rows: pd.DataFrame) -> None:
    """Write schema.json and check the preprocessing rebuilt from it behaves identically."""
    text = dump_json(schema)
    rebuilt = Preprocessor.from_dict(json.loads(text)["preprocessor"])
    expected, expected_usable = run.preprocessor.transform(rows)
    actual, actual_usable = rebuilt.transform(rows)
    if not (np.array_equal(expected, actual) and np.array_equal(expected_usable, actual_usable)):
        raise BundleError(
            "The preprocessing could not be saved faithfully (schema.json gives different inputs). "
            "Please report this; the model was not exported."
        )
    _write_text(path, text)


def _write_standalone(staging: Path, report: BundleReport) -> None:
    """predict.py, requirements.txt and the runtime package, or none of them with a reason."""
    try:
        runtime = staging / RUNTIME_PACKAGE
        shutil.copytree(
            PORTABLE_DIR, runtime, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        check_runtime_imports(runtime)
        script = render_template(
            "predict.py",
            MODEL_KERAS=MODEL_KERAS,
            SCHEMA_JSON=SCHEMA_JSON,
            DEFAULT_PREDICTIONS=DEFAULT_PREDICTIONS,
            RUNTIME_PACKAGE=RUNTIME_PACKAGE,
            BUNDLE_FORMAT=str(BUNDLE_FORMAT),
        )
        compile(script, PREDICT_SCRIPT, "exec")
        _write_text(staging / PREDICT_SCRIPT, script)
        _write_text(
            staging / REQUIREMENTS_TXT, render_template("requirements.txt", **requirement_ranges())
        )
    except (OSError, SyntaxError, ValueError, KeyError) as error:
        for name in (RUNTIME_PACKAGE, PREDICT_SCRIPT, REQUIREMENTS_TXT):
            _remove(staging / name)
        report.left_out[PREDICT_SCRIPT] = f"the standalone script could not be prepared ({error})"


def _write_training_code(run: TrainedRun, staging: Path, report: BundleReport) -> None:
    """train.py and train.ipynb (the run as code), or neither with a reason."""
    try:
        write_training_code(run, staging)
    except (OSError, ValueError) as error:
        for name in (TRAIN_SCRIPT, TRAIN_NOTEBOOK):
            _remove(staging / name)
        report.left_out[TRAIN_SCRIPT] = f"the training code could not be written ({error})"


def _write_report(run: TrainedRun, staging: Path, report: BundleReport) -> None:
    """report.html (the run as a page to share), or a reason the model card gives."""
    try:
        _write_text(staging / REPORT_HTML, run_report(ReportRun.from_trained(run)))
    except Exception as error:  # noqa: BLE001 - a report must never cost the user the bundle
        _remove(staging / REPORT_HTML)
        report.left_out[REPORT_HTML] = (
            f"the report could not be written ({type(error).__name__}: {str(error)[:200]})"
        )


def _zip_and_check(staging: Path, target: Path, run: TrainedRun, rows: pd.DataFrame) -> None:
    """Zip to a temporary file, open it as a user would, compare, then move it into place."""
    with atomic_path(target) as temporary:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(p for p in staging.rglob("*") if p.is_file()):
                archive.write(file, file.relative_to(staging).as_posix())
        bundle = load_bundle(temporary)
        expected = predict_frame(
            run.model, run.preprocessor, run.task.task, run.task.class_labels, rows
        )
        compare_predictions(bundle.predict(rows), expected)


def compare_predictions(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Raise BundleError unless two predictions tables agree (numbers within rounding)."""
    from core.bundle.formats import FormatCheckFailed, check_outputs

    if list(actual.columns) != list(expected.columns):
        raise BundleError("The written bundle predicts different columns than the trained model.")
    numeric = [c for c in expected.columns if pd.api.types.is_float_dtype(expected[c])]
    try:
        for column in numeric:
            left, right = actual[column].to_numpy(float), expected[column].to_numpy(float)
            if not np.array_equal(np.isnan(left), np.isnan(right)):
                raise FormatCheckFailed(f"'{column}' is empty on different rows")
            check_outputs(left[~np.isnan(left)], right[~np.isnan(right)])
    except FormatCheckFailed as failure:
        raise BundleError(
            f"The written bundle does not predict like the trained model: {failure}."
        ) from failure


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()
