"""Showing glossary entries: in full on the Learn page, one click away beside a setting.

The texts are :mod:`core.glossary`'s; this module only lays them out. Any page can do::

    from core.glossary import Term
    from ui.glossary import explain_setting, show_entry

    explain_setting("training.optimizer")  # a "What is this?" popover beside the widget
    show_entry(get_entry(Term.DROPOUT), key="design_dropout")  # the entry inline

and link to the entry on the Learn page with :func:`learn_link`.
"""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from core.glossary import (
    SECTION_TITLES,
    GlossaryEntry,
    Illustration,
    Section,
    Term,
    get_entry,
    illustration_caption,
    search,
    term_for_setting,
)
from core.i18n import Texts, current_language
from ui.learn_charts import FIGURES
from ui.text import escape_markdown, join_words

TEXT = Texts("ui.glossary")

# An absolute path: Streamlit resolves page links against the entry script's folder, and an
# absolute path resolves to itself wherever the app (or a test harness) is started from.
LEARN_PAGE = Path(__file__).resolve().parent.parent / "app_pages" / "learn.py"
# The query parameter that opens the Learn page on one entry: /learn?term=learning_rate.
TERM_PARAM = "term"


@st.cache_data(show_spinner=False)
def _picture(illustration: Illustration, language_code: str) -> go.Figure:
    # The pictures never change while the app runs; building them takes about a second in all,
    # so each is built once per language (their titles, axes and legends are words) and every
    # rerun gets its own copy (cache_data copies, so no page can alter another's figure). The
    # language is part of the key: without it the first visitor's language is everyone's.
    return FIGURES[illustration]()


def show_entry(
    entry: GlossaryEntry, key: str, picture: bool = True, related_links: bool = True
) -> None:
    """The whole entry: short text, explanation, formula, example, picture, related terms.

    Parameters
    ----------
    entry : GlossaryEntry
    key : str
        A prefix for the keys of the elements drawn here, unique on the page.
    picture : bool
        Draw the entry's chart.
    related_links : bool
        Show the related entries as links to the Learn page (from other pages), or as plain
        text (on the Learn page itself, where they sit a scroll away and where Streamlit
        ignores a link to the page already open).
    """
    st.markdown(f"**{entry.short}**")
    st.markdown(entry.explanation)
    if entry.formula:
        st.caption(TEXT["formula"])
        st.latex(entry.formula)
        if entry.formula_note:
            st.caption(entry.formula_note)
    if entry.example:
        st.info(entry.example, icon=":material/calculate:")
    if picture and entry.illustration is not None:
        st.plotly_chart(
            _picture(entry.illustration, current_language()),
            key=f"{key}_chart_{entry.id.value}",
            config={"displayModeBar": False},
        )
        st.caption(illustration_caption(entry.illustration))
    if entry.related and not related_links:
        titles = join_words(get_entry(term).title for term in entry.related)
        st.caption(TEXT["related"].format(terms=titles))
    elif entry.related:
        st.caption(TEXT["see_also"])
        for term in entry.related:
            # Links, not buttons: each opens the Learn page on that entry (a URL a user can share).
            st.page_link(
                LEARN_PAGE,
                label=get_entry(term).title,
                icon=":material/arrow_forward:",
                query_params={TERM_PARAM: term.value},
            )


def learn_link(term: Term) -> None:
    """A link to the Learn page opened on this entry."""
    st.page_link(
        LEARN_PAGE,
        label=TEXT["open_in_learn"],
        icon=":material/school:",
        query_params={TERM_PARAM: term.value},
    )


def explain_setting(path: str, key: str) -> None:
    """A "What is this?" popover with the entry that explains a recipe setting, if any.

    The entry is drawn only while the popover is open (its open state is kept under
    ``key`` in the session).

    Parameters
    ----------
    path : str
        The setting's dotted name, as in :func:`core.model.fields.field_specs`.
    key : str
        The popover's widget key, unique on the page.
    """
    entry = term_for_setting(path)
    if entry is None:
        return
    # Drawn only while open: the Design page has some twenty of these, and drawing every
    # entry (pictures, formulas, links) on every change of any setting costs half a second.
    box = st.popover(
        TEXT["more"], icon=":material/help:", help=TEXT["more_help"], key=key, on_change="rerun"
    )
    if box.open:
        with box:
            st.subheader(entry.title)
            show_entry(entry, key=key)
            learn_link(entry.id)


def requested_term() -> Term | None:
    """The entry named by ``?term=`` in the URL, if it names one."""
    value = st.query_params.get(TERM_PARAM)
    try:
        return Term(value) if value else None
    except ValueError:
        return None


def show_glossary(key: str, opened: Term | None = None) -> None:
    """A search box and every entry in an expander, section by section.

    Parameters
    ----------
    key : str
        Prefix of the widget keys.
    opened : Term or None
        An entry to show expanded (e.g. the one a link asked for).
    """
    query = st.text_input(
        TEXT["search"], key=f"{key}_search", placeholder=TEXT["search_placeholder"]
    ).strip()
    shown = {entry.id for entry in search(query)}
    if query:
        if not shown:
            # The query is the user's text: shown literally, never as markdown.
            st.warning(
                TEXT["no_match"].format(query=escape_markdown(query)), icon=":material/search_off:"
            )
            return
        st.caption(TEXT["matches"].format(n=len(shown)))
    for section in Section:
        entries = [e for e in search("") if e.section == section and e.id in shown]
        if not entries:
            continue
        st.subheader(SECTION_TITLES[section])
        for entry in entries:
            # Open what was asked for: the linked entry, or those the search names.
            expanded = entry.id == opened or entry.is_named_by(query) or len(shown) == 1
            with st.expander(entry.title, expanded=expanded, key=f"{key}_{entry.id.value}"):
                show_entry(entry, key=f"{key}_{entry.id.value}", related_links=False)
