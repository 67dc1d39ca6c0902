"""The Train page's list of earlier runs and the picker that reopens one.

Both are keyed widgets (``job_pick``, ``job_open``) that tests and the browser suite find by
key. The picker's rule for which run it shows lives here, not in the page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st

from core.i18n import Texts
from ui.jobs import is_active, listing_note
from ui.state import current_job_id, set_job_id

TEXT = Texts("ui.runs")
RUNS_SHOWN = 20


def started_at(timestamp: float | None) -> str:
    """When a run started, to the minute ("2026-12-01 15:20"), or "?" when unknown."""
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M") if timestamp else "?"


def state_words(job: Any) -> str:
    """How a run is listed: its phase, or how it ended when that was not a normal finish."""
    ended = job.result.stopped_because if job.result is not None else None
    return TEXT["ended"].get(ended, TEXT["phases"][job.phase])


def runs_table(jobs: list[Any], polled: bool) -> None:
    """Earlier runs, newest first, as a table.

    Parameters
    ----------
    jobs : list of core.jobs.status.JobStatus
        Every run, newest first.
    polled : bool
        True inside the live panel, which redraws the table every second. Drawn once
        (False), a run still active there would keep a stale epoch count, so its cell
        stays blank.
    """
    st.subheader(TEXT["recent"])
    note = listing_note()
    if note:  # a shared server lists only this browser's or this user's runs: say so
        st.caption(note)
    if not jobs:
        st.caption(TEXT["recent_none"])
        return
    cols = TEXT["columns"]
    table = [
        {
            cols["when"]: started_at(job.created_at),
            cols["name"]: job.data_name,
            cols["state"]: state_words(job),
            cols["epochs"]: None if is_active(job) and not polled else job.epoch,
        }
        for job in jobs[:RUNS_SHOWN]
    ]
    st.dataframe(table, hide_index=True, placeholder="")


def _follow_current_run(known: dict[str, Any]) -> None:
    # Follow the current run when it changes (a new run, a reopened one, a link) or when the
    # picker was forgotten (Streamlit drops widget values on other pages); otherwise keep
    # the person's own choice.
    if st.session_state.get("job_pick") not in known:
        st.session_state.pop("job_pick", None)
    current = current_job_id()
    if current in known and (
        "job_pick" not in st.session_state or st.session_state.get("job_pick_for") != current
    ):
        st.session_state["job_pick"] = current
        st.session_state["job_pick_for"] = current


def run_picker(jobs: list[Any]) -> None:
    """Choose an earlier run and reopen it; the picker starts on the run being shown."""
    if not jobs:
        return
    # The labels leave the state out: a selectbox keeps showing the label it had when its
    # value was chosen, which would go stale while a run changes state.
    by_id = {job.job_id: job for job in jobs}
    names = {
        job_id: TEXT["run_line"].format(when=started_at(job.created_at), name=job.data_name)
        for job_id, job in by_id.items()
    }
    _follow_current_run(by_id)
    pick_col, open_col = st.columns([4, 1], vertical_alignment="bottom")
    chosen = pick_col.selectbox(TEXT["pick"], list(by_id), format_func=names.get, key="job_pick")
    if open_col.button(TEXT["open"], key="job_open") and chosen:
        set_job_id(chosen)
        st.rerun()
