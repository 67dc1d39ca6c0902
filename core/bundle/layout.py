"""What an export bundle contains: every file name, once, with what it is for.

The writer (:mod:`core.bundle.writer`), the reader, the model card and the bundle's own
``predict.py`` (rendered from ``core/templates/predict.py``) all take the names from
here, so they cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

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

# File -> (what it is, how to use it); the order is the order of the model card's table.
BUNDLE_FILES: dict[str, tuple[str, str]] = {
    PREDICT_SCRIPT: (
        "A ready-to-run script that predicts new rows from a CSV file.",
        f"`python {PREDICT_SCRIPT} new_data.csv` (see below).",
    ),
    REQUIREMENTS_TXT: (
        "The Python packages the script needs.",
        f"`pip install -r {REQUIREMENTS_TXT}`",
    ),
    TRAIN_SCRIPT: (
        "The code behind this run: a readable script that trains the same network again with "
        "plain pandas, scikit-learn and Keras (no Trainboard needed).",
        f"`python {TRAIN_SCRIPT} training_data.csv`",
    ),
    TRAIN_NOTEBOOK: (
        "The same code as a Jupyter notebook, one stage per cell with explanations.",
        f"Open it in Jupyter or VS Code: `jupyter lab {TRAIN_NOTEBOOK}`",
    ),
    RUNTIME_PACKAGE + "/": (
        "The code that reads a CSV and turns raw columns into the model's inputs "
        "(the same code Trainboard used while training).",
        f"`from {RUNTIME_PACKAGE}.predicting import predict_file`",
    ),
    MODEL_KERAS: (
        "The trained network, in Keras 3 format.",
        f'`keras.saving.load_model("{MODEL_KERAS}", safe_mode=True)`',
    ),
    SAVED_MODEL + "/": (
        "The same network as a TensorFlow SavedModel (for TensorFlow Serving and other tools): "
        f"`{DEFAULT_SIGNATURE}` takes the prepared table of numbers, `{RAW_SIGNATURE}` the raw "
        "columns by name (see below).",
        f'`tf.saved_model.load("{SAVED_MODEL}").signatures["{RAW_SIGNATURE}"]`',
    ),
    MODEL_TFLITE: (
        "The same network for phones and small devices (LiteRT, formerly TensorFlow Lite).",
        "Any LiteRT / TensorFlow Lite interpreter.",
    ),
    SCHEMA_JSON: (
        "The input columns, their kinds, known categories, typical values and training "
        "ranges, the classes, the fitted preprocessing statistics and the software versions "
        "used.",
        "Read it to know what data the model expects.",
    ),
    RECIPE_JSON: (
        "Every setting used for this run (preprocessing, network, training).",
        "Load it in Trainboard to train again the same way.",
    ),
    METRICS_JSON: (
        "Test results, the simple baselines they were compared with, and the verdict.",
        "Machine-readable copy of the results in this card.",
    ),
    HISTORY_CSV: (
        "The learning curves, one row per pass over the training data (epoch).",
        "Open it in a spreadsheet to plot the curves.",
    ),
    REPORT_HTML: (
        "A report to share: the verdict, scores with their ranges, the learning curves, which "
        "columns matter and the recipe, with interactive charts. One self-contained file.",
        "Open it in any browser (no internet needed), or send it by e-mail.",
    ),
    MODEL_CARD: ("This card.", "Read it first."),
}


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
