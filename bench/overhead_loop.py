"""Part 1 of bench/overhead.py: the app's training loop against a bare ``keras.Model.fit``.

:func:`core.model.training.fit` (with all its callbacks: progress, best weights, stop
button, divergence guard, learning-rate reduction) against a bare ``keras.Model.fit`` of the
same network (``core.model.network.build_model``, compiled by
``core.model.network.compile_model``), on the same arrays, epochs, batch size and validation
data, in one process. After one warm-up run of each, the two alternate (order flipped every
round, a fresh model with the same seed each time); medians and their ratio are reported.
Early stopping is off, so both run every epoch. Goal: ratio <= 1.05.

Also the synthetic business-like table the scale part reads (:func:`synthetic_table`).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.reporting import format_table

TARGET = "target"
NUMERIC_COLUMNS = 12
CATEGORY_COUNTS = (3, 4, 6, 10, 15, 25, 40, 50)  # 8 categorical columns
SEED = 42


# --- synthetic data -------------------------------------------------------------------------


def synthetic_table(n_rows: int, seed: int = SEED):
    """A business-like table: mixed columns, empty cells, and a learnable yes/no target."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    logit = np.zeros(n_rows)
    for i in range(NUMERIC_COLUMNS):
        kind = i % 3
        if kind == 0:
            values = rng.normal(50, 15, n_rows)
        elif kind == 1:
            values = rng.lognormal(3, 1, n_rows)  # skewed, like amounts of money
        else:
            values = rng.integers(0, 60, n_rows).astype(float)  # counts, like tenure in months
        z = (values - values.mean()) / values.std()
        if i < 6:  # half of the number columns carry signal, one of them non-linearly
            logit += (0.8 - 0.15 * i) * (z if i != 2 else z**2 - 1)
        if i % 4 == 1:
            values[rng.random(n_rows) < 0.05 + 0.05 * (i % 3)] = np.nan
        columns[f"num_{i + 1:02d}"] = np.round(values, 3)
    for j, k in enumerate(CATEGORY_COUNTS):
        shares = 1.0 / np.arange(1, k + 1)  # a few common categories, a long tail
        codes = rng.choice(k, n_rows, p=shares / shares.sum())
        effects = rng.normal(0, 0.6 if j < 4 else 0.0, k)
        logit += effects[codes]
        labels = np.array([f"{chr(65 + j)}{c:02d}" for c in range(k)], dtype=object)
        values = labels[codes]
        if j % 3 == 0:
            values[rng.random(n_rows) < 0.03] = None
        columns[f"cat_{j + 1}"] = values
    probability = 1.0 / (1.0 + np.exp(-(logit - 1.0)))
    columns[TARGET] = np.where(rng.random(n_rows) < probability, "yes", "no")
    return pd.DataFrame(columns)


def default_recipe(**changes: Any):
    from core.model.recipe import Recipe

    recipe = Recipe(target=TARGET, seed=SEED)
    return recipe.with_changes(**changes) if changes else recipe


# --- part 1: loop overhead ------------------------------------------------------------------


def _epoch_clock():
    """A callback that only timestamps epochs (no batch hooks), attached to both sides."""
    import keras

    class EpochClock(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.ends: list[float] = []
            self.start = 0.0

        def on_train_begin(self, logs=None) -> None:
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None) -> None:
            self.ends.append(time.perf_counter())

    return EpochClock()


def loop_overhead(n_rows: int, epochs: int, rounds: int) -> dict[str, Any]:
    """Median fit time of core.model.training.fit vs bare keras fit, alternating."""
    import keras

    from core.model import training
    from core.model.network import build_model, compile_model
    from core.model.preparation import prepare

    recipe = default_recipe(**{"training.max_epochs": epochs, "training.early_stopping": False})
    data = prepare(synthetic_table(n_rows), recipe)
    arrays = (data.x_train, data.y_train, data.x_val, data.y_val)
    batch = recipe.training.effective_batch_size(len(data.x_train))
    n_classes = len(data.task.class_labels)
    task = data.task.task

    def fresh_model():
        keras.utils.set_random_seed(SEED)
        model = build_model(data.preprocessor.n_features, recipe.model, task, n_classes, SEED)
        compile_model(model, recipe.training, task)
        return model

    def run_core() -> tuple[float, float]:
        model = fresh_model()
        clock = _epoch_clock()
        # Same call as the app, plus the shared epoch clock (fit() takes no extra callbacks).
        original = model.fit

        def fit_with_clock(*args, **kwargs):
            kwargs["callbacks"] = [*kwargs.get("callbacks", []), clock]
            return original(*args, **kwargs)

        model.fit = fit_with_clock
        started = time.perf_counter()
        outcome = training.fit(model, arrays, recipe.training, task, batch_size=batch)
        total = time.perf_counter() - started
        assert outcome.epochs_run == epochs, outcome.message
        return total, clock.ends[-1] - clock.ends[0]

    def run_bare() -> tuple[float, float]:
        model = fresh_model()
        clock = _epoch_clock()
        started = time.perf_counter()
        model.fit(
            data.x_train,
            data.y_train,
            validation_data=(data.x_val, data.y_val),
            batch_size=batch,
            epochs=epochs,
            shuffle=True,
            verbose=0,
            callbacks=[clock],
        )
        total = time.perf_counter() - started
        return total, clock.ends[-1] - clock.ends[0]

    run_core(), run_bare()  # warm-up: TensorFlow's one-off start-up costs
    timings: dict[str, list[tuple[float, float]]] = {"core": [], "bare": []}
    for round_index in range(rounds):
        order = ("core", "bare") if round_index % 2 == 0 else ("bare", "core")
        for side in order:
            timings[side].append(run_core() if side == "core" else run_bare())
    result: dict[str, Any] = {
        "rows": n_rows,
        "n_train": int(len(data.x_train)),
        "n_features": int(data.preprocessor.n_features),
        "epochs": epochs,
        "batch_size": batch,
        "rounds": rounds,
    }
    for side, runs in timings.items():
        result[f"{side}_fit_seconds"] = [t for t, _ in runs]
        result[f"{side}_steady_seconds"] = [s for _, s in runs]  # epochs 2..N (no tracing)
        result[f"{side}_median"] = statistics.median(t for t, _ in runs)
        result[f"{side}_steady_median"] = statistics.median(s for _, s in runs)
    result["ratio"] = result["core_median"] / result["bare_median"]
    result["steady_ratio"] = (
        result["core_steady_median"] / result["bare_steady_median"] if epochs > 1 else None
    )
    return result


def print_loop(loop: dict[str, Any]) -> None:
    print(
        f"\nLoop overhead: {loop['n_train']:,} training rows x {loop['n_features']} inputs, "
        f"{loop['epochs']} epochs, batch {loop['batch_size']}, {loop['rounds']} rounds each "
        "after a warm-up (medians)"
    )
    rows = [
        [
            "whole fit (s)",
            f"{loop['core_median']:.2f}",
            f"{loop['bare_median']:.2f}",
            f"{loop['ratio']:.3f}",
        ],
    ]
    if loop["steady_ratio"] is not None:
        rows.append(
            [
                "epochs 2..N (s)",
                f"{loop['core_steady_median']:.2f}",
                f"{loop['bare_steady_median']:.2f}",
                f"{loop['steady_ratio']:.3f}",
            ]
        )
    print(
        format_table(
            ["measure", "core.model.training.fit", "bare keras fit", "ratio (goal <= 1.05)"], rows
        )
    )
