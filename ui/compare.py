"""Two or more runs side by side: overlaid curves, the settings that differ, the scores.

:func:`show_comparison` is the one entry point (the Runs page and the one-click
experiments call it). What is compared, and how the noise is judged, is decided in
:mod:`core.evaluation.comparison`; this module only draws it. Every chart and widget
key starts with the caller's ``key``, so two comparisons can share a page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import plotly.graph_objects as go
import streamlit as st

from core.errors import TrainboardError
from core.evaluation.comparison import (
    CurveSet,
    MetricValue,
    RunComparison,
    compare_runs,
    compared_runs,
    curve_sets,
)
from core.evaluation.measures import format_metric
from core.evaluation.test_outputs import TEST_OUTPUTS_FILE, PairedDifference, TestOutputs
from core.i18n import Texts
from ui.charts import TEXT as CHART_TEXT
from ui.jobs import runner
from ui.text import escape_chart_text as esc
from ui.text import escape_markdown

if TYPE_CHECKING:
    from core.jobs.status import JobStatus

TEXT = Texts("ui.compare")

# One colour per run, the same in both charts (colour-blind friendly, Okabe-Ito order).
RUN_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")


def run_colour(index: int) -> str:
    """The colour of the run at ``index`` in every comparison chart."""
    return RUN_COLOURS[index % len(RUN_COLOURS)]


def comparison_figure(curves: Sequence[CurveSet], which: str) -> go.Figure:
    """Every run's curve of ``which`` ("loss" or "metric"): training dashed, validation solid."""
    fig = go.Figure()
    loss = which == "loss"
    last = 1
    for index, curve in enumerate(curves):
        colour = run_colour(index)
        name = esc(curve.name)
        train = curve.loss if loss else curve.metric
        validation = curve.val_loss if loss else curve.val_metric
        last = max([last, *curve.epochs])
        fig.add_trace(
            go.Scatter(
                x=curve.epochs,
                y=train,
                mode="lines",
                name=TEXT["train_suffix"].format(name=name),
                line={"color": colour, "dash": "dash", "width": 1.5},
                legendgroup=str(index),
            )
        )
        fig.add_trace(
            go.Scatter(
                x=curve.epochs,
                y=validation,
                mode="lines",
                name=TEXT["val_suffix"].format(name=name),
                line={"color": colour, "width": 2.5},
                legendgroup=str(index),
            )
        )
        if curve.best_epoch in curve.epochs:
            at = curve.epochs.index(curve.best_epoch)
            if validation[at] is not None and math.isfinite(validation[at]):
                fig.add_trace(
                    go.Scatter(
                        x=[curve.best_epoch],
                        y=[validation[at]],
                        mode="markers",
                        name=TEXT["best"].format(name=name, epoch=curve.best_epoch),
                        marker={"color": colour, "symbol": "star", "size": 14},
                        legendgroup=str(index),
                        showlegend=False,
                        hovertemplate=TEXT["best"].format(name=name, epoch=curve.best_epoch)
                        + "<extra></extra>",
                    )
                )
    metric_name = next((c.metric_name for c in curves if c.metric_name), "")
    title = (
        TEXT["loss_title"]
        if loss
        else TEXT["metric_title"].format(metric=esc(str(metric_name).capitalize()))
    )
    fig.update_xaxes(
        title=CHART_TEXT["epoch"],
        range=[0.5, last + 0.5],
        tickformat="d",
        dtick=1 if last <= 10 else None,
    )
    fig.update_layout(
        title=title,
        height=380,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def _curves(comparison: RunComparison, key: str) -> None:
    st.subheader(TEXT["curves"])
    curves = curve_sets(comparison.runs)
    if not any(curve.epochs for curve in curves):
        st.caption(TEXT["no_epochs"])
        return
    loss_col, metric_col = st.columns(2)
    loss_col.plotly_chart(comparison_figure(curves, "loss"), key=f"{key}_loss")
    names = {curve.metric_name for curve in curves if curve.metric_name}
    if len(names) > 1:
        metric_col.info(TEXT["metric_differs"])
    else:
        metric_col.plotly_chart(comparison_figure(curves, "metric"), key=f"{key}_metric")
    st.caption(TEXT["curves_caption"])


def _settings(comparison: RunComparison) -> None:
    st.subheader(TEXT["settings"])
    if not comparison.settings:
        st.caption(TEXT["same_settings"])
        return
    names = " → ".join(escape_markdown(run.name) for run in comparison.runs)
    st.caption(TEXT["order"].format(names=names))
    lines = [
        "- "
        + TEXT["setting_line"].format(
            label=escape_markdown(difference.label),
            values=" → ".join(escape_markdown(value) for value in difference.values),
        )
        for difference in comparison.settings
    ]
    st.markdown("\n".join(lines))


def _cell(value: MetricValue, metric: str) -> str:
    if value.value is None:
        return TEXT["no_score"]
    shown = format_metric(value.value, metric)
    if value.low is None or value.high is None:
        return shown
    low, high = format_metric(value.low, metric), format_metric(value.high, metric)
    return TEXT["range"].format(value=shown, low=low, high=high)


def _signed(value: float, metric: str) -> str:
    return ("+" if value >= 0 else "−") + format_metric(abs(value), metric)


def _against(outcome: str | None, difference: PairedDifference | None, metric: str) -> str:
    """One run against the reference: the outcome, with the paired difference when known."""
    words = TEXT["outcome_short"][outcome or "unknown"]
    if difference is None:
        return words
    return TEXT["paired_cell"].format(
        signed=_signed(difference.difference, metric),
        low=_signed(difference.low, metric),
        high=_signed(difference.high, metric),
        outcome=words,
    )


def _test_outputs(job_id: str) -> TestOutputs | None:
    """A finished run's kept test outputs, or None (older runs, other runners, a gone run)."""
    try:
        path = runner().artifact(job_id, TEST_OUTPUTS_FILE)
    except (TrainboardError, ValueError):
        return None
    return TestOutputs.load(path) if path is not None else None


def _scores(comparison: RunComparison, key: str) -> None:
    if not comparison.metrics:
        return
    st.subheader(TEXT["scores"])
    sentences = comparison.headline_sentences()
    if sentences:
        st.markdown("\n".join(f"- {escape_markdown(sentence)}" for sentence in sentences))
    reference = comparison.runs[0].name
    table = []
    for row in comparison.metrics:
        line = {TEXT["metric"]: row.label}
        for run, value in zip(comparison.runs, row.values, strict=True):
            line[run.name] = _cell(value, row.metric)
        paired = row.paired[1:] if row.paired else (None,) * (len(comparison.runs) - 1)
        for run, outcome, difference in zip(
            comparison.runs[1:], row.outcomes[1:], paired, strict=True
        ):
            column = TEXT["against"].format(run=run.name, reference=reference)
            line[column] = _against(outcome, difference, row.metric)
        table.append(line)
    st.dataframe(table, hide_index=True, key=f"{key}_scores")
    if comparison.method:
        st.caption(comparison.method)


def show_comparison(
    statuses: list[JobStatus], names: Sequence[str] | None = None, key: str = "compare"
) -> None:
    """Compare two or more runs: curves, the settings that differ, and the scores.

    Parameters
    ----------
    statuses : list of core.jobs.status.JobStatus
        The runs, the first being the reference the others are measured against. Runs
        still training show their curves so far.
    names : sequence of str, optional
        The runs' names; by default a run of an experiment is named by its value and any
        other run "Run A", "Run B"...
    key : str
        Prefix of every chart and widget key (two comparisons on one page need two keys).
    """
    if len(statuses) < 2:
        st.info(TEXT["pick_two"])
        return
    comparison = compare_runs(compared_runs(statuses, names, outputs_of=_test_outputs))
    for note in comparison.notes:
        st.info(escape_markdown(note), icon=":material/info:")
    _curves(comparison, key)
    _settings(comparison)
    _scores(comparison, key)
