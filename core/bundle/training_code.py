""" "Show me the code": a run as a standalone training script and notebook.

:func:`render_training_script` fills ``core/templates/train.py.tmpl`` with the run's
recipe and what Trainboard decided from the data (input columns and their kinds, the
columns left out and why, the classes, the batch size), giving a readable script that
repeats the run with plain pandas, scikit-learn and Keras and no Trainboard import.
:func:`render_training_notebook` cuts the same text into a Jupyter notebook.

The template is one text in the "percent" cell format (``# %% [markdown]``, ``# %%
name``), so the script and the notebook cannot drift apart: the script keeps every
cell but the ``[notebook]`` ones, the notebook every cell but the ``[script]`` ones
(the data path comes from the command line in one, from a variable in the other).
Only Python literals are substituted, never code; the code itself reads the settings,
so an engineer can change one value and run again. No TensorFlow here.
"""

from __future__ import annotations

import json
import string
import textwrap
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.bundle.contents import TEMPLATES_DIR
from core.bundle.layout import TRAIN_NOTEBOOK, TRAIN_SCRIPT
from core.evaluation.measures import metric_label
from core.model.choices import NUMBER_EMBEDDINGS, OPTIMIZERS
from core.model.embeddings import number_positions
from core.portable.preprocess import CATEGORICAL
from core.portable.reading import MISSING_MARKERS

TEMPLATE = "train.py.tmpl"
MARKER = "# %%"
MARKDOWN, SCRIPT_ONLY, NOTEBOOK_ONLY = "[markdown]", "[script]", "[notebook]"
LINE_LENGTH = 88  # ruff's and black's default: the script is checked against it
COMMENT_WIDTH = 84
INPUT_KINDS = {CATEGORICAL: "category"}  # every other input kind is "number"

# Why the output layer and the loss are what they are: they follow from the task.
OUTPUT_WHY = {
    "binary": "One output between 0 and 1 (sigmoid): the probability that '{target}' is "
    "{positive}.",
    "multiclass": "One output per class (softmax): {n} probabilities that add up to 1.",
    "regression": "One output with no activation (linear): the predicted value, on the "
    "centred and scaled target.",
}
LOSS_WHY = {
    "binary": "Binary cross-entropy: the standard loss for a yes/no outcome; it punishes "
    "confident wrong probabilities the most.",
    "multiclass": "Sparse categorical cross-entropy: cross-entropy for one of several "
    "classes given as class numbers (0, 1, 2, ...).",
    "regression": "Mean squared error: the standard loss for numbers; big misses count extra.",
}
METRICS_WHY = {
    "binary": "ROC AUC (how well the model ranks the rows that are {positive} above the "
    "others: 0.5 is guessing, 1.0 is perfect) is the headline score, as in Trainboard; "
    "accuracy, precision and recall use a threshold of 0.5.",
    "multiclass": "Accuracy (the share of rows whose predicted class is right) is the "
    "headline score, as in Trainboard; precision, recall and F1 are averaged over classes.",
    "regression": "R² (the share of the ups and downs of the target the model explains: 0 "
    "is no better than the average, 1.0 is perfect) is the headline score, as in "
    "Trainboard; the errors are in the target's own units.",
}
BATCH_WHY_AUTO = (
    "Chosen by Trainboard from the number of training rows: about one batch per 200 rows, "
    "a power of two from 32 to 2048."
)
BATCH_WHY_RECIPE = "Rows the network looks at before each adjustment (set in the recipe)."
BATCH_WHY_FULL = (
    "Plain gradient descent: every adjustment looks at all training rows, so one pass over "
    "the data is one adjustment."
)
CLASS_LABELS_WHY = {
    "binary": "The two outcomes, in output order: the network gives the probability of the "
    "last one.",
    "multiclass": "The classes, in the order of the network's outputs.",
    "regression": "No classes: the target is a number.",
}
DROP_REASONS = {
    "recipe": "left out in the recipe",
    "identifier": "an identifier (a different value on every row teaches nothing)",
    "constant": "the same value on every row",
    "empty": "empty",
    "text": "free text (Trainboard does not learn from it)",
    "date": "a date (Trainboard does not learn from it)",
}


@dataclass(frozen=True)
class Cell:
    """One cell of the template: ``kind`` is "markdown", "code", "script" or "notebook"."""

    kind: str
    name: str
    source: str


