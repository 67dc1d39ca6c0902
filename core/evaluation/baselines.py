"""Two simple models the network must beat, fitted on the same split and matrix.

Which two follows from the task (:attr:`core.model.tasks.TaskSpec.baselines`): always
giving the same answer, and a logistic or linear regression.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from core.evaluation.metrics import classification_metrics, regression_metrics
from core.model.tasks import task_spec

LOGISTIC_MAX_ROWS = 100_000
LOGISTIC_MAX_ITER = 1000
RIDGE_ALPHA = 1e-3


def _proba_in_class_order(model: Any, X: np.ndarray, k: int) -> np.ndarray:
    """predict_proba widened to all k classes (a class absent from training gets 0)."""
    full = np.zeros((len(X), k))
    full[:, np.asarray(model.classes_, dtype=int)] = model.predict_proba(X)
    return full


def baseline_outputs(
    task: str,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    class_labels: list[str],
    seed: int,
) -> dict[str, np.ndarray]:
    """Test outputs of two simple models fitted on the same split and matrix as the network.

    Classification: "majority class" (predicts the training class shares) and
    "logistic regression" (standardised inputs, in float32 like the network's; fitted on
    at most 100,000 training rows sampled with ``seed``, which keeps it to seconds and
    bounded memory on a million rows while the estimate stays stable). Regression:
    "average value" and "linear regression"
    (Ridge with a tiny penalty, so repeated one-hot columns cannot break it).
    The names come from the task's spec (:attr:`core.model.tasks.TaskSpec.baselines`).
    A class missing from ``y_train`` gets probability 0; with a single training class
    the logistic baseline falls back to the class shares.

    Returns
    -------
    dict
        Baseline name -> probabilities ``(n, k)`` or predicted values ``(n,)``.
    """
    spec = task_spec(task)
    constant_name, simple_name = spec.baselines
    if not spec.predicts_class:
        X_train = np.asarray(X_train, dtype=np.float64)
        X_test = np.asarray(X_test, dtype=np.float64)
        y_train = np.asarray(y_train, dtype=np.float64).reshape(-1)
        average = DummyRegressor(strategy="mean").fit(X_train, y_train)
        linear = Ridge(alpha=RIDGE_ALPHA).fit(X_train, y_train)
        return {constant_name: average.predict(X_test), simple_name: linear.predict(X_test)}
    k = len(class_labels)
    y_train = np.asarray(y_train).astype(np.int64).reshape(-1)
    prior = DummyClassifier(strategy="prior").fit(X_train, y_train)
    prior_proba = _proba_in_class_order(prior, X_test, k)
    logistic_proba = prior_proba
    if len(np.unique(y_train)) > 1:
        rows = slice(None)  # every training row (a view, not a copy)
        if len(y_train) > LOGISTIC_MAX_ROWS:
            rows = np.random.default_rng(seed).choice(
                len(y_train), LOGISTIC_MAX_ROWS, replace=False
            )
        if len(np.unique(y_train[rows])) > 1:
            logistic = make_pipeline(
                # In place (copy=False): it only ever scales copies made here, and a
                # second copy of the sampled rows was a peak of a million-row run.
                StandardScaler(copy=False),
                LogisticRegression(max_iter=LOGISTIC_MAX_ITER, random_state=seed),
            )
            with warnings.catch_warnings():
                # Not fully converged is still a fair "simple model" yardstick.
                warnings.simplefilter("ignore", ConvergenceWarning)
                # A float32 copy of the sampled rows only: a float64 copy of the whole matrix
                # (twice the float32 one) was the peak of a million-row run.
                logistic.fit(np.array(X_train[rows], dtype=np.float32), y_train[rows])
            # A copy of our own (scaled in place), made only now: the sampled rows'
            # copy is gone by then, so the two never add up.
            logistic_proba = _proba_in_class_order(logistic, np.array(X_test, dtype=np.float32), k)
    return {constant_name: prior_proba, simple_name: logistic_proba}


def score_outputs(
    task: str, y_true: np.ndarray, outputs: np.ndarray, class_labels: list[str]
) -> dict[str, Any]:
    """:func:`classification_metrics` or :func:`regression_metrics`, as the task's spec says."""
    if task_spec(task).predicts_class:
        return classification_metrics(y_true, outputs, class_labels)
    return regression_metrics(y_true, outputs)


def baseline_metrics(
    task: str,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    class_labels: list[str],
    seed: int,
) -> dict[str, dict[str, Any]]:
    """Test metrics of the two simple models of :func:`baseline_outputs`.

    Returns
    -------
    dict
        Baseline name -> the dict of :func:`classification_metrics` or
        :func:`regression_metrics`.
    """
    outputs = baseline_outputs(task, X_train, y_train, X_test, class_labels, seed)
    return {name: score_outputs(task, y_test, out, class_labels) for name, out in outputs.items()}
