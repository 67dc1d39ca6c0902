"""The recipe format in words: every setting with its meaning, default and allowed values.

Generated from the recipe's own field declarations (:func:`core.model.fields.field_specs`),
so the README's recipe reference (``trainboard recipe --explain``) cannot drift from the
code: ``tests/test_cli.py`` checks that the README holds exactly this text.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from core.model.fields import FieldSpec, field_specs
from core.model.recipe import LayerConfig, Recipe

# Where the list of hidden layers is, and how one layer's settings are named in the reference.
LAYERS_PATH = "model.hidden_layers"
LAYER_PREFIX = f"{LAYERS_PATH}[]."

# Settings whose values are not a number, a yes/no or a choice: said in words.
FREE_FORM_VALUES = {
    "target": "the name of a column of the data file (`trainboard train --target` sets it)",
    "drop_columns": "a list of column names",
    LAYERS_PATH: "a list of up to 10 layers, each an object with the `"
    + "`, `".join(LayerConfig.model_fields)
    + "` settings below (missing ones take their defaults); `[]` gives a plain linear model",
}


def recipe_reference() -> str:
    """The recipe format as Markdown: one table per section, in the order of a recipe's JSON."""
    sections: dict[str, list[FieldSpec]] = {"": []}
    for spec in field_specs(Recipe):
        section = spec.path.split(".")[0] if "." in spec.path else ""
        sections.setdefault(section, []).append(spec)
        if spec.path == LAYERS_PATH:
            sections[section].extend(field_specs(LayerConfig, prefix=LAYER_PREFIX))
    parts = []
    for section, specs in sections.items():
        if section:
            parts.append(f"`{section}`: {_section_doc(section)}")
        else:
            parts.append("Top level: what to predict, what to leave out, and the random seed.")
        parts.append(_table(specs))
    return "\n\n".join(parts)


def _section_doc(section: str) -> str:
    annotation = Recipe.model_fields[section].annotation
    assert isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return " ".join((annotation.__doc__ or "").split())


def _table(specs: list[FieldSpec]) -> str:
    rows = [
        "| setting | what it means | default | allowed values |",
        "| --- | --- | --- | --- |",
    ]
    for spec in specs:
        meaning = f"**{spec.label}.** {spec.help}" if spec.help else f"**{spec.label}.**"
        cells = [f"`{spec.path}`", meaning, _json(spec.default), _allowed(spec)]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


def _json(value: Any) -> str:
    return f"`{json.dumps(value)}`"


def _number(value: float) -> str:
    # 2147483647, not 2.14748e+09: a limit is read to be typed in.
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _allowed(spec: FieldSpec) -> str:
    if spec.kind == "choice":
        assert spec.choices is not None
        helps = spec.choice_help or {}
        return "<br>".join(
            f"{_json(value)}: {label}" + (f" — {helps[value]}" if value in helps else "")
            for value, label in spec.choices.items()
        )
    if spec.kind == "bool":
        return "`true` or `false`"
    if spec.kind in ("int", "float", "optional_int", "optional_float"):
        words = "a whole number" if "int" in spec.kind else "a number"
        limits = []
        if spec.minimum is not None:
            word = "above" if spec.exclusive_minimum else "at least"
            limits.append(f"{word} {_number(spec.minimum)}")
        if spec.maximum is not None:
            word = "below" if spec.exclusive_maximum else "at most"
            limits.append(f"{word} {_number(spec.maximum)}")
        text = f"{words} {' and '.join(limits)}" if limits else words
        if spec.kind.startswith("optional"):
            text += ", or `null` (automatic)"
        return text
    if spec.path in FREE_FORM_VALUES:
        return FREE_FORM_VALUES[spec.path]
    raise KeyError(f"{spec.path}: say in FREE_FORM_VALUES what values this setting takes")
