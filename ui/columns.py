"""The Data page's column choices and its column-by-column table.

The column to predict (``target_column``) and the columns to leave out (``drop_columns``)
are keyed widgets that tests and the browser suite find by key; the rules for pre-filling
them from the profile's suggestions live here, not in the page.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.data.health import LEAKAGE
from core.i18n import Texts
from core.model.starting_recipe import starting_recipe
from ui.charts import _BLUE as CHART_BLUE
from ui.data import profile_frame
from ui.honest import leave_out_offer
from ui.text import escape_markdown

TEXT = Texts("ui.columns")

PROFILE_ROWS_SHOWN = 40
ROW_PX = 35  # st.dataframe's default row height
# Taller rows let long examples wrap onto three lines (st.dataframe wraps text only in rows
# taller than 4rem, 64 px); they are used only when some examples would not fit one line
# of the Examples column beside the other columns in a 1280 px window (the table is then
# about TABLE_PX wide).
TALL_ROW_PX = 68
TABLE_PX = 820
# Wide enough for a text of this many characters in the table's font, plus the cell padding.
CHAR_PX = 7
CELL_PADDING_PX = 24
SHAPE_PX = 140  # the small chart of each column's values: room for 16 bars


def text_width(texts: list[str]) -> int:
    """A column width in pixels that shows the longest of ``texts`` in full.

    The table sizes its columns from the first rows only, so a long label further down
    (an identifier column as the 15th row) would be cut off ("Identifier (d...").
    """
    longest = max((len(text) for text in texts), default=0)
    return longest * CHAR_PX + CELL_PADDING_PX


def _refill_drop() -> None:
    st.session_state["drop_needs_refill"] = True


def choose_target(columns: list[str], current: str | None) -> str | None:
    """The column to predict (a selectbox shows option names as plain text)."""
    st.subheader(TEXT["target_header"])
    if st.session_state.get("target_column") not in columns:
        st.session_state["target_column"] = current if current in columns else None
    return st.selectbox(
        TEXT["target_label"],
        columns,
        key="target_column",
        index=None,
        placeholder=TEXT["target_placeholder"],
        help=TEXT["target_help"],
        on_change=_refill_drop,
    )


def choose_dropped(profile: Any, options: list[str], current: tuple[str, ...]) -> list[str]:
    """Columns to leave out, pre-filled with the profile's suggestions and the reasons why."""
    if st.session_state.get("drop_needs_refill"):
        # What the app starts from for this file: one rule, shared with `trainboard recipe`.
        starting = starting_recipe(profile).drop_columns
        st.session_state["drop_columns"] = [c for c in starting if c in options]
        st.session_state["drop_needs_refill"] = False
    elif "drop_columns" not in st.session_state:
        st.session_state["drop_columns"] = [c for c in current if c in options]
    else:  # a new target may have removed a chosen column from the options
        st.session_state["drop_columns"] = [
            c for c in st.session_state["drop_columns"] if c in options
        ]
    dropped = st.multiselect(
        TEXT["drop_label"], options, key="drop_columns", help=TEXT["drop_help"]
    )
    suggested = [c for c in profile.suggested_drop if c in options]
    if suggested:
        reasons = {w.column: w.message for w in profile.warnings if w.column in suggested}
        lines = [
            TEXT["drop_reason"].format(
                column=escape_markdown(c),
                reason=escape_markdown(reasons.get(c, TEXT["drop_reason_default"])),
            )
            for c in suggested
        ]
        st.caption("\n\n".join([TEXT["drop_why"], *lines]))
    return dropped


def examples_need_wrapping(table: Any, headers: dict[str, str], chart_px: int) -> bool:
    """Whether some examples are longer than the room the other columns leave them."""
    if not len(table):
        return False
    others = [headers[k] for k in ("column", "kind", "missing", "distinct")]
    taken = chart_px + sum(text_width([name, *(str(v) for v in table[name])]) for name in others)
    room_chars = (TABLE_PX - taken - CELL_PADDING_PX) // CHAR_PX
    return max(len(str(text)) for text in table[headers["examples"]]) > room_chars


def show_profile(profile: Any, sketches: dict[str, list[int] | None] | None = None) -> None:
    """One row per column: its kind in plain words (never cut off), a small chart of its
    values, gaps, values, examples."""
    st.subheader(TEXT["profile_header"])
    headers = TEXT["headers"]
    table = profile_frame(profile, TEXT["kinds"], headers, sketches)
    kinds = [str(kind) for kind in table[headers["kind"]]] if len(table) else []
    config = {
        headers["kind"]: st.column_config.TextColumn(width=text_width([headers["kind"], *kinds])),
        headers["examples"]: st.column_config.TextColumn(help=TEXT["examples_help"]),
    }
    if sketches is not None:
        # y_min=0: by default each cell's axis starts at its own smallest bar, which would
        # then be drawn empty (a yes/no column of 3,555 and 3,488 rows would show one bar).
        config[headers["shape"]] = st.column_config.BarChartColumn(
            help=TEXT["shape_help"], y_min=0, width=SHAPE_PX, color=CHART_BLUE
        )
    wrap = examples_need_wrapping(table, headers, SHAPE_PX if sketches is not None else 0)
    row_px = TALL_ROW_PX if wrap else ROW_PX
    # Every column in view up to ~40 (no box scrolling inside the page); beyond, a tall box.
    st.dataframe(
        table,
        hide_index=True,
        row_height=row_px,
        height="content"
        if len(table) <= PROFILE_ROWS_SHOWN
        else ROW_PX + row_px * PROFILE_ROWS_SHOWN,  # the header row, then 40 rows
        column_config=config,
    )


def show_health(profile: Any, suggested: list[str]) -> None:
    """Health warnings in plain words (those explaining a suggested column are shown above);
    a possible leak comes with a button that leaves the column out."""
    st.subheader(TEXT["health_header"])
    shown = [w for w in profile.warnings if w.column is None or w.column not in suggested]
    if not shown:
        st.success(TEXT["healthy"])
    for warning in shown:
        box = {"error": st.error, "warning": st.warning}.get(warning.severity, st.info)
        box(escape_markdown(warning.message))
        if warning.code == LEAKAGE and warning.column:
            leave_out_offer(warning.column, "data")
