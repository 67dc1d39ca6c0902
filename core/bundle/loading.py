"""Opening an export bundle and predicting with it (app, CLI and export checks alike).

:func:`load_bundle` trusts nothing in the file: the archive is checked entry by entry
(:mod:`core.bundle.safety`) and extracted to a private temporary folder, the network
description is inspected as plain JSON before Keras loads it in safe mode, and the
files are checked against each other (the preprocessing must produce as many numbers
as the network takes, the network must give one output per class). The folder is
removed once everything is in memory. TensorFlow is imported only when a bundle is
actually opened.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from core.bundle.layout import (
    BUNDLE_FORMAT,
    DEFAULT_PREDICTIONS,
    METRICS_JSON,
    MODEL_CARD,
    MODEL_KERAS,
    RECIPE_JSON,
    REQUIRED_FILES,
    SCHEMA_JSON,
)
from core.bundle.safety import check_model_config, extract_all, open_archive, read_model_config
from core.errors import BundleError
from core.i18n import Texts
from core.portable.decision import threshold_from_schema
from core.portable.outputs import predict_frame
from core.portable.predicting import (
    Predictions,
    check_output_path,
    predict_file,
    predict_rows,
    read_rows_to_predict,
    write_predictions,
)
from core.portable.preprocess import Preprocessor
from core.portable.target import TargetEncoder
from core.portable.tasks import TASK_OUTPUTS

MAX_TEXT_BYTES = 64 << 20  # schema, metrics, recipe and card are small; refuse absurd ones
# What the app says about a bundle it cannot use (catalog "core.bundle.loading",
# bundle_errors.po).
TEXT = Texts("core.bundle.loading")


def damaged(what: str, reason: str, **params: Any) -> BundleError:
    """The bundle's file ``what`` is damaged; ``reason`` names the catalog's ``why`` text."""
    return BundleError(TEXT["damaged"].format(what=what, why=TEXT["why"][reason].format(**params)))


@dataclass
class LoadedBundle:
    """A bundle opened and checked, ready to predict. Nothing of it stays on disk."""

    model: Any  # keras.Model, loaded with safe_mode=True
    preprocessor: Preprocessor
    target_encoder: TargetEncoder
    schema: dict[str, Any]
    model_card: str = ""
    metrics: dict[str, Any] | None = None
    recipe: dict[str, Any] | None = None
    files: list[str] = field(default_factory=list)

    @property
    def task(self) -> str:
        return str(self.schema["task"])

    @property
    def target(self) -> str:
        return str(self.schema["target"])

    @property
    def class_labels(self) -> list[str]:
        return [str(label) for label in self.schema["class_labels"]]

    @property
    def input_columns(self) -> list[str]:
        return self.preprocessor.input_columns

    @property
    def decision_threshold(self) -> float | None:
        """Yes/no models: the probability from which the second outcome is predicted."""
        return threshold_from_schema(self.schema)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Predict raw rows; see :func:`core.portable.outputs.predict_frame`.

        Raises
        ------
        PredictionInputError
            Naming the required columns that are missing, or a number column holding text.
        """
        return predict_frame(
            self.model,
            self.preprocessor,
            self.task,
            self.class_labels,
            frame,
            self.decision_threshold,
        )

    def predict_file(
        self,
        source: str | os.PathLike[str] | bytes,
        *,
        name: str | None = None,
        sheet: str | None = None,
        threshold: float | None = None,
    ) -> Predictions:
        """Read a file of rows and predict it; see :func:`core.portable.predicting.predict_file`.

        ``threshold`` replaces the bundle's own decision threshold (the Predict page passes
        the one chosen on the Evaluate page for the run just trained).

        Raises
        ------
        UnusableDataError, PredictionInputError
            If the file cannot be read, or lacks columns the model needs.
        """
        return predict_file(
            self.model,
            self.preprocessor,
            self.task,
            self.class_labels,
            source,
            name=name,
            sheet=sheet,
            threshold=self.decision_threshold if threshold is None else threshold,
        )


