"""Training: every recipe option trains, stop requests, divergence, seeds, early stopping, units.

All tests here train real (tiny) networks on a few hundred synthetic rows for a few epochs.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import pandas as pd
import pytest
from helpers import TARGETS, mixed_frame, tiny_recipe

from core.model.architecture import describe_network
from core.model.embeddings import number_positions
from core.model.fields import field_specs, spec_for
from core.model.preparation import prepare
from core.model.recipe import LayerConfig, Recipe
from core.model.training import (
    COMPLETED,
    DIVERGED,
    EARLY_STOPPED,
    EXPLODING_FACTOR,
    STOPPED_BY_USER,
    fit,
)
from core.pipeline import model_outputs, train_run
from core.results import EpochReport

pytestmark = pytest.mark.slow

# --- the sweep: the default recipe, then each option varied one at a time ----------------------

# A non-default value for every number setting (kept small where it costs time).
NUMBER_VALUES = {
    "seed": 7,
    "preprocessing.numeric_fill_value": -1.0,
    "preprocessing.max_categories": 2,
    "preprocessing.min_category_count": 1,
    "split.validation_fraction": 0.3,
    "split.test_fraction": 0.3,
    "model.l1": 1e-3,
    "model.l2": 0.0,
    "training.learning_rate": 0.02,
    "training.momentum": 0.5,
    "training.batch_size": 16,
    "training.max_epochs": 3,
    "training.patience": 1,
    "training.label_smoothing": 0.1,
    "layer.units": 3,
    "layer.dropout": 0.5,
}
# Settings that are not single numbers, choices or switches.
OTHER_VALUES = {
    "target": None,  # covered by running the default recipe on each task
    "drop_columns": ("member",),
    "model.hidden_layers": None,  # covered by the layer-count variants below
}
LAYER_COUNTS = {
    "no hidden layer": (),
    "three hidden layers": (LayerConfig(units=5), LayerConfig(units=4), LayerConfig(units=3)),
}


def _with_layer(setting: str, value: object) -> tuple:
    """The tiny network with one layer setting changed."""
    layer = tiny_recipe().model.hidden_layers[0]
    return (layer.model_copy(update={setting: value}),)


def _variations() -> list[tuple[str, str, dict]]:
    """(test id, task, recipe changes): every option of every setting, one at a time."""
    cases = [(f"default {task}", task, {}) for task in TARGETS]
    specs = field_specs(Recipe) + [spec_for(f"layer.{name}") for name in LayerConfig.model_fields]
    for spec in specs:
        if spec.kind == "choice":
            values = [v for v in spec.choices if v != spec.default]
        elif spec.kind == "bool":
            values = [not spec.default]
        elif spec.path in NUMBER_VALUES:
            values = [NUMBER_VALUES[spec.path]]
        elif OTHER_VALUES.get(spec.path) is not None:
            values = [OTHER_VALUES[spec.path]]
        else:
            continue
        for value in values:
            if spec.path.startswith("layer."):
                changes = {"model.hidden_layers": _with_layer(spec.path.split(".")[1], value)}
            else:
                changes = {spec.path: value}
            cases.append((f"{spec.path}={value}", "binary", changes))
    for name, layers in LAYER_COUNTS.items():
        cases.append((name, "binary", {"model.hidden_layers": layers}))
    return cases


VARIATIONS = _variations()


def test_the_sweep_covers_every_setting() -> None:
    """A new recipe setting must get a value in the sweep (else this test names it)."""
    swept = set(NUMBER_VALUES) | set(OTHER_VALUES)
    for spec in field_specs(Recipe) + [spec_for(f"layer.{n}") for n in LayerConfig.model_fields]:
        if spec.kind not in ("choice", "bool"):
            assert spec.path in swept, f"{spec.path} has no value in the training sweep"
    ids = [case_id for case_id, _, _ in VARIATIONS]
    assert len(ids) == len(set(ids))
    assert "training.optimizer=sgd" in ids and "layer.activation=gelu" in ids


def _finite_numbers(metrics: dict) -> list[float]:
    return [v for v in metrics.values() if isinstance(v, (int, float)) and v is not None]


@pytest.mark.parametrize(
    ("task", "changes"), [c[1:] for c in VARIATIONS], ids=[c[0] for c in VARIATIONS]
)
def test_each_option_trains_and_evaluates(task: str, changes: dict) -> None:
    frame = mixed_frame(n=240, seed=3, task=task)
    recipe = tiny_recipe(task, **changes)
    seen: list[EpochReport] = []
    run = train_run(frame, recipe, on_epoch=seen.append)
    result = run.result

    assert run.recipe == recipe
    assert run.outcome.stopped_because in (COMPLETED, EARLY_STOPPED), run.outcome.message
    assert run.model is not None
    assert result.task == task and result.target == TARGETS[task]
    assert 1 <= result.epochs_run <= recipe.training.max_epochs
    assert len(result.history) == result.epochs_run == len(seen)
    for epoch in seen:
        assert isinstance(epoch, EpochReport)
        assert math.isfinite(epoch.loss) and math.isfinite(epoch.val_loss)
    assert result.metrics, "a trained model is evaluated on the test rows"
    assert all(math.isfinite(v) for v in _finite_numbers(result.metrics))
    assert set(result.baselines) and all(result.baselines.values())
    assert result.feature_importance
    assert isinstance(result.verdict, str) and result.verdict
    # The network really has the shape the recipe describes.
    n_classes = len(result.class_labels)
    numbers = len(number_positions(run.preprocessor))  # what a number embedding widens
    expected = describe_network(
        run.preprocessor.n_features, recipe.model, task, n_classes, numbers, result.data.n_train
    )
    trainable = sum(int(np.prod(w.shape)) for w in run.model.trainable_weights)
    assert trainable == expected.n_parameters
    if "training.batch_size" in changes:
        assert result.batch_size == changes["training.batch_size"]
    if "drop_columns" in changes:
        assert not set(changes["drop_columns"]) & set(run.preprocessor.input_columns)


# --- learning actually happens ---------------------------------------------------------------


def _easy_recipe(task: str = "binary", **changes: object) -> Recipe:
    base = {
        "model.hidden_layers": (LayerConfig(units=16, dropout=0.0),),
        "training.learning_rate": 0.01,
        "training.max_epochs": 8,
        "training.early_stopping": False,
    }
    return tiny_recipe(task, **{**base, **changes})


def test_trained_model_beats_the_majority_baseline() -> None:
    run = train_run(mixed_frame(n=400, seed=1), _easy_recipe())
    accuracy = run.result.metrics["accuracy"]
    majority = run.result.baselines["majority class"]["accuracy"]
    assert accuracy > majority + 0.15, (accuracy, majority)


def test_loss_goes_down_over_epochs() -> None:
    run = train_run(mixed_frame(n=400, seed=2), _easy_recipe(**{"training.max_epochs": 5}))
    losses = [epoch.loss for epoch in run.result.history]
    assert len(losses) == 5
    assert losses[-1] < losses[0] * 0.9, losses
    assert run.result.history[-1].val_loss < run.result.history[0].val_loss


def test_regression_results_are_in_the_targets_units() -> None:
    frame = mixed_frame(n=300, seed=4, task="regression")
    recipe = _easy_recipe("regression", **{"training.max_epochs": 5})
    run = train_run(frame, recipe)
    data = prepare(frame, recipe)  # the same seed gives the same split
    predictions = model_outputs(run.model, data.x_test, run.task)
    actual = data.test_frame["price"].to_numpy(dtype="float64")
    spread = float(frame["price"].std())
    assert spread > 100  # the target is in the hundreds to thousands
    # The exported model outputs prices, not the scaled target it trained on.
    assert abs(predictions.mean() - actual.mean()) < spread
    assert predictions.std() > 0.1 * spread
    # The reported test error is the error of those predictions, in the same units.
    assert run.result.metrics["mae"] == pytest.approx(np.abs(predictions - actual).mean(), rel=1e-4)
    # The live error shown per epoch is in the target's units too (scaled it would be about 1).
    assert 0.02 * spread < run.result.history[-1].val_metric < 3 * spread


# --- stopping on request ---------------------------------------------------------------------


class _StopAtStep(threading.Event):
    """A stop request that arrives just as training reaches ``step`` finished batches.

    It stands for a person pressing Stop between two batches; it records how many
    batches had run when the request arrived, so a test can count the ones after it.
    """

    def __init__(self, model, step: int) -> None:  # noqa: ANN001 - a Keras model
        super().__init__()
        self.model, self.step = model, step
        self.steps_at_request: int | None = None

    def is_set(self) -> bool:
        if not super().is_set():
            done = int(self.model.optimizer.iterations.numpy())
            if done >= self.step:
                self.steps_at_request = done
                self.set()
        return super().is_set()


def _fit_with_stop(step: int):
    from core.model.network import build_model, compile_model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(1200, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    recipe = tiny_recipe(**{"training.max_epochs": 20, "training.batch_size": 8})
    model = build_model(6, recipe.model, "binary", 2, seed=0)
    compile_model(model, recipe.training, "binary")
    event = _StopAtStep(model, step)
    outcome = fit(
        model,
        (x[:1000], y[:1000], x[1000:], y[1000:]),
        recipe.training,
        "binary",
        batch_size=8,
        stop_event=event,
    )
    return model, event, outcome


@pytest.mark.parametrize("step", [30, 125 + 30], ids=["in the first pass", "in the second pass"])
def test_stop_request_stops_within_one_batch(step: int) -> None:
    model, event, outcome = _fit_with_stop(step)  # 125 batches per pass
    assert event.steps_at_request == step
    batches_after = int(model.optimizer.iterations.numpy()) - event.steps_at_request
    assert batches_after <= 1, f"{batches_after} batches ran after the stop request"
    assert outcome.stopped_because == STOPPED_BY_USER
    finished_passes = step // 125
    assert outcome.epochs_run == finished_passes  # the cut-short pass is not reported
    if finished_passes:
        assert outcome.has_model and outcome.best_epoch == 1
        assert "stopped on request" in outcome.message
    else:
        assert not outcome.has_model
        assert "no model" in outcome.message


def test_stop_from_another_thread_during_train_run() -> None:
    stop = threading.Event()
    first_pass_done = threading.Event()

    def press_stop() -> None:
        first_pass_done.wait(timeout=120)
        stop.set()

    presser = threading.Thread(target=press_stop)
    presser.start()
    recipe = tiny_recipe(**{"training.max_epochs": 500, "training.early_stopping": False})
    run = train_run(
        mixed_frame(n=300), recipe, stop_event=stop, on_epoch=lambda _: first_pass_done.set()
    )
    presser.join(timeout=5)
    assert run.outcome.stopped_because == STOPPED_BY_USER
    assert 1 <= run.outcome.epochs_run <= 3
    assert run.model is not None  # the best finished pass is kept
    assert run.result.metrics
    assert run.result.stopped_because == STOPPED_BY_USER


def test_stop_requested_from_the_epoch_report() -> None:
    stop = threading.Event()
    recipe = tiny_recipe(**{"training.max_epochs": 50})
    run = train_run(mixed_frame(n=300), recipe, stop_event=stop, on_epoch=lambda _: stop.set())
    assert run.outcome.stopped_because == STOPPED_BY_USER
    assert run.outcome.epochs_run == 1
    assert run.outcome.best_epoch == 1


def test_stop_before_training_gives_no_model_and_a_plain_message() -> None:
    stop = threading.Event()
    stop.set()
    run = train_run(mixed_frame(n=300), tiny_recipe(), stop_event=stop)
    assert run.outcome.stopped_because == STOPPED_BY_USER
    assert run.model is None
    assert run.result.metrics == {}
    assert run.result.epochs_run == 0
    assert "no model" in run.result.message


# --- blow-ups -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"training.optimizer": "sgd", "training.learning_rate": 10.0},
        {"training.optimizer": "adam", "training.learning_rate": 10.0},
    ],
    ids=["sgd lr 10", "adam lr 10"],
)
def test_huge_learning_rate_diverges_with_a_plain_message(changes: dict) -> None:
    recipe = tiny_recipe("regression", **{**changes, "training.max_epochs": 5})
    run = train_run(mixed_frame(n=300, task="regression"), recipe)
    assert run.outcome.stopped_because == DIVERGED
    assert run.result.stopped_because == DIVERGED
    assert run.model is None
    assert run.result.metrics == {}
    message = run.result.message
    assert "learning rate" in message
    assert "1 instead of 10" in message  # the suggestion is ten times lower


def test_diverged_pass_is_not_reported_as_a_normal_pass() -> None:
    """The pass that blew up must not appear in the history (nor be the 'best' weights).

    The message says training "went wrong in pass N"; passes 1..N-1 are the healthy ones.
    """
    recipe = tiny_recipe(
        "regression", **{"training.optimizer": "sgd", "training.learning_rate": 10.0}
    )
    reported: list[EpochReport] = []
    run = train_run(mixed_frame(n=300, task="regression"), recipe, on_epoch=reported.append)
    assert run.outcome.stopped_because == DIVERGED
    went_wrong_in = int(run.outcome.message.split("pass ")[1].split(":")[0])
    assert len(run.result.history) == went_wrong_in - 1
    first = run.result.history[0].loss if run.result.history else None
    for epoch in reported:
        # the target is scaled for training, so a healthy loss is around 1
        assert epoch.loss < 100, f"pass {epoch.epoch} blew up but was reported: {epoch}"
        assert first is None or epoch.loss < EXPLODING_FACTOR * first


# --- seeds --------------------------------------------------------------------------------


def test_same_seed_gives_the_same_metrics() -> None:
    frame = mixed_frame(n=300, seed=5)
    recipe = tiny_recipe(
        **{"training.max_epochs": 3, "model.hidden_layers": (LayerConfig(units=6),)}
    )
    first = train_run(frame, recipe).result
    second = train_run(frame, recipe).result
    for key, value in first.metrics.items():
        if isinstance(value, float):
            assert second.metrics[key] == pytest.approx(value, abs=1e-6), key
        else:
            assert second.metrics[key] == value, key
    assert [e.loss for e in second.history] == pytest.approx(
        [e.loss for e in first.history], abs=1e-6
    )


def test_different_seed_gives_a_different_split() -> None:
    frame = mixed_frame(n=300, seed=5)
    one = prepare(frame, Recipe(target="churn", seed=1))
    two = prepare(frame, Recipe(target="churn", seed=2))
    again = prepare(frame, Recipe(target="churn", seed=1))
    assert len(one.test_frame) == len(two.test_frame)
    assert not one.test_frame.equals(two.test_frame)
    pd.testing.assert_frame_equal(one.test_frame, again.test_frame)
    np.testing.assert_array_equal(one.x_train, again.x_train)


# --- early stopping -------------------------------------------------------------------------


def _binary_log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def test_early_stopping_ends_early_and_keeps_the_best_pass() -> None:
    frame = mixed_frame(n=300, seed=6)
    recipe = tiny_recipe(
        **{
            "model.hidden_layers": (LayerConfig(units=32, dropout=0.0),),
            "model.l2": 0.0,  # so the reported val_loss is the plain log loss
            "training.learning_rate": 0.05,
            "training.max_epochs": 120,
            "training.patience": 3,
            "training.reduce_lr_on_plateau": False,
        }
    )
    run = train_run(frame, recipe)
    outcome = run.outcome
    assert outcome.stopped_because == EARLY_STOPPED
    assert outcome.epochs_run < recipe.training.max_epochs
    assert outcome.best_epoch < outcome.epochs_run
    assert outcome.epochs_run - outcome.best_epoch == recipe.training.patience
    val_losses = [e.val_loss for e in run.result.history]
    assert val_losses[outcome.best_epoch - 1] == min(val_losses)
    assert str(recipe.training.patience) in outcome.message
    # The model holds the best pass's weights, not the last pass's.
    data = prepare(frame, recipe)
    positive = model_outputs(run.model, data.x_val, run.task)[:, 1]  # P(second class)
    restored = _binary_log_loss(data.y_val, positive)
    assert restored == pytest.approx(val_losses[outcome.best_epoch - 1], rel=1e-3)
    assert restored < val_losses[-1] or val_losses[-1] == min(val_losses)
