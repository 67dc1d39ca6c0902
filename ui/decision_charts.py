"""Plotly figures for decisions: the profit curve, the cumulative gains chart, error by range.

Every label that can come from the user's file (the target, class labels) goes through
:func:`ui.text.escape_chart_text`, because plotly renders HTML tags in chart text. The
wording is in ``TEXT`` for translation; numbers on hover use the app's one format.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from core.evaluation.formatting import format_number
from core.i18n import Texts
from ui.charts import _layout
from ui.text import escape_chart_text as esc

TEXT = Texts("ui.decision_charts")

_BLUE = "#2f6fbd"
_ORANGE = "#e07b39"
_GREY = "#9aa5b1"
_GREEN = "#2e8b57"


def profit_figure(
    thresholds: Sequence[float],
    per_rows: Sequence[float],
    best: float,
    current: float,
    rows: int,
) -> go.Figure:
    """Expected value at each threshold, with the best and the chosen threshold marked."""
    fig = go.Figure(
        go.Scatter(
            x=list(thresholds),
            y=list(per_rows),
            mode="lines",
            line={"color": _BLUE},
            showlegend=False,
            customdata=[format_number(v, "amount") for v in per_rows],
            hovertemplate="%{x:.2f}: %{customdata}<extra></extra>",
        )
    )
    fig.add_hline(y=0, line={"color": _GREY, "dash": "dot"})
    fig.add_vline(
        x=best,
        line={"color": _GREEN, "dash": "dash"},
        annotation_text=TEXT["best"].format(threshold=f"{best:.2f}"),
        annotation_position="top left",
    )
    fig.add_vline(
        x=current,
        line={"color": _ORANGE},
        annotation_text=TEXT["current"].format(threshold=f"{current:.2f}"),
        annotation_position="bottom right",
    )
    fig.update_xaxes(title=TEXT["threshold"], range=[0, 1])
    fig.update_yaxes(title=TEXT["value"].format(rows=rows))
    return _layout(fig, TEXT["profit_title"].format(rows=rows))


def gains_figure(
    share_of_rows: Sequence[float],
    share_caught: Sequence[float],
    positive: str,
    flagged_share: float,
    recall: float | None,
) -> go.Figure:
    """Cumulative gains against random picking, with the chosen threshold's point."""
    name = f"“{esc(positive)}”"
    fig = go.Figure(
        go.Scatter(
            x=list(share_of_rows),
            y=list(share_caught),
            mode="lines",
            name=TEXT["model"],
            line={"color": _BLUE},
            hovertemplate="%{x:.0%} → %{y:.0%}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name=TEXT["random"],
            line={"color": _GREY, "dash": "dash"},
            hoverinfo="skip",
        )
    )
    if recall is not None:
        fig.add_trace(
            go.Scatter(
                x=[flagged_share],
                y=[recall],
                mode="markers",
                name=TEXT["at_threshold"],
                marker={"color": _ORANGE, "size": 11},
                hovertemplate="%{x:.0%} → %{y:.0%}<extra></extra>",
            )
        )
    fig.update_xaxes(title=TEXT["gains_x"], range=[0, 1], tickformat=".0%")
    fig.update_yaxes(title=TEXT["gains_y"].format(positive=name), range=[0, 1.02], tickformat=".0%")
    return _layout(fig, TEXT["gains_title"].format(positive=name))


def error_by_range_figure(ranges: Sequence[dict], target: str) -> go.Figure:
    """Bars of the average error per range of the predicted value, median errors as dots."""
    target = esc(target)
    labels = [
        f"{format_number(r['low'])} – {format_number(r['high'])}" for r in ranges
    ]  # one format for every number on the page
    rows = [TEXT["rows"].format(rows=r["rows"]) for r in ranges]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=[r["mae"] for r in ranges],
            name=TEXT["mae"],
            marker={"color": _BLUE},
            customdata=[[format_number(r["mae"]), n] for r, n in zip(ranges, rows, strict=True)],
            hovertemplate="%{x}<br>%{customdata[0]} (%{customdata[1]})<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=[r["median_error"] for r in ranges],
            mode="markers",
            name=TEXT["median"],
            marker={"color": _ORANGE, "size": 10, "symbol": "diamond"},
            customdata=[format_number(r["median_error"]) for r in ranges],
            hovertemplate="%{x}<br>%{customdata}<extra></extra>",
        )
    )
    fig.update_xaxes(title=TEXT["range_x"].format(target=target), type="category")
    fig.update_yaxes(title=TEXT["range_y"].format(target=target), rangemode="tozero")
    return _layout(fig, TEXT["range_title"].format(target=target))
