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
"""

from __future__ import annotations

import time
from typing import Any

ARTICLE_EPOCHS = 10
ARTICLE_BATCH = 32


def score(task: str, labels: list[str], y_true, outputs) -> float:
    """The primary test metric, computed by the app's own evaluation code."""
    from core.evaluation import metrics as evaluation

    if task == "regression":
        return evaluation.regression_metrics(y_true, outputs)["r2"]
    metrics = evaluation.classification_metrics(y_true, outputs, labels)
    return metrics[evaluation.PRIMARY_METRIC[task]]


def real_target(data, y):
    """Targets in the units the metrics use (regression: back to the target's own units)."""
    if data.task.task == "regression":
        return data.target_encoder.mean + data.target_encoder.std * y.astype("float64")
    return y


def train_plus_validation(data):
    """Training and validation rows together, for models that do not need a validation set."""
    import numpy as np

    return np.concatenate([data.x_train, data.x_val]), np.concatenate([data.y_train, data.y_val])


def run_hgb(data, seed: int) -> dict[str, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    x, y = train_plus_validation(data)
    started = time.perf_counter()
    if data.task.task == "regression":
        model = HistGradientBoostingRegressor(random_state=seed).fit(x, y)
        outputs = real_target(data, model.predict(data.x_test))
    else:
        model = HistGradientBoostingClassifier(random_state=seed).fit(x, y)
        outputs = widened_proba(model, data.x_test, len(data.task.class_labels))
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
    if data.task.task == "regression":
        model = make_pipeline(StandardScaler(), Ridge(alpha=1.0)).fit(x, y)
        outputs = real_target(data, model.predict(data.x_test))
        iterations = None
    else:
        model = make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x, y)
        outputs = widened_proba(model, data.x_test, len(data.task.class_labels))
        iterations = int(max(model[-1].n_iter_))
    seconds = time.perf_counter() - started
    return {"outputs": outputs, "epochs": iterations, "seconds": seconds}


def run_article(data, seed: int, epochs: int) -> dict[str, Any]:
    """The tutorial network (see the module docstring for the regression target choice)."""
    import keras
    from sklearn.preprocessing import StandardScaler

    from core.pipeline import class_probabilities, model_outputs

    x, y = train_plus_validation(data)
    task = data.task.task
    k = len(data.task.class_labels)
    scaler = StandardScaler().fit(x)
    keras.utils.set_random_seed(seed)
    head = {
        "binary": (1, "sigmoid", "binary_crossentropy"),
        "multiclass": (k, "softmax", "sparse_categorical_crossentropy"),
        "regression": (1, None, "mse"),
    }[task]
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
    outputs = model_outputs(model, scaler.transform(data.x_test).astype("float32"))
    seconds = time.perf_counter() - started
    outputs = (
        real_target(data, outputs) if task == "regression" else class_probabilities(outputs, k)
    )
    return {"outputs": outputs, "epochs": epochs, "seconds": seconds}


def widened_proba(model, x, k: int):
    """predict_proba with one column per class, in class-index order."""
    import numpy as np

    full = np.zeros((len(x), k))
    full[:, np.asarray(model.classes_, dtype=int)] = model.predict_proba(x)
    return full
