"""Plotly figures of the app: the network diagram, live training curves, evaluation charts.

Every label that can come from the user's file (column names, class labels) goes
through :func:`ui.text.escape_chart_text`, because plotly renders HTML tags in chart
text. The wording of titles and axes is in ``TEXT`` for translation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from core.i18n import Texts
from core.model.architecture import NUMBER_FEATURES
from core.model.tasks import loss_name_for_metric
from core.results import ColumnImportance, EpochReport
from ui.text import escape_chart_text as esc

TEXT = Texts("ui.charts")

_BLUE = "#2f6fbd"
_ORANGE = "#e07b39"
_GREY = "#9aa5b1"


def _layout(fig: go.Figure, title: str | None = None, height: int = 360) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin={"l": 10, "r": 10, "t": 50 if title else 20, "b": 10},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def network_labels(names: Sequence[str]) -> list[str]:
    """Short names under the boxes: "Inputs", ("Number ranges",) "Layer 1", ..., "Answer".

    ``names`` are :func:`core.model.architecture.describe_network`'s layer names: the box of
    learned range features (``NUMBER_FEATURES``) has its own label, so "Layer n" is the form's
    hidden layer n. Short, so that four or five hidden layers still fit side by side in a
    narrow column; when they do not, plotly turns the labels (they are axis tick labels)
    instead of letting them overlap.
    """
    if len(names) < 2:
        return [TEXT["inputs"]][: len(names)]
    labels, hidden = [], 0
    for name in names[1:-1]:
        if name == NUMBER_FEATURES:
            labels.append(TEXT["number_features"])
        else:
            hidden += 1
            labels.append(TEXT["layer"].format(n=hidden))
    return [TEXT["inputs"], *labels, TEXT["output"]]


def network_diagram(
    layers: Sequence[tuple[str, int]], n_parameters: int, shortcut: bool = False
) -> go.Figure:
    """Boxes for inputs, hidden layers and output, their height growing with the unit count.

    Parameters
    ----------
    layers : sequence of (name, units)
        From :func:`core.model.architecture.describe_network`, inputs first, output last
        (the names under the boxes come from :func:`network_labels`, in this module's words).
    n_parameters : int
        Number of trainable weights, shown as the title.
    shortcut : bool
        Draw the direct path from the inputs to the answer (the recipe's linear shortcut).
    """
    fig = go.Figure()
    biggest = max((math.log2(units + 1) for _, units in layers), default=1.0)
    for index, (_, units) in enumerate(layers):
        half = 0.15 + 0.85 * math.log2(units + 1) / biggest  # half-height of the box
        colour = _GREY if index in (0, len(layers) - 1) else _BLUE
        if index > 0:  # a light band joins this box to the previous one: "fully connected"
            prev = 0.15 + 0.85 * math.log2(layers[index - 1][1] + 1) / biggest
            fig.add_shape(
                type="path",
                line={"width": 0},
                fillcolor="rgba(47,111,189,0.12)",
                path=f"M {index - 1 + 0.2},{-prev} L {index - 0.2},{-half} "
                f"L {index - 0.2},{half} L {index - 1 + 0.2},{prev} Z",
            )
        fig.add_shape(
            type="rect",
            x0=index - 0.2,
            x1=index + 0.2,
            y0=-half,
            y1=half,
            fillcolor=colour,
            line={"color": colour},
        )
        fig.add_annotation(
            x=index,
            y=0,
            text=f"<b>{TEXT['units'].format(units=units)}</b>",
            showarrow=False,
            font={"color": "white", "size": 13 if len(layers) <= 7 else 10},
            # In the box's colour: a number wider than a narrow box stays readable.
            bgcolor=colour,
            borderpad=1,
        )
    top = 1.05
    if shortcut and len(layers) > 2:
        last = len(layers) - 1
        start, end = (0.15 + 0.85 * math.log2(layers[i][1] + 1) / biggest for i in (0, last))
        fig.add_shape(  # an arc over the hidden layers, from the top of the inputs to the answer
            type="path",
            path=f"M 0,{start} Q {last / 2},{2.4 - (start + end) / 2} {last},{end}",
            line={"color": _GREY, "width": 2, "dash": "dot"},
        )
        fig.add_annotation(
            x=last / 2, y=1.36, text=TEXT["shortcut"], showarrow=False, font={"size": 11}
        )
        top = 1.48
    # Axis tick labels rather than annotations: plotly tilts tick labels that would overlap.
    fig.update_xaxes(
        range=[-0.5, max(len(layers) - 0.5, 0.5)],
        tickmode="array",
        tickvals=list(range(len(layers))),
        ticktext=network_labels([name for name, _ in layers]),
        showgrid=False,
        zeroline=False,
        showline=False,
        ticks="",
        fixedrange=True,
    )
    fig.update_yaxes(visible=False, range=[-1.05, top], fixedrange=True)
    return _layout(fig, TEXT["network_title"].format(params=int(n_parameters)), height=300)


def kept_epoch(history: Sequence[EpochReport], best_epoch: int | None = None) -> int | None:
    """The pass whose weights are kept: ``best_epoch`` once known, else the lowest
    validation error so far (the trainer's own rule while it trains)."""
    if best_epoch is not None:
        return best_epoch
    finite = [r for r in history if isinstance(r.val_loss, float) and math.isfinite(r.val_loss)]
    return min(finite, key=lambda r: r.val_loss).epoch if finite else None


def history_figure(
    history: Sequence[EpochReport], which: str, best_epoch: int | None = None
) -> go.Figure:
    """Training and validation curves per epoch: ``which`` is "loss" or "metric".

    The kept (best) pass is marked (``best_epoch``, or the lowest validation error so far),
    and the loss is named in plain words (cross-entropy, mean squared error).
    """
    epochs = [report.epoch for report in history]
    metric_name = next((report.metric_name for report in history if report.metric_name), "")
    loss = which == "loss"
    fig = go.Figure()
    for values, label, colour in (
        ([r.loss if loss else r.metric for r in history], TEXT["training"], _BLUE),
        ([r.val_loss if loss else r.val_metric for r in history], TEXT["validation"], _ORANGE),
    ):
        fig.add_trace(
            go.Scatter(
                x=epochs,
                y=values,
                mode="lines+markers",
                name=label,
                line={"color": colour},
                marker={"size": 4},
            )
        )
    if which == "loss":
        loss_name = loss_name_for_metric(str(metric_name))
        title = TEXT["loss_named"].format(name=loss_name) if loss_name else TEXT["loss"]
    else:
        title = esc(str(metric_name).capitalize())
    kept = kept_epoch(history, best_epoch)
    if kept is not None:
        # A shape and an annotation, not add_vline: the same line at a fifth of the cost, and
        # the live panel redraws both charts every second.
        fig.add_shape(
            type="line",
            x0=kept,
            x1=kept,
            xref="x",
            y0=0,
            y1=1,
            yref="paper",
            line={"color": "#2ca02c", "dash": "dash", "width": 1},
        )
        fig.add_annotation(
            x=kept,
            y=1,
            xref="x",
            yref="paper",
            text=TEXT["kept"].format(epoch=kept),
            showarrow=False,
            yanchor="bottom",
        )
    last = max((e for e in epochs if isinstance(e, (int, float))), default=1)
    # Epochs are whole numbers: one tick per epoch while there are few, never "0.2, 0.4...";
    # half an epoch of room on each side keeps the first and last points off the edges.
    fig.update_xaxes(
        title=TEXT["epoch"],
        range=[0.5, max(last, 1) + 0.5],
        tickformat="d",
        dtick=1 if last <= 10 else None,
    )
    return _layout(fig, title, height=320)


def confusion_matrix_figure(
    labels: Sequence[str], matrix: Sequence[Sequence[int]], title: str
) -> go.Figure:
    """Heatmap of counts: rows are the actual outcome, columns the predicted one."""
    names = [esc(label) for label in labels]
    fig = go.Figure(
        go.Heatmap(
            z=matrix,
            x=names,
            y=names,
            colorscale="Blues",
            showscale=False,
            text=[[str(v) for v in row] for row in matrix],
            texttemplate="%{text}",
            hovertemplate=TEXT["confusion_hover"],
        )
    )
    fig.update_xaxes(title=TEXT["predicted"], type="category")
    fig.update_yaxes(title=TEXT["actual"], type="category", autorange="reversed")
    return _layout(fig, title)


def curve_figure(curves: Sequence[dict], kind: str, title: str) -> go.Figure:
    """ROC (``kind="roc"``) or precision-recall (``kind="pr"``) curves, one line per curve.

    Each curve is {"name", "x", "y"}: false alarm rate / catch rate for ROC,
    recall / precision for precision-recall.
    """
    fig = go.Figure()
    for curve in curves:
        fig.add_trace(
            go.Scatter(
                x=curve["x"], y=curve["y"], mode="lines", name=esc(curve["name"]), showlegend=True
            )  # the legend carries the area under the curve
        )
    if kind == "roc":
        fig.add_trace(
            go.Scatter(
                x=[0, 1],
                y=[0, 1],
                mode="lines",
                name=TEXT["chance"],
                line={"dash": "dash", "color": _GREY},
            )
        )
        fig.update_xaxes(title=TEXT["false_positive_rate"], range=[0, 1])
        fig.update_yaxes(title=TEXT["true_positive_rate"], range=[0, 1.02])
    else:
        fig.update_xaxes(title=TEXT["recall"], range=[0, 1])
        fig.update_yaxes(title=TEXT["precision"], range=[0, 1.02])
    return _layout(fig, title)


def predicted_vs_actual_figure(
    actual: Sequence[float], predicted: Sequence[float], title: str
) -> go.Figure:
    """Scatter of predicted against actual values, with the line of perfect predictions."""
    low = min([*actual, *predicted], default=0.0)
    high = max([*actual, *predicted], default=1.0)
    fig = go.Figure(
        go.Scattergl(
            x=actual,
            y=predicted,
            mode="markers",
            name=TEXT["predicted"],
            marker={"size": 5, "opacity": 0.5, "color": _BLUE},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[low, high],
            y=[low, high],
            mode="lines",
            name=TEXT["perfect"],
            line={"dash": "dash", "color": _GREY},
        )
    )
    fig.update_xaxes(title=TEXT["actual"])
    fig.update_yaxes(title=TEXT["predicted"])
    return _layout(fig, title)


def residual_figure(predicted: Sequence[float], residual: Sequence[float], title: str) -> go.Figure:
    """Residuals (actual minus predicted) against the prediction: a shapeless cloud is good."""
    fig = go.Figure(
        go.Scattergl(
            x=predicted,
            y=residual,
            mode="markers",
            showlegend=False,
            marker={"size": 5, "opacity": 0.5, "color": _ORANGE},
        )
    )
    fig.add_hline(y=0, line={"dash": "dash", "color": _GREY})
    fig.update_xaxes(title=TEXT["predicted"])
    fig.update_yaxes(title=TEXT["residual"])
    return _layout(fig, title)


def importance_figure(rows: Sequence[ColumnImportance], title: str, limit: int = 20) -> go.Figure:
    """Horizontal bars of permutation importance, most important on top, with error bars."""

    def drop(value: float) -> float:
        return value if math.isfinite(value) else 0.0

    top = sorted(rows, key=lambda row: drop(row.importance), reverse=True)[:limit]
    top.reverse()  # plotly draws the first bar at the bottom
    fig = go.Figure(
        go.Bar(
            x=[drop(row.importance) for row in top],
            y=[esc(row.column) for row in top],
            orientation="h",
            marker={"color": _BLUE},
            error_x={"type": "data", "array": [drop(row.std) for row in top]},
        )
    )
    fig.update_xaxes(title=TEXT["importance"])
    fig.update_yaxes(type="category")
    return _layout(fig, title, height=max(260, 28 * len(top) + 90))
