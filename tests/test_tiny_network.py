"""The Learn page's tiny 2-2-1 network: backpropagation checked against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from core.model.tiny_network import (
    ACTIVATIONS,
    DEFAULT_WEIGHTS,
    TinyWeights,
    forward,
    gradient_step,
)

CASES = [
    (activation, loss) for activation in ACTIVATIONS for loss in ("cross_entropy", "squared_error")
]


def numerical_gradient(inputs, target, weights, activation, loss, h=1e-6) -> np.ndarray:
    """Central differences of the loss with respect to each of the nine weights."""
    base = weights.to_vector()
    grads = np.zeros_like(base)
    for i in range(base.size):
        up, down = base.copy(), base.copy()
        up[i] += h
        down[i] -= h
        loss_up = forward(inputs, TinyWeights.from_vector(up), target, activation, loss).loss
        loss_down = forward(inputs, TinyWeights.from_vector(down), target, activation, loss).loss
        grads[i] = (loss_up - loss_down) / (2 * h)
    return grads


@pytest.mark.parametrize(("activation", "loss"), CASES)
@pytest.mark.parametrize(("inputs", "target"), [([1.0, 0.5], 1.0), ([-0.7, 2.0], 0.0)])
def test_backprop_matches_finite_differences(activation, loss, inputs, target):
    step = gradient_step(inputs, target, DEFAULT_WEIGHTS, 0.1, activation, loss)
    analytic = step.gradients.as_weights().to_vector()
    numeric = numerical_gradient(inputs, target, DEFAULT_WEIGHTS, activation, loss)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_forward_numbers_follow_the_formulas():
    passed = forward([1.0, 0.5], DEFAULT_WEIGHTS, 1.0, "sigmoid", "cross_entropy")
    z = DEFAULT_WEIGHTS.hidden_weights @ np.array([1.0, 0.5]) + DEFAULT_WEIGHTS.hidden_biases
    np.testing.assert_allclose(passed.hidden_sums, z)
    np.testing.assert_allclose(passed.hidden_outputs, 1 / (1 + np.exp(-z)))
    assert passed.loss == pytest.approx(-np.log(passed.prediction))


def test_cross_entropy_with_sigmoid_output_simplifies_to_p_minus_y():
    step = gradient_step([0.3, -1.2], 0.0, DEFAULT_WEIGHTS, 0.1, "relu", "cross_entropy")
    assert step.gradients.output_sum == pytest.approx(step.forward.prediction - 0.0)


def test_update_is_weight_minus_rate_times_gradient_and_lowers_the_loss():
    step = gradient_step([1.0, 0.5], 1.0, DEFAULT_WEIGHTS, 0.5)
    expected = DEFAULT_WEIGHTS.to_vector() - 0.5 * step.gradients.as_weights().to_vector()
    np.testing.assert_allclose(step.updated.to_vector(), expected)
    assert step.loss_after < step.forward.loss


def test_a_huge_learning_rate_can_overshoot():
    # The lesson of the learning-rate entry, on the same network: too big a step makes it worse.
    step = gradient_step([1.0, 0.5], 0.5, DEFAULT_WEIGHTS, 20.0)
    assert step.loss_after > step.forward.loss


def test_weights_round_trip_through_a_vector():
    vector = DEFAULT_WEIGHTS.to_vector()
    assert vector.shape == (9,)
    np.testing.assert_array_equal(TinyWeights.from_vector(vector).to_vector(), vector)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"learning_rate": 0.0}, "learning rate"),
        ({"target": 1.5}, "between 0 and 1"),
        ({"activation": "swish"}, "Unknown activation"),
        ({"loss": "hinge"}, "Unknown loss"),
    ],
)
def test_bad_settings_are_refused_with_a_plain_message(kwargs, message):
    arguments = {"inputs": [1.0, 0.5], "target": 1.0, "learning_rate": 0.1} | kwargs
    with pytest.raises(ValueError, match=message):
        gradient_step(**arguments)
