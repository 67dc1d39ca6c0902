"""The settings a search tries, declared once, and the recipe of each try.

:data:`SEARCH_SPACE` is one table: each entry names an Optuna parameter, the recipe setting
whose declared range or choice table bounds it (checked by :func:`check_search_space`, so a
search can never propose a value the recipe would refuse), and the values it may take.
Everything else in the recipe (the data preparation, the split, the seed, the training
length) stays as the person set it: every try learns from the same training rows and is
judged on the same validation rows.

The learning rate is searched as a factor of the chosen learning method's own default (one
tenth to ten times), because a good rate for Adam is far too small for plain SGD: the
defaults in :data:`core.model.choices.OPTIMIZERS` carry that knowledge. No TensorFlow here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from annotated_types import MaxLen

from core.i18n import Texts
from core.model.choices import OPTIMIZERS, optimizers_using
from core.model.fields import spec_for
from core.model.recipe import ModelConfig, Recipe

TEXT = Texts("core.tuning.space")

MIN_UNITS = 8  # a narrowing network never goes below this many neurons in a layer


class SuggestsValues(Protocol):
    """The part of an Optuna trial the space needs (an ``optuna.Trial`` or a stand-in)."""

    def suggest_categorical(self, name: str, choices: Any) -> Any: ...

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float: ...

    def suggest_int(self, name: str, low: int, high: int) -> int: ...


@dataclass(frozen=True)
class Dimension:
    """One searched setting: an Optuna parameter and the recipe setting that bounds it."""

    name: str  # the Optuna parameter
    setting: str  # the recipe setting (``spec_for`` path) whose declared range bounds it
    kind: Literal["choice", "float", "int"]
    choices: tuple[Any, ...] = ()
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    step: float | None = None

    def suggest(self, trial: SuggestsValues) -> Any:
        """This dimension's value for ``trial``."""
        if self.kind == "choice":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high))
        return trial.suggest_float(self.name, self.low, self.high, step=self.step, log=self.log)


def _dimensions(*dimensions: Dimension) -> dict[str, Dimension]:
    return {dimension.name: dimension for dimension in dimensions}


SEARCH_SPACE: dict[str, Dimension] = _dimensions(
    # Plain gradient descent (all rows per step) is left out: it needs many more passes than
    # a time-boxed search can give it. Every other learning method of the table is tried.
    Dimension("optimizer", "training.optimizer", "choice", choices=optimizers_using("batch_size")),
    Dimension(
        "learning_rate_factor", "training.learning_rate", "float", low=0.1, high=10.0, log=True
    ),
    Dimension("hidden_layers", "model.hidden_layers", "int", low=1, high=3),
    Dimension("first_layer_units", "layer.units", "choice", choices=(16, 32, 64, 128, 256)),
    # 1: every layer as wide as the first; 2: each layer half the one before (128-64-32).
    Dimension("narrowing", "layer.units", "choice", choices=(1, 2)),
    Dimension("dropout", "layer.dropout", "float", low=0.0, high=0.5, step=0.05),
    Dimension("l2", "model.l2", "float", low=1e-6, high=1e-3, log=True),
    # None: the automatic batch size, from the number of training rows.
    Dimension("batch_size", "training.batch_size", "choice", choices=(None, 32, 64, 128, 256)),
)


def _bounds(setting: str) -> tuple[float, float]:
    if setting == "model.hidden_layers":
        limits = ModelConfig.model_fields["hidden_layers"].metadata
        longest = next(m.max_length for m in limits if isinstance(m, MaxLen))
        return 0.0, float(longest)
    spec = spec_for(setting)
    low = -float("inf") if spec.minimum is None else float(spec.minimum)
    high = float("inf") if spec.maximum is None else float(spec.maximum)
    return low, high


def check_search_space(space: Mapping[str, Dimension] = SEARCH_SPACE) -> list[str]:
    """Every way ``space`` leaves the recipe's declared ranges or choice tables (empty: none).

    A learning-rate factor is checked for every optimizer the space may pick: the rates it
    gives must lie inside the recipe's learning-rate range.
    """
    problems = []
    for dimension in space.values():
        if dimension.kind == "choice" and dimension.setting == "training.optimizer":
            known = spec_for(dimension.setting).choices or {}
            problems += [
                f"{dimension.name}: {c!r} is no choice" for c in dimension.choices if c not in known
            ]
            continue
        low, high = _bounds(dimension.setting)
        if dimension.name == "learning_rate_factor":
            rates = [
                OPTIMIZERS[o].learning_rate * f
                for o in space["optimizer"].choices
                for f in (dimension.low, dimension.high)
            ]
            values: list[Any] = rates
        elif dimension.name == "narrowing":
            values = [MIN_UNITS, *dimension.choices]
        elif dimension.kind == "choice":
            values = [c for c in dimension.choices if c is not None]
        else:
            values = [dimension.low, dimension.high]
        problems += [
            f"{dimension.name}: {value} is outside {dimension.setting}'s range {low}..{high}"
            for value in values
            if not low <= value <= high or (value == low and spec_is_exclusive(dimension.setting))
        ]
    return problems


