"""The what-if section of the Predict page: one editable row, its prediction, and what pushed it.

The form is generated from the bundle's schema (:func:`core.evaluation.whatif.input_fields`):
one keyed widget per input column, starting at its typical value. Every change reruns the
page, which predicts the row again with :func:`core.evaluation.whatif.explain_row` (one model
call) and redraws the answer and the chart. The method and its limits are worded in
``core.evaluation.whatif`` (one place), and shown here under the chart.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
import streamlit as st

from core.evaluation.whatif import (
    CategoryField,
    Explanation,
    InputField,
    NumberField,
    explain_row,
    input_fields,
    limit_notes,
    method_note,
    outside_training,
)
from core.i18n import Texts
from ui.text import escape_chart_text, escape_markdown, join_words

if TYPE_CHECKING:
    from core.bundle.loading import LoadedBundle

TEXT = Texts("ui.whatif")
KEY_PREFIX = "whatif:"  # widget keys: "whatif:<column name>"
MODEL_KEY = "whatif_model"  # which model the fields' values belong to
PERSIST = "session"  # edited values survive a look at the other tab or another page
LABEL_CHARS = 40  # longer bar labels are cut, the full text stays in the hover

_UP = "#e07b39"
_DOWN = "#2f6fbd"


def field_key(name: str) -> str:
    """The widget key of one column's field."""
    return f"{KEY_PREFIX}{name}"


def show_what_if(bundle: LoadedBundle, model_id: Hashable) -> None:
    """The whole section for a loaded bundle; ``model_id`` says when the model changed."""
    if st.session_state.get(MODEL_KEY) != model_id:
        reset_fields()  # another model: its columns and typical values differ
        st.session_state[MODEL_KEY] = model_id
    fields = input_fields(bundle.schema)
    st.caption(TEXT["intro"])
    row = edit_row(fields)
    st.button(
        TEXT["reset"], key="whatif_reset", on_click=reset_fields, icon=":material/restart_alt:"
    )
    explanation = explain_row(bundle, row, bundle.schema)
    show_answer(explanation, fields, row)
    show_pushes(explanation, fields)


def reset_fields() -> None:
    """Forget every edited value, so the fields start at their typical values again."""
    for key in [k for k in st.session_state if str(k).startswith(KEY_PREFIX)]:
        del st.session_state[key]


def edit_row(fields: Sequence[InputField], per_line: int = 3) -> dict[str, Any]:
    """One widget per column, a few per line; returns column -> value."""
    row: dict[str, Any] = {}
    for start in range(0, len(fields), per_line):
        for column, field in zip(
            st.columns(per_line), fields[start : start + per_line], strict=False
        ):
            with column:
                row[field.name] = (
                    number_field(field) if isinstance(field, NumberField) else category_field(field)
                )
    return row


def number_field(field: NumberField) -> float:
    help_text = TEXT["number_help"].format(
        source=TEXT["sources"].get(field.source, field.source), typical=shown(field, field.typical)
    )
    if field.minimum is not None and field.maximum is not None:
        help_text += TEXT["number_range"].format(
            low=shown(field, field.minimum), high=shown(field, field.maximum)
        )
    return st.number_input(
        escape_markdown(field.name),
        value=field.typical,
        step=field.step,
        format=field.format,
        key=field_key(field.name),
        help=escape_markdown(help_text),
        persist_state=PERSIST,
    )


def category_field(field: CategoryField) -> str | None:
    if not field.options:
        st.caption(TEXT["never_filled"].format(name=escape_markdown(field.name)))
        return None
    return st.selectbox(
        escape_markdown(field.name),
        field.options,
        index=field.options.index(field.typical) if field.typical in field.options else 0,
        key=field_key(field.name),
        help=escape_markdown(
            TEXT["category_help"].format(typical=field.typical, n=len(field.options))
        ),
        persist_state=PERSIST,
    )


