"""The Runs page's words on which runs are listed and how long they are kept, and the toggle
that keeps one run from automatic removal.

Which runs a person sees is decided in :mod:`core.jobs.access`, how long runs are kept in
:mod:`core.jobs.retention`; this module only says it and stores the toggle through the runner.

Session keys: ``runs_pin`` (the toggle) and ``runs_pin_for`` (the run it was set for); what
the toggle did goes to the Runs page's ``runs_notice`` / ``runs_notice_error``.
"""

from __future__ import annotations

import streamlit as st

from core.errors import TrainboardError
from core.i18n import Texts
from core.jobs.catalog import RunRow
from core.jobs.retention import RetentionPolicy
from ui.jobs import listing_note, runner
from ui.text import escape_markdown

TEXT = Texts("ui.run_keeping")


def keeping_notes() -> None:
    """Which runs are listed here and how long they are kept, in plain words."""
    note = listing_note()
    if note:
        st.info(note, icon=":material/group:")
    try:
        st.caption(RetentionPolicy.from_env().describe())
    except TrainboardError as error:
        st.warning(escape_markdown(str(error)))


def pin_toggle(row: RunRow) -> None:
    """Keep the run from automatic removal, or let it go (stored in its ``meta.json``)."""
    if st.session_state.get("runs_pin_for") != row.job_id:
        st.session_state["runs_pin"] = row.pinned
        st.session_state["runs_pin_for"] = row.job_id

    def changed() -> None:
        try:
            saved = runner().pin(row.job_id, bool(st.session_state["runs_pin"]))
        except TrainboardError as error:
            st.session_state["runs_notice_error"] = str(error)
            st.session_state.pop("runs_pin_for", None)
            return
        word = "pinned" if saved.pinned else "unpinned"
        st.session_state["runs_notice"] = TEXT[word].format(name=escape_markdown(saved.name))

    st.toggle(TEXT["pin"], key="runs_pin", on_change=changed, help=TEXT["pin_help"])