def load_bundle(
    source: str | os.PathLike[str] | bytes, *, rows: pd.DataFrame | None = None
) -> LoadedBundle:
    """Open a bundle (a path or the bytes of a ``.zip``) defensively.

    Parameters
    ----------
    source
        The bundle.
    rows
        Rows about to be predicted, if known: a column they lack is then reported before
        the network (and TensorFlow, which takes seconds to start) is loaded.

    Raises
    ------
    BundleError
        If the file is not a bundle, is unsafe (paths leaving the folder, links, too many
        files, too large, code in the network), or its files are missing or inconsistent.
    PredictionInputError
        If ``rows`` lack columns the model needs.
    """
    with (
        open_archive(source) as archive,
        tempfile.TemporaryDirectory(prefix="trainboard-bundle-") as folder,
    ):
        names = extract_all(archive, Path(folder))
        return load_extracted(Path(folder), names, rows=rows)


def load_extracted(
    folder: Path, names: list[str] | None = None, *, rows: pd.DataFrame | None = None
) -> LoadedBundle:
    """Load and cross-check the files of an extracted bundle folder (see :func:`load_bundle`)."""
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise BundleError(TEXT["incomplete"].format(missing=", ".join(missing)))
    schema = _read_json(folder / SCHEMA_JSON, TEXT["what"]["schema"])
    preprocessor, encoder = check_schema(schema)
    if rows is not None:
        preprocessor.check_columns(rows)
    model_path = folder / MODEL_KERAS
    check_model_config(read_model_config(model_path))
    model = _load_model(model_path)
    check_model_matches(model, preprocessor, schema)
    return LoadedBundle(
        model=model,
        preprocessor=preprocessor,
        target_encoder=encoder,
        schema=schema,
        model_card=_read_text(folder / MODEL_CARD) or "",
        metrics=_read_optional_json(folder / METRICS_JSON),
        recipe=_read_optional_json(folder / RECIPE_JSON),
        files=sorted(names) if names is not None else [],
    )


def check_schema(schema: dict[str, Any]) -> tuple[Preprocessor, TargetEncoder]:
    """Check ``schema.json`` and rebuild the fitted preprocessing from it.

    Raises
    ------
    BundleError
        On an unknown bundle format, an unknown task, or unusable preprocessing state.
    """
    what = TEXT["what"]["schema"]
    version = schema.get("bundle_format")
    if version != BUNDLE_FORMAT:
        raise BundleError(TEXT["format"].format(version=repr(version), expected=BUNDLE_FORMAT))
    task, labels, target = schema.get("task"), schema.get("class_labels"), schema.get("target")
    if not isinstance(task, str) or task not in TASK_OUTPUTS:
        raise damaged(what, "unknown_task", task=repr(task))
    if not isinstance(target, str) or not isinstance(labels, list):
        raise damaged(what, "no_target")
    if not TASK_OUTPUTS[task].fits_classes(len(labels)):
        raise damaged(what, "classes_task", n=len(labels), task=task)
    try:
        preprocessor = Preprocessor.from_dict(schema["preprocessor"])
        encoder = TargetEncoder.from_dict(schema["target_encoder"])
        width = preprocessor.n_features
    except Exception as error:  # noqa: BLE001 - any malformed state means the same to the user
        raise BundleError(
            TEXT["damaged"].format(what=TEXT["what"]["preprocessing"], why=type(error).__name__)
        ) from error
    if width < 1:
        raise damaged(what, "no_input")
    threshold_from_schema(schema)  # a damaged threshold is refused before any prediction
    if encoder.task != task or [str(c) for c in encoder.class_labels] != [str(c) for c in labels]:
        raise damaged(what, "target_disagrees")
    return preprocessor, encoder


