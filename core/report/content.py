"""The words and tables of a run report, as plain data for the template.

Each function turns one part of a :class:`~core.report.source.ReportRun` into strings,
rows and flags; the template lays them out and escapes every string (user text such as
column names and class labels arrives here raw). All report wording is in ``TEXT``,
for translation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.dates import format_skeleton

from core.evaluation import measures
from core.evaluation.formatting import NOT_AVAILABLE
from core.evaluation.measures import LOWER_IS_BETTER, METRIC_LABELS, format_metric
from core.i18n import BABEL_LOCALES, DEFAULT_LANGUAGE, Texts, current_language
from core.model.choices import OPTIMIZERS
from core.model.fields import FieldSpec, field_specs, spec_for
from core.model.recipe import LayerConfig, Recipe
from core.model.tasks import task_spec
from core.report.source import USUAL_THRESHOLD, ReportRun

TEXT = Texts("core.report.content")  # the catalog report.po
# The recipe's sections, in the order a reader follows a run.
RECIPE_SECTIONS = {
    "": "The run",
    "preprocessing": "Preparing the data",
    "split": "Splitting the rows",
    "model": "The network",
    "training": "How it learns",
}


def format_score(value: float | None, key: str = "") -> str:
    """A test score as a person reads it (see :func:`core.evaluation.measures.format_metric`)."""
    return format_metric(value, key)


def format_range(pair: tuple[float, float] | None, key: str = "") -> str:
    """An uncertainty range, "0.81 – 0.88", or "" when there is none."""
    if pair is None:
        return ""
    low, high = format_score(pair[0], key), format_score(pair[1], key)
    # A range of one value (a constant guess, a score of 0 on every re-draw) says nothing.
    return "" if low == high else f"{low} – {high}"


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return NOT_AVAILABLE
    whole = int(round(seconds))
    return f"{whole} s" if whole < 60 else f"{whole // 60} min {whole % 60:02d} s"


def task_words(run: ReportRun) -> str:
    """What the model predicts, in words: "a yes/no outcome"."""
    # The task's description without its leading verb: "predicting a number" -> "a number".
    return task_spec(run.task).describe(len(run.class_labels)).removeprefix("predicting ")


def loss_name(task: str) -> str:
    """The training error's name in words (cross-entropy or mean squared error)."""
    return task_spec(task).loss_name


def metric_label(key: str) -> str:
    """The plain name of a measure (see :func:`core.evaluation.measures.metric_label`)."""
    return measures.metric_label(key)


# --- scores ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreRow:
    """One test measure: the network's score (and range) beside each baseline's."""

    key: str
    label: str
    meaning: str
    lower_is_better: bool
    network: str
    network_range: str
    baselines: tuple[tuple[str, str], ...]  # (score, range) per baseline, in header order
    headline: bool


def score_rows(run: ReportRun) -> tuple[list[str], list[ScoreRow]]:
    """(baseline names, one row per measure the network has), headline measure first."""
    names = list(run.baselines)
    ranges = run.baseline_intervals
    rows = []
    for key, (label, meaning) in METRIC_LABELS.items():
        if key not in run.metrics:
            continue
        rows.append(
            ScoreRow(
                key=key,
                label=label,
                meaning=meaning,
                lower_is_better=key in LOWER_IS_BETTER,
                network=format_score(run.metrics[key], key),
                network_range=format_range(run.intervals.get(key), key),
                baselines=tuple(
                    (
                        format_score(run.baselines[name].get(key), key),
                        format_range(ranges.get(name, {}).get(key), key),
                    )
                    for name in names
                ),
                headline=key == run.primary_metric,
            )
        )
    rows.sort(key=lambda row: not row.headline)
    return names, rows


# --- training ----------------------------------------------------------------------------


