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
from core.evaluation.measures import METRIC_LABELS, format_metric, metric_label
from core.markdown import escape_markdown as md
from core.model.choices import ACTIVATIONS, OPTIMIZERS
from core.portable.choices import CATEGORICAL_MISSING, ENCODINGS, NUMERIC_MISSING, SCALINGS
from core.portable.decision import DEFAULT_THRESHOLD, SCHEMA_KEY
from core.portable.tasks import PREDICTION, probability_column
from core.results import DataSummary, RunResult

if TYPE_CHECKING:  # the pipeline imports TensorFlow; the card only reads the run
    from core.pipeline import TrainedRun

MAX_LISTED_VALUES = 12
# The yes/no decision has its own section, so a bundle re-exported with another threshold
# (core.bundle.threshold) replaces exactly that section.
DECISION_HEADING = "## The yes/no decision"
RANGES_NOTE = (
    "In brackets: the range each score would likely fall in on other rows like the {n} test "
    "rows ({confidence:.0%} of bootstrap resamples of the test rows). Scores whose ranges "
    "overlap a lot may not really differ."
)


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
) -> str:
    """The model card of a trained run, as markdown.

    Parameters
    ----------
    run
        A trained run whose result carries its data summary.
    files
        Names of the files in the bundle (folders end with "/").
    left_out
        Format -> plain reason, for formats that could not be written or verified.
    """
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
        _warnings_section(list(run.result.warnings)),
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
    lines = [f"# Model card: predicting {quoted(task.target)}", ""]
    lines.append(
        f"This model is {md(task.describe())}: from {len(preprocessor.input_columns)} column(s) "
        f"of a row, it predicts the column {quoted(task.target)}."
    )
    labels = [str(label) for label in task.class_labels]
    outputs = task.spec.outputs
    if not outputs.predicts_class:
        lines.append(f"Its answer is a number in the same units as {quoted(task.target)}.")
    else:
        listed = ", ".join(quoted(label) for label in labels)
        lines.append(f"Possible outcomes, in the order the model reports them: {listed}.")
        example = quoted(probability_column(labels[-1] if labels else "…"))
        # A yes/no answer follows the decision threshold (next section), not the likelier side.
        answer = "its answer" if outputs.single_probability else "the most likely outcome"
        lines.append(
            f"For each row it gives {answer} (column `{PREDICTION}`) and how likely each "
            f"outcome is, from 0 to 1 (columns such as {example})."
        )
    return "\n".join(lines)


def decision_section(
    threshold: float, decisions: Mapping[str, Any] | None, target: str, labels: Sequence[str]
) -> str:
    """When a yes/no model answers its second outcome, and what that means on the test rows.

    ``decisions`` is the run's decision curve (``DecisionCurve.to_dict()``), when known.
    """
    labels = [str(label) for label in labels]
    chosen = abs(threshold - DEFAULT_THRESHOLD) > 1e-9
    lines = [
        DECISION_HEADING,
        "",
        f"The model answers {quoted(labels[1])} when the probability of {quoted(labels[1])} is "
        f"at least **{threshold:.2f}**, and {quoted(labels[0])} otherwise.",
    ]
    if chosen:
        lines.append(
            f"This threshold was chosen in Trainboard instead of the usual {DEFAULT_THRESHOLD}: "
            "a lower threshold catches more, at the price of more false alarms."
        )
    else:
        lines.append(
            "This is the usual threshold; a lower one catches more, at the price of more false "
            "alarms, and a higher one raises fewer alarms but misses more."
        )
    if decisions:
        outcome = DecisionCurve.from_dict(dict(decisions)).at(threshold)
        lines += ["", "On the test rows, at this threshold:", ""]
        lines += [f"- {md(sentence)}" for sentence in outcome_sentences(outcome, target, labels)]
    lines += [
        "",
        f"The threshold is saved in `{SCHEMA_JSON}` (`{SCHEMA_KEY}`); `{PREDICT_SCRIPT}` and "
        "Trainboard predict with it.",
    ]
    return "\n".join(lines)


