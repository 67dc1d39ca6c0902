"""The model card: one readable page about a trained model, shipped in every bundle.

It says what the model predicts, what data it saw, how good it is against simple
baselines, what to watch out for, and how to use each file. Text that comes from the
user's data (column names, class labels, file names) is escaped, so a column called
``<script>`` or ``a|b`` cannot break the page or inject markup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from core.bundle.layout import (
    BUNDLE_FILES,
    DEFAULT_PREDICTIONS,
    MODEL_KERAS,
    PREDICT_SCRIPT,
    RECIPE_JSON,
    REQUIREMENTS_TXT,
    RUNTIME_PACKAGE,
    SAVED_MODEL,
    SAVED_MODEL_RAW,
    SCHEMA_JSON,
)
from core.bundle.serving_card import serving_section
from core.evaluation.decision_text import outcome_sentences
from core.evaluation.decisions import DecisionCurve
from core.evaluation.formatting import NOT_AVAILABLE
from core.evaluation.intervals import small_test_advice
from core.evaluation.measures import METRIC_LABELS, format_metric, metric_label
from core.evaluation.verdict import baseline_message
from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, Texts, current_language, language
from core.markdown import escape_markdown as md
from core.model.choices import ACTIVATIONS, OPTIMIZERS, choice_label
from core.portable.choices import CATEGORICAL_MISSING, ENCODINGS, NUMERIC_MISSING, SCALINGS
from core.portable.decision import DEFAULT_THRESHOLD, SCHEMA_KEY
from core.portable.tasks import PREDICTION, probability_column
from core.results import DataSummary, RunResult

if TYPE_CHECKING:  # the pipeline imports TensorFlow; the card only reads the run
    from core.pipeline import TrainedRun

MAX_LISTED_VALUES = 12
# Every sentence of the card: keys of the catalog "core.bundle.card" (card.po). The card is
# written in one language, chosen at export (``render_model_card(..., language=)``).
TEXT = Texts("core.bundle.card")
# The yes/no decision has its own section (heading ``decision_heading``), so a bundle
# re-exported with another threshold (core.bundle.threshold) replaces exactly that section,
# in the card's own language.


def card_language(card: str) -> str:
    """The language a card was written in, read from its decision heading or title."""
    for code in LANGUAGES:
        with language(code):
            heading, title = TEXT["decision_heading"], TEXT["title"].split("{")[0]
        if heading in card.split("\n") or card.startswith(title):
            return code
    return DEFAULT_LANGUAGE


def quoted(value: Any) -> str:
    return f"“{md(value)}”"


def ranged(value: Any, interval: Any, key: str = "") -> str:
    """A measure's value with its uncertainty range: "0.842 (0.811–0.871)"."""
    text = format_metric(value, key)
    if text == NOT_AVAILABLE or not isinstance(interval, (list, tuple)) or len(interval) != 2:
        return text
    return f"{text} ({format_metric(interval[0], key)}–{format_metric(interval[1], key)})"


def render_model_card(
    run: TrainedRun,
    *,
    files: Sequence[str],
    left_out: Mapping[str, str],
    language_code: str | None = None,
) -> str:
    """The model card of a trained run, as markdown, in ``language_code`` (default: the
    current language).

    Parameters
    ----------
    run
        A trained run whose result carries its data summary.
    files
        Names of the files in the bundle (folders end with "/").
    left_out
        Format -> plain reason, for formats that could not be written or verified.
    language_code
        "en" or "zh": the language the card is written in.
    """
    with language(language_code or current_language()):
        return _model_card(run, files, left_out)


