"""Plotly figures of the Data page: the outcome mix and the outcome per value of one column.

The numbers come from :mod:`core.data.summaries` and :mod:`core.data.outcome_by_value`;
this module only draws them. Labels from the user's file (column names, categories, class
labels) go through :func:`ui.text.escape_chart_text`, because plotly renders HTML tags in
chart text. The wording is in ``TEXT`` for translation.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from core.data.outcome_by_value import OutcomeByValue
from core.data.summaries import MIN_GROUP_ROWS, OutcomeMix, amount_text
from core.i18n import Texts
from ui.charts import _BLUE, _GREY, _ORANGE, _layout
from ui.text import escape_chart_text as esc

TEXT = Texts("ui.data_charts")

CHART_HEIGHT = 320


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%" if share >= 0.1 else f"{100 * share:.1f}%"


def outcome_mix_figure(mix: OutcomeMix) -> go.Figure:
    """Bars of rows per outcome (the yes/no outcome in orange), or the number's histogram."""
    if mix.edges:
        centres = [(a + b) / 2 for a, b in zip(mix.edges[:-1], mix.edges[1:], strict=True)]
        widths = [b - a for a, b in zip(mix.edges[:-1], mix.edges[1:], strict=True)]
        fig = go.Figure(
            go.Bar(
                x=centres,
                y=list(mix.counts),
                width=widths,
                customdata=list(mix.labels),
                marker={"color": _BLUE, "line": {"width": 0.5, "color": "white"}},
                hovertemplate=TEXT["hover_count_named"],
            )
        )
        fig.update_xaxes(title=esc(mix.target))
        fig.update_yaxes(title=TEXT["rows"])
        return _layout(fig, height=CHART_HEIGHT)
    colours = [_BLUE] * len(mix.labels)
    if mix.spec.yes_no:
        colours[-1] = _ORANGE  # the outcome a yes/no model is asked to catch
    fig = go.Figure(
        go.Bar(
            x=[esc(label) for label in mix.labels],
            y=list(mix.counts),
            text=[_percent(share) for share in mix.shares],
            textposition="auto",
            marker={"color": colours},
            hovertemplate=TEXT["hover_mix"],
        )
    )
    fig.update_xaxes(title=esc(mix.target), type="category")
    fig.update_yaxes(title=TEXT["rows"])
    return _layout(fig, height=CHART_HEIGHT)


def _overall_line(fig: go.Figure, value: float, text: str) -> None:
    # Named in the legend above the chart: an annotation on the line would hide behind
    # whichever bar reaches that corner.
    fig.add_hline(y=value, line={"dash": "dash", "color": _GREY})
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="lines",
            line={"dash": "dash", "color": _GREY},
            name=TEXT["overall"].format(value=text),
        )
    )


def outcome_by_value_figure(summary: OutcomeByValue) -> go.Figure:
    """The outcome per value or range of one column.

    Yes/no: the share of "yes" per group, against the share over all rows (dashed).
    Categories: each group's mix of outcomes, stacked to 100%. Numbers: the average per
    group, against the overall average. Groups with fewer than MIN_GROUP_ROWS rows are
    drawn grey: too few rows to trust their value.
    """
    labels = [esc(group.label) for group in summary.groups]
    rows = [group.rows for group in summary.groups]
    fig = go.Figure()
    if summary.spec.several_classes:
        colours = pio.templates["plotly_white"].layout.colorway
        for index, label in enumerate(summary.class_labels):
            fig.add_trace(
                go.Bar(
                    x=labels,
                    y=[group.shares[index] for group in summary.groups],
                    name=esc(label),
                    customdata=rows,
                    marker={"color": colours[index % len(colours)]},
                    hovertemplate=TEXT["hover_class"].format(label=esc(label)),
                )
            )
        fig.update_layout(barmode="stack")
        fig.update_yaxes(title=TEXT["share_of_rows"], tickformat=".0%", range=[0, 1])
    else:
        small = [group.rows < MIN_GROUP_ROWS for group in summary.groups]
        binary = summary.spec.yes_no
        main = _ORANGE if binary else _BLUE
        fig.add_trace(
            go.Bar(
                x=labels,
                y=[group.value for group in summary.groups],
                customdata=rows,
                marker={"color": [_GREY if s else main for s in small]},
                hovertemplate=TEXT["hover_share" if binary else "hover_mean"],
                showlegend=False,
            )
        )
        if binary:
            _overall_line(fig, summary.overall, _percent(summary.overall))
            title = TEXT["share_is"].format(label=esc(summary.positive))
            fig.update_yaxes(title=title, tickformat=".0%", rangemode="tozero")
        else:
            _overall_line(fig, summary.overall, amount_text(summary.overall))
            fig.update_yaxes(title=TEXT["mean_of"].format(target=esc(summary.target)))
    # Categories in the order given (highest rate first, ranges low to high), never re-sorted.
    fig.update_xaxes(title=esc(summary.column), type="category")
    _layout(fig, height=CHART_HEIGHT)
    # The legend (outcomes, or the all-rows line) above the bars, clear of the axis title.
    fig.update_layout(
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        margin={"t": 40},
    )
    return fig