# --- public -------------------------------------------------------------------------------------


def render_training_script(run: Any) -> str:
    """The standalone ``train.py`` of a run (every cell but the notebook-only ones).

    Parameters
    ----------
    run
        A trained run (see ``core.pipeline.TrainedRun``): ``recipe``, ``task``,
        ``preprocessor``, ``result`` (``batch_size`` and the test metrics),
        ``result.data`` and ``column_profiles`` are read.
    """
    text = _render(run)
    kept = [_cell_text(cell) for cell in split_cells(text) if cell.kind != "notebook"]
    return "\n".join(kept).rstrip("\n") + "\n"


def render_training_notebook(run: Any) -> str:
    """The same as :func:`render_training_script`, as a Jupyter notebook (nbformat 4 JSON)."""
    cells = [cell for cell in split_cells(_render(run)) if cell.kind != "script"]
    notebook = {
        "cells": [_notebook_cell(index, cell) for index, cell in enumerate(cells)],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def write_training_code(run: Any, folder: Path) -> None:
    """Write ``train.py`` and ``train.ipynb`` of a run into ``folder``.

    Raises
    ------
    ValueError
        If the code cannot be generated for this run (it then is not written at all).
    """
    try:
        script = render_training_script(run)
        compile(script, TRAIN_SCRIPT, "exec")  # a script that does not parse is never shipped
        notebook = render_training_notebook(run)
    except (SyntaxError, KeyError, AttributeError, TypeError) as error:
        raise ValueError(f"{type(error).__name__}: {error}") from error
    for name, text in ((TRAIN_SCRIPT, script), (TRAIN_NOTEBOOK, notebook)):
        (folder / name).write_text(text, encoding="utf-8", newline="\n")


def bundle_member(bundle: Path, name: str) -> bytes | None:
    """One file of a bundle's zip (``None`` when the bundle or the file is absent)."""
    try:
        with zipfile.ZipFile(bundle) as archive:
            return archive.read(name)
    except (OSError, KeyError, zipfile.BadZipFile):
        return None


def bundle_has(bundle: Path, name: str) -> bool:
    """Whether a bundle's zip holds ``name`` (without reading the file itself)."""
    try:
        with zipfile.ZipFile(bundle) as archive:
            return name in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def split_cells(text: str) -> list[Cell]:
    """The cells of a rendered template, in order (text before the first marker is dropped)."""
    cells: list[Cell] = []
    for chunk in ("\n" + text).split("\n" + MARKER)[1:]:
        header, _, body = chunk.partition("\n")
        label = header.strip()
        kind = {MARKDOWN: "markdown", SCRIPT_ONLY: "script", NOTEBOOK_ONLY: "notebook"}.get(
            label, "code"
        )
        cells.append(Cell(kind=kind, name=label, source=body))
    return cells


def code_cells(cells: list[Cell]) -> list[str]:
    """The code of every cell shared by the script and the notebook, without blank edges."""
    return [cell.source.strip("\n") for cell in cells if cell.kind == "code"]


# --- substitution -------------------------------------------------------------------------------


def template_values(run: Any) -> dict[str, str]:
    """Placeholder -> text: Python literals for settings, plain words for comments."""
    recipe, task = run.recipe, run.task
    labels = [str(label) for label in task.class_labels]
    positive = repr(labels[-1]) if labels else ""
    preprocessing, split, model, training = (
        recipe.preprocessing,
        recipe.split,
        recipe.model,
        recipe.training,
    )
    result = run.result.to_dict()  # the scores as result.json holds them
    data = run.result.data
    data_name = str((data.name if data else None) or "data.csv")
    n_train = data.n_train if data else 0
    batch_size = result.get("batch_size") or training.effective_batch_size(n_train)
    layers = [
        {"units": layer.units, "activation": layer.activation, "dropout": layer.dropout}
        for layer in model.hidden_layers
    ]
    spec = task.spec
    optimizer = OPTIMIZERS[training.optimizer]
    if optimizer.full_batch:
        batch_why = BATCH_WHY_FULL
    else:
        batch_why = BATCH_WHY_RECIPE if training.batch_size is not None else BATCH_WHY_AUTO
    # Settings the optimizer's table entry says apply to it (momentum for SGD).
    optimizer_options = (
        {"momentum": float(training.momentum)} if "momentum" in optimizer.settings else {}
    )

    values = {
        "RUN_TITLE": _run_title(recipe),
        "DATA_NAME": " ".join(data_name.split()),  # in comments: one line, whatever the name
        "DATA_NAME_LITERAL": literal(data_name),
        "SCRIPT_NAME": TRAIN_SCRIPT,
        "APP_SCORE": _app_score(task, result),
        "SEED": literal(recipe.seed),
        "TARGET": literal(task.target),
        "TASK": literal(task.task),
        "TASK_WORDS": f"predicting {spec.outcome_words}",
        "CLASS_LABELS_COMMENT": comment(CLASS_LABELS_WHY[task.task]),
        "CLASS_LABELS": literal(labels if spec.predicts_class else []),
        "DROPPED_COLUMNS": literal(dropped_columns(run)),
        "INPUT_COLUMNS": literal(input_columns(run.preprocessor)),
        "NUMBER_EMPTY_CELLS": literal(preprocessing.numeric_missing),
        "NUMBER_FILL_VALUE": literal(float(preprocessing.numeric_fill_value)),
        "NUMBER_SCALING": literal(preprocessing.numeric_scaling),
        "CATEGORY_EMPTY_CELLS": literal(preprocessing.categorical_missing),
        "CATEGORY_ENCODING": literal(preprocessing.categorical_encoding),
        "MAX_CATEGORIES": literal(preprocessing.max_categories),
        "MIN_CATEGORY_COUNT": literal(preprocessing.min_category_count),
        "VALIDATION_FRACTION": literal(split.validation_fraction),
        "TEST_FRACTION": literal(split.test_fraction),
        "STRATIFY": literal(split.stratify),
        "HIDDEN_LAYERS": literal(layers),
        "DIRECT_PATH": literal(model.linear_shortcut),
        "BATCH_NORM": literal(model.batch_norm),
        "NUMBER_RANGES": literal(
            NUMBER_EMBEDDINGS[model.number_embedding].ranges_for(run.result.data.n_train)
        ),
        "NUMBER_FEATURES": literal(NUMBER_EMBEDDINGS[model.number_embedding].size),
        "NUMBER_POSITIONS": literal(number_positions(run.preprocessor)),
        "L1": literal(float(model.l1)),
        "L2": literal(float(model.l2)),
        "OUTPUT_COMMENT": comment(
            OUTPUT_WHY[task.task].format(target=task.target, positive=positive, n=len(labels))
        ),
        "OUTPUT_UNITS": literal(spec.output_units(len(labels))),
        "OUTPUT_ACTIVATION": literal(spec.output_activation),
        "LOSS_COMMENT": comment(LOSS_WHY[task.task]),
        "LOSS": literal(spec.loss),
        "LABEL_SMOOTHING": literal(float(training.label_smoothing)),
        "LIVE_METRIC": literal(spec.live_metric),
        "OPTIMIZER_COMMENT": comment(f"{optimizer.label}: {optimizer.help}"),
        "KERAS_OPTIMIZER": literal(optimizer.keras_class),
        "LEARNING_RATE": literal(float(training.effective_learning_rate)),
        "OPTIMIZER_OPTIONS": literal(optimizer_options),
        "BATCH_SIZE_COMMENT": comment(batch_why),
        "BATCH_SIZE": literal(int(batch_size)),
        "MAX_EPOCHS": literal(training.max_epochs),
        "EARLY_STOPPING": literal(training.early_stopping),
        "PATIENCE": literal(training.patience),
        "REDUCE_LR_ON_PLATEAU": literal(training.reduce_lr_on_plateau),
        "CLASS_WEIGHT": literal(training.class_weight),
        "SEPARATOR": literal(","),
        "MISSING_MARKERS": literal(sorted(MISSING_MARKERS)),
        "OUTPUT_MARKDOWN": markdown(
            OUTPUT_WHY[task.task].format(target=task.target, positive=positive, n=len(labels))
            + " "
            + LOSS_WHY[task.task]
        ),
        "METRICS_MARKDOWN": markdown(METRICS_WHY[task.task].format(positive=positive)),
    }
    return values


def dropped_columns(run: Any) -> dict[str, str]:
    """Column -> why the model does not see it, in the order of the data."""
    inputs = set(run.preprocessor.input_columns)
    left_out = set(run.recipe.drop_columns)
    profiles: Mapping[str, Mapping[str, Any]] = run.column_profiles
    reasons: dict[str, str] = {}
    for name, profile in profiles.items():
        if name in inputs or name == run.task.target:
            continue
        kind = "recipe" if name in left_out else str((profile or {}).get("kind") or "unknown")
        reasons[name] = DROP_REASONS.get(kind, f"not usable by Trainboard ({kind})")
    for name in run.recipe.drop_columns:  # left out, but absent from the profile
        reasons.setdefault(name, DROP_REASONS["recipe"])
    return reasons


def input_columns(preprocessor: Any) -> dict[str, str]:
    """Input column -> "number" or "category", in feature order."""
    return {
        name: INPUT_KINDS.get(kind, "number") for name, kind in preprocessor.column_kinds().items()
    }


# --- formatting -------------------------------------------------------------------------------


def literal(value: Any, indent: int = 0) -> str:
    """``value`` as Python source formatted the way ruff/black would write it.

    Short collections stay on one line; longer ones put one item per line with a
    trailing comma (which keeps formatters from joining them again).
    """
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (bool, int)) or value is None:
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [literal(item, indent + 4) for item in value]
        opening, closing = "[]" if isinstance(value, (list, tuple)) else "{}"
    elif isinstance(value, Mapping):
        items = [f"{literal(key)}: {literal(item, indent + 4)}" for key, item in value.items()]
        opening, closing = "{}"
    else:
        raise ValueError(f"Cannot write {type(value).__name__} as a Python literal.")
    one_line = opening + ", ".join(items) + closing
    if not items or ("\n" not in one_line and indent + len(one_line) <= LINE_LENGTH - 32):
        return one_line
    inner = " " * (indent + 4)
    lines = [opening] + [f"{inner}{item}," for item in items] + [" " * indent + closing]
    return "\n".join(lines)


