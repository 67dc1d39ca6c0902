"""Plotly pictures for the glossary and the Learn page, drawn from computed numbers.

The numbers come from :mod:`core.glossary.illustrations` and :mod:`core.model.tiny_network`;
this module only draws them. The wording of titles, axes and legends is in ``TEXT`` for
translation. No user data reaches these charts, so no escaping is needed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.glossary import Illustration
from core.glossary.illustrations import (
    LEARNING_RATE_CASES,
    activation_curves,
    learning_rate_paths,
    optimizer_paths,
    overfitting_run,
)
from core.i18n import Texts
from core.model.tiny_network import TrainingStep

TEXT = Texts("ui.learn_charts")

# Symbols, the same in every language.
INPUT_NAMES = ["x₁", "x₂"]
HIDDEN_NAMES = ["h₁", "h₂"]
_COLOURS = {"gd": "#2f6fbd", "sgd": "#e07b39", "adam": "#2a9d5c"}
_CASE_COLOURS = {"too_low": "#9aa5b1", "good": "#2a9d5c", "too_high": "#d1495b"}
_BLUE, _ORANGE, _GREY, _RED = "#2f6fbd", "#e07b39", "#9aa5b1", "#d1495b"


def _layout(fig: go.Figure, height: int = 320) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.22},
    )
    return fig


def activation_figure() -> go.Figure:
    """Every activation the recipe offers, on one set of axes."""
    curves = activation_curves()
    fig = go.Figure()
    for name, label in TEXT["activations"].items():
        fig.add_trace(go.Scatter(x=curves["z"], y=curves[name], mode="lines", name=label))
    fig.update_xaxes(title=TEXT["weighted_sum"], zeroline=True)
    fig.update_yaxes(title=TEXT["output"], range=[-1.6, 4.1], zeroline=True)
    return _layout(fig)


def optimizer_figure() -> go.Figure:
    """The loss surface with the three methods' paths, and the loss after each step."""
    data = optimizer_paths()
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.55, 0.45],
        subplot_titles=(TEXT["paths"], TEXT["loss_per_step"]),
    )
    # Log of the loss, so the contour lines are spread over the whole valley, not only its rim.
    fig.add_trace(
        go.Contour(
            x=data.grid_w1,
            y=data.grid_w2,
            z=np.log10(data.surface),
            colorscale="Blues",
            reversescale=True,
            showscale=False,
            contours={"coloring": "heatmap", "showlines": True},
            hoverinfo="skip",
        ),
        row=1,
        col=1,
    )
    for name, label in TEXT["optimizers"].items():
        path, losses = data.paths[name], data.losses[name]
        style = {"color": _COLOURS[name]}
        fig.add_trace(
            go.Scatter(
                x=path[:, 0], y=path[:, 1], mode="lines+markers", name=label, line=style,
                marker={"size": 4}, legendgroup=name,
            ),
            row=1,
            col=1,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=np.arange(len(losses)), y=losses, mode="lines", line=style, name=label,
                legendgroup=name, showlegend=False,
            ),
            row=1,
            col=2,
        )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=[data.best[0]], y=[data.best[1]], mode="markers", name=TEXT["best"],
            marker={"symbol": "star", "size": 14, "color": "white", "line": {"width": 1}},
        ),
        row=1,
        col=1,
    )  # fmt: skip
    fig.update_xaxes(title=TEXT["weight_1"], row=1, col=1)
    fig.update_yaxes(title=TEXT["weight_2"], row=1, col=1)
    fig.update_xaxes(title=TEXT["step"], row=1, col=2)
    fig.update_yaxes(title=TEXT["loss"], type="log", dtick=1, row=1, col=2)  # one tick a decade
    return _layout(fig, height=380)


def learning_rate_figure() -> go.Figure:
    """Three small panels: the same bowl, walked with a too low, a good and a too high rate."""
    data = learning_rate_paths()
    titles = [
        TEXT["rate_cases"][case].format(rate=f"{rate:g}")
        for case, rate in LEARNING_RATE_CASES.items()
    ]
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, shared_yaxes=True)
    for col, case in enumerate(LEARNING_RATE_CASES, start=1):
        fig.add_trace(
            go.Scatter(x=data.grid, y=data.bowl, mode="lines", line={"color": _GREY}),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=data.weights[case], y=data.losses[case], mode="lines+markers",
                line={"color": _CASE_COLOURS[case]}, marker={"size": 7},
            ),
            row=1,
            col=col,
        )  # fmt: skip
        fig.update_xaxes(title=TEXT["weight"], row=1, col=col)
    fig.update_yaxes(title=TEXT["bowl_loss"], range=[-2, 50], row=1, col=1)
    fig.update_layout(showlegend=False)
    return _layout(fig, height=300)


def fit_curves_figure() -> go.Figure:
    """The flexible curve at three moments of training, over the training points."""
    run = overfitting_run()
    titles = [
        TEXT["moments"][moment].format(epoch=f"{epoch:,}")
        for moment, (epoch, _) in run.snapshots.items()
    ]
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, shared_yaxes=True)
    for col, (_, curve) in enumerate(run.snapshots.values(), start=1):
        first = col == 1
        fig.add_trace(
            go.Scatter(
                x=run.curve_x, y=run.truth, mode="lines", name=TEXT["truth"],
                line={"color": _GREY, "dash": "dash"}, showlegend=first,
            ),
            row=1,
            col=col,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=run.train_x, y=run.train_y, mode="markers", name=TEXT["points"],
                marker={"color": _ORANGE, "size": 7}, showlegend=first,
            ),
            row=1,
            col=col,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=run.curve_x, y=curve, mode="lines", line={"color": _BLUE}, showlegend=False
            ),
            row=1,
            col=col,
        )
    fig.update_yaxes(range=[-2.0, 2.0])
    return _layout(fig, height=300)


