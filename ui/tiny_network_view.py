"""The Learn page's walk-through: one training step of the tiny 2-2-1 network, number by number.

Every figure shown is read from the :class:`core.model.tiny_network.TrainingStep` that
:func:`core.model.tiny_network.gradient_step` returns; the formulas only put those numbers in
place. The weights live in session state, so "Take the step" can carry on from the updated
weights, the way training repeats this step thousands of times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from core.i18n import Texts
from core.model.choices import ACTIVATIONS as ACTIVATION_CHOICES
from core.model.tiny_network import ACTIVATIONS, DEFAULT_WEIGHTS, TinyWeights, TrainingStep
from ui.learn_charts import loss_history_figure

TEXT = Texts("ui.tiny_network_view")

WEIGHTS_KEY = "learn_weights"  # session state: the nine current weights, as a list
HISTORY_KEY = "learn_history"  # session state: the loss before the first step, then after each
LEARNING_RATES = [0.01, 0.03, 0.1, 0.3, 0.5, 1.0, 3.0, 10.0, 30.0]
# Each activation as LaTeX, with its slope (what backpropagation multiplies by).
_ACTIVATION_TEX = {
    "sigmoid": (r"\sigma", r"\sigma(z)\,(1-\sigma(z))"),
    "tanh": (r"\tanh", r"1-\tanh^2(z)"),
    "relu": (r"\mathrm{ReLU}", r"1 \text{ if } z>0 \text{, else } 0"),
    "elu": (r"\mathrm{ELU}", r"1 \text{ if } z>0 \text{, else } e^{z}"),
    "gelu": (r"\mathrm{GELU}", r"\Phi(z) + z\,\varphi(z)"),
    "linear": (r"\mathrm{id}", r"1"),
}
# Weight names in the update table, in the order of TinyWeights.to_vector().
WEIGHT_NAMES = ["w₁₁", "w₁₂", "w₂₁", "w₂₂", "b₁", "b₂", "v₁", "v₂", "c"]


@dataclass(frozen=True)
class WalkthroughSettings:
    """What the reader chose: the example, the learning rate, the activation and the loss."""

    inputs: tuple[float, float]
    target: float
    learning_rate: float
    activation: str
    loss: str


def current_weights() -> TinyWeights:
    """The weights the next step starts from (the defaults until a step was applied)."""
    stored = st.session_state.get(WEIGHTS_KEY)
    return DEFAULT_WEIGHTS if stored is None else TinyWeights.from_vector(np.array(stored))


def _apply(updated: list[float], loss_before: float, loss_after: float) -> None:
    st.session_state[WEIGHTS_KEY] = updated
    history = st.session_state.get(HISTORY_KEY) or [loss_before]
    st.session_state[HISTORY_KEY] = [*history, loss_after]


def _reset() -> None:
    st.session_state.pop(WEIGHTS_KEY, None)
    st.session_state.pop(HISTORY_KEY, None)


def settings_form(key: str) -> WalkthroughSettings:
    """The walk-through's widgets, in two rows; returns the chosen values."""
    left, middle, right = st.columns(3)
    x1 = left.number_input(TEXT["x1"], -5.0, 5.0, 1.0, 0.1, key=f"{key}_x1")
    x2 = middle.number_input(TEXT["x2"], -5.0, 5.0, 0.5, 0.1, key=f"{key}_x2")
    target = right.slider(
        TEXT["target"], 0.0, 1.0, 1.0, 0.1, help=TEXT["target_help"], key=f"{key}_target"
    )
    left, middle, right = st.columns(3)
    rate = left.select_slider(TEXT["rate"], LEARNING_RATES, value=0.5, key=f"{key}_rate")
    activation = middle.selectbox(
        TEXT["activation"],
        list(_ACTIVATION_TEX),
        format_func=lambda value: ACTIVATION_CHOICES[value].label,
        key=f"{key}_activation",
    )
    loss = right.selectbox(
        TEXT["loss"], list(TEXT["losses"]), format_func=TEXT["losses"].get, key=f"{key}_loss"
    )
    return WalkthroughSettings((float(x1), float(x2)), float(target), float(rate), activation, loss)