def check_model_matches(model: Any, preprocessor: Preprocessor, schema: dict[str, Any]) -> None:
    """The network must take the preprocessing's width and give one output per class."""
    inputs = list(getattr(model, "inputs", []) or [])
    if len(inputs) != 1:
        raise BundleError(TEXT["inputs"].format(file=MODEL_KERAS, n=len(inputs)))
    width_in = inputs[0].shape[-1]
    if width_in != preprocessor.n_features:
        raise BundleError(TEXT["width"].format(made=preprocessor.n_features, taken=width_in))
    outputs = list(getattr(model, "outputs", []) or [])
    width_out = outputs[0].shape[-1] if len(outputs) == 1 else None
    outputs, labels = TASK_OUTPUTS[schema["task"]], schema["class_labels"]
    if width_out != outputs.n_outputs(len(labels)):
        described = (
            TEXT["described_classes"].format(n=len(labels))
            if outputs.predicts_class
            else TEXT["described_number"]
        )
        raise BundleError(TEXT["outputs"].format(given=width_out, described=described))


def _load_model(path: Path) -> Any:
    from core.bundle.formats import load_keras  # imports TensorFlow, so only when needed

    try:
        return load_keras(path)
    except Exception as error:  # noqa: BLE001 - Keras raises many types for a bad file
        raise BundleError(
            TEXT["damaged"].format(
                what=TEXT["what"]["network"].format(file=MODEL_KERAS), why=type(error).__name__
            )
        ) from error


def _read_text(path: Path) -> str | None:
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise damaged(path.name, "too_large")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise damaged(path.name, "not_utf8") from error


def _read_json(path: Path, what: str) -> dict[str, Any]:
    text = _read_text(path)
    try:
        data = json.loads(text or "")
    except (json.JSONDecodeError, RecursionError) as error:
        raise damaged(what, "not_json") from error
    if not isinstance(data, dict):
        raise damaged(what, "not_object")
    return data


def _read_optional_json(path: Path) -> dict[str, Any] | None:
    # Results and settings are informative only: a damaged copy must not stop predictions.
    try:
        return _read_json(path, path.name) if path.is_file() else None
    except BundleError:
        return None


# --- the CLI's predict command -------------------------------------------------------------------


def predict_command(
    bundle_path: str | os.PathLike[str],
    data_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str] | None = None,
    *,
    sheet: str | None = None,
) -> dict[str, Any]:
    """Predict a CSV file with a bundle and write a spreadsheet-safe predictions CSV.

    The bundle's own ``predict.py`` runs the same :func:`core.portable.predicting.predict_file`;
    only the opening of the bundle differs (here every file in it is checked first).

    Parameters
    ----------
    bundle_path
        The bundle ``.zip``.
    data_path
        The CSV of new rows (read like training data; every cell is echoed as written).
    out_path
        Where to write; default ``predictions.csv`` in the current folder.
    sheet
        The sheet to read when ``data_path`` is an Excel workbook (default: the first).

    Returns
    -------
    dict
        ``{"bundle", "data", "out", "task", "target", "headline", "decision_threshold"}``
        (None unless yes/no) and
        :meth:`~core.portable.predicting.Predictions.summary`: ``"rows", "predicted",
        "not_predicted", "prediction_counts"`` (classification) or ``"prediction_mean"``
        (numbers), ``"columns", "notes"``.

    Raises
    ------
    BundleError, UnusableDataError, PredictionInputError
        With a plain message (the CLI prints it after ``error:``).
    """
    data = Path(data_path)
    out = Path(out_path) if out_path is not None else Path(DEFAULT_PREDICTIONS)
    check_output_path(data, out)
    # The data first: a file that cannot be read is answered before TensorFlow starts.
    rows = read_rows_to_predict(data, name=data.name, sheet=sheet)
    bundle = load_bundle(Path(bundle_path), rows=rows.values)
    predictions = predict_rows(
        bundle.model,
        bundle.preprocessor,
        bundle.task,
        bundle.class_labels,
        rows,
        bundle.decision_threshold,
    )
    write_predictions(predictions, out)
    return {
        "bundle": str(bundle_path),
        "data": str(data),
        "out": str(out),
        "task": bundle.task,
        "target": bundle.target,
        "headline": predictions.headline(bundle.target),
        "decision_threshold": bundle.decision_threshold,
        **predictions.summary(),
    }
