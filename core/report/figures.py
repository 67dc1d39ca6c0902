"""The report's interactive charts, as plotly figures.

Plotly renders a subset of HTML in chart text, so every label that can come from the
user's file (column names, class labels, run and file names) goes through :func:`esc`.
Chart wording is in ``TEXT``, for translation.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from core.i18n import Texts

TEXT = Texts("core.report.figures")  # the catalog report.po
# Colour-blind-safe palette (Okabe-Ito), blue and orange first as in the app.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
GREY = "#8a949e"
INK = "#1f2933"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def esc(text: object) -> str:
    """User text shown literally in a chart (plotly renders some HTML tags)."""
    return html.escape(str(text), quote=False)


def _layout(fig: go.Figure, height: int = 340, legend: bool = True) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 20, "t": 28, "b": 10},
        template="plotly_white",
        font={"family": FONT, "size": 13, "color": INK},
        showlegend=legend,
        legend={"orientation": "h", "y": -0.22, "x": 0},
        hoverlabel={"font": {"family": FONT}},
    )
    return fig


@dataclass(frozen=True)
class CurveSeries:
    """One run's learning curve: ``which`` ("loss" or "metric") from its history."""

    name: str
    history: Sequence[dict[str, Any]]
    best_epoch: int | None


def learning_curves(
    series: Sequence[CurveSeries], which: str, y_title: str, *, training: bool = True
) -> go.Figure:
    """Training and validation curves per pass, the kept pass marked on each run.

    With one run, training and validation are two colours; with several, each run has
    its colour, validation drawn solid and training dotted.
    """
    fig = go.Figure()
    single = len(series) == 1
    for index, run in enumerate(series):
        epochs = [row.get("epoch") for row in run.history]
        train = [row.get(which) for row in run.history]
        val = [row.get(f"val_{which}") for row in run.history]
        colour = PALETTE[index % len(PALETTE)]
        name = esc(run.name)
        if training:
            fig.add_trace(
                go.Scatter(
                    x=epochs,
                    y=train,
                    mode="lines",
                    name=TEXT["training"] if single else TEXT["run_training"].format(name=name),
                    line={"color": PALETTE[0] if single else colour, "width": 2}
                    | ({} if single else {"dash": "dot"}),
                )
            )
        val_colour = PALETTE[1] if single else colour
        fig.add_trace(
            go.Scatter(
                x=epochs,
                y=val,
                mode="lines",
                name=TEXT["validation"] if single else TEXT["run_validation"].format(name=name),
                line={"color": val_colour, "width": 2.5},
            )
        )
        if run.best_epoch in epochs:
            at = epochs.index(run.best_epoch)
            fig.add_trace(
                go.Scatter(
                    x=[run.best_epoch],
                    y=[val[at]],
                    mode="markers+text",
                    marker={
                        "symbol": "star",
                        "size": 15,
                        "color": val_colour,
                        "line": {"color": "white", "width": 1},
                    },
                    text=[TEXT["kept"].format(epoch=run.best_epoch)],
                    # The label leans inwards, so near the last pass it stays on the chart.
                    textposition="top left" if at > len(epochs) / 2 else "top right",
                    textfont={"size": 12, "color": val_colour},
                    showlegend=False,
                    hovertemplate=TEXT["kept"].format(epoch=run.best_epoch)
                    + f"<br>{name}<extra></extra>",
                )
            )
            if single:
                fig.add_vline(x=run.best_epoch, line={"color": GREY, "dash": "dash", "width": 1})
    last = max((len(run.history) for run in series), default=1)
    fig.update_xaxes(title=TEXT["epoch"], tickformat="d", dtick=1 if last <= 12 else None)
    fig.update_yaxes(title=y_title)
    fig.update_traces(cliponaxis=False)  # the star and its label may sit on the chart's edge
    return _layout(fig)


@dataclass(frozen=True)
class Bar:
    """One bar of a score chart: a label, a value and its uncertainty range if known."""

    label: str
    value: float
    text: str  # the value as the tables write it
    low: float | None = None
    high: float | None = None
    highlight: bool = False


def score_bars(bars: Sequence[Bar], axis_title: str) -> go.Figure:
    """Horizontal bars with their uncertainty ranges as whiskers (the network highlighted)."""
    labels = [esc(bar.label) for bar in bars]
    has_ranges = any(bar.low is not None for bar in bars)
    error = None
    if has_ranges:
        error = {
            "type": "data",
            "symmetric": False,
            # None: no whisker at all for a bar without a range (0 would draw a tick).
            "array": [(bar.high - bar.value) if bar.high is not None else None for bar in bars],
            "arrayminus": [(bar.value - bar.low) if bar.low is not None else None for bar in bars],
            "color": INK,
            "thickness": 1.5,
            "width": 6,
        }
    fig = go.Figure(
        go.Bar(
            x=[bar.value for bar in bars],
            y=labels,
            orientation="h",
            marker={"color": [PALETTE[0] if bar.highlight else GREY for bar in bars]},
            error_x=error,
            text=[bar.text for bar in bars],
            # Inside the bar when it fits, beside it when the bar is too short (a score of 0).
            textposition="auto",
            insidetextanchor="start",
            insidetextfont={"color": "white"},
            outsidetextfont={"color": INK},
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title=axis_title)
    return _layout(fig, height=90 + 48 * len(bars), legend=False)


def importance_bars(rows: Sequence[tuple[str, float, float]], metric: str) -> go.Figure:
    """How much the test score drops when each column is shuffled, most important on top."""
    fig = go.Figure(
        go.Bar(
            x=[value for _, value, _ in rows],
            y=[esc(name) for name, _, _ in rows],
            orientation="h",
            marker={"color": PALETTE[0]},
            error_x={"type": "data", "array": [spread for *_, spread in rows], "color": GREY},
            hovertemplate="%{y}: %{x:.4f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category", automargin=True)
    fig.update_xaxes(title=TEXT["importance_axis"].format(metric=metric), zeroline=True)
    return _layout(fig, height=110 + 30 * len(rows), legend=False)