def _model_card(run: TrainedRun, files: Sequence[str], left_out: Mapping[str, str]) -> str:
    task = run.task
    data = run.result.data
    if data is None:
        raise ValueError("a model card needs the run's data summary (result.data)")
    sections = [
        _what_it_predicts(task, run.preprocessor),
        decision_section(
            DEFAULT_THRESHOLD,
            run.result.evaluation.get("decisions"),
            task.target,
            task.class_labels,
        )
        if task.spec.yes_no
        else "",
        _data_section(data, run.preprocessor, run.column_profiles),
        _training_section(run.recipe, task, run.result.batch_size),
        _quality_section(run.result),
        _warnings_section(run.result.warning_texts),
        _limits_section(data, run.preprocessor),
        _files_section(files, left_out),
        _usage_section(task),
    ]
    if SAVED_MODEL + "/" in files or SAVED_MODEL in files:
        raw_reason = left_out.get(SAVED_MODEL_RAW, "")
        sections.append(
            serving_section(run, included=SAVED_MODEL_RAW not in left_out, reason=raw_reason)
        )
    return "\n\n".join(section for section in sections if section).rstrip() + "\n"


def _what_it_predicts(task: Any, preprocessor: Any) -> str:
    lines = [TEXT["title"].format(target=quoted(task.target)), ""]
    lines.append(
        TEXT["describes"].format(
            task=md(task.describe()),
            n=len(preprocessor.input_columns),
            target=quoted(task.target),
        )
    )
    labels = [str(label) for label in task.class_labels]
    outputs = task.spec.outputs
    if not outputs.predicts_class:
        lines.append(TEXT["answer_number"].format(target=quoted(task.target)))
    else:
        listed = ", ".join(quoted(label) for label in labels)
        lines.append(TEXT["outcomes"].format(listed=listed))
        example = quoted(probability_column(labels[-1] if labels else "…"))
        # A yes/no answer follows the decision threshold (next section), not the likelier side.
        answer = TEXT["its_answer" if outputs.single_probability else "most_likely"]
        lines.append(TEXT["gives"].format(answer=answer, column=PREDICTION, example=example))
    return "\n".join(lines)


def decision_section(
    threshold: float, decisions: Mapping[str, Any] | None, target: str, labels: Sequence[str]
) -> str:
    """When a yes/no model answers its second outcome, and what that means on the test rows.

    ``decisions`` is the run's decision curve (``DecisionCurve.to_dict()``), when known.
    """
    labels = [str(label) for label in labels]
    chosen = abs(threshold - DEFAULT_THRESHOLD) > 1e-9
    rule = TEXT["decision_rule"].format(
        positive=quoted(labels[1]), negative=quoted(labels[0]), threshold=f"{threshold:.2f}"
    )
    lines = [TEXT["decision_heading"], "", rule]
    if chosen:
        lines.append(TEXT["decision_chosen"].format(usual=DEFAULT_THRESHOLD))
    else:
        lines.append(TEXT["decision_usual"])
    if decisions:
        outcome = DecisionCurve.from_dict(dict(decisions)).at(threshold)
        lines += ["", TEXT["decision_on_test"], ""]
        lines += [f"- {md(sentence)}" for sentence in outcome_sentences(outcome, target, labels)]
    saved = TEXT["decision_saved"].format(schema=SCHEMA_JSON, key=SCHEMA_KEY, script=PREDICT_SCRIPT)
    lines += ["", saved]
    return "\n".join(lines)


def _data_section(info: DataSummary, preprocessor: Any, profiles: Mapping[str, Any]) -> str:
    rows = [
        (TEXT["data_file"], md(info.name or TEXT["not_named"])),
        (TEXT["rows"], _count(info.rows)),
        (TEXT["columns"], _count(info.columns)),
        (
            TEXT["split"],
            " / ".join(_count(n) for n in (info.n_train, info.n_validation, info.n_test)),
        ),
        (TEXT["trained_on"], _date(info.trained_at)),
    ]
    lines = [TEXT["data_heading"], "", "| | |", "| --- | --- |"]
    lines += [f"| {label} | {value} |" for label, value in rows]
    lines += ["", TEXT["columns_used"], ""]
    kinds = preprocessor.column_kinds()
    for name in preprocessor.input_columns:
        kind = str((profiles.get(name) or {}).get("kind") or kinds.get(name, ""))
        shown = TEXT[f"kind_{kind}"] if f"kind_{kind}" in TEXT else kind
        lines.append(f"- {quoted(name)} ({md(shown)})")
    return "\n".join(lines)


