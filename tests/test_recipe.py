"""The recipe: validation in plain words, JSON round trip, immutability and field metadata."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from core.errors import RecipeError
from core.model.choices import OPTIMIZERS
from core.model.fields import field_specs, spec_for
from core.model.recipe import (
    AUTO_BATCH_MAX,
    AUTO_BATCH_MIN,
    LayerConfig,
    Recipe,
    TrainingConfig,
)

# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"colour": "blue"}, "colour"),
        ({"training": {"optimiser": "adam"}}, "training.optimiser"),
        ({"model": {"hidden_layers": [{"units": 8, "neurons": 3}]}}, "neurons"),
    ],
)
def test_unknown_keys_are_rejected_by_name(data: dict, named: str) -> None:
    with pytest.raises(RecipeError) as caught:
        Recipe.from_dict(data)
    message = str(caught.value)
    assert named in message
    assert "not a recipe setting" in message


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"seed": -1}, "seed"),
        ({"split": {"validation_fraction": 0.01}}, "split.validation_fraction"),
        ({"split": {"test_fraction": 0.9}}, "split.test_fraction"),
        ({"training": {"learning_rate": 0}}, "training.learning_rate"),
        ({"training": {"learning_rate": 100.0}}, "training.learning_rate"),
        ({"training": {"momentum": 1.0}}, "training.momentum"),
        ({"training": {"max_epochs": 0}}, "training.max_epochs"),
        ({"training": {"batch_size": 0}}, "training.batch_size"),
        ({"preprocessing": {"max_categories": 1}}, "preprocessing.max_categories"),
        ({"model": {"l2": 2.0}}, "model.l2"),
        ({"model": {"hidden_layers": [{"units": 0}]}}, "model.hidden_layers.0.units"),
        ({"model": {"hidden_layers": [{"units": 4, "dropout": 0.95}]}}, "dropout"),
    ],
)
def test_out_of_range_values_name_the_setting(data: dict, named: str) -> None:
    with pytest.raises(RecipeError) as caught:
        Recipe.from_dict(data)
    message = str(caught.value)
    assert named in message
    assert "must be at" in message  # "must be at least ..." / "must be at most ..."


def test_too_many_hidden_layers_is_rejected() -> None:
    with pytest.raises(RecipeError, match="model.hidden_layers"):
        Recipe.from_dict({"model": {"hidden_layers": [{"units": 2}] * 11}})


@pytest.mark.parametrize(
    ("data", "named", "value"),
    [
        ({"training": {"optimizer": "adamm"}}, "training.optimizer", "adamm"),
        (
            {"preprocessing": {"numeric_scaling": "zscore"}},
            "preprocessing.numeric_scaling",
            "zscore",
        ),
        ({"preprocessing": {"numeric_missing": "zero"}}, "preprocessing.numeric_missing", "zero"),
        ({"training": {"class_weight": "on"}}, "training.class_weight", "on"),
        ({"model": {"hidden_layers": [{"activation": "swish"}]}}, "activation", "swish"),
    ],
)
def test_wrong_choices_name_the_setting_and_the_value(data: dict, named: str, value: str) -> None:
    with pytest.raises(RecipeError) as caught:
        Recipe.from_dict(data)
    message = str(caught.value)
    assert named in message
    assert value in message
    assert "must be one of" in message


def test_validation_and_test_fractions_together_too_large() -> None:
    # Each is within its own range (at most 0.4), but together they leave under 40% to learn from.
    with pytest.raises(RecipeError) as caught:
        Recipe.from_dict({"split": {"validation_fraction": 0.35, "test_fraction": 0.3}})
    message = str(caught.value).lower()
    assert "validation" in message and "test" in message
    # The same two values, each alone, are fine.
    Recipe.from_dict({"split": {"validation_fraction": 0.35, "test_fraction": 0.2}})
    Recipe.from_dict({"split": {"validation_fraction": 0.2, "test_fraction": 0.3}})


def test_target_also_dropped_is_rejected() -> None:
    with pytest.raises(RecipeError) as caught:
        Recipe.from_dict({"target": "churn", "drop_columns": ["id", "churn"]})
    assert "'churn'" in str(caught.value)
    with pytest.raises(RecipeError, match="churn"):
        Recipe(target="churn").with_changes(drop_columns=["churn"])


def test_wrong_type_of_value_is_a_recipe_error() -> None:
    with pytest.raises(RecipeError, match="training.max_epochs"):
        Recipe.from_dict({"training": {"max_epochs": "lots"}})
    with pytest.raises(RecipeError, match="JSON object"):
        Recipe.from_dict(["not", "a", "dict"])  # type: ignore[arg-type]


def test_several_problems_are_all_reported() -> None:
    with pytest.raises(RecipeError) as caught:
        Recipe.from_dict({"seed": -5, "training": {"optimizer": "nope"}})
    message = str(caught.value)
    assert "seed" in message and "training.optimizer" in message


def test_bad_json_text_is_a_recipe_error_with_position() -> None:
    with pytest.raises(RecipeError) as caught:
        Recipe.from_json('{"seed": 3,,}')
    message = str(caught.value)
    assert "not valid JSON" in message
    assert "line 1" in message


# --- round trip and immutability -------------------------------------------------------------


def _customised() -> Recipe:
    return Recipe.from_dict(
        {
            "target": "price",
            "drop_columns": ["id", "notes"],
            "seed": 7,
            "preprocessing": {"numeric_missing": "constant", "numeric_fill_value": -1.5},
            "split": {"validation_fraction": 0.2, "stratify": False},
            "model": {
                "hidden_layers": [{"units": 5, "activation": "tanh", "dropout": 0.0}],
                "batch_norm": True,
            },
            "training": {"optimizer": "sgd", "learning_rate": 0.05, "batch_size": 16},
        }
    )


@pytest.mark.parametrize("recipe", [Recipe(), _customised()], ids=["default", "customised"])
def test_json_and_dict_round_trip(recipe: Recipe) -> None:
    assert Recipe.from_json(recipe.to_json()) == recipe
    assert Recipe.from_dict(recipe.to_dict()) == recipe
    assert Recipe.from_json(recipe.to_json(indent=None)) == recipe
    # to_dict is plain JSON data (tuples become lists, nothing exotic)
    assert json.loads(json.dumps(recipe.to_dict())) == recipe.to_dict()


def test_round_trip_keeps_custom_values() -> None:
    again = Recipe.from_json(_customised().to_json())
    assert again.preprocessing.numeric_fill_value == -1.5
    assert again.model.hidden_layers[0].activation == "tanh"
    assert again.drop_columns == ("id", "notes")
    assert again != Recipe()


def test_recipe_is_immutable() -> None:
    recipe = Recipe()
    with pytest.raises(ValidationError):
        recipe.seed = 1  # type: ignore[misc]
    with pytest.raises(ValidationError):
        recipe.training.optimizer = "sgd"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        recipe.model.hidden_layers[0].units = 3  # type: ignore[misc]
    # hidden layers are a tuple: no appending in place
    assert isinstance(recipe.model.hidden_layers, tuple)
    assert recipe == Recipe()


def test_with_changes_on_nested_paths_returns_a_new_recipe() -> None:
    recipe = Recipe()
    changed = recipe.with_changes(
        **{
            "training.optimizer": "sgd",
            "training.learning_rate": 0.5,
            "preprocessing.numeric_scaling": "robust",
            "seed": 9,
            "target": "y",
        }
    )
    assert changed.training.optimizer == "sgd"
    assert changed.training.learning_rate == 0.5
    assert changed.preprocessing.numeric_scaling == "robust"
    assert changed.seed == 9 and changed.target == "y"
    # untouched settings stay, and the original is unchanged
    assert changed.model == recipe.model
    assert recipe.training.optimizer == "adam" and recipe.seed == 42


def test_with_changes_accepts_layer_objects() -> None:
    layers = (LayerConfig(units=3), LayerConfig(units=2, activation="elu"))
    changed = Recipe().with_changes(**{"model.hidden_layers": layers})
    assert changed.model.hidden_layers == layers
    emptied = Recipe().with_changes(**{"model.hidden_layers": []})
    assert emptied.model.hidden_layers == ()


@pytest.mark.parametrize(
    "path", ["training.optimiser", "nothing", "training.optimizer.name", "x.y"]
)
def test_with_changes_rejects_unknown_paths(path: str) -> None:
    with pytest.raises(RecipeError) as caught:
        Recipe().with_changes(**{path: 1})
    assert path in str(caught.value)


def test_with_changes_validates_values() -> None:
    with pytest.raises(RecipeError, match="training.patience"):
        Recipe().with_changes(**{"training.patience": 0})


# --- field metadata ----------------------------------------------------------------------------


def _leaf_paths(data: dict, prefix: str = "") -> set[str]:
    paths = set()
    for key, value in data.items():
        if isinstance(value, dict):
            paths |= _leaf_paths(value, f"{prefix}{key}.")
        else:
            paths.add(f"{prefix}{key}")
    return paths


def test_field_specs_cover_every_setting() -> None:
    specs = field_specs(Recipe)
    paths = [spec.path for spec in specs]
    assert len(paths) == len(set(paths))
    assert set(paths) == _leaf_paths(Recipe().to_dict())
    defaults = Recipe().to_dict()
    for spec in specs:
        assert spec.label and spec.label != spec.path.split(".")[-1], spec.path
        assert spec.group in ("basic", "advanced"), spec.path
        node = defaults
        for part in spec.path.split("."):
            node = node[part]
        assert spec.default == node, spec.path
        if spec.path not in ("preprocessing", "split", "model", "training"):
            assert len(spec.help) > 20, f"{spec.path} has no real help text"


def test_field_specs_describe_choices_and_ranges() -> None:
    specs = {spec.path: spec for spec in field_specs(Recipe)}
    assert specs["training.optimizer"].kind == "choice"
    for spec in specs.values():
        if spec.kind == "choice":
            assert spec.default in spec.choices, spec.path
            assert all(isinstance(text, str) and text for text in spec.choices.values())
        if spec.minimum is not None and spec.maximum is not None:
            assert spec.minimum <= spec.maximum, spec.path
            if spec.default is not None:
                assert spec.minimum <= spec.default <= spec.maximum, spec.path
    assert specs["split.test_fraction"].minimum == 0.05
    assert specs["split.test_fraction"].maximum == 0.4
    assert specs["training.learning_rate"].kind == "optional_float"
    assert specs["training.learning_rate"].exclusive_minimum
    assert not specs["training.learning_rate"].exclusive_maximum  # 10 itself is allowed
    assert specs["training.momentum"].exclusive_maximum  # momentum 1 never settles
    assert not specs["training.momentum"].exclusive_minimum
    assert specs["training.batch_size"].kind == "optional_int"
    assert specs["training.early_stopping"].kind == "bool"
    assert specs["seed"].kind == "int"


def test_spec_for_layer_fields_and_unknown_paths() -> None:
    units = spec_for("layer.units")
    assert units.kind == "int" and units.minimum == 1 and units.default == 64
    activation = spec_for("layer.activation")
    assert activation.kind == "choice" and "relu" in activation.choices
    assert spec_for("training.patience").default == 15
    with pytest.raises(KeyError):
        spec_for("training.nothing")


# --- derived values ----------------------------------------------------------------------------


def test_effective_batch_size_scales_with_rows_and_is_bounded() -> None:
    config = TrainingConfig()
    rows = [1, 10, 100, 1_000, 5_000, 10_000, 30_000, 100_000, 400_000, 1_000_000, 50_000_000]
    sizes = [config.effective_batch_size(n) for n in rows]
    assert sizes == sorted(sizes), "batch size must not shrink as the data grows"
    assert all(AUTO_BATCH_MIN <= size <= AUTO_BATCH_MAX for size in sizes)
    assert sizes[0] == AUTO_BATCH_MIN
    assert sizes[-1] == AUTO_BATCH_MAX
    assert len(set(sizes)) > 3, "the automatic batch size should actually follow the data size"
    for size in sizes:
        assert size & (size - 1) == 0, f"{size} is not a power of two"


def test_explicit_batch_size_wins() -> None:
    config = TrainingConfig(batch_size=7)
    assert config.effective_batch_size(10) == 7
    assert config.effective_batch_size(10_000_000) == 7


def test_every_offered_choice_is_accepted_and_anything_else_refused() -> None:
    """What the form offers is exactly what a recipe accepts, for every choice setting."""
    choice_specs = [spec for spec in field_specs(Recipe) if spec.kind == "choice"]
    choice_specs.append(spec_for("layer.activation"))
    assert len(choice_specs) >= 7
    for spec in choice_specs:
        for value, label in spec.choices.items():
            assert spec.choice_help[value], f"{spec.path}: '{value}' has no help"
            assert f"{label}: {spec.choice_help[value]}" in spec.full_help
            if spec.path == "layer.activation":
                assert LayerConfig(activation=value).activation == value
            else:
                assert Recipe().with_changes(**{spec.path: value}).to_dict() is not None
        if spec.path != "layer.activation":
            with pytest.raises(RecipeError, match="must be one of"):
                Recipe().with_changes(**{spec.path: "no-such-choice"})


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_effective_learning_rate_is_the_optimizer_default_unless_set(optimizer: str) -> None:
    automatic = TrainingConfig(optimizer=optimizer)
    assert automatic.effective_learning_rate == OPTIMIZERS[optimizer].learning_rate
    chosen = TrainingConfig(optimizer=optimizer, learning_rate=0.123)
    assert chosen.effective_learning_rate == 0.123


def test_gradient_descent_looks_at_all_training_rows_at_once() -> None:
    config = TrainingConfig(optimizer="gradient_descent", batch_size=32)
    for rows in (1, 57, 10_000):
        assert config.effective_batch_size(rows) == rows
    assert TrainingConfig(optimizer="sgd", batch_size=32).effective_batch_size(10_000) == 32
