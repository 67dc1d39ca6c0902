"""The numbers behind the glossary's pictures, computed rather than drawn by hand.

Each function runs a tiny, seeded numpy experiment and returns plain arrays; the UI turns them
into charts. Computing them keeps the pictures honest: the zig-zag of gradient descent, the
noise of SGD and the overshoot of a too-high learning rate are what the arithmetic does, not an
artist's impression. Everything is small enough to compute in milliseconds, and each result
is computed once per process (cached): treat the returned arrays as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.polynomial import legendre

from core.model.tiny_network import ACTIVATIONS

# --- activation curves ---------------------------------------------------------------------


def activation_curves(low: float = -4.0, high: float = 4.0, points: int = 161) -> dict:
    """Each activation the recipe offers, evaluated on a grid: ``{"z": grid, name: values}``."""
    z = np.linspace(low, high, points)
    curves = {"z": z}
    for name, (function, _) in ACTIVATIONS.items():
        curves[name] = np.asarray(function(z), dtype=float)
    return curves


# --- gradient descent, SGD and Adam on one loss surface -------------------------------------

OPTIMIZER_ROWS = 64  # rows of the tiny regression the three methods learn
OPTIMIZER_BATCH = 8  # SGD's and Adam's batch size (so 8 steps make one epoch)
OPTIMIZER_STEPS = 30
# Each method with the learning rate it is shown with: GD and SGD share one, so the only
# difference between them is the batch; Adam's is in its usual range for this problem.
OPTIMIZER_RATES = {"gd": 0.45, "sgd": 0.45, "adam": 0.2}
_START = np.array([-2.0, -2.0])


@dataclass(frozen=True)
class OptimizerPaths:
    """Three optimizers on the loss surface of a tiny two-weight linear regression."""

    grid_w1: np.ndarray  # axis of the first weight
    grid_w2: np.ndarray  # axis of the second weight
    surface: np.ndarray  # loss on all rows, shape (len(grid_w2), len(grid_w1))
    paths: dict[str, np.ndarray]  # method -> weights after each step, shape (steps + 1, 2)
    losses: dict[str, np.ndarray]  # method -> loss on all rows after each step
    best: np.ndarray  # the weights with the lowest possible loss


def _regression_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    # The second input varies much less than the first (as an unscaled column would), so the
    # loss is a long, narrow valley: steep across the first weight, shallow along the second.
    rng = np.random.default_rng(seed)
    x = np.column_stack(
        [rng.normal(0.0, 1.0, OPTIMIZER_ROWS), rng.normal(0.0, 0.3, OPTIMIZER_ROWS)]
    )
    y = x @ np.array([1.5, 2.0]) + rng.normal(0.0, 0.1, OPTIMIZER_ROWS)
    return x, y


def _mse_gradient(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return 2.0 * x.T @ (x @ w - y) / len(y)


@lru_cache(maxsize=4)
def optimizer_paths(seed: int = 3) -> OptimizerPaths:
    """Run 30 steps of full-batch gradient descent, SGD and Adam from the same start."""
    x, y = _regression_data(seed)
    rng = np.random.default_rng(seed + 1)
    batches = [rng.choice(OPTIMIZER_ROWS, OPTIMIZER_BATCH, replace=False) for _ in range(99)]

    def loss(w: np.ndarray) -> float:
        return float(np.mean((x @ w - y) ** 2))

    paths: dict[str, list[np.ndarray]] = {name: [_START.copy()] for name in OPTIMIZER_RATES}
    w_gd, w_sgd, w_adam = _START.copy(), _START.copy(), _START.copy()
    m, v = np.zeros(2), np.zeros(2)
    beta1, beta2, eps = 0.9, 0.999, 1e-8  # Adam's standard constants (as in Keras)
    for step in range(1, OPTIMIZER_STEPS + 1):
        # The same batch for SGD and Adam at each step, so their only difference is the rule.
        batch = batches[(step - 1) % len(batches)]
        w_gd = w_gd - OPTIMIZER_RATES["gd"] * _mse_gradient(w_gd, x, y)
        w_sgd = w_sgd - OPTIMIZER_RATES["sgd"] * _mse_gradient(w_sgd, x[batch], y[batch])
        g = _mse_gradient(w_adam, x[batch], y[batch])
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**step), v / (1 - beta2**step)
        w_adam = w_adam - OPTIMIZER_RATES["adam"] * m_hat / (np.sqrt(v_hat) + eps)
        for name, w in (("gd", w_gd), ("sgd", w_sgd), ("adam", w_adam)):
            paths[name].append(w.copy())
    grid_w1 = np.linspace(-3.0, 4.0, 71)
    grid_w2 = np.linspace(-3.0, 4.0, 71)
    surface = np.array([[loss(np.array([a, b])) for a in grid_w1] for b in grid_w2])
    arrays = {name: np.array(points) for name, points in paths.items()}
    return OptimizerPaths(
        grid_w1=grid_w1,
        grid_w2=grid_w2,
        surface=surface,
        paths=arrays,
        losses={name: np.array([loss(w) for w in points]) for name, points in arrays.items()},
        best=np.linalg.lstsq(x, y, rcond=None)[0],
    )


# --- learning rate: too low, good, too high -------------------------------------------------

# On the loss (w - 3)^2, whose slope is 2 (w - 3): a rate of 0.5 jumps straight to the bottom,
# and above 1.0 every step lands further away than the last.
LEARNING_RATE_CASES = {"too_low": 0.02, "good": 0.3, "too_high": 1.05}
LEARNING_RATE_STEPS = 8
_LR_BOTTOM, _LR_START = 3.0, 0.0


@dataclass(frozen=True)
class LearningRatePaths:
    """Gradient descent on a one-weight bowl with three learning rates."""

    grid: np.ndarray  # weight values for drawing the bowl
    bowl: np.ndarray  # loss at each grid value
    weights: dict[str, np.ndarray]  # case -> weight after each step
    losses: dict[str, np.ndarray]  # case -> loss after each step


@lru_cache(maxsize=4)
def learning_rate_paths() -> LearningRatePaths:
    """Eight gradient-descent steps on ``(w - 3)^2`` from ``w = 0`` for each rate."""

    def loss(w: np.ndarray | float) -> np.ndarray:
        return (np.asarray(w) - _LR_BOTTOM) ** 2

    weights = {}
    for case, rate in LEARNING_RATE_CASES.items():
        w = [_LR_START]
        for _ in range(LEARNING_RATE_STEPS):
            w.append(w[-1] - rate * 2.0 * (w[-1] - _LR_BOTTOM))
        weights[case] = np.array(w)
    grid = np.linspace(-4.0, 10.0, 281)  # wide enough for the overshooting steps
    return LearningRatePaths(
        grid=grid,
        bowl=loss(grid),
        weights=weights,
        losses={case: loss(w) for case, w in weights.items()},
    )


# --- overfitting: a flexible curve fitted by gradient descent --------------------------------

FIT_POINTS = 14  # training points (few, so the curve can memorise them)
FIT_DEGREE = 12  # a very flexible curve: a polynomial of degree 12
FIT_EPOCHS = 2000
FIT_RATE = 0.2
FIT_PATIENCE = 100  # the patience shown in the early-stopping picture
_FIT_NOISE = 0.3
FIT_VALIDATION_POINTS = 200


@dataclass(frozen=True)
class OverfittingRun:
    """Training and validation loss of a flexible curve, and its shape at three moments."""

    train_x: np.ndarray
    train_y: np.ndarray
    curve_x: np.ndarray  # where the fitted curves are drawn
    truth: np.ndarray  # the real pattern (without noise) at curve_x
    train_loss: np.ndarray  # after each epoch
    validation_loss: np.ndarray
    best_epoch: int  # 1-based: the epoch with the lowest validation loss
    stop_epoch: int  # where early stopping with FIT_PATIENCE would end
    snapshots: dict[str, tuple[int, np.ndarray]]  # "early"/"best"/"last" -> (epoch, curve)


@lru_cache(maxsize=4)
def overfitting_run(seed: int = 2) -> OverfittingRun:
    """Fit a degree-12 polynomial to 14 noisy points of a sine wave by gradient descent.

    The features are Legendre polynomials (well-conditioned on [-1, 1], so plain gradient
    descent makes steady progress). Early epochs learn the broad shape; later ones bend the
    curve through the noise, which the validation loss, measured on 200 fresh points, shows.
    """
    rng = np.random.default_rng(seed)
    train_x = np.sort(rng.uniform(-1.0, 1.0, FIT_POINTS))
    train_y = np.sin(np.pi * train_x) + rng.normal(0.0, _FIT_NOISE, FIT_POINTS)
    val_x = rng.uniform(-1.0, 1.0, FIT_VALIDATION_POINTS)
    val_y = np.sin(np.pi * val_x) + rng.normal(0.0, _FIT_NOISE, FIT_VALIDATION_POINTS)
    curve_x = np.linspace(-1.0, 1.0, 201)
    features = legendre.legvander(train_x, FIT_DEGREE)
    val_features = legendre.legvander(val_x, FIT_DEGREE)
    curve_features = legendre.legvander(curve_x, FIT_DEGREE)
    w = np.zeros(FIT_DEGREE + 1)
    train_loss, val_loss, history = [], [], []
    for _ in range(FIT_EPOCHS):
        w = w - FIT_RATE * 2.0 * features.T @ (features @ w - train_y) / FIT_POINTS
        train_loss.append(float(np.mean((features @ w - train_y) ** 2)))
        val_loss.append(float(np.mean((val_features @ w - val_y) ** 2)))
        history.append(w.copy())
    best = int(np.argmin(val_loss)) + 1
    early = max(1, best // 15)
    snapshots = {
        moment: (epoch, curve_features @ history[epoch - 1])
        for moment, epoch in (("early", early), ("best", best), ("last", FIT_EPOCHS))
    }
    return OverfittingRun(
        train_x=train_x,
        train_y=train_y,
        curve_x=curve_x,
        truth=np.sin(np.pi * curve_x),
        train_loss=np.array(train_loss),
        validation_loss=np.array(val_loss),
        best_epoch=best,
        stop_epoch=min(FIT_EPOCHS, best + FIT_PATIENCE),
        snapshots=snapshots,
    )
