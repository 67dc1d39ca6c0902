"""The sidebar every page shares: where the user is in the journey."""

from __future__ import annotations

import streamlit as st

from core.errors import TrainboardError
from core.i18n import Texts
from ui.jobs import job_status
from ui.language import language_switch
from ui.state import current_dataset, current_job_id, current_recipe
from ui.text import escape_markdown

TEXT = Texts("ui.sidebar")


def show_sidebar() -> None:
    """Dataset name, column to predict and the current run's state, as plain text."""
    with st.sidebar:
        language_switch()
        st.subheader(TEXT["title"])
        dataset = current_dataset()
        st.markdown(
            TEXT["data"].format(name=escape_markdown(dataset.name)) if dataset else TEXT["no_data"]
        )
        target = current_recipe().target
        st.markdown(
            TEXT["target"].format(target=escape_markdown(target)) if target else TEXT["no_target"]
        )
        try:
            status = job_status(current_job_id())
        except TrainboardError:
            st.markdown(TEXT["run_unknown"])
            return
        if status is None:
            st.markdown(TEXT["no_run"])
            return
        # No epoch count: the sidebar is redrawn on full reruns (and when the run changes
        # state), not every second by the live panel.
        st.markdown(TEXT["run"].format(state=TEXT["phases"][status.phase]))