def show_answer(
    explanation: Explanation, fields: Sequence[InputField], row: dict[str, Any]
) -> None:
    """The prediction, how sure the model is, and a warning when a value is out of range."""
    left, right = st.columns([1, 2])
    if explanation.measured_class is None:
        target = escape_markdown(explanation.target)
        left.metric(
            TEXT["predicted_number"].format(target=target),
            number_text(explanation.answer),
            delta=signed_number(explanation.answer - explanation.typical_answer),
            delta_color="off",
            delta_description=TEXT["vs_typical"],
        )
    else:
        left.metric(TEXT["prediction"], escape_markdown(explanation.prediction))
        left.metric(
            TEXT["probability"].format(label=escape_markdown(explanation.measured_class)),
            f"{explanation.answer:.1%}",
            delta=TEXT["points"].format(
                value=100 * (explanation.answer - explanation.typical_answer)
            ),
            delta_color="off",
            delta_description=TEXT["vs_typical"],
        )
        right.markdown(f"**{TEXT['probabilities']}**")
        right.dataframe(
            {
                TEXT["class"]: list(explanation.probabilities),
                TEXT["share"]: [100 * p for p in explanation.probabilities.values()],
            },
            hide_index=True,
            key="whatif_probabilities",
            column_config={
                TEXT["share"]: st.column_config.ProgressColumn(
                    TEXT["share"], format="%.1f%%", min_value=0, max_value=100
                )
            },
        )
    outside = outside_training(fields, row)
    if outside:
        names = join_words(f"'{field.name}'" for field in outside)
        message = TEXT["outside"].format(columns=names)
        st.warning(escape_markdown(message), icon=":material/warning:")


def show_pushes(explanation: Explanation, fields: Sequence[InputField]) -> None:
    """The diverging bar chart of pushes, with the method and its limits in plain words."""
    moved = [c for c in explanation.contributions if not c.at_typical]
    if not moved:
        st.info(TEXT["all_typical"])
    else:
        st.plotly_chart(push_figure(explanation, fields), key="whatif_chart")
        resting = [c.column for c in explanation.contributions if c.at_typical]
        if resting:
            names = join_words(resting)
            st.caption(escape_markdown(TEXT["at_typical"].format(columns=names)))
    st.caption(method_note())
    st.caption("\n".join([TEXT["limits"], *(f"- {limit}" for limit in limit_notes())]))


def push_figure(explanation: Explanation, fields: Sequence[InputField]) -> go.Figure:
    """Horizontal bars, largest push on top: right pushes up, left down.

    Columns at their typical value push nothing by construction and get no bar.
    """
    by_name = {field.name: field for field in fields}
    as_points = explanation.measured_class is not None  # probabilities in percentage points
    moved = [c for c in explanation.contributions if not c.at_typical]
    rows = list(reversed(moved))  # plotly draws the first bar at the bottom
    sizes = [100 * c.change if as_points else c.change for c in rows]
    labels, hovers = [], []
    for contribution, size in zip(rows, sizes, strict=True):
        field = by_name.get(contribution.column)
        value = shown(field, contribution.value)
        full = f"{contribution.column} = {value}"
        cut = full if len(full) <= LABEL_CHARS else full[: LABEL_CHARS - 1] + "…"
        labels.append(escape_chart_text(cut))
        change = TEXT["points"].format(value=size) if as_points else signed_number(size)
        hovers.append(
            TEXT["hover"].format(
                column=escape_chart_text(contribution.column),
                value=escape_chart_text(value),
                typical=escape_chart_text(shown(field, contribution.typical)),
                change=change,
            )
        )
    figure = go.Figure(
        go.Bar(
            x=sizes,
            y=labels,
            orientation="h",
            marker={"color": [_UP if size > 0 else _DOWN for size in sizes]},
            hovertext=hovers,
            hoverinfo="text",
            text=[f"{size:+.1f}" if as_points else signed_number(size) for size in sizes],
            textposition="outside",
            cliponaxis=False,
        )
    )
    axis = (
        TEXT["axis_probability"].format(label=escape_chart_text(explanation.measured_class))
        if as_points
        else TEXT["axis_number"].format(target=escape_chart_text(explanation.target))
    )
    widest = max((abs(size) for size in sizes), default=0.0) or 1.0
    figure.update_xaxes(
        title=axis, zeroline=True, zerolinewidth=2, range=[-1.25 * widest, 1.25 * widest]
    )
    figure.update_yaxes(type="category")
    figure.update_layout(
        title=TEXT["chart_title"],
        height=max(240, 30 * len(rows) + 110),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        template="plotly_white",
        showlegend=False,
    )
    return figure


def shown(field: InputField | None, value: Any) -> str:
    """A value as the form writes it (a number field's decimals; categories as they are)."""
    if isinstance(field, NumberField) and isinstance(value, (int, float)):
        return f"{value:,.{field.decimals}f}"
    return "(empty)" if value is None else str(value)


def number_text(value: float) -> str:
    """A predicted number: two decimals below 1,000, none above (thousands separated)."""
    return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"


def signed_number(value: float) -> str:
    return ("+" if value >= 0 else "−") + number_text(abs(value))
