"""How the raw-columns signature is documented: the model card's serving section.

The section says which input each column has (:func:`.serving.raw_input_names`), what
to send for an empty cell, and gives a TensorFlow Serving REST request built from the
fitted columns (made-up typical values, never a real row). It also says, in plain
words, why ``model.tflite`` keeps the prepared-matrix input:
:func:`tflite_raw_conversion_error` is the check behind that sentence.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from core.bundle.layout import (
    DEFAULT_SIGNATURE,
    MODEL_TFLITE,
    RAW_SIGNATURE,
    SAVED_MODEL,
    SCHEMA_JSON,
)
from core.bundle.serving import (
    OUTPUT_PREDICTION,
    OUTPUT_PROBABILITIES,
    raw_endpoint,
    raw_input_names,
    specs_in_order,
)
from core.model.tasks import task_spec
from core.portable.decision import DEFAULT_THRESHOLD
from core.portable.preprocess import NumericColumn, Preprocessor

if TYPE_CHECKING:  # the pipeline imports the bundle lazily; no cycle at run time
    from core.pipeline import TrainedRun

CASE_NOTE = (
    "Category text is compared trimmed, with spaces collapsed and in lower case. Python's "
    "case folding and TensorFlow's lower-casing differ for a few letters (German “ß”, Greek "
    "final “ς”): a spelling that differs from the training data only by such a letter's case "
    "can count as a category never seen here but not in predict.py."
)
REST_URL = "http://localhost:8501/v1/models/my_model:predict"
TFLITE_NOTE = (
    f"`{MODEL_TFLITE}` still takes the prepared table of numbers: the preparation uses text "
    "operations (trimming, lower-casing, comparing category names) and 64-bit number "
    "arithmetic that LiteRT has no built-in version of. Converting it would need the full "
    "TensorFlow operations in the app on the phone (`SELECT_TF_OPS`, several megabytes), so on "
    f"a device prepare the inputs as `{SCHEMA_JSON}` describes, or call the `{RAW_SIGNATURE}` "
    "signature of the SavedModel on a server."
)


def example_instance(preprocessor: Preprocessor) -> dict[str, Any]:
    """One made-up row for the card's request, from the fitted statistics alone (no real row)."""
    names = raw_input_names(preprocessor)
    instance: dict[str, Any] = {}
    for spec in specs_in_order(preprocessor):
        if isinstance(spec, NumericColumn):
            instance[names[spec.name]] = float(f"{spec.fill:.6g}")
        else:
            instance[names[spec.name]] = (spec.categories or [""])[0]
    return instance


def serving_section(run: TrainedRun, included: bool, reason: str = "") -> str:
    """The model card's "Serving from raw columns" section (markdown)."""
    from core.markdown import escape_markdown as md

    lines = ["## Serving it from raw columns (TensorFlow Serving)", ""]
    if not included:
        why = f" ({md(reason)})" if reason else ""
        lines.append(
            f"The `{SAVED_MODEL}` folder has no `{RAW_SIGNATURE}` signature this time: it did "
            f"not give the same predictions as `predict.py` when it was checked{why}. Its "
            f"`{DEFAULT_SIGNATURE}` signature takes the prepared table of numbers described in "
            f"`{SCHEMA_JSON}`."
        )
        return "\n".join(lines)
    preprocessor = run.preprocessor
    names = raw_input_names(preprocessor)
    kinds = preprocessor.column_kinds()
    lines += [
        f"`{SAVED_MODEL}/` has a signature `{RAW_SIGNATURE}` that takes the raw columns by name "
        "and prepares them inside the model as `predict.py` does (filling empty cells, scaling "
        "numbers, looking categories up); it was checked to give the same predictions before it "
        f"was included. (`{DEFAULT_SIGNATURE}` takes the prepared table of numbers.)",
        "",
        "| Column | Input name | Type | An empty cell is sent as |",
        "| --- | --- | --- | --- |",
    ]
    for column in preprocessor.input_columns:
        if kinds[column] == "numeric":
            kind, empty = "number (float64)", "`NaN`"
        else:
            kind, empty = "text (string)", '`""` (or a marker such as `"N/A"`)'
        lines.append(f"| {md(column)} | `{names[column]}` | {kind} | {empty} |")
    instance = example_instance(preprocessor)
    rows_form = {"signature_name": RAW_SIGNATURE, "instances": [instance]}
    columns_form = {
        "signature_name": RAW_SIGNATURE,
        "inputs": {name: [value, _empty(value)] for name, value in instance.items()},
    }
    lines += [
        "",
        "Numbers are sent as JSON numbers (text such as “1,234.50” or “$5” must be converted "
        "first; `predict.py` reads those itself). Category text may come in any case and "
        "spacing; a category the model never saw counts as “other”, as in `predict.py`. "
        + CASE_NOTE,
        "",
        f"It returns {_outputs_text(run, md)}",
        "",
        f"To serve it, copy `{SAVED_MODEL}/` to `models/my_model/1/` and start TensorFlow "
        "Serving (`docker run -p 8501:8501 -v $PWD/models/my_model:/models/my_model "
        "-e MODEL_NAME=my_model tensorflow/serving`). Then send rows (here one typical row, "
        "made from the training statistics):",
        "",
        *_code_block(f"POST {REST_URL}", json.dumps(rows_form, indent=2, ensure_ascii=False)),
        "",
        "or the same columns side by side (`inputs`), here with a second row of empty cells "
        "(TensorFlow Serving accepts `NaN` in its JSON):",
        "",
        *_code_block(f"POST {REST_URL}", json.dumps(columns_form, ensure_ascii=False)),
        "",
        TFLITE_NOTE,
    ]
    return "\n".join(lines)


