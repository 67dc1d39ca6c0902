"""What a user interface needs to render each recipe setting as a widget.

Every setting of :mod:`core.model.recipe` carries its plain-language label, help text,
choices or range and default; :func:`field_specs` reads them back in declaration
order, so the pages draw their widgets from the recipe itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import BaseModel

from core.i18n import DEFAULT_LANGUAGE, catalog, current_language
from core.model.choices import choice_label
from core.model.recipe import LayerConfig, Recipe


@dataclass(frozen=True)
class FieldSpec:
    """What a user interface needs to render one recipe setting as a widget."""

    path: str  # dotted name, e.g. "training.optimizer"
    label: str
    help: str
    kind: Literal["choice", "int", "float", "optional_int", "optional_float", "bool", "other"]
    default: Any
    group: Literal["basic", "advanced"]
    choices: dict[str, str] | None = None  # value -> plain label
    choice_help: dict[str, str] | None = None  # value -> one sentence on what it does
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False

    @property
    def full_help(self) -> str:
        """The help text, followed for a choice by one line per option ("label: what it does")."""
        if not self.choices or not self.choice_help:
            return self.help
        options = "\n".join(
            f"- {label}: {self.choice_help[value]}"
            for value, label in self.choices.items()
            if value in self.choice_help
        )
        return f"{self.help}\n\n{options}"


def field_specs(section: type[BaseModel], prefix: str = "") -> list[FieldSpec]:
    """Describe the scalar settings of a recipe section, in declaration order.

    Nested sections are walked; lists (hidden layers) and free-form fields
    (target, columns to drop) are described with kind ``"other"``.
    """
    specs: list[FieldSpec] = []
    for name, info in section.model_fields.items():
        path = f"{prefix}{name}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            specs.extend(field_specs(annotation, prefix=f"{path}."))
            continue
        extra = info.json_schema_extra or {}
        choices = extra.get("choices")
        minimum = maximum = None
        exclusive = exclusive_max = False
        for constraint in info.metadata:
            for attr in ("ge", "gt"):
                if getattr(constraint, attr, None) is not None:
                    minimum = getattr(constraint, attr)
                    exclusive = attr == "gt"
            for attr in ("le", "lt"):
                if getattr(constraint, attr, None) is not None:
                    maximum = getattr(constraint, attr)
                    exclusive_max = attr == "lt"
        kind = _kind_of(annotation, choices)
        default = info.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            default = default.model_dump(mode="json")
        elif isinstance(default, tuple):
            default = [
                d.model_dump(mode="json") if isinstance(d, BaseModel) else d for d in default
            ]
        specs.append(
            _in_language(
                FieldSpec(
                    path=path,
                    label=extra.get("label", name),
                    help=info.description or "",
                    kind=kind,
                    default=default,
                    group=extra.get("group", "advanced"),
                    choices=choices,
                    choice_help=extra.get("choice_help"),
                    minimum=minimum,
                    maximum=maximum,
                    exclusive_minimum=exclusive,
                    exclusive_maximum=exclusive_max,
                )
            )
        )
    return specs


# Recipe setting -> the name of its choice table in the catalog (core.choices.<name>.<value>).
CHOICE_SETTINGS = {
    "preprocessing.numeric_missing": "numeric_missing",
    "preprocessing.categorical_missing": "categorical_missing",
    "preprocessing.numeric_scaling": "scaling",
    "preprocessing.categorical_encoding": "encoding",
    "training.optimizer": "optimizer",
    "training.class_weight": "class_weight",
    "layer.activation": "activation",
    "model.number_embedding": "number_embedding",
}


def _in_language(spec: FieldSpec) -> FieldSpec:
    """``spec`` with its words in the current language: the catalog texts
    ``core.recipe.<path>.label`` / ``.help`` (recipe.po) and, for a choice, each option's
    ``core.choices.<table>.<value>`` / ``.help``. The recipe's own English declarations stay
    the source; tests/test_i18n_core.py checks the English catalog says the same."""
    code = current_language()
    if code == DEFAULT_LANGUAGE:
        return spec
    texts = catalog(code)
    changes: dict[str, Any] = {
        "label": texts.get(f"core.recipe.{spec.path}.label") or spec.label,
        "help": texts.get(f"core.recipe.{spec.path}.help") or spec.help,
    }
    table = CHOICE_SETTINGS.get(spec.path)
    if table and spec.choices:
        changes["choices"] = {v: choice_label(table, v, text) for v, text in spec.choices.items()}
    if table and spec.choice_help:
        changes["choice_help"] = {
            v: texts.get(f"core.choices.{table}.{v}.help") or text
            for v, text in spec.choice_help.items()
        }
    return replace(spec, **changes)


def _kind_of(annotation: Any, choices: dict | None) -> str:
    if choices is not None:
        return "choice"
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is float:
        return "float"
    if annotation == (int | None):
        return "optional_int"
    if annotation == (float | None):
        return "optional_float"
    return "other"


def spec_for(path: str) -> FieldSpec:
    """The :class:`FieldSpec` of one dotted setting name (layer fields: ``"layer.units"``)."""
    if path.startswith("layer."):
        pool = field_specs(LayerConfig, prefix="layer.")
    else:
        pool = field_specs(Recipe)
    for spec in pool:
        if spec.path == path:
            return spec
    raise KeyError(path)
