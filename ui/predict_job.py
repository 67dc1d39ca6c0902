"""The Predict page's large-file path: the file is predicted by a job, the page follows it.

``core.jobs.predictions`` decides which files go to a job (``runs_in_session``) and runs
them on the configured runner; this module starts the job, draws its progress with a Stop
button (a fragment redrawn every second while it runs), and, once it is done, hands the
page the same predictions record the in-session path makes, so both end in one display.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from core.errors import TrainboardError
from core.i18n import Texts
from core.jobs.states import JobState
from ui.jobs import runner
from ui.text import escape_markdown, show_error

TEXT = Texts("ui.predict_job")
SESSION_KEY = "prediction_job"
POLL_SECONDS = 1.0
PREVIEW_ROWS = 200  # as many as the page previews


def start_prediction_job(
    bundle: bytes | Path, upload: Any, threshold: float | None, made_for: tuple
) -> None:
    """Start predicting ``upload`` with ``bundle`` as a job, remembered for this session.

    ``made_for`` identifies the model and file, so a later change of either forgets the job.
    """
    job_id = runner().submit_prediction(bundle, upload.getvalue(), upload.name, threshold=threshold)
    st.session_state[SESSION_KEY] = {"id": job_id, "for": made_for, "name": upload.name}
    st.session_state.pop("predictions", None)


def current_prediction_job(made_for: tuple) -> str | None:
    """The id of this session's prediction job for this model and file, if there is one."""
    job = st.session_state.get(SESSION_KEY)
    return job["id"] if job and job["for"] == made_for else None


def follow_prediction_job(made_for: tuple) -> dict[str, Any] | None:
    """Draw the job's progress; once finished, return what the page shows (else None)."""
    job_id = current_prediction_job(made_for)
    if job_id is None:
        return None
    try:
        status = runner().prediction_status(job_id)
    except TrainboardError as error:
        st.session_state.pop(SESSION_KEY, None)
        show_error(error)
        return None
    if status.is_active:
        _live(job_id)
        return None
    if status.state != JobState.FINISHED or status.summary is None:
        st.warning(escape_markdown(status.error or TEXT["not_finished"]))
        return None
    path = runner().predictions_file(job_id)
    if path is None:
        st.warning(TEXT["not_finished"])
        return None
    return _finished(status.summary, path, made_for)


@st.fragment(run_every=POLL_SECONDS)
def _live(job_id: str) -> None:
    """Redrawn every second while the job works; the whole page is drawn again when it ends."""
    try:
        status = runner().prediction_status(job_id)
    except TrainboardError as error:
        show_error(error)
        return
    if not status.is_active:
        st.rerun(scope="app")
    if status.rows_total:
        label = TEXT["progress"].format(
            done=f"{status.rows_done:,}", total=f"{status.rows_total:,}"
        )
    else:
        label = TEXT["starting"]
    st.progress(status.fraction, text=label)
    st.caption(TEXT["why_job"])
    if st.button(TEXT["stop"], key="predict_stop", icon=":material/stop:"):
        runner().stop_prediction(job_id)
        st.toast(TEXT["stopping"])


def _finished(summary: dict[str, Any], path: Path, made_for: tuple) -> dict[str, Any]:
    """The page's predictions record from a finished job's ``summary.json`` and its file."""
    data = path.read_bytes()
    # The preview reads the first rows only; the download is the whole file as written.
    preview = pd.read_csv(io.BytesIO(data), nrows=PREVIEW_ROWS, dtype=str, keep_default_na=False)
    notes = [tuple(note) for note in summary.get("notes") or [] if len(note) == 2]
    return {
        "name": st.session_state[SESSION_KEY]["name"],
        "for": made_for,
        "frame": preview,
        "headline": str(summary.get("headline", "")),
        "notes": notes,
        "csv": data,
        "task": summary.get("task"),
        "class_labels": summary.get("class_labels") or [],
        "used_threshold": summary.get("threshold"),
    }