def training_sentences(run: ReportRun) -> list[str]:
    """How long it trained, why it stopped, which pass was kept."""
    sentences = []
    stopped = TEXT.get(f"stopped_{run.stopped_because}")
    if stopped:
        sentences.append(stopped.format(epochs=run.epochs_run))
    if run.best_epoch is not None and run.has_model:
        sentences.append(TEXT["best_epoch"].format(best=run.best_epoch))
    if run.seconds is not None:
        sentences.append(TEXT["duration"].format(seconds=format_seconds(run.seconds)))
    return sentences


# --- the decision threshold ----------------------------------------------------------------


def threshold_sentences(run: ReportRun) -> list[str]:
    """What a yes/no model's decision threshold means, and what it does on the test rows."""
    threshold = run.decision_threshold
    labels = run.class_labels
    if threshold is None or len(labels) != 2:
        return []
    negative, positive = labels
    sentences = [
        TEXT["threshold_rule"].format(
            positive=positive, negative=negative, threshold=f"{threshold:.2f}"
        )
    ]
    if abs(threshold - USUAL_THRESHOLD) < 1e-9:
        sentences.append(TEXT["threshold_usual"].format(positive=positive))
    else:
        sentences.append(TEXT["threshold_chosen"].format(usual=USUAL_THRESHOLD))
    counts = run.decision_counts
    if counts is None:
        return sentences
    tp, fp, fn, tn = counts
    if tp + fp:
        sentences.append(TEXT["precision"].format(positive=positive, n=round(100 * tp / (tp + fp))))
    else:
        sentences.append(TEXT["precision_none"].format(positive=positive))
    if tp + fn:
        sentences.append(
            TEXT["recall"].format(
                positive=positive,
                share=f"{100 * tp / (tp + fn):.0f}%",
                caught=tp,
                positives=tp + fn,
            )
        )
    else:
        sentences.append(TEXT["recall_none"].format(positive=positive))
    sentences.append(
        TEXT["false_alarms"].format(
            false_alarms=_plural("false_alarm", fp),
            missed=_plural("missed", fn, positive=positive),
            total=tp + fp + fn + tn,
        )
    )
    return sentences


def _plural(key: str, n: int, **names: str) -> str:
    return TEXT[f"{key}_{'one' if n == 1 else 'many'}"].format(n=n, **names)


def format_when(timestamp: str) -> str:
    """An ISO timestamp as people write it: "1 Dec 2026, 16:08 UTC" (as is if unreadable)."""
    try:
        when = datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    zone = " UTC" if when.utcoffset() is not None and not when.utcoffset() else ""
    code = current_language()
    if code == DEFAULT_LANGUAGE:
        return f"{when.day} {when:%b %Y, %H:%M}{zone}"
    # Other languages write the date their own way (Babel's CLDR data: "2026年12月1日").
    day = format_skeleton("yMMMd", when, locale=BABEL_LOCALES[code])
    return f"{day} {when:%H:%M}{zone}"


# --- the data ----------------------------------------------------------------------------


def data_facts(run: ReportRun) -> list[tuple[str, str]]:
    """(label, value) pairs: the file, its size and how its rows were split."""
    data = run.data

    def count(key: str) -> str:
        value = data.get(key)
        return f"{int(value):,}" if isinstance(value, (int, float)) else NOT_AVAILABLE

    facts = [
        ("Data file", run.data_name or NOT_AVAILABLE),
        ("Rows × columns", f"{count('rows')} × {count('columns')}"),
        ("Column to predict", run.target),
        ("Predicting", task_words(run)),
    ]
    if run.class_labels:
        facts.append(("Possible outcomes", ", ".join(run.class_labels)))
    facts += [
        ("Rows to learn from (training)", count("n_train")),
        ("Rows to check progress (validation)", count("n_validation")),
        ("Rows for the final test", count("n_test")),
    ]
    if run.trained_at:
        facts.append(("Trained", format_when(run.trained_at)))
    return facts