def comment(text: str) -> str:
    """``text`` as ``#`` comment lines within the script's line length."""
    return "\n".join("# " + line for line in textwrap.wrap(text, COMMENT_WIDTH - 2))


def markdown(text: str) -> str:
    """``text`` continuing a markdown cell (every line after the first starts with ``# ``)."""
    lines = textwrap.wrap(text, COMMENT_WIDTH - 2)
    return "\n# ".join(lines)


def _string(text: str) -> str:
    """A string literal with the quotes ruff prefers: double, unless that needs escapes."""
    written = repr(text)
    if written.startswith("'") and '"' not in text:
        written = '"' + written[1:-1].replace("\\'", "'") + '"'
    return written


# --- helpers ------------------------------------------------------------------------------------


def _render(run: Any) -> str:
    template = (TEMPLATES_DIR / TEMPLATE).read_text(encoding="utf-8")
    return string.Template(template).substitute(template_values(run))


def _cell_text(cell: Cell) -> str:
    return f"{MARKER} {cell.name}\n{cell.source}"


def _notebook_cell(index: int, cell: Cell) -> dict[str, Any]:
    source = cell.source.strip("\n")
    if cell.kind == "markdown":
        source = "\n".join(
            line[2:] if line.startswith("# ") else line.lstrip("#") for line in source.splitlines()
        )
    lines = source.splitlines(keepends=True)
    entry: dict[str, Any] = {
        "cell_type": "markdown" if cell.kind == "markdown" else "code",
        "id": f"cell-{index}",
        "metadata": {},
        "source": lines,
    }
    if cell.kind != "markdown":
        entry.update(execution_count=None, outputs=[])
    return entry


def _run_title(recipe: Any) -> str:
    layers = len(recipe.model.hidden_layers)
    shape = f"{layers} hidden layer{'s' if layers != 1 else ''}" if layers else "no hidden layer"
    return f"{OPTIMIZERS[recipe.training.optimizer].name}, {shape}"


def _app_score(task: Any, result: Mapping[str, Any]) -> str:
    key = task.spec.headline_metric
    value = (result.get("metrics") or {}).get(key)
    label = metric_label(key)
    return f"{label} {value:.4f}" if isinstance(value, (int, float)) else f"{label} (not measured)"


__all__ = [
    "TRAIN_NOTEBOOK",
    "TRAIN_SCRIPT",
    "Cell",
    "bundle_member",
    "code_cells",
    "render_training_notebook",
    "render_training_script",
    "split_cells",
    "template_values",
    "write_training_code",
]
