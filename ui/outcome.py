"""The Data page's look at the outcome: its mix, and how it changes with any one column.

The sentences under the charts are built here from the numbers of
:mod:`core.data.summaries` and :mod:`core.data.outcome_by_value`, so they always say what
the chart shows. Session key: ``outcome_column`` (the column picked to compare with).
"""

from __future__ import annotations

import streamlit as st

from core.data.outcome_by_value import OutcomeByValue
from core.data.summaries import (
    MIN_GROUP_ROWS,
    OutcomeMix,
    amount_text,
    number_text,
    strength_level,
)
from core.i18n import Texts
from ui.data import column_strengths_for, outcome_by_column_for, outcome_mix_for
from ui.data_charts import outcome_by_value_figure, outcome_mix_figure
from ui.state import Dataset
from ui.text import escape_markdown

TEXT = Texts("ui.outcome")

UNEVEN_SHARE = 0.6  # a majority class at least this common makes accuracy misleading
RARE_SHARE = 0.05  # a class rarer than this is hard to learn
LONG_TAIL = 3.0  # the top of the range this many middle-halves above the 75th percentile


def _quoted(text: str) -> str:
    return f"'{escape_markdown(text)}'"


def _bold(text: str) -> str:
    return f"**{escape_markdown(text)}**"


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%" if share >= 0.1 else f"{100 * share:.1f}%"


def mix_sentences(mix: OutcomeMix) -> list[str]:
    """What the outcome mix means, in a few plain sentences."""
    if mix.quartiles is not None:
        q1, median, q3 = mix.quartiles
        lines = [
            TEXT["mix_number"].format(
                target=_bold(mix.target),
                median=number_text(median),
                q1=number_text(q1),
                q3=number_text(q3),
            )
        ]
        if mix.edges and mix.edges[-1] - q3 > LONG_TAIL * max(q3 - q1, 1e-12):
            lines.append(TEXT["mix_tail"].format(top=number_text(mix.edges[-1])))
        return lines
    shares = mix.shares
    if mix.spec.yes_no:
        positive = _quoted(mix.labels[-1])
        lines = [
            TEXT["mix_binary"].format(
                share=_percent(shares[-1]),
                positive=positive,
                count=mix.counts[-1],
                total=mix.n_rows,
            )
        ]
        majority = max(range(len(shares)), key=shares.__getitem__)
        if shares[majority] >= UNEVEN_SHARE:
            lines.append(
                TEXT["mix_uneven"].format(
                    majority=_quoted(mix.labels[majority]),
                    majority_share=_percent(shares[majority]),
                    positive=positive,
                )
            )
        return lines
    common = max(range(len(shares)), key=shares.__getitem__)
    rare = min(range(len(shares)), key=shares.__getitem__)
    lines = [
        TEXT["mix_multiclass"].format(
            common=_quoted(mix.labels[common]),
            common_share=_percent(shares[common]),
            rare=_quoted(mix.labels[rare]),
            rare_share=_percent(shares[rare]),
            rare_count=mix.counts[rare],
        )
    ]
    if shares[rare] < RARE_SHARE:
        lines.append(TEXT["mix_rare"].format(rare=_quoted(mix.labels[rare])))
    return lines


def by_value_sentences(summary: OutcomeByValue) -> list[str]:
    """What the outcome-per-value chart shows, and what it suggests doing."""
    column, target = _bold(summary.column), _bold(summary.target)
    lines = []
    extremes = summary.extremes()
    if summary.spec.several_classes:
        purest = summary.purest()
        if purest is not None:
            group, outcome = purest
            lines.append(
                TEXT["by_multiclass"].format(
                    column=column,
                    label=_quoted(group.label),
                    share=_percent(group.value),
                    outcome=_quoted(outcome),
                )
            )
    elif extremes is not None:
        low, high = extremes
        binary = summary.spec.yes_no
        show = _percent if binary else amount_text
        lines.append(
            TEXT["by_binary" if binary else "by_number"].format(
                positive=_quoted(summary.positive or ""),
                target=target,
                column=column,
                low=show(low.value),
                low_label=_quoted(low.label),
                high=show(high.value),
                high_label=_quoted(high.label),
                overall=show(summary.overall),
            )
        )
    lines.append(TEXT["levels"][summary.level].format(column=column, target=target))
    return lines


def show_outcome_mix(dataset: Dataset, profile) -> None:
    """The outcome mix (or the number's spread) as a chart, with what it means beside it."""
    mix = outcome_mix_for(dataset, profile)
    st.subheader(TEXT["mix_header"])
    chart_col, text_col = st.columns([3, 2], vertical_alignment="center", gap="large")
    with chart_col:
        st.plotly_chart(outcome_mix_figure(mix), key="chart_outcome_mix")
    with text_col:
        st.markdown("\n\n".join(mix_sentences(mix)))
        if mix.sampled:
            st.caption(TEXT["sampled"].format(rows=mix.n_rows))


def _choose_column(strengths: dict[str, float], dropped: list[str]) -> str:
    """The column picker, strongest link first; it starts on the strongest column kept."""
    options = sorted(strengths, key=lambda c: -strengths[c])
    if st.session_state.get("outcome_column") not in options:
        kept = [c for c in options if c not in dropped]
        st.session_state["outcome_column"] = (kept or options)[0]

    def label(column: str) -> str:
        level = TEXT["level_names"][strength_level(strengths[column])]
        if column in dropped:
            level = f"{TEXT['by_left_out']} · {level}"
        return TEXT["by_option"].format(column=column, level=level)

    return st.selectbox(
        TEXT["by_label"], options, key="outcome_column", help=TEXT["by_help"], format_func=label
    )


def show_outcome_by_column(dataset: Dataset, profile, dropped: list[str]) -> None:
    """A column picker and, for the column picked, the outcome per value with its reading."""
    strengths = column_strengths_for(dataset, profile)
    if not strengths:
        return
    st.subheader(TEXT["by_header"].format(target=escape_markdown(profile.task.target)))
    st.caption(TEXT["by_intro"])
    text_col, chart_col = st.columns([2, 3], gap="large")
    with text_col:
        column = _choose_column(strengths, dropped)
        summary = outcome_by_column_for(dataset, profile, column)
        lines = by_value_sentences(summary)
        st.markdown("\n\n".join(lines[:-1]))
        if summary.level == "decisive":
            st.warning(lines[-1], icon=":material/warning:")
        else:
            st.markdown(lines[-1])
        notes = [TEXT["strength"].format(strength=summary.strength)]
        if (
            any(g.rows < MIN_GROUP_ROWS for g in summary.groups)
            and not summary.spec.several_classes
        ):
            notes.append(TEXT["small_groups"].format(n=MIN_GROUP_ROWS))
        if summary.sampled:
            notes.append(TEXT["sampled"].format(rows=summary.n_rows))
        st.caption(" ".join(notes))
    with chart_col:
        st.plotly_chart(outcome_by_value_figure(summary), key="chart_outcome_by_value")
