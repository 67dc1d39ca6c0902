"""What an export bundle contains: every file name, once, with what it is for.

The writer (:mod:`core.bundle.writer`), the reader, the model card and the bundle's own
``predict.py`` (rendered from ``core/templates/predict.py``) all take the names from
here, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from core.i18n import Texts

# Raised when the contents or meaning of a bundle change; a reader refuses other versions.
BUNDLE_FORMAT = 1

MODEL_KERAS = "model.keras"
SAVED_MODEL = "saved_model"  # a folder
MODEL_TFLITE = "model.tflite"
RECIPE_JSON = "recipe.json"
SCHEMA_JSON = "schema.json"
METRICS_JSON = "metrics.json"
HISTORY_CSV = "history.csv"
MODEL_CARD = "model_card.md"
PREDICT_SCRIPT = "predict.py"
REQUIREMENTS_TXT = "requirements.txt"
TRAIN_SCRIPT = "train.py"  # the run as a standalone pandas + scikit-learn + Keras script
TRAIN_NOTEBOOK = "train.ipynb"  # the same, as a Jupyter notebook
REPORT_HTML = "report.html"  # the run as a self-contained page to share (core/report)
RUNTIME_PACKAGE = "trainboard_runtime"  # a folder: a verbatim copy of core/portable
DEFAULT_PREDICTIONS = "predictions.csv"  # written in the current folder unless told otherwise

# SavedModel signatures: the prepared matrix (the default), and the raw columns by name.
DEFAULT_SIGNATURE = "serving_default"
RAW_SIGNATURE = "serving_raw"
# Key of the raw-columns signature among the checked (or left out) formats of a bundle.
SAVED_MODEL_RAW = f"{SAVED_MODEL}:{RAW_SIGNATURE}"

# Formats that may be left out (with the reason) when they cannot be written or verified.
OPTIONAL_FORMATS = (SAVED_MODEL, MODEL_TFLITE)
# Without these a bundle cannot predict anything.
REQUIRED_FILES = (MODEL_KERAS, SCHEMA_JSON)

# File -> the catalog name of its texts; the order is the order of the model card's table.
# Each has "<name>_what" (what it is) and "<name>_how" (how to use it) in the catalog
# "core.bundle.layout" (card.po), with the file names as placeholders.
_FILE_TEXTS = {
    PREDICT_SCRIPT: "predict",
    REQUIREMENTS_TXT: "requirements",
    TRAIN_SCRIPT: "train_script",
    TRAIN_NOTEBOOK: "train_notebook",
    RUNTIME_PACKAGE + "/": "runtime",
    MODEL_KERAS: "keras",
    SAVED_MODEL + "/": "saved_model",
    MODEL_TFLITE: "tflite",
    SCHEMA_JSON: "schema",
    RECIPE_JSON: "recipe",
    METRICS_JSON: "metrics",
    HISTORY_CSV: "history",
    REPORT_HTML: "report",
    MODEL_CARD: "card",
}
_TEXT = Texts("core.bundle.layout")


class _BundleFiles(Mapping[str, tuple[str, str]]):
    """File -> (what it is, how to use it), in the current language at each read."""

    def __getitem__(self, name: str) -> tuple[str, str]:
        key = _FILE_TEXTS[name]
        names = {"file": name.rstrip("/"), "default": DEFAULT_SIGNATURE, "raw": RAW_SIGNATURE}
        return _TEXT[f"{key}_what"].format(**names), _TEXT[f"{key}_how"].format(**names)

    def __iter__(self) -> Iterator[str]:
        return iter(_FILE_TEXTS)

    def __len__(self) -> int:
        return len(_FILE_TEXTS)


BUNDLE_FILES: Mapping[str, tuple[str, str]] = _BundleFiles()


def bundle_file_name(job_id: str) -> str:
    """The name a run's bundle is downloaded as (the Export and Runs pages both use it)."""
    return f"trainboard_model_{job_id}.zip"


def model_card_beside(bundle_path: Path) -> Path:
    """Where the model card written next to a bundle goes: named after the bundle.

    ``churn.zip`` gets ``churn.model_card.md``, so two bundles in one folder keep their
    own cards (inside the zip the card is always ``model_card.md``).
    """
    bundle_path = Path(bundle_path)
    return bundle_path.with_name(f"{bundle_path.stem}.{MODEL_CARD}")