def column_rows(run: ReportRun) -> list[tuple[str, str, str, str]]:
    """(column, kind, empty cells, how it was used) for every column of the data."""
    left_out = set(run.recipe.drop_columns)
    rows = []
    for name, profile in run.columns.items():
        kind = str(profile.get("kind") or "")
        share = profile.get("missing_share")
        empty = f"{100 * share:.1f}%" if isinstance(share, (int, float)) else NOT_AVAILABLE
        if name == run.target:
            use = "The column to predict"
        elif name in left_out:
            use = "Left out (recipe)"
        elif kind in ("numeric", "categorical", "boolean"):
            use = "Input"
        else:
            use = "Not used"
        rows.append((name, TEXT.get(f"kind_{kind}", kind), empty, use))
    return rows


# --- the recipe in plain words -----------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    label: str
    value: str
    help: str
    changed: bool  # differs from the default recipe


def recipe_sections(run: ReportRun) -> list[tuple[str, list[Setting]]]:
    """The recipe grouped by section, each setting with its label and value in words."""
    recipe = run.recipe
    data = recipe.to_dict()
    grouped: dict[str, list[Setting]] = {section: [] for section in RECIPE_SECTIONS}
    for spec in field_specs(Recipe):
        section = spec.path.split(".")[0] if "." in spec.path else ""
        value = recipe_value(data, spec.path)
        grouped[section].append(
            Setting(
                label=spec.label,
                value=setting_words(spec, value, run),
                help=spec.help,
                changed=_changed(spec, value),
            )
        )
    return [(RECIPE_SECTIONS[s], settings) for s, settings in grouped.items() if settings]


def recipe_value(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _changed(spec: FieldSpec, value: Any) -> bool:
    if spec.path == "target":
        return False
    default = spec.default
    if isinstance(value, list) and isinstance(default, (list, tuple)):
        return list(value) != list(default)
    return value != default


def setting_words(spec: FieldSpec, value: Any, run: ReportRun) -> str:
    if spec.path == "model.hidden_layers":
        return _layers_words(value or [])
    if spec.path == "drop_columns":
        return ", ".join(str(v) for v in value) if value else TEXT["none_left_out"]
    if spec.path == "training.learning_rate" and value is None:
        choice = OPTIMIZERS.get(run.recipe.training.optimizer)
        rate = choice.learning_rate if choice else None
        return TEXT["auto_learning_rate"].format(value=rate) if rate else TEXT["auto"]
    if spec.path == "training.batch_size" and value is None:
        used = run.batch_size
        return TEXT["auto_batch"].format(value=used) if used else TEXT["auto"]
    if spec.choices is not None:
        return spec.choices.get(value, str(value))
    if isinstance(value, bool):
        return TEXT["yes"] if value else TEXT["no"]
    if isinstance(value, float):
        if spec.path.startswith("split.") and value < 1:
            return f"{100 * value:g}%"
        # Plain decimals ("0.00001"), never "1e-05": the form shows them that way too.
        return f"{value:.10f}".rstrip("0").rstrip(".") if value < 1e-3 else f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return NOT_AVAILABLE if value is None else str(value)


def _layers_words(layers: Sequence[dict[str, Any]]) -> str:
    """ "2 hidden layers of 128 and 64 neurons; ReLU, dropout 0.3" (per layer when they differ)."""
    if not layers:
        return TEXT["layers_none"]
    activation = spec_for("layer.activation").choices or {}
    configs = [LayerConfig(**layer) for layer in layers]

    def style(config: LayerConfig) -> str:
        name = activation.get(config.activation, config.activation)
        return TEXT["layer_style"].format(activation=name, dropout=config.dropout)

    styles = {style(config) for config in configs}
    sizes = [f"{config.units:,}" for config in configs]
    if len(styles) == 1:
        joined = sizes[0] if len(sizes) == 1 else ", ".join(sizes[:-1]) + " and " + sizes[-1]
        key = "layers_one" if len(configs) == 1 else "layers_same"
        return TEXT[key].format(n=len(configs), sizes=joined, style=styles.pop())
    return "; ".join(
        TEXT["layer"].format(units=config.units, style=style(config)) for config in configs
    )