def _data_section(info: DataSummary, preprocessor: Any, profiles: Mapping[str, Any]) -> str:
    rows = [
        ("Data file", md(info.name or "(not named)")),
        ("Rows", _count(info.rows)),
        ("Columns", _count(info.columns)),
        (
            "Rows used to learn / check while learning / test",
            " / ".join(_count(n) for n in (info.n_train, info.n_validation, info.n_test)),
        ),
        ("Trained on", _date(info.trained_at)),
    ]
    lines = ["## The data it learned from", "", "| | |", "| --- | --- |"]
    lines += [f"| {label} | {value} |" for label, value in rows]
    lines += ["", "Columns the model uses:", ""]
    kinds = preprocessor.column_kinds()
    for name in preprocessor.input_columns:
        kind = str((profiles.get(name) or {}).get("kind") or kinds.get(name, ""))
        lines.append(f"- {quoted(name)} ({md(kind)})")
    return "\n".join(lines)


def _date(value: Any) -> str:
    """An ISO time stamp as "2026-11-29 16:11 UTC" (other text is shown as it is)."""
    if not value:
        return "date unknown"
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
        return "## How it was trained\n\nThe recipe of this run is not available."
    prep, network, training = recipe.preprocessing, recipe.model, recipe.training
    layers = ", ".join(
        f"{layer.units} ({ACTIVATIONS[layer.activation].label})" for layer in network.hidden_layers
    )
    optimizer = OPTIMIZERS[training.optimizer]
    batch = "all training rows" if optimizer.full_batch else _count(batch_size)
    rows = [
        ("Empty cells in number columns", NUMERIC_MISSING[prep.numeric_missing].label),
        ("Empty cells in category columns", CATEGORICAL_MISSING[prep.categorical_missing].label),
        ("Scaling of number columns", SCALINGS[prep.numeric_scaling].label),
        ("Categories become", ENCODINGS[prep.categorical_encoding].label),
        ("Hidden layers (neurons)", layers or "none: a plain linear model"),
        ("Learning method", optimizer.label),
        ("Learning rate", f"{training.effective_learning_rate:g}"),
        ("Rows per adjustment (batch)", batch),
        ("Error it learned to reduce (loss)", task.spec.loss_name),
        ("Random seed", str(recipe.seed)),
    ]
    lines = ["## How it was trained", "", "| | |", "| --- | --- |"]
    lines += [f"| {label} | {md(value)} |" for label, value in rows]
    lines += ["", f"The full recipe is in `{RECIPE_JSON}`."]
    return "\n".join(lines)


