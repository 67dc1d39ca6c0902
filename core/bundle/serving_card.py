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
from core.i18n import Texts
from core.model.tasks import task_spec
from core.portable.decision import DEFAULT_THRESHOLD
from core.portable.preprocess import NumericColumn, Preprocessor

if TYPE_CHECKING:  # the pipeline imports the bundle lazily; no cycle at run time
    from core.pipeline import TrainedRun

# The section's sentences (catalog "core.bundle.serving", serving.po), read while the card is
# written, in the card's language.
TEXT = Texts("core.bundle.serving")
REST_URL = "http://localhost:8501/v1/models/my_model:predict"
# The file names the sentences quote.
_NAMES = {
    "saved_model": SAVED_MODEL,
    "raw": RAW_SIGNATURE,
    "default": DEFAULT_SIGNATURE,
    "schema": SCHEMA_JSON,
    "tflite": MODEL_TFLITE,
}


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

    lines = [TEXT["heading"], ""]
    if not included:
        why = TEXT["why"].format(reason=md(reason)) if reason else ""
        lines.append(TEXT["left_out"].format(why=why, **_NAMES))
        return "\n".join(lines)
    preprocessor = run.preprocessor
    names = raw_input_names(preprocessor)
    kinds = preprocessor.column_kinds()
    lines += [
        TEXT["included"].format(**_NAMES),
        "",
        TEXT["table_header"],
        "| --- | --- | --- | --- |",
    ]
    for column in preprocessor.input_columns:
        if kinds[column] == "numeric":
            kind, empty = TEXT["number_kind"], "`NaN`"
        else:
            kind, empty = TEXT["text_kind"], TEXT["text_empty"]
        lines.append(f"| {md(column)} | `{names[column]}` | {kind} | {empty} |")
    instance = example_instance(preprocessor)
    rows_form = {"signature_name": RAW_SIGNATURE, "instances": [instance]}
    columns_form = {
        "signature_name": RAW_SIGNATURE,
        "inputs": {name: [value, _empty(value)] for name, value in instance.items()},
    }
    lines += [
        "",
        TEXT["sending"].format(case_note=TEXT["case_note"]),
        "",
        TEXT["returns"].format(outputs=_outputs_text(run, md)),
        "",
        TEXT["how_to_serve"].format(**_NAMES),
        "",
        *_code_block(f"POST {REST_URL}", json.dumps(rows_form, indent=2, ensure_ascii=False)),
        "",
        TEXT["side_by_side"],
        "",
        *_code_block(f"POST {REST_URL}", json.dumps(columns_form, ensure_ascii=False)),
        "",
        TEXT["tflite_note"].format(**_NAMES),
    ]
    return "\n".join(lines)


def _empty(value: Any) -> Any:
    """How an empty cell of the same column is sent: NaN for numbers, "" for text."""
    return "" if isinstance(value, str) else float("nan")


def _outputs_text(run: TrainedRun, md: Any) -> str:
    spec = task_spec(run.task.task)
    dropping = [spec.name for spec in run.preprocessor.numeric if spec.impute == "drop_rows"]
    dropping += [s.name for s in run.preprocessor.categorical if s.missing == "drop_rows"]
    outputs = {"prediction": OUTPUT_PREDICTION, "probabilities": OUTPUT_PROBABILITIES}
    separator = TEXT["list_separator"]
    if not spec.predicts_class:
        text = TEXT["outputs_number"].format(**outputs)
        left_out = TEXT["left_out_number"]
    else:
        order = separator.join(f"“{md(label)}”" for label in run.task.class_labels)
        text = TEXT["outputs_classes"].format(order=order, **outputs)
        if spec.yes_no:
            yes = md(run.task.class_labels[-1])
            text += TEXT["outputs_yes_no"].format(yes=yes, threshold=DEFAULT_THRESHOLD, **outputs)
        left_out = TEXT["left_out_classes"]
    if dropping:
        listed = separator.join(f"“{md(name)}”" for name in dropping)
        text += TEXT["dropping"].format(listed=listed, left_out=left_out)
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

    None if it converts. What the card's ``tflite_note`` (serving.po) states is checked by
    the tests with this.
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