def loss_curves_figure() -> go.Figure:
    """Training and validation loss per epoch, with the best epoch and the early stop marked."""
    run = overfitting_run()
    epochs = np.arange(1, len(run.train_loss) + 1)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=epochs, y=run.train_loss, name=TEXT["training"], line={"color": _BLUE})
    )
    fig.add_trace(
        go.Scatter(
            x=epochs, y=run.validation_loss, name=TEXT["validation"], line={"color": _ORANGE}
        )
    )
    # The two moments as vertical line traces (not shapes): on log axes plotly places shapes
    # and annotations in different units, and a legend entry reads better than a label anyway.
    low = float(min(run.train_loss.min(), run.validation_loss.min()))
    high = float(max(run.train_loss.max(), run.validation_loss.max()))
    for epoch, label, style in (
        (run.best_epoch, TEXT["best_epoch"], {"color": "#2a9d5c", "dash": "dash"}),
        (run.stop_epoch, TEXT["stopped"], {"color": _RED, "dash": "dot"}),
    ):
        fig.add_trace(
            go.Scatter(
                x=[epoch, epoch], y=[low, high], mode="lines", line=style,
                name=label.format(epoch=epoch), hoverinfo="skip",
            )
        )  # fmt: skip
    # A log axis: the interesting part (the first few hundred epochs) gets the room.
    fig.update_xaxes(title=TEXT["epoch"], type="log", dtick=1)
    fig.update_yaxes(title=TEXT["bowl_loss"], rangemode="tozero")
    return _layout(fig)


FIGURES: dict[Illustration, Callable[[], go.Figure]] = {
    Illustration.ACTIVATION_CURVES: activation_figure,
    Illustration.OPTIMIZER_PATHS: optimizer_figure,
    Illustration.LEARNING_RATES: learning_rate_figure,
    Illustration.FIT_CURVES: fit_curves_figure,
    Illustration.LOSS_CURVES: loss_curves_figure,
}


def loss_history_figure(losses: list[float]) -> go.Figure:
    """The walk-through's loss before the first step and after each step the reader took."""
    fig = go.Figure(
        go.Scatter(
            x=list(range(len(losses))), y=losses, mode="lines+markers", line={"color": _BLUE}
        )
    )
    fig.update_xaxes(title=TEXT["steps_taken"], dtick=1 if len(losses) <= 12 else None)
    fig.update_yaxes(title=TEXT["bowl_loss"], rangemode="tozero")
    return _layout(fig, height=240)


def tiny_network_figure(step: TrainingStep) -> go.Figure:
    """The 2-2-1 network with this step's values on the neurons and weights on the lines.

    Line colour gives the weight's sign (blue positive, red negative), its width the size.
    """
    passed, weights = step.forward, step.weights
    inputs = [(0.0, 0.8), (0.0, 0.2)]
    hidden = [(1.0, 0.8), (1.0, 0.2)]
    output = (2.0, 0.5)
    fig = go.Figure()

    def edge(start: tuple, end: tuple, weight: float, label_at: float) -> None:
        fig.add_shape(
            type="line", x0=start[0], y0=start[1], x1=end[0], y1=end[1],
            line={"color": _BLUE if weight >= 0 else _RED, "width": 1 + 6 * min(abs(weight), 1)},
            layer="below",
        )  # fmt: skip
        x = start[0] + label_at * (end[0] - start[0])
        y = start[1] + label_at * (end[1] - start[1])
        fig.add_annotation(
            x=x, y=y, text=f"{weight:+.3f}", showarrow=False, bgcolor="white", font={"size": 13}
        )

    for j, h in enumerate(hidden):
        for i, x in enumerate(inputs):
            # Labels near the start of each line, so the four crossing lines keep them apart.
            edge(x, h, float(weights.hidden_weights[j, i]), 0.28)
        edge(h, output, float(weights.output_weights[j]), 0.5)
    nodes = [
        *[(pos, INPUT_NAMES[i], passed.inputs[i]) for i, pos in enumerate(inputs)],
        *[(pos, HIDDEN_NAMES[j], passed.hidden_outputs[j]) for j, pos in enumerate(hidden)],
        (output, TEXT["prediction"], passed.prediction),
    ]
    fig.add_trace(
        go.Scatter(
            x=[pos[0] for pos, _, _ in nodes],
            y=[pos[1] for pos, _, _ in nodes],
            mode="markers+text",
            marker={"size": 64, "color": "#eef3fa", "line": {"color": _BLUE, "width": 2}},
            text=[TEXT["node"].format(name=n, value=v).replace(" = ", "<br>") for _, n, v in nodes],
            textfont={"size": 14},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.add_annotation(
        x=output[0], y=output[1] - 0.22, text=TEXT["target"].format(value=passed.target),
        showarrow=False, font={"size": 13},
    )  # fmt: skip
    fig.update_xaxes(visible=False, range=[-0.25, 2.35], fixedrange=True)
    fig.update_yaxes(visible=False, range=[0.0, 1.0], fixedrange=True)
    fig.update_layout(height=320, margin={"l": 0, "r": 0, "t": 10, "b": 0}, template="plotly_white")
    return fig