def _empty(value: Any) -> Any:
    """How an empty cell of the same column is sent: NaN for numbers, "" for text."""
    return "" if isinstance(value, str) else float("nan")


def _outputs_text(run: TrainedRun, md: Any) -> str:
    spec = task_spec(run.task.task)
    dropping = [spec.name for spec in run.preprocessor.numeric if spec.impute == "drop_rows"]
    dropping += [s.name for s in run.preprocessor.categorical if s.missing == "drop_rows"]
    if not spec.predicts_class:
        text = f"`{OUTPUT_PREDICTION}`: the predicted number, in the target's units."
        left_out = "`NaN`"
    else:
        order = ", ".join(f"“{md(label)}”" for label in run.task.class_labels)
        text = (
            f"`{OUTPUT_PROBABILITIES}`: one probability per outcome, in the order {order}; "
            f"`{OUTPUT_PREDICTION}`: the most likely outcome."
        )
        if spec.yes_no:
            text += (
                f" For a yes/no outcome `{OUTPUT_PREDICTION}` is “{md(run.task.class_labels[-1])}” "
                f"when its probability is at least {DEFAULT_THRESHOLD}; if you chose another "
                "decision threshold (see “The yes/no decision”), compare the probability with "
                "that threshold instead."
            )
        left_out = "`NaN` probabilities and an empty outcome"
    if dropping:
        listed = ", ".join(f"“{md(name)}”" for name in dropping)
        text += f" A row with an empty cell in {listed} gets {left_out} (the recipe leaves it out)."
    return text


def _code_block(*lines: str) -> list[str]:
    """A fenced block that no backticks in the (user-provided) text can close early."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *lines, fence]


def tflite_raw_conversion_error(
    model: Any, preprocessor: Preprocessor, task: str, class_labels: list[str]
) -> str | None:
    """Why ``serving_raw`` cannot become a LiteRT model with built-in operations only.

    None if it converts. What :data:`TFLITE_NOTE` states is checked by the tests with this.
    """
    import tensorflow as tf

    endpoint = raw_endpoint(model, preprocessor, task, class_labels)
    concrete = tf.function(endpoint.fn, input_signature=endpoint.input_signature)
    function = concrete.get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        converter.convert()
    except Exception as error:  # noqa: BLE001 - the converter raises several kinds
        text = str(error)
        # The converter lists the operations it lacks on one line, after pages of locations.
        lacking = re.search(r"TF Select ops: ([^\n]+)", text)
        if lacking:
            return f"operations LiteRT lacks: {lacking.group(1).strip()}"
        return (text.strip().splitlines() or [type(error).__name__])[0][:300]
    return None
