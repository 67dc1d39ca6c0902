"""The choice tables and the task specifications drive the real network, loss and outputs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.model.choices import OPTIMIZERS, optimizers_using
from core.model.recipe import LayerConfig, ModelConfig, TrainingConfig
from core.model.tasks import (
    TASKS,
    classification_task,
    loss_name_for_metric,
    number_task,
    task_spec,
)
from core.portable.outputs import predictions_frame
from core.portable.tasks import PREDICTION, probability_column, widen_yes_no

N_CLASSES = {"binary": 2, "multiclass": 4, "regression": 0}
SMALL = ModelConfig(hidden_layers=(LayerConfig(units=4, dropout=0.0),))


def _task_data(task: str, rows: int = 48) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 3)).astype("float32")
    if task_spec(task).predicts_class:
        y = np.arange(rows) % N_CLASSES[task]
    else:
        y = (x[:, 0] * 2 + 1).astype("float32")
    return x, y


# --- optimizers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_optimizer_builds_its_keras_class_with_its_default_learning_rate(name: str) -> None:
    import keras

    from core.model.network import make_optimizer

    choice = OPTIMIZERS[name]
    optimizer = make_optimizer(TrainingConfig(optimizer=name, momentum=0.8))
    assert type(optimizer) is getattr(keras.optimizers, choice.keras_class)
    rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    assert rate == pytest.approx(choice.learning_rate)
    if isinstance(optimizer, keras.optimizers.SGD):
        # Momentum only where the table says it applies: plain gradient descent has none.
        expected = 0.8 if name in optimizers_using("momentum") else 0.0
        assert optimizer.momentum == pytest.approx(expected)


def test_gradient_descent_sgd_and_adam_are_distinct_choices() -> None:
    plain, sgd, adam = OPTIMIZERS["gradient_descent"], OPTIMIZERS["sgd"], OPTIMIZERS["adam"]
    assert plain.full_batch and not sgd.full_batch and not adam.full_batch
    assert "momentum" not in plain.settings and "momentum" in sgd.settings
    assert len({plain.label, sgd.label, adam.label}) == 3
    assert "gradient descent" in plain.label.lower()


@pytest.mark.slow
@pytest.mark.parametrize(("name", "updates_per_pass"), [("gradient_descent", 1), ("sgd", 6)])
def test_gradient_descent_adjusts_once_per_pass_over_the_data(
    name: str, updates_per_pass: int
) -> None:
    import keras

    from core.model.network import build_model, compile_model
    from core.model.training import fit

    config = TrainingConfig(
        optimizer=name, batch_size=8, max_epochs=3, early_stopping=False, reduce_lr_on_plateau=False
    )
    x, y = _task_data("binary", rows=48)
    keras.utils.set_random_seed(0)
    model = build_model(3, SMALL, "binary", 2, seed=0)
    compile_model(model, config, "binary")
    outcome = fit(
        model, (x, y, x[:8], y[:8]), config, "binary", batch_size=config.effective_batch_size(48)
    )
    assert outcome.epochs_run == 3
    assert int(model.optimizer.iterations.numpy()) == 3 * updates_per_pass


# --- tasks --------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("task", list(TASKS))
def test_every_task_builds_a_network_whose_output_and_loss_fit(task: str) -> None:
    import keras

    from core.model.network import build_model, compile_model

    spec = task_spec(task)
    k = N_CLASSES[task]
    x, y = _task_data(task)
    keras.utils.set_random_seed(0)
    model = build_model(3, SMALL, task, k, seed=0)
    compile_model(model, TrainingConfig(), task)
    assert model.output_shape == (None, spec.output_units(k))
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0).history
    assert all(math.isfinite(value) for value in history["loss"])
    assert spec.live_metric in history
    outputs = model.predict(x, verbose=0)
    labels = [f"c{i}" for i in range(k)]
    table = predictions_frame(pd.DataFrame({"row": range(len(x))}), outputs, task, labels)
    assert list(table.columns) == ["row", *spec.outputs.output_columns(labels)]
    if spec.predicts_class:
        probabilities = spec.outputs.class_probabilities(outputs, k)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
        assert set(table[PREDICTION]) <= set(labels)


@pytest.mark.slow
def test_the_exported_number_model_undoes_the_target_scaling() -> None:
    from core.model.network import build_model, export_model
    from core.portable.target import TargetEncoder

    encoder = TargetEncoder.fit(pd.Series([100.0, 200.0, 400.0], name="price"), "regression")
    network = build_model(3, SMALL, "regression", 0, seed=0)
    exported = export_model(network, "regression", encoder)
    x, _ = _task_data("regression", rows=5)
    scaled = network.predict(x, verbose=0)
    np.testing.assert_allclose(
        exported.predict(x, verbose=0), encoder.to_target_units(scaled), rtol=1e-5
    )


def test_loss_names_are_plain_words() -> None:
    assert task_spec("binary").loss_name == task_spec("multiclass").loss_name == "cross-entropy"
    assert task_spec("regression").loss_name == "mean squared error"


def test_loss_chart_names_the_loss_of_the_live_metric() -> None:
    # A history knows its live metric's name only; the loss chart is titled from it.
    assert loss_name_for_metric("accuracy") == "cross-entropy"
    assert loss_name_for_metric(task_spec("regression").live_metric_name) == "mean squared error"
    assert loss_name_for_metric("something else") is None


def test_the_task_follows_from_the_number_of_classes() -> None:
    assert classification_task(2).name == "binary"
    assert classification_task(3).name == classification_task(40).name == "multiclass"
    assert not number_task().predicts_class
    with pytest.raises(ValueError):
        task_spec("clustering")


def test_a_yes_no_probability_widens_to_two_columns() -> None:
    spec = task_spec("binary").outputs
    widened = spec.class_probabilities(np.array([[0.25], [1.0]]), 2)
    np.testing.assert_allclose(widened, [[0.75, 0.25], [0.0, 1.0]])
    np.testing.assert_allclose(widen_yes_no(np.array([0.25, 1.0])), widened)
    with pytest.raises(ValueError):
        spec.class_probabilities(np.array([[0.2, 0.8]]), 2)
    with pytest.raises(ValueError):
        task_spec("regression").outputs.class_probabilities(np.array([[1.0]]), 0)


def test_output_columns_follow_the_task() -> None:
    labels = ["no", "yes"]
    assert task_spec("regression").outputs.output_columns([]) == [PREDICTION]
    assert task_spec("binary").outputs.output_columns(labels) == [
        PREDICTION,
        probability_column("no"),
        probability_column("yes"),
    ]
    assert task_spec("binary").meaning_of_output(labels).count("'yes'") == 1