def _n(value: float) -> str:
    """A number for a formula: four decimals, negatives in brackets (they are multiplied)."""
    return f"({value:.4f})" if value < 0 else f"{value:.4f}"


def show_forward(step: TrainingStep) -> None:
    """Step 1: the weighted sums and activations of the hidden layer, then the output."""
    f, w = step.forward, step.weights
    name, _ = _ACTIVATION_TEX[step.activation]
    st.subheader(TEXT["forward"])
    st.caption(TEXT["forward_help"])
    # One aligned block per neuron: its weighted sum, then what its activation makes of it.
    for j in range(2):
        a, b = w.hidden_weights[j]
        st.latex(
            rf"\begin{{aligned}} z_{j + 1} &= w_{{{j + 1}1}}x_1 + w_{{{j + 1}2}}x_2 + b_{j + 1} = "
            rf"{_n(a)}\cdot{_n(f.inputs[0])} + {_n(b)}\cdot{_n(f.inputs[1])} + "
            rf"{_n(w.hidden_biases[j])} = {f.hidden_sums[j]:.4f} \\ "
            rf"h_{j + 1} &= {name}(z_{j + 1}) = {f.hidden_outputs[j]:.4f} \end{{aligned}}"
        )
    v1, v2 = w.output_weights
    st.latex(
        rf"\begin{{aligned}} z_o &= v_1 h_1 + v_2 h_2 + c = {_n(v1)}\cdot{_n(f.hidden_outputs[0])}"
        rf" + {_n(v2)}\cdot{_n(f.hidden_outputs[1])} + {_n(w.output_bias)} = {f.output_sum:.4f}"
        rf" \\ p &= \sigma(z_o) = {f.prediction:.4f} \end{{aligned}}"
    )


def show_loss(step: TrainingStep) -> None:
    """Step 2: the loss of this one prediction."""
    f = step.forward
    st.subheader(TEXT["loss_step"])
    if step.loss_name == "squared_error":
        st.latex(
            rf"L = \tfrac12 (p-y)^2 = \tfrac12({f.prediction:.4f} - {f.target:g})^2 = {f.loss:.4f}"
        )
    else:
        st.latex(
            rf"L = -\big[y\log p + (1-y)\log(1-p)\big] = -\big[{f.target:g}\log {f.prediction:.4f}"
            rf" + {1 - f.target:g}\log {1 - f.prediction:.4f}\big] = {f.loss:.4f}"
        )


def _dl(symbol: str) -> str:
    """LaTeX for "the gradient of the loss with respect to ``symbol``"."""
    return rf"\frac{{\partial L}}{{\partial {symbol}}}"


