"""The network description (no TensorFlow) agrees with the Keras model that is really built."""

from __future__ import annotations

import pytest
from helpers import mixed_frame

from core.data.profiling import profile_table
from core.model.architecture import describe_network, estimate_input_width
from core.model.recipe import LayerConfig, ModelConfig, Recipe
from core.model.tasks import task_spec
from core.portable.preprocess import USABLE_KINDS, Preprocessor

CONFIGS = {
    "no hidden layer": ModelConfig(hidden_layers=()),
    "one layer": ModelConfig(hidden_layers=(LayerConfig(units=7, dropout=0.0),)),
    "one layer, batch norm": ModelConfig(hidden_layers=(LayerConfig(units=7),), batch_norm=True),
    "two layers": ModelConfig(
        hidden_layers=(LayerConfig(units=16, activation="tanh"), LayerConfig(units=5, dropout=0.0))
    ),
    "three layers, batch norm, penalties": ModelConfig(
        hidden_layers=(LayerConfig(units=12), LayerConfig(units=8), LayerConfig(units=3)),
        batch_norm=True,
        l1=1e-4,
        l2=1e-3,
    ),
}
TASKS = [("binary", 2), ("multiclass", 4), ("regression", 0)]


@pytest.mark.parametrize("task, n_classes", TASKS, ids=[t for t, _ in TASKS])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_parameter_count_matches_keras(name: str, task: str, n_classes: int) -> None:
    from core.model.network import build_model

    config = CONFIGS[name]
    n_inputs = 11
    summary = describe_network(n_inputs, config, task, n_classes)
    model = build_model(n_inputs, config, task, n_classes, seed=0)
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    assert summary.n_parameters == trainable
    # Batch norm's moving averages are weights too, but not trained: count_params includes them.
    moving = 2 * sum(layer.units for layer in config.hidden_layers) if config.batch_norm else 0
    assert summary.n_parameters + moving == model.count_params()
    assert model.output_shape == (None, task_spec(task).output_units(n_classes))


@pytest.mark.parametrize("task, n_classes", TASKS, ids=[t for t, _ in TASKS])
def test_layers_run_from_inputs_to_output(task: str, n_classes: int) -> None:
    config = CONFIGS["two layers"]
    summary = describe_network(9, config, task, n_classes)
    assert summary.layers[0] == ("Inputs", 9)
    assert [units for _, units in summary.layers[1:-1]] == [16, 5]
    assert summary.layers[-1] == ("Output", n_classes if task == "multiclass" else 1)


def test_no_hidden_layer_is_a_linear_model() -> None:
    summary = describe_network(10, ModelConfig(hidden_layers=()), "binary", 2)
    assert summary.n_parameters == 10 + 1
    assert [name for name, _ in summary.layers] == ["Inputs", "Output"]


class _Column:
    def __init__(self, name: str, kind: str, n_distinct: int = 0, missing_share: float = 0.0):
        self.name, self.kind, self.n_distinct, self.missing_share = (
            name,
            kind,
            n_distinct,
            missing_share,
        )


class _Profile:
    def __init__(self, columns: list[_Column]):
        self.columns = columns


def test_estimate_input_width_counts_the_inputs() -> None:
    profile = _Profile(
        [
            _Column("target", "categorical", 2),
            _Column("age", "numeric"),
            _Column("income", "numeric", missing_share=0.1),  # + an "is empty" input
            _Column("city", "categorical", 4),  # 4 + "(other)"
            _Column("plan", "categorical", 3, missing_share=0.2),  # 3 + "(missing)" + "(other)"
            _Column("member", "boolean", 2),  # 2 + "(other)"
            _Column("id", "identifier", 500),
            _Column("notes", "text", 400),
            _Column("dropped", "numeric"),
        ]
    )
    recipe = Recipe(target="target", drop_columns=("dropped",))
    assert estimate_input_width(profile, recipe) == 1 + 2 + 5 + 5 + 3
    ordinal = recipe.with_changes(**{"preprocessing.categorical_encoding": "ordinal"})
    assert estimate_input_width(profile, ordinal) == 1 + 2 + 1 + 1 + 1
    capped = recipe.with_changes(**{"preprocessing.max_categories": 2})
    assert estimate_input_width(profile, capped) == 1 + 2 + 3 + 4 + 3


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"preprocessing.categorical_encoding": "ordinal"},
        {
            "preprocessing.numeric_missing": "drop_rows",
            "preprocessing.categorical_missing": "drop_rows",
        },
        {"preprocessing.max_categories": 2},
    ],
    ids=["default", "ordinal", "drop rows", "two categories"],
)
def test_estimate_matches_the_real_preprocessing_on_a_real_profile(changes: dict) -> None:
    """With every category kept, the estimate is exact for preprocessing fitted on the same rows."""
    frame = mixed_frame(n=300)
    profile = profile_table(frame, "churn")
    recipe = Recipe(target="churn").with_changes(
        **{"preprocessing.min_category_count": 1, **changes}
    )
    kinds = {
        c.name: c.kind for c in profile.columns if c.name != "churn" and c.kind in USABLE_KINDS
    }
    fitted = Preprocessor.fit(frame, kinds, recipe.preprocessing.model_dump())
    assert estimate_input_width(profile, recipe) == fitted.n_features
