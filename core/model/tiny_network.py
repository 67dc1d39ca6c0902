"""One forward and one backward pass through a tiny 2-2-1 network, with every number kept.

The Learn page walks a reader through what training does, step by step: the weighted sums,
the activations, the loss, every gradient found by backpropagation, and the weights after one
gradient-descent step. All those figures come from here, so the page can never show a number
that the arithmetic does not produce. Plain numpy, no Keras: the point is to see each step.

The network::

    x1 ─┬─ w[0,0] ─► hidden 1 ─┐
        └─ w[1,0] ─┐           ├─ v[0], v[1] ─► output (sigmoid) ─► prediction
    x2 ─┬─ w[0,1] ─┼► hidden 2 ┘
        └─ w[1,1] ─┘

``hidden_weights[j, i]`` connects input ``i`` to hidden neuron ``j``, so the hidden weighted
sums are ``z = W x + b``. The output neuron is a sigmoid, so the prediction is a probability,
as in Trainboard's yes/no models.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

Activation = Literal["relu", "tanh", "sigmoid", "elu", "gelu", "linear"]
Loss = Literal["cross_entropy", "squared_error"]

_erf = np.vectorize(math.erf, otypes=[float])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # The same function as 1 / (1 + e^-z), written so that no large z overflows exp().
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def _gelu(z: np.ndarray) -> np.ndarray:
    # The exact form (Keras' default, approximate=False): z times the normal CDF of z.
    return z * 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))


def _gelu_slope(z: np.ndarray) -> np.ndarray:
    cdf = 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))
    pdf = np.exp(-0.5 * z**2) / math.sqrt(2.0 * math.pi)
    return cdf + z * pdf


# Each activation with its slope (derivative), the pair backpropagation needs. The names are
# the recipe's activation choices, so the Learn page's curves show exactly what a user can pick.
# ReLU's slope at exactly 0 is taken as 0, as in Keras.
ACTIVATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable]] = {
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z))),
    "elu": (
        lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
        lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0))),
    ),
    "gelu": (_gelu, _gelu_slope),
    "linear": (lambda z: np.asarray(z, dtype=float), lambda z: np.ones_like(z, dtype=float)),
}

# Keeps log() finite when a prediction reaches exactly 0 or 1 (as Keras' clipping does).
_EPSILON = 1e-12


@dataclass(frozen=True)
class TinyWeights:
    """The nine numbers the tiny network learns.

    Attributes
    ----------
    hidden_weights : np.ndarray, shape (2, 2)
        ``hidden_weights[j, i]`` connects input ``i`` to hidden neuron ``j``.
    hidden_biases : np.ndarray, shape (2,)
    output_weights : np.ndarray, shape (2,)
        One weight from each hidden neuron to the output.
    output_bias : float
    """

    hidden_weights: np.ndarray
    hidden_biases: np.ndarray
    output_weights: np.ndarray
    output_bias: float

    def to_vector(self) -> np.ndarray:
        """All nine numbers in one vector (for finite-difference checks and display)."""
        return np.concatenate(
            [
                self.hidden_weights.ravel(),
                self.hidden_biases,
                self.output_weights,
                [self.output_bias],
            ]
        ).astype(float)

    @classmethod
    def from_vector(cls, vector: np.ndarray) -> TinyWeights:
        """The inverse of :meth:`to_vector`."""
        v = np.asarray(vector, dtype=float)
        if v.shape != (9,):
            raise ValueError(f"The tiny network has 9 weights, got {v.size}.")
        return cls(v[:4].reshape(2, 2), v[4:6].copy(), v[6:8].copy(), float(v[8]))


# Small, distinct starting weights, so every number on the Learn page is easy to follow and
# the two hidden neurons differ (identical weights would learn identically forever).
DEFAULT_WEIGHTS = TinyWeights(
    hidden_weights=np.array([[0.15, -0.20], [0.25, 0.30]]),
    hidden_biases=np.array([0.35, 0.35]),
    output_weights=np.array([0.40, -0.45]),
    output_bias=0.60,
)


@dataclass(frozen=True)
class ForwardPass:
    """Every intermediate number of one forward pass."""

    inputs: np.ndarray  # x, shape (2,)
    target: float  # y, the right answer (0 or 1, or anything in between)
    hidden_sums: np.ndarray  # z = W x + b, shape (2,)
    hidden_outputs: np.ndarray  # h = activation(z), shape (2,)
    output_sum: float  # z_out = v . h + c
    prediction: float  # p = sigmoid(z_out)
    loss: float


@dataclass(frozen=True)
class Gradients:
    """How much the loss changes per unit change of each number (found by backpropagation)."""

    prediction: float  # dL/dp
    output_sum: float  # dL/dz_out
    output_weights: np.ndarray  # dL/dv, shape (2,)
    output_bias: float  # dL/dc
    hidden_outputs: np.ndarray  # dL/dh, shape (2,)
    hidden_sums: np.ndarray  # dL/dz, shape (2,)
    hidden_weights: np.ndarray  # dL/dW, shape (2, 2)
    hidden_biases: np.ndarray  # dL/db, shape (2,)

    def as_weights(self) -> TinyWeights:
        """The weight gradients in the shape of the weights (for one update rule)."""
        return TinyWeights(
            self.hidden_weights, self.hidden_biases, self.output_weights, self.output_bias
        )


@dataclass(frozen=True)
class TrainingStep:
    """One full step: forward, backward, update, and the loss after the update."""

    weights: TinyWeights
    forward: ForwardPass
    gradients: Gradients
    learning_rate: float
    updated: TinyWeights
    loss_after: float
    activation: str
    loss_name: str


def _check(activation: str, loss: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"Unknown activation '{activation}': choose one of {', '.join(ACTIVATIONS)}."
        )
    if loss not in ("cross_entropy", "squared_error"):
        raise ValueError(f"Unknown loss '{loss}': choose cross_entropy or squared_error.")


def loss_value(prediction: float, target: float, loss: Loss = "cross_entropy") -> float:
    """The error of one prediction.

    Cross-entropy: ``-(y log p + (1 - y) log(1 - p))``. Squared error: ``(p - y)^2 / 2`` (the
    half makes its slope simply ``p - y``, a common teaching convention).
    """
    if loss == "squared_error":
        return 0.5 * (prediction - target) ** 2
    p = min(max(prediction, _EPSILON), 1.0 - _EPSILON)
    return float(-(target * math.log(p) + (1.0 - target) * math.log(1.0 - p)))


def forward(
    inputs: np.ndarray | list[float],
    weights: TinyWeights,
    target: float,
    activation: Activation = "sigmoid",
    loss: Loss = "cross_entropy",
) -> ForwardPass:
    """Run the inputs through the network and measure the error against ``target``."""
    _check(activation, loss)
    x = np.asarray(inputs, dtype=float)
    if x.shape != (2,):
        raise ValueError(f"The tiny network takes 2 inputs, got {x.size}.")
    act, _ = ACTIVATIONS[activation]
    z = weights.hidden_weights @ x + weights.hidden_biases
    h = np.asarray(act(z), dtype=float)
    z_out = float(weights.output_weights @ h + weights.output_bias)
    p = float(_sigmoid(np.float64(z_out)))
    return ForwardPass(x, float(target), z, h, z_out, p, loss_value(p, float(target), loss))


def backward(
    passed: ForwardPass,
    weights: TinyWeights,
    activation: Activation = "sigmoid",
    loss: Loss = "cross_entropy",
) -> Gradients:
    """Backpropagation: the chain rule applied from the loss back to every weight."""
    _check(activation, loss)
    _, slope = ACTIVATIONS[activation]
    p, y = passed.prediction, passed.target
    if loss == "squared_error":
        d_p = p - y
    else:
        clipped = min(max(p, _EPSILON), 1.0 - _EPSILON)
        d_p = -(y / clipped) + (1.0 - y) / (1.0 - clipped)
    # The sigmoid's slope at the output is p (1 - p). With cross-entropy the product simplifies
    # to p - y, the reason the two are paired; it is computed the long way here so the page can
    # show each factor of the chain.
    d_out = d_p * p * (1.0 - p)
    d_v = d_out * passed.hidden_outputs
    d_h = d_out * weights.output_weights
    d_z = d_h * np.asarray(slope(passed.hidden_sums), dtype=float)
    d_w = np.outer(d_z, passed.inputs)
    return Gradients(
        prediction=float(d_p),
        output_sum=float(d_out),
        output_weights=d_v,
        output_bias=float(d_out),
        hidden_outputs=d_h,
        hidden_sums=d_z,
        hidden_weights=d_w,
        hidden_biases=d_z.copy(),
    )


def gradient_step(
    inputs: np.ndarray | list[float],
    target: float,
    weights: TinyWeights = DEFAULT_WEIGHTS,
    learning_rate: float = 0.5,
    activation: Activation = "sigmoid",
    loss: Loss = "cross_entropy",
) -> TrainingStep:
    """One step of gradient descent on one example: forward, backward, update, re-measure.

    Parameters
    ----------
    inputs : two numbers
        The example's inputs (already scaled, as Trainboard's preparation would).
    target : float
        The right answer, between 0 and 1.
    weights : TinyWeights
        The weights before the step.
    learning_rate : float
        How far to move against the gradient; each weight becomes
        ``weight - learning_rate * gradient``.
    activation, loss : str
        The hidden layer's activation and the loss to minimise.

    Returns
    -------
    TrainingStep

    Raises
    ------
    ValueError
        If the learning rate is not positive, the target is outside [0, 1], or a name is unknown.
    """
    if not learning_rate > 0:
        raise ValueError("The learning rate must be a positive number, such as 0.1.")
    if not 0.0 <= target <= 1.0:
        raise ValueError("The target must be between 0 and 1 (the output is a probability).")
    passed = forward(inputs, weights, target, activation, loss)
    grads = backward(passed, weights, activation, loss)
    updated = TinyWeights.from_vector(
        weights.to_vector() - learning_rate * grads.as_weights().to_vector()
    )
    after = forward(inputs, updated, target, activation, loss).loss
    return TrainingStep(
        weights=weights,
        forward=passed,
        gradients=grads,
        learning_rate=float(learning_rate),
        updated=updated,
        loss_after=after,
        activation=activation,
        loss_name=loss,
    )