def _date(value: Any) -> str:
    """An ISO time stamp as "2026-11-29 16:11 UTC" (other text is shown as it is)."""
    if not value:
        return TEXT["date_unknown"]
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return md(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M")


def _count(value: Any) -> str:
    return f"{int(value):,}" if isinstance(value, (int, float)) and math.isfinite(value) else "—"


def _training_section(recipe: Any, task: Any, batch_size: Any) -> str:
    """How the data was prepared and the network trained, in the choices' own words."""
    if recipe is None:
        return f"{TEXT['training_heading']}\n\n{TEXT['no_recipe']}"
    prep, network, training = recipe.preprocessing, recipe.model, recipe.training
    layers = ", ".join(
        f"{layer.units} ({_chosen('activation', layer.activation, ACTIVATIONS)})"
        for layer in network.hidden_layers
    )
    optimizer = OPTIMIZERS[training.optimizer]
    batch = TEXT["all_rows"] if optimizer.full_batch else _count(batch_size)
    loss_key = "loss_" + task.spec.loss_name.replace(" ", "_").replace("-", "_")
    rows = [
        (
            TEXT["numeric_missing"],
            _chosen("numeric_missing", prep.numeric_missing, NUMERIC_MISSING),
        ),
        (
            TEXT["categorical_missing"],
            _chosen("categorical_missing", prep.categorical_missing, CATEGORICAL_MISSING),
        ),
        (TEXT["scaling"], _chosen("scaling", prep.numeric_scaling, SCALINGS)),
        (TEXT["encoding"], _chosen("encoding", prep.categorical_encoding, ENCODINGS)),
        (TEXT["layers"], layers or TEXT["no_layers"]),
        (TEXT["optimizer"], _chosen("optimizer", training.optimizer, OPTIMIZERS)),
        (TEXT["learning_rate"], f"{training.effective_learning_rate:g}"),
        (TEXT["batch"], batch),
        (TEXT["loss"], TEXT[loss_key] if loss_key in TEXT else task.spec.loss_name),
        (TEXT["seed"], str(recipe.seed)),
    ]
    lines = [TEXT["training_heading"], "", "| | |", "| --- | --- |"]
    lines += [f"| {label} | {md(value)} |" for label, value in rows]
    lines += ["", TEXT["full_recipe"].format(file=RECIPE_JSON)]
    return "\n".join(lines)


def _quality_section(result: RunResult) -> str:
    metrics = result.metrics
    baselines = result.baselines
    primary = result.primary_metric
    lines = [TEXT["quality_heading"], ""]
    lines.append(TEXT["quality_intro"])
    if result.verdict:
        lines += ["", TEXT["verdict"].format(verdict=md(result.verdict_text))]
    keys = [key for key, value in metrics.items() if _is_number(value)]
    if not keys:
        lines += ["", TEXT["no_results"]]
        return "\n".join(lines)
    names = [str(name) for name in baselines]
    uncertainty = result.uncertainty or {}
    baseline_ranges = uncertainty.get("baseline_intervals") or {}
    lines += [
        "",
        f"| {TEXT['measure']} | {TEXT['this_model']} | "
        + " | ".join(TEXT["baseline_column"].format(name=md(_baseline(n))) for n in names)
        + " |",
        "| --- | --- | " + " | ".join("---" for _ in names) + " |",
    ]
    for key in sorted(keys, key=lambda k: (k != primary, list(metrics).index(k))):
        label = md(metric_label(key)) + (TEXT["main_measure"] if key == primary else "")
        cells = [ranged(metrics[key], result.intervals.get(key), key)] + [
            ranged((baselines[n] or {}).get(key), baseline_ranges.get(n, {}).get(key), key)
            for n in names
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if uncertainty:
        lines += [
            "",
            TEXT["ranges_note"].format(
                n=_count(uncertainty.get("n_test")),
                confidence=float(uncertainty.get("confidence") or 0.95),
            ),
        ]
    advice = small_test_advice(uncertainty)
    if advice:
        lines += ["", TEXT["small_test"].format(warning=md(advice))]
    explained = [key for key in keys if key in METRIC_LABELS]
    if explained:
        lines += ["", TEXT["measures_meaning"], ""]
        lines += [
            TEXT["measure_line"].format(
                label=md(METRIC_LABELS[k][0]), meaning=md(METRIC_LABELS[k][1])
            )
            for k in explained
        ]
    return "\n".join(lines)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _warnings_section(warnings: list[str]) -> str:
    lines = [TEXT["warnings_heading"], ""]
    if not warnings:
        return "\n".join(lines + [TEXT["none"]])
    return "\n".join(lines + [f"- {md(text)}" for text in warnings])


def _limits_section(info: DataSummary, preprocessor: Any) -> str:
    drops = [
        spec.name
        for spec in list(preprocessor.numeric) + list(preprocessor.categorical)
        if getattr(spec, "impute", getattr(spec, "missing", "")) == "drop_rows"
    ]
    lines = [
        TEXT["limits_heading"],
        "",
        TEXT["limit_like_rows"],
        TEXT["limit_drift"].format(date=_date(info.trained_at)),
        TEXT["limit_causes"],
        TEXT["limit_unseen"],
        TEXT["limit_estimate"],
        TEXT["limit_people"],
    ]
    if drops:
        listed = ", ".join(quoted(name) for name in drops[:MAX_LISTED_VALUES])
        lines.append(TEXT["limit_drop_rows"].format(listed=listed))
    return "\n".join(lines)


def _files_section(files: Sequence[str], left_out: Mapping[str, str]) -> str:
    lines = [
        TEXT["files_heading"],
        "",
        f"| {TEXT['file']} | {TEXT['what_it_is']} | {TEXT['how_to_use']} |",
        "| --- | --- | --- |",
    ]
    present = set(files)
    for name, (what, how) in BUNDLE_FILES.items():
        if name in present or name.rstrip("/") in present:
            lines.append(f"| `{name}` | {what} | {how} |")
    if left_out:
        lines += ["", TEXT["left_out"], ""]
        lines += [f"- `{name}`: {md(reason)}" for name, reason in left_out.items()]
    lines += ["", TEXT["files_note"].format(runtime=RUNTIME_PACKAGE, schema=SCHEMA_JSON)]
    return "\n".join(lines)


def _usage_section(task: Any) -> str:
    extra = TEXT["usage_probability"] if task.spec.predicts_class else ""
    return "\n".join(
        [
            TEXT["usage_heading"],
            "",
            TEXT["usage_unzip"],
            "",
            "```",
            f"pip install -r {REQUIREMENTS_TXT}",
            f"python {PREDICT_SCRIPT} new_data.csv",
            "```",
            "",
            TEXT["usage_script"].format(
                predictions=DEFAULT_PREDICTIONS, column=PREDICTION, extra=extra
            ),
            "",
            TEXT["usage_python"],
            "",
            "```python",
            "import json, keras",
            f"from {RUNTIME_PACKAGE}.predicting import predict_file",
            f"from {RUNTIME_PACKAGE}.preprocess import Preprocessor",
            "",
            f'schema = json.load(open("{SCHEMA_JSON}", encoding="utf-8"))',
            f'model = keras.saving.load_model("{MODEL_KERAS}", safe_mode=True, compile=False)',
            'preprocessor = Preprocessor.from_dict(schema["preprocessor"])',
            'predictions = predict_file(model, preprocessor, schema["task"], '
            'schema["class_labels"], "new_data.csv")',
            "predictions.frame  # the table; predictions.notes: what the model had to guess",
            "```",
        ]
    )


def _baseline(name: str) -> str:
    """A baseline's plain name in the card's language."""
    return baseline_message(name).render()


def _chosen(setting: str, value: str, table: Mapping[str, Any]) -> str:
    """A recipe choice's plain label in the card's language."""
    return choice_label(setting, value, table[value].label)
