"""One-click experiments: one setting, two to five values, everything else equal.

A product manager picks a setting (the learning method, the learning rate, the number of
neurons, dropout) and a few values; :func:`experiment_recipes` builds one validated recipe
per value from the current recipe, changing that setting only (same data, same seed, same
split), and :func:`submit_experiment` queues them through the job runner. Each job folder
gets an ``experiment.json`` (:data:`EXPERIMENT_FILE`) naming the experiment, the setting
varied and this run's value, so the runs can be found and compared later.

The settings an experiment can vary are one table, :data:`EXPERIMENT_SETTINGS`. No
TensorFlow here: pages import this module.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from core.errors import RecipeError
from core.i18n import Texts
from core.model.fields import spec_for
from core.model.recipe import Recipe

if TYPE_CHECKING:
    from pathlib import Path

    from core.jobs.status import JobRunner, JobStatus

EXPERIMENT_FILE = "experiment.json"  # in each job folder of an experiment
MIN_VALUES, MAX_VALUES = 2, 5

MESSAGES = Texts("core.jobs.experiments")  # the catalog runs.po


@dataclass(frozen=True)
class ExperimentSetting:
    """A setting an experiment can vary: how to read, write and show its values."""

    key: str
    label: str  # what the picker shows
    kind: str  # "choice", "float" or "int"
    defaults: tuple[Any, ...]  # values offered first
    apply: Callable[[Recipe, Any], Recipe]  # the recipe with this value (validated)
    describe: Callable[[Any], str]  # a run's short name for a value ("Adam", "64 neurons")


def _layers(recipe: Recipe, field: str, value: Any, first_only: bool) -> Recipe:
    layers = [layer.model_dump(mode="json") for layer in recipe.model.hidden_layers]
    if not layers:
        raise RecipeError(MESSAGES["no_layers"])
    for index, layer in enumerate(layers):
        if index == 0 or not first_only:
            layer[field] = value
    return recipe.with_changes(**{"model.hidden_layers": layers})


def _optimizer_label(value: Any) -> str:
    return (spec_for("training.optimizer").choices or {}).get(value, str(value))


def _optimizer_defaults() -> tuple[str, ...]:
    # Plain gradient descent is the textbook starting point, when the recipe offers it.
    known = spec_for("training.optimizer").choices or {}
    wanted = ("gradient_descent", "sgd", "adam")
    return tuple(value for value in wanted if value in known)


EXPERIMENT_SETTINGS: dict[str, ExperimentSetting] = {
    setting.key: setting
    for setting in (
        ExperimentSetting(
            "optimizer",
            spec_for("training.optimizer").label,
            "choice",
            _optimizer_defaults(),
            lambda recipe, value: recipe.with_changes(**{"training.optimizer": value}),
            _optimizer_label,
        ),
        ExperimentSetting(
            "learning_rate",
            "Learning rate",
            "float",
            (0.0001, 0.001, 0.01, 0.1),
            lambda recipe, value: recipe.with_changes(**{"training.learning_rate": value}),
            lambda value: f"Learning rate {value:g}",
        ),
        ExperimentSetting(
            "units_first",
            "Neurons in the first hidden layer",
            "int",
            (8, 32, 128),
            lambda recipe, value: _layers(recipe, "units", value, first_only=True),
            lambda value: f"{value:,} neurons in layer 1",
        ),
        ExperimentSetting(
            "units_all",
            "Neurons in every hidden layer",
            "int",
            (8, 32, 128),
            lambda recipe, value: _layers(recipe, "units", value, first_only=False),
            lambda value: f"{value:,} neurons per layer",
        ),
        ExperimentSetting(
            "dropout",
            "Dropout in every hidden layer",
            "float",
            (0.0, 0.3, 0.6),
            lambda recipe, value: _layers(recipe, "dropout", value, first_only=False),
            lambda value: f"Dropout {value:g}",
        ),
    )
}


@dataclass(frozen=True)
class ExperimentTag:
    """What ``experiment.json`` says about one run of an experiment."""

    experiment_id: str
    setting: str  # a key of EXPERIMENT_SETTINGS
    value: Any
    name: str  # the run's short name, from its value ("Adam", "Dropout 0.3")
    index: int  # 0-based position among the experiment's runs
    count: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> ExperimentTag | None:
        """The tag stored in a job folder, or None when missing or damaged."""
        try:
            return cls(
                experiment_id=str(data["experiment_id"]),
                setting=str(data["setting"]),
                value=data["value"],
                name=str(data["name"]),
                index=int(data["index"]),
                count=int(data["count"]),
            )
        except (TypeError, KeyError, ValueError):
            return None


def _setting(key: str) -> ExperimentSetting:
    try:
        return EXPERIMENT_SETTINGS[key]
    except KeyError:
        known = ", ".join(EXPERIMENT_SETTINGS)
        raise RecipeError(MESSAGES["unknown_setting"].format(setting=key, known=known)) from None


def parse_value(setting: str, raw: Any) -> Any:
    """One value as the setting needs it (text from a form is read as a number).

    Raises
    ------
    RecipeError
        In plain words, when the value is not of the setting's kind.
    """
    spec = _setting(setting)
    if spec.kind == "choice":
        known = spec_for("training.optimizer").choices or {}
        if raw not in known:
            shown = ", ".join(known.values())
            raise RecipeError(MESSAGES["not_a_choice"].format(value=raw, known=shown))
        return raw
    try:
        number = float(str(raw).strip().replace(",", "")) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        raise RecipeError(MESSAGES["not_a_number"].format(value=raw)) from None
    if spec.kind == "int":
        if not number.is_integer():
            raise RecipeError(MESSAGES["not_whole"].format(value=raw))
        return int(number)
    return number


def experiment_recipes(base: Recipe, setting: str, values: Sequence[Any]) -> list[Recipe]:
    """One recipe per value: ``base`` with only ``setting`` changed, each validated.

    Raises
    ------
    RecipeError
        If the setting is unknown, there are not 2-5 distinct values, or a value does not
        fit the setting; the message names the value and the fix.
    """
    spec = _setting(setting)
    parsed = [parse_value(setting, value) for value in values]
    if not MIN_VALUES <= len(parsed) <= MAX_VALUES:
        raise RecipeError(MESSAGES["count"].format(low=MIN_VALUES, high=MAX_VALUES, n=len(parsed)))
    seen: set[Any] = set()
    for value in parsed:
        if value in seen:
            raise RecipeError(MESSAGES["repeated"].format(value=spec.describe(value)))
        seen.add(value)
    recipes = []
    for value in parsed:
        try:
            recipes.append(spec.apply(base, value))
        except RecipeError as error:
            if str(error) == MESSAGES["no_layers"]:
                raise
            problem = str(error).removeprefix("The recipe has a problem: ")
            raise RecipeError(
                MESSAGES["invalid"].format(value=value, label=spec.label.lower(), problem=problem)
            ) from None
    return recipes


def submit_experiment(
    runner: JobRunner,
    data: bytes | Path,
    data_name: str,
    base: Recipe,
    setting: str,
    values: Sequence[Any],
) -> tuple[str, list[str]]:
    """Queue one run per value through ``runner``, tagged as one experiment.

    Every recipe is built and checked before the first run is queued, so a bad value
    queues nothing. Returns the experiment id and the job ids, in the order of ``values``.

    Raises
    ------
    RecipeError
        See :func:`experiment_recipes`; also when the recipe has no column to predict.
    TrainingError
        If the runner cannot start a run (runs already queued keep going).
    """
    if base.target is None:
        raise RecipeError(MESSAGES["no_target"])
    spec = _setting(setting)
    recipes = experiment_recipes(base, setting, values)
    parsed = [parse_value(setting, value) for value in values]
    experiment_id = secrets.token_hex(8)
    job_ids = []
    for index, (value, recipe) in enumerate(zip(parsed, recipes, strict=True)):
        tag = ExperimentTag(
            experiment_id, setting, value, spec.describe(value), index, len(recipes)
        )
        job_ids.append(
            runner.submit(data, data_name, recipe, notes={EXPERIMENT_FILE: tag.to_dict()})
        )
    return experiment_id, job_ids


def experiment_runs(statuses: Sequence[JobStatus], experiment_id: str) -> list[JobStatus]:
    """The runs of one experiment among ``statuses``, in the order they were queued."""
    found = [s for s in statuses if s.experiment and s.experiment.experiment_id == experiment_id]
    return sorted(found, key=lambda s: s.experiment.index if s.experiment else 0)


__all__ = [
    "EXPERIMENT_FILE",
    "EXPERIMENT_SETTINGS",
    "ExperimentSetting",
    "ExperimentTag",
    "experiment_recipes",
    "experiment_runs",
    "parse_value",
    "submit_experiment",
]
