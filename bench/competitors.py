"""The models the default recipe is compared with, on the app's own split and matrices.

Each takes the :class:`core.pipeline.PreparedData` of a run (the split and the fitted
preprocessing of the default recipe) and returns its test outputs in the units the app's
metrics use: probabilities ``(n, k)`` in class-index order, or values in the target's own
units. The network only learns from the training rows (its validation rows decide when to
stop); these models have no use for a validation set, so they are fitted on training +
validation rows. They see at least as much data as ours, which keeps the comparison
conservative.

- :func:`run_hgb`: scikit-learn's HistGradientBoosting, default settings, seeded.
- :func:`run_linear`: logistic regression (classes) or Ridge regression (numbers), on
  standardised inputs.
- :func:`run_article`: "the article's way", the usual tutorial network: StandardScaler on the
  matrix, Dense(64, relu) -> Dense(32, relu) -> task output, Adam with its defaults,
  10 epochs, batch 32, no early stopping. For numbers the tutorial fits the raw target; here
  it fits the same centred and scaled target the app uses (``y_train`` of ``prepare``) and its
  predictions are scaled back: MSE on raw prices (thousands) with Adam's default step needs
  hundreds of epochs to get anywhere, which would make the comparison meaningless.

Beside them, :mod:`bench.strong_models` adds CatBoost and RealMLP-TD (optional packages).
:data:`COMPETITORS` is the one table of every model the default recipe is compared with.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.strong_models import run_catboost, run_realmlp

ARTICLE_EPOCHS = 10
ARTICLE_QUICK_EPOCHS = 3  # --quick
ARTICLE_BATCH = 32


@dataclass(frozen=True)
class Competitor:
    """One model the default recipe is compared with.

    ``run(data, rows, seed, options)`` gets the app's :class:`PreparedData`, the raw columns
    of the same rows (:class:`bench.strong_models.RawRows`) and the run's
    :class:`bench.strong_models.RunOptions`, and returns ``{"outputs", "epochs", "seconds"}``;
    ``seconds`` is the fit (and predict) time of the model alone.
    """

    name: str
    label: str
    run: Callable[..., dict[str, Any]]
    package: str | None = None  # an optional package it needs (the `bench` extra)
    simple: bool = False  # one of the "best of HGB / linear / article" reference models


COMPETITORS: dict[str, Competitor] = {
    c.name: c
    for c in (
        Competitor(
            "article",
            "article",
            lambda data, rows, seed, options: run_article(
                data, seed, ARTICLE_QUICK_EPOCHS if options.quick else ARTICLE_EPOCHS
            ),
            simple=True,
        ),
        Competitor(
            "hgb", "HGB", lambda data, rows, seed, options: run_hgb(data, seed), simple=True
        ),
        Competitor(
            "linear",
            "logistic/linear",
            lambda data, rows, seed, options: run_linear(data, seed),
            simple=True,
        ),
        Competitor("catboost", "CatBoost", run_catboost, package="catboost"),
        Competitor("realmlp", "RealMLP-TD", run_realmlp, package="pytabkit"),
    )
}
SIMPLE_MODELS = tuple(name for name, c in COMPETITORS.items() if c.simple)


def score(task: str, labels: list[str], y_true, outputs) -> float:
    """The primary test metric, computed by the app's own evaluation code."""
    from core.evaluation import metrics as evaluation
    from core.model.tasks import task_spec

    spec = task_spec(task)
    if spec.predicts_class:
        metrics = evaluation.classification_metrics(y_true, outputs, labels)
    else:
        metrics = evaluation.regression_metrics(y_true, outputs)
    return metrics[spec.headline_metric]


def real_target(data, y):
    """Targets in the units the metrics use (regression: back to the target's own units)."""
    if data.task.spec.predicts_class:
        return y
    return data.target_encoder.to_target_units(y)


def train_plus_validation(data):
    """Training and validation rows together, for models that do not need a validation set."""
    import numpy as np

    return np.concatenate([data.x_train, data.x_val]), np.concatenate([data.y_train, data.y_val])


def run_hgb(data, seed: int) -> dict[str, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    x, y = train_plus_validation(data)
    started = time.perf_counter()
    if data.task.spec.predicts_class:
        model = HistGradientBoostingClassifier(random_state=seed).fit(x, y)
        outputs = widened_proba(model, data.x_test, len(data.task.class_labels))
    else:
        model = HistGradientBoostingRegressor(random_state=seed).fit(x, y)
        outputs = real_target(data, model.predict(data.x_test))
    seconds = time.perf_counter() - started
    return {"outputs": outputs, "epochs": int(model.n_iter_), "seconds": seconds}


def run_linear(data, seed: int) -> dict[str, Any]:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = train_plus_validation(data)
    started = time.perf_counter()
    if data.task.spec.predicts_class:
        model = make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x, y)
        outputs = widened_proba(model, data.x_test, len(data.task.class_labels))
        iterations = int(max(model[-1].n_iter_))
    else:
        model = make_pipeline(StandardScaler(), Ridge(alpha=1.0)).fit(x, y)
        outputs = real_target(data, model.predict(data.x_test))
        iterations = None
    seconds = time.perf_counter() - started
    return {"outputs": outputs, "epochs": iterations, "seconds": seconds}


def run_article(data, seed: int, epochs: int) -> dict[str, Any]:
    """The tutorial network (see the module docstring for the regression target choice)."""
    import keras
    from sklearn.preprocessing import StandardScaler

    from core.pipeline import model_outputs

    x, y = train_plus_validation(data)
    spec = data.task.spec
    k = len(data.task.class_labels)
    scaler = StandardScaler().fit(x)
    keras.utils.set_random_seed(seed)
    # The tutorial's head is the task's own output layer and loss.
    head = (spec.output_units(k), spec.output_activation, spec.loss)
    model = keras.Sequential(
        [
            keras.Input(shape=(x.shape[1],)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(head[0], activation=head[1]),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(), loss=head[2])
    started = time.perf_counter()
    model.fit(
        scaler.transform(x).astype("float32"), y, epochs=epochs, batch_size=ARTICLE_BATCH, verbose=0
    )
    outputs = model_outputs(model, scaler.transform(data.x_test).astype("float32"), data.task)
    seconds = time.perf_counter() - started
    outputs = real_target(data, outputs)  # numbers were learned scaled
    return {"outputs": outputs, "epochs": epochs, "seconds": seconds}


def widened_proba(model, x, k: int):
    """predict_proba with one column per class, in class-index order."""
    import numpy as np

    full = np.zeros((len(x), k))
    full[:, np.asarray(model.classes_, dtype=int)] = model.predict_proba(x)
    return full
