"""Showing text safely: user-provided text never becomes markdown, HTML or a chart tag.

Column names, category values, file names and error messages that quote them
come from the user's file. Markdown escaping is :func:`core.markdown.escape_markdown`
(the model card uses it too); plotly renders a subset of HTML in chart text, so chart
text is escaped with :func:`escape_chart_text`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import streamlit as st

from core.i18n import Texts
from core.markdown import escape_markdown

TEXT = Texts("ui.text")


def escape_chart_text(text: object) -> str:
    """Make ``text`` show literally in a plotly chart (which renders some HTML tags)."""
    return html.escape(str(text), quote=False)


def show_error(error: Exception) -> None:
    """Show an error a person can act on, as plain text (its message may quote user text)."""
    st.error(escape_markdown(str(error)), icon=":material/error:")


def join_words(items: Iterable[object]) -> str:
    """Items of a sentence's list in the current language's way ("a, b, c"; "a、b、c")."""
    return TEXT["list_separator"].join(str(item) for item in items)


def format_duration(seconds: float | None) -> str:
    """A duration in plain words: "45 s", "3 min 05 s", "1 h 02 min"."""
    if seconds is None or seconds != seconds or seconds < 0:  # None, NaN or negative
        return TEXT["unknown"]
    whole = int(round(seconds))
    if whole < 60:
        return TEXT["seconds"].format(s=whole)
    if whole < 3600:
        return TEXT["minutes"].format(m=whole // 60, s=whole % 60)
    return TEXT["hours"].format(h=whole // 3600, m=(whole % 3600) // 60)