def show_backward(step: TrainingStep) -> None:
    """Step 3: every gradient, from the loss back to the first layer."""
    f, g, w = step.forward, step.gradients, step.weights
    _, slope = _ACTIVATION_TEX[step.activation]
    st.subheader(TEXT["backward"])
    st.caption(TEXT["backward_help"])
    if step.loss_name == "squared_error":
        rule = "p - y"
    else:
        rule = r"-\frac{y}{p} + \frac{1-y}{1-p}"
    st.latex(rf"{_dl('p')} = {rule} = {g.prediction:.4f}")
    st.latex(
        rf"{_dl('z_o')} = {_dl('p')}\,p(1-p) = {_n(g.prediction)}\cdot{f.prediction:.4f}"
        rf"\cdot{1 - f.prediction:.4f} = {g.output_sum:.4f}"
        rf"\qquad {_dl('c')} = {_dl('z_o')} = {g.output_bias:.4f}"
    )
    for j in range(2):
        k = j + 1
        st.latex(
            rf"{_dl(f'v_{k}')} = {_dl('z_o')}\,h_{k} = {g.output_weights[j]:.4f}"
            rf"\qquad {_dl(f'h_{k}')} = {_dl('z_o')}\,v_{k} = "
            rf"{_n(g.output_sum)}\cdot{_n(w.output_weights[j])} = {g.hidden_outputs[j]:.4f}"
        )
        local = float(ACTIVATIONS[step.activation][1](np.array(f.hidden_sums[j])))
        st.latex(
            rf"{_dl(f'z_{k}')} = {_dl(f'h_{k}')}\cdot\left[{slope}\right]_{{z_{k}}}"
            rf" = {_n(g.hidden_outputs[j])}\cdot{_n(local)} = {g.hidden_sums[j]:.4f}"
        )
        st.latex(
            rf"{_dl(f'w_{{{k}1}}')} = {_dl(f'z_{k}')}\,x_1 = {g.hidden_weights[j, 0]:.4f}"
            rf"\qquad {_dl(f'w_{{{k}2}}')} = {_dl(f'z_{k}')}\,x_2 = {g.hidden_weights[j, 1]:.4f}"
            rf"\qquad {_dl(f'b_{k}')} = {_dl(f'z_{k}')} = {g.hidden_biases[j]:.4f}"
        )


def update_table(step: TrainingStep) -> pd.DataFrame:
    """Every weight before the step, its gradient and its value after."""
    return pd.DataFrame(
        {
            TEXT["weight"]: WEIGHT_NAMES,
            TEXT["before"]: step.weights.to_vector(),
            TEXT["gradient"]: step.gradients.as_weights().to_vector(),
            TEXT["after"]: step.updated.to_vector(),
        }
    )


def show_update(step: TrainingStep, key: str) -> None:
    """Step 4: the new weights, the loss after the step, and the buttons to go on."""
    st.subheader(TEXT["update"])
    v1, grad = step.weights.output_weights[0], step.gradients.output_weights[0]
    st.latex(
        rf"v_1 \leftarrow v_1 - \eta\,\frac{{\partial L}}{{\partial v_1}} = {_n(v1)} - "
        rf"{step.learning_rate:g}\cdot{_n(grad)} = {step.updated.output_weights[0]:.4f}"
    )
    st.caption(TEXT["update_help"])
    st.dataframe(
        update_table(step), hide_index=True, key=f"{key}_table",
        column_config={c: st.column_config.NumberColumn(format="%.4f") for c in
                       (TEXT["before"], TEXT["gradient"], TEXT["after"])},
    )  # fmt: skip
    before, after = step.forward.loss, step.loss_after
    if after > before:
        st.warning(TEXT["worse"], icon=":material/trending_up:")
    else:
        st.success(
            TEXT["better"].format(before=before, after=after), icon=":material/trending_down:"
        )
    left, right = st.columns(2)
    left.button(
        TEXT["apply"], help=TEXT["apply_help"], type="primary", key=f"{key}_apply",
        on_click=_apply,
        args=(step.updated.to_vector().tolist(), step.forward.loss, step.loss_after),
    )  # fmt: skip
    right.button(TEXT["reset"], key=f"{key}_reset", on_click=_reset)
    history = st.session_state.get(HISTORY_KEY) or []
    st.caption(TEXT["steps_taken"].format(n=max(len(history) - 1, 0)))
    if len(history) > 1:
        st.plotly_chart(
            loss_history_figure(history), key=f"{key}_history", config={"displayModeBar": False}
        )
        st.caption(TEXT["history_help"])


def show_summary(step: TrainingStep) -> None:
    """The three numbers that matter, side by side."""
    first, second, third = st.columns(3)
    first.metric(TEXT["prediction"], f"{step.forward.prediction:.4f}")
    second.metric(TEXT["loss_before"], f"{step.forward.loss:.4f}")
    third.metric(
        TEXT["loss_after"], f"{step.loss_after:.4f}",
        delta=f"{step.loss_after - step.forward.loss:+.4f}", delta_color="inverse",
    )  # fmt: skip
