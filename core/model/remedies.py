"""One-click fixes for the training doctor: recipe changes that answer a diagnosis.

A :class:`Fix` is a short label and a dict of dotted recipe settings with their new
values, exactly what :meth:`core.model.recipe.Recipe.with_changes` takes, so a page
applies it with ``fix.apply(recipe)``. Every builder here returns ``None`` when its
change would not change anything (dropout already at the ceiling, no hidden layer
to shrink...), and clamps its value to the range the recipe declares for the
setting (read from :func:`core.model.fields.spec_for`), so applying a fix never
fails validation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from core.i18n import Message, Texts
from core.model.fields import spec_for
from core.model.recipe import LayerConfig, Recipe

# How far each fix moves a setting, with why. Steps are big enough that the next run
# shows a difference, small enough not to overshoot into the opposite problem.
DIVERGED_LR_FACTOR = 10  # the rule: a blow-up needs a learning rate 10 times lower
UNSTEADY_LR_FACTOR = 3  # zigzag: a gentler cut than a blow-up; 3x is the usual grid step
FASTER_LR_FACTOR = 3  # underfitting: one grid step up ...
MAX_SUGGESTED_LR = 0.1  # ... but never past 0.1, where Adam-like optimizers usually blow up
DROPOUT_STEP = 0.2  # more dropout: +0.2 per layer (0.3 default -> 0.5) ...
MAX_SUGGESTED_DROPOUT = 0.6  # ... up to 0.6; beyond that the network learns too little per pass
L2_FACTOR = 10  # a weight penalty works on a log scale: one decade stronger
MIN_SUGGESTED_L2 = 1e-4  # from zero (or a token 1e-5), start where it has a visible effect
MAX_SUGGESTED_L2 = 1e-2  # above this the penalty dominates the error and the network underfits
UNITS_FACTOR = 2  # neurons are halved or doubled: smaller steps rarely change the curves
MIN_SUGGESTED_UNITS = 4  # fewer neurons than this per layer is no longer a useful network
MAX_SUGGESTED_UNITS = 1024  # more would make training slow on a laptop for little gain
MAX_SUGGESTED_LAYERS = 4  # tabular data rarely gains from deeper networks
BATCH_FACTOR = 4  # averaging over 4x the rows halves the noise of each step (sqrt(4))
EPOCHS_FACTOR = 2  # still improving at the limit: double the limit (early stopping ends it)

# The fixes' labels: keys of the catalog "core.model.remedies" (doctor.po).
LABELS = Texts("core.model.remedies")


def _label(name: str, /, **params: Any) -> Message:
    LABELS[name]  # an unknown name fails here, where it is written
    return Message(LABELS.key(name), params)


@dataclass(frozen=True)
class Fix:
    """A one-click change to the recipe: a short label and dotted settings -> new values.

    ``text`` is the label as a message (shown in the reader's language: ``label``).
    """

    text: Message
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The label in the current language."""
        return self.text.render()

    def apply(self, recipe: Recipe) -> Recipe:
        """The recipe with this fix applied (validated; raises ``RecipeError`` if invalid)."""
        return recipe.with_changes(**self.changes)

    def to_dict(self) -> dict[str, Any]:
        """The English label (for older readers), the label as a message, the changes."""
        return {
            "label": self.text.render("en"),
            "label_message": self.text.to_dict(),
            "changes": dict(self.changes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fix:
        stored = data.get("label_message")
        text = (
            Message.from_dict(stored)
            if isinstance(stored, dict) and stored.get("key")
            else Message.verbatim(str(data["label"]))
        )
        return cls(text=text, changes=dict(data.get("changes") or {}))


def _round(value: float) -> float:
    """Three significant digits: 0.000333 rather than 0.00033333333333333335."""
    return float(f"{value:.3g}")


def _clamp(path: str, value: float) -> float:
    """Keep a value inside the range the recipe declares for ``path``."""
    spec = spec_for(path)
    if spec.maximum is not None:
        value = min(value, spec.maximum)
    if spec.minimum is not None:
        value = max(value, spec.minimum)
    return value


def _layers(recipe: Recipe, **changes: Any) -> list[dict[str, Any]]:
    return [
        layer.model_copy(update=changes).model_dump(mode="json")
        for layer in recipe.model.hidden_layers
    ]


def learning_rate_fix(recipe: Recipe, factor: float) -> Fix | None:
    """The learning rate multiplied by ``factor`` (below 1 lowers it), or None if unchanged."""
    current = recipe.training.effective_learning_rate
    target = current * factor
    if factor > 1:
        target = min(target, MAX_SUGGESTED_LR)
    value = _round(_clamp("training.learning_rate", target))
    if math.isclose(value, current) or (factor > 1 and value <= current):
        return None
    key = "lower_lr" if value < current else "higher_lr"
    return Fix(_label(key, value=f"{value:g}"), {"training.learning_rate": value})


def dropout_fix(recipe: Recipe) -> Fix | None:
    """Every hidden layer's dropout raised by ``DROPOUT_STEP`` (up to the ceiling)."""
    layers = recipe.model.hidden_layers
    if not layers:
        return None
    ceiling = min(MAX_SUGGESTED_DROPOUT, spec_for("layer.dropout").maximum or 1.0)
    value = round(min(ceiling, max(layer.dropout for layer in layers) + DROPOUT_STEP), 2)
    if all(layer.dropout >= value for layer in layers):
        return None
    return Fix(
        _label("more_dropout", value=f"{value:g}"),
        {"model.hidden_layers": _layers(recipe, dropout=value)},
    )


def l2_fix(recipe: Recipe) -> Fix | None:
    """A weight penalty one decade stronger (at least ``MIN_SUGGESTED_L2``)."""
    current = recipe.model.l2
    value = _round(
        _clamp("model.l2", min(MAX_SUGGESTED_L2, max(MIN_SUGGESTED_L2, current * L2_FACTOR)))
    )
    if value <= current:
        return None
    return Fix(_label("stronger_l2", value=f"{value:g}"), {"model.l2": value})


def _units_fix(recipe: Recipe, factor: float, key: str) -> Fix | None:
    layers = recipe.model.hidden_layers
    if not layers:
        return None
    bound = MIN_SUGGESTED_UNITS if factor < 1 else MAX_SUGGESTED_UNITS
    new_units = []
    for layer in layers:
        units = round(layer.units * factor)
        units = max(units, bound) if factor < 1 else min(units, bound)
        # Never move a layer the wrong way (a 2-neuron layer is not "shrunk" to 4).
        units = min(units, layer.units) if factor < 1 else max(units, layer.units)
        new_units.append(int(_clamp("layer.units", units)))
    if new_units == [layer.units for layer in layers]:
        return None
    changed = [
        layer.model_copy(update={"units": units}).model_dump(mode="json")
        for layer, units in zip(layers, new_units, strict=True)
    ]
    label = _label(key, value=", ".join(str(u) for u in new_units))
    return Fix(label, {"model.hidden_layers": changed})


def fewer_units_fix(recipe: Recipe) -> Fix | None:
    """Every hidden layer with half the neurons (at least ``MIN_SUGGESTED_UNITS``)."""
    return _units_fix(recipe, 1 / UNITS_FACTOR, "fewer_units")


def more_units_fix(recipe: Recipe) -> Fix | None:
    """Every hidden layer with twice the neurons (at most ``MAX_SUGGESTED_UNITS``)."""
    return _units_fix(recipe, UNITS_FACTOR, "more_units")


def add_layer_fix(recipe: Recipe) -> Fix | None:
    """One more hidden layer, shaped like the last one (or the default layer)."""
    layers = recipe.model.hidden_layers
    if len(layers) >= MAX_SUGGESTED_LAYERS:
        return None
    new = (layers[-1] if layers else LayerConfig()).model_dump(mode="json")
    return Fix(
        _label("add_layer", value=new["units"]),
        {"model.hidden_layers": [*_layers(recipe), new]},
    )


def early_stopping_fix(recipe: Recipe) -> Fix | None:
    """Early stopping switched on, when it is off."""
    if recipe.training.early_stopping:
        return None
    return Fix(_label("early_stopping"), {"training.early_stopping": True})


def more_epochs_fix(recipe: Recipe) -> Fix | None:
    """A pass limit ``EPOCHS_FACTOR`` times higher, with early stopping on to end it in time."""
    current = recipe.training.max_epochs
    value = int(_clamp("training.max_epochs", current * EPOCHS_FACTOR))
    if value <= current:
        return None
    return Fix(
        _label("more_epochs", value=value),
        {"training.max_epochs": value, "training.early_stopping": True},
    )


def stop_sooner_fix(recipe: Recipe, epochs: int) -> Fix | None:
    """A pass limit of ``epochs`` (when lower than the recipe's)."""
    value = int(_clamp("training.max_epochs", epochs))
    if value >= recipe.training.max_epochs:
        return None
    return Fix(_label("stop_sooner", value=value), {"training.max_epochs": value})


def larger_batch_fix(recipe: Recipe, batch_size: int | None) -> Fix | None:
    """Batches ``BATCH_FACTOR`` times larger than the run's (``batch_size``: the size used)."""
    current = recipe.training.batch_size or batch_size
    if current is None:
        return None
    value = int(_clamp("training.batch_size", current * BATCH_FACTOR))
    if value <= current:
        return None
    return Fix(_label("larger_batch", value=f"{value:,}"), {"training.batch_size": value})


def simple_model_fix(recipe: Recipe) -> Fix | None:
    """No hidden layers: the network becomes a plain logistic/linear model."""
    if not recipe.model.hidden_layers:
        return None
    return Fix(_label("simple_model"), {"model.hidden_layers": []})


def collect(*fixes: Fix | None) -> tuple[Fix, ...]:
    """The fixes that apply, in the given order (most useful first)."""
    return tuple(fix for fix in fixes if fix is not None)
