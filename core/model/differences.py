"""The settings that differ between recipes, each in the words the Design page uses.

Comparing runs shows only what changed, as "setting: run A → run B": each setting with
its plain label (:func:`core.model.fields.field_specs`) and each value as a person reads
it (a choice's plain label, "on"/"off", "automatic (0.001)" for a learning rate left
empty). The hidden layers read as one row of neurons per layer, plus one row per layer
setting (activation, dropout) that shows a single value when every layer agrees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.i18n import Texts
from core.model.fields import FieldSpec, field_specs, spec_for
from core.model.recipe import LayerConfig, Recipe

# All user-facing words of this module, in one place for translation.
TEXT = Texts("core.model.differences")  # the catalog runs.po

_FIELDS_WITHOUT_A_ROW = {"model.hidden_layers"}  # shown as layer rows below


@dataclass(frozen=True)
class SettingDifference:
    """A setting that differs: its plain label and each run's value, in plain words."""

    path: str
    label: str
    values: tuple[str, ...]  # one per run, in run order


def _plain(spec: FieldSpec, value: Any, recipe: Recipe) -> str:
    """One setting's value as the Design page would say it."""
    if spec.choices is not None:
        return spec.choices.get(value, str(value))
    if isinstance(value, bool):
        return TEXT["on"] if value else TEXT["off"]
    if value is None:
        if spec.path == "training.learning_rate":
            return TEXT["automatic_rate"].format(rate=recipe.training.effective_learning_rate)
        return TEXT["automatic"]
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value) or TEXT["none"]
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _get(values: dict[str, Any], path: str) -> Any:
    node: Any = values
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _layer_rows(recipe: Recipe) -> dict[str, tuple[Any, str]]:
    """The hidden layers as rows: neurons, then each layer setting (one value if all agree)."""
    layers = recipe.model.hidden_layers
    rows: dict[str, tuple[Any, str]] = {
        "model.hidden_layers": (
            [layer.units for layer in layers],
            ", ".join(f"{layer.units:,}" for layer in layers) or TEXT["no_layers"],
        )
    }
    for spec in field_specs(LayerConfig, prefix="layer."):
        if spec.path == "layer.units":
            continue
        raw = [getattr(layer, spec.path.removeprefix("layer.")) for layer in layers]
        shown = [_plain(spec, value, recipe) for value in raw]
        text = shown[0] if len(set(shown)) == 1 else ", ".join(shown)
        rows[spec.path] = (raw if len(set(shown)) > 1 else raw[:1], text if shown else "—")
    return rows


def _setting_rows(recipe: Recipe) -> dict[str, tuple[str, Any, str]]:
    """Every setting of a recipe: path -> (label, raw value, plain value)."""
    values = recipe.to_dict()
    rows: dict[str, tuple[str, Any, str]] = {}
    for spec in field_specs(Recipe):
        if spec.path in _FIELDS_WITHOUT_A_ROW:
            continue
        raw = _get(values, spec.path)
        rows[spec.path] = (spec.label, raw, _plain(spec, raw, recipe))
    for path, (raw, text) in _layer_rows(recipe).items():
        label = TEXT["layers"] if path == "model.hidden_layers" else spec_for(path).label
        rows[path] = (label, raw, text)
    return rows


def differing_settings(recipes: Sequence[Recipe | None]) -> list[SettingDifference]:
    """The settings whose values are not the same in every recipe, in recipe order.

    A missing recipe (a damaged job folder) reads as "unknown" and differs from any value.
    """
    tables = [_setting_rows(recipe) if recipe is not None else None for recipe in recipes]
    known = next((table for table in tables if table is not None), None)
    if known is None or len(recipes) < 2:
        return []
    paths = list(known)
    for table in tables:
        for path in table or {}:
            if path not in paths:
                paths.append(path)
    differences = []
    for path in paths:
        cells = [table.get(path) if table is not None else None for table in tables]
        # The plain value counts too: an empty learning rate means another rate per method.
        raws = [(cell[1], cell[2]) if cell is not None else _Unknown for cell in cells]
        if all(raw == raws[0] for raw in raws[1:]):
            continue
        label = next(cell[0] for cell in cells if cell is not None)
        shown = tuple(cell[2] if cell is not None else TEXT["unknown"] for cell in cells)
        differences.append(SettingDifference(path=path, label=label, values=shown))
    return differences


class _Unknown:
    """Stands for a value that could not be read: it equals nothing else."""