def _quality_section(result: RunResult) -> str:
    metrics = result.metrics
    baselines = result.baselines
    primary = result.primary_metric
    lines = ["## How good it is", ""]
    lines.append(
        "Measured on test rows the model never saw while learning, and compared with simple "
        "models fitted on the same rows (a model is only useful if it beats them)."
    )
    if result.verdict:
        lines += ["", f"**Verdict:** {md(result.verdict)}"]
    keys = [key for key, value in metrics.items() if _is_number(value)]
    if not keys:
        lines += ["", "No test results are available for this run."]
        return "\n".join(lines)
    names = [str(name) for name in baselines]
    uncertainty = result.uncertainty or {}
    baseline_ranges = uncertainty.get("baseline_intervals") or {}
    lines += [
        "",
        "| Measure | This model | " + " | ".join(f"Baseline: {md(n)}" for n in names) + " |",
        "| --- | --- | " + " | ".join("---" for _ in names) + " |",
    ]
    for key in sorted(keys, key=lambda k: (k != primary, list(metrics).index(k))):
        label = md(metric_label(key)) + (" (main measure)" if key == primary else "")
        cells = [ranged(metrics[key], result.intervals.get(key), key)] + [
            ranged((baselines[n] or {}).get(key), baseline_ranges.get(n, {}).get(key), key)
            for n in names
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if uncertainty:
        lines += [
            "",
            RANGES_NOTE.format(
                n=_count(uncertainty.get("n_test")),
                confidence=float(uncertainty.get("confidence") or 0.95),
            ),
        ]
    if uncertainty.get("warning"):
        lines += ["", f"**Small test set:** {md(uncertainty['warning'])}"]
    explained = [key for key in keys if key in METRIC_LABELS]
    if explained:
        lines += ["", "What the measures mean:", ""]
        lines += [f"- **{md(METRIC_LABELS[k][0])}**: {md(METRIC_LABELS[k][1])}." for k in explained]
    return "\n".join(lines)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _warnings_section(warnings: list[str]) -> str:
    lines = ["## Warnings from the health check", ""]
    if not warnings:
        return "\n".join(lines + ["None."])
    return "\n".join(lines + [f"- {md(text)}" for text in warnings])


def _limits_section(info: DataSummary, preprocessor: Any) -> str:
    drops = [
        spec.name
        for spec in list(preprocessor.numeric) + list(preprocessor.categorical)
        if getattr(spec, "impute", getattr(spec, "missing", "")) == "drop_rows"
    ]
    lines = [
        "## Intended use and limits",
        "",
        "- Use it on rows like the ones it learned from: the same columns with the same meaning, "
        "from the same kind of source, with values in a similar range.",
        f"- It learned from data as it was when it was trained ({_date(info.trained_at)}). "
        "If things change (new products, prices, customers, rules), its answers can quietly get "
        "worse: check it again on recent rows from time to time.",
        "- It finds patterns, not causes: a column that helps the prediction does not mean "
        "changing that column changes the outcome.",
        "- Categories it never saw are treated as “other”, and numbers far outside the training "
        "range give unreliable answers.",
        "- Its quality is an estimate from the test rows above; on a small test set the real "
        "quality can differ noticeably.",
        "- Do not use it alone for decisions about people (credit, hiring, insurance...): check "
        "first that it treats groups of people fairly, and keep a person in the decision.",
    ]
    if drops:
        listed = ", ".join(quoted(name) for name in drops[:MAX_LISTED_VALUES])
        lines.append(
            f"- Rows with an empty cell in {listed} get no prediction (the recipe leaves them out)."
        )
    return "\n".join(lines)


def _files_section(files: Sequence[str], left_out: Mapping[str, str]) -> str:
    lines = [
        "## Files in this bundle",
        "",
        "| File | What it is | How to use it |",
        "| --- | --- | --- |",
    ]
    present = set(files)
    for name, (what, how) in BUNDLE_FILES.items():
        if name in present or name.rstrip("/") in present:
            lines.append(f"| `{name}` | {what} | {how} |")
    if left_out:
        lines += ["", "Formats left out of this bundle (each was checked and did not pass):", ""]
        lines += [f"- `{name}`: {md(reason)}" for name, reason in left_out.items()]
    lines += [
        "",
        f"Every network file takes one input: a table of numbers made from the raw columns by "
        f"`{RUNTIME_PACKAGE}` (the statistics are in `{SCHEMA_JSON}`); the SavedModel can also "
        "take the raw columns (see the last section). Each file was loaded back and checked to "
        "give the same predictions as the trained model before it was included.",
    ]
    return "\n".join(lines)


def _usage_section(task: Any) -> str:
    extra = " and one `probability_…` column per outcome" if task.spec.predicts_class else ""
    return "\n".join(
        [
            "## How to predict new rows",
            "",
            "Unzip the bundle, then in that folder (Python 3.10 or newer):",
            "",
            "```",
            f"pip install -r {REQUIREMENTS_TXT}",
            f"python {PREDICT_SCRIPT} new_data.csv",
            "```",
            "",
            f"The new file needs the columns listed above (other columns are kept as they are). "
            f"The script writes `{DEFAULT_PREDICTIONS}` in the current folder: every input "
            f"column, then `{PREDICTION}`{extra}. Use `--out other.csv` to choose the file, or "
            f"`--out -` to print the table. On unusable input it stops with one line starting "
            f"with `error:` that says what to fix.",
            "",
            "From Python:",
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