def spec_is_exclusive(setting: str) -> bool:
    """Whether the setting's lower bound is itself refused (``gt``), e.g. the learning rate."""
    if setting == "model.hidden_layers":
        return False
    return spec_for(setting).exclusive_minimum


def suggest_recipe(trial: SuggestsValues, base: Recipe) -> Recipe:
    """The recipe ``trial`` proposes: ``base`` with the searched settings drawn for it."""
    return recipe_for({name: dim.suggest(trial) for name, dim in SEARCH_SPACE.items()}, base)


def recipe_for(params: Mapping[str, Any], base: Recipe) -> Recipe:
    """``base`` with the searched settings set from Optuna's ``params`` (validated)."""
    optimizer = params["optimizer"]
    # Three significant digits: a rate a person can read and type again (0.00316).
    rate = float(f"{OPTIMIZERS[optimizer].learning_rate * params['learning_rate_factor']:.3g}")
    activation = base.model.hidden_layers[0].activation if base.model.hidden_layers else "relu"
    layers, units = [], int(params["first_layer_units"])
    for _ in range(int(params["hidden_layers"])):
        layers.append(
            {"units": units, "activation": activation, "dropout": float(params["dropout"])}
        )
        units = max(MIN_UNITS, units // int(params["narrowing"]))
    return base.with_changes(
        **{
            "training.optimizer": optimizer,
            "training.learning_rate": rate,
            "training.batch_size": params["batch_size"],
            "model.hidden_layers": layers,
            "model.l2": float(params["l2"]),
        }
    )


def params_of(recipe: Recipe) -> dict[str, Any] | None:
    """The search parameters that give back ``recipe``'s searched settings, or None.

    The search starts with the person's own recipe, so the best found is never worse on
    the validation rows than what they had; None when the recipe lies outside the space
    (e.g. plain gradient descent, or layers of uneven widths).
    """
    training, model = recipe.training, recipe.model
    layers = model.hidden_layers
    if training.optimizer not in SEARCH_SPACE["optimizer"].choices or not layers:
        return None
    units = [layer.units for layer in layers]
    narrowing = 2 if len(units) > 1 and units[1] != units[0] else 1
    params = {
        "optimizer": training.optimizer,
        "learning_rate_factor": training.effective_learning_rate
        / OPTIMIZERS[training.optimizer].learning_rate,
        "hidden_layers": len(layers),
        "first_layer_units": units[0],
        "narrowing": narrowing,
        "dropout": layers[0].dropout,
        "l2": model.l2,
        "batch_size": training.batch_size,
    }
    if not _inside(params):
        return None
    # The recipe a trial with these parameters trains: the same, with the rate written out.
    rate = float(f"{training.effective_learning_rate:.3g}")
    if recipe_for(params, recipe) != recipe.with_changes(**{"training.learning_rate": rate}):
        return None
    return params


def _inside(params: Mapping[str, Any]) -> bool:
    for name, dimension in SEARCH_SPACE.items():
        value = params[name]
        if dimension.kind == "choice":
            if value not in dimension.choices:
                return False
        elif not dimension.low <= value <= dimension.high:
            return False
        elif (
            dimension.step is not None
            and abs(value / dimension.step - round(value / dimension.step)) > 1e-9
        ):
            return False
    return True


def settings_label(recipe: Recipe) -> str:
    """The searched settings in a few words: "Adam, lr 0.003, 128-64"."""
    layers = "-".join(str(layer.units) for layer in recipe.model.hidden_layers)
    return TEXT["settings"].format(
        optimizer=OPTIMIZERS[recipe.training.optimizer].name,
        rate=recipe.training.effective_learning_rate,
        layers=layers or TEXT["no_layers"],
    )


def trial_name(number: int, recipe: Recipe) -> str:
    """A trial run's name: "Tuning trial 3: Adam, lr 0.003, 128-64" (numbered from 1)."""
    return TEXT["trial_name"].format(number=number, settings=settings_label(recipe))


def best_run_name(recipe: Recipe) -> str:
    """The final run's name: "Best settings found (Adam, lr 0.003, 128-64)"."""
    return TEXT["best_name"].format(settings=settings_label(recipe))
