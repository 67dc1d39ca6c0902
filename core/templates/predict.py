"""Predict new rows with this Trainboard model, without Trainboard.

Run it from anywhere, with the packages of requirements.txt installed:

    pip install -r requirements.txt
    python predict.py new_data.csv                    # writes predictions.csv in the current folder
    python predict.py new_data.csv --out result.csv   # writes result.csv
    python predict.py new_data.csv --out -            # prints the table (CSV) instead

The new file needs the columns the model was trained with (listed in schema.json);
other columns are ignored for the prediction and kept in the output. The output holds
every input column exactly as written in the file, then "prediction" and, when
predicting categories, one "probability_<outcome>" column per outcome. A yes/no model
answers its second outcome when that outcome's probability is at least the decision
threshold in schema.json ("decision_threshold": 0.5 unless chosen in Trainboard). A row
gets an empty prediction when it has an empty cell in a column whose rule is "leave
those rows out". The CSV is safe to open in a spreadsheet: text that would run as a
formula starts with an apostrophe.

On standard error: one line saying how many rows were predicted, then one line per note
(a category the model never saw, a number cell holding text, rows left without a
prediction). Exit status: 0 when the predictions were written; 2 when the input cannot be
used, with one line starting with "error:" that says what to fix.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

# Quiet TensorFlow's start-up messages (set before TensorFlow is imported).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent
# The preprocessing code ships beside this script; make it importable from any folder.
sys.path.insert(0, str(HERE))

MODEL_FILE = "$MODEL_KERAS"
SCHEMA_FILE = "$SCHEMA_JSON"
DEFAULT_OUT = "$DEFAULT_PREDICTIONS"
RUNTIME = "$RUNTIME_PACKAGE"  # the folder beside this script: Trainboard's own reading code
BUNDLE_FORMAT = int("$BUNDLE_FORMAT")
STDOUT = "-"


def runtime(module: str):  # noqa: ANN201 - a module of the runtime package
    """A module of the runtime package that ships beside this script."""
    return importlib.import_module(f"{RUNTIME}.{module}")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Predict the rows of a CSV file with this Trainboard model."
    )
    parser.add_argument("data", help="CSV file with the rows to predict")
    parser.add_argument(
        "--out",
        help=f"where to write the predictions (default: {DEFAULT_OUT} in the current folder; "
        f"'{STDOUT}' prints them)",
    )
    return parser.parse_args(argv)


def predict(data_path: Path, out: str | None):  # noqa: ANN201 - runtime Predictions
    """Read, preprocess, predict and write, with the same function as Trainboard itself."""
    errors, predicting = runtime("errors"), runtime("predicting")
    schema = json.loads((HERE / SCHEMA_FILE).read_text(encoding="utf-8"))
    if schema.get("bundle_format") != BUNDLE_FORMAT:
        raise errors.UnusableDataError(
            f"{SCHEMA_FILE} does not belong to this script; unzip the whole bundle again."
        )
    out_path = None if out == STDOUT else Path(out if out else DEFAULT_OUT)
    predicting.check_output_path(data_path, out_path)
    if not data_path.is_file():
        raise errors.UnusableDataError(
            f"There is no file '{data_path}'. Check the name and the folder."
        )
    rows = predicting.read_rows_to_predict(data_path, name=data_path.name)
    preprocessor = runtime("preprocess").Preprocessor.from_dict(schema["preprocessor"])
    # A missing column is reported before TensorFlow's slow start.
    preprocessor.check_columns(rows.values)
    # A yes/no model answers "yes" from the threshold chosen in Trainboard (0.5 by default).
    threshold = runtime("decision").threshold_from_schema(schema)

    import keras  # TensorFlow takes seconds to start; imported once the input looks right

    # safe_mode=True: the file is only read as data, never run as code.
    model = keras.saving.load_model(HERE / MODEL_FILE, safe_mode=True, compile=False)
    predictions = predicting.predict_rows(
        model, preprocessor, schema["task"], schema["class_labels"], rows, threshold
    )
    if out_path is None:
        sys.stdout.buffer.write(predictions.to_csv())
        sys.stdout.flush()
    else:
        predicting.write_predictions(predictions, out_path)
    where = str(out_path) if out_path is not None else "standard output"
    print(f"{predictions.headline(schema['target'])} Written to {where}.", file=sys.stderr)
    for note in predictions.notes:
        print(f"{note.level}: {note.message}", file=sys.stderr)
    return predictions


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    errors = runtime("errors")
    try:
        predict(Path(arguments.data), arguments.out)
    except errors.TrainboardError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        reason = f"{error.strerror}: {error.filename}" if error.filename else str(error)
        print(f"error: could not read or write a file ({reason}).", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
