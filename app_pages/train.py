"""Step 3: start training, watch it learn live, stop it, reopen earlier runs."""

import streamlit as st

from core.errors import TrainboardError
from core.i18n import Texts
from core.jobs.states import JobPhase
from ui.jobs import is_active, job_status, runner
from ui.runs import run_picker, runs_table
from ui.state import current_dataset, current_job_id, current_recipe, set_job_id
from ui.text import escape_markdown, show_error
from ui.train_doctor import show_doctor
from ui.train_view import curves, live_panel, stop_control

TEXT = Texts("pages.train")


def start_button() -> None:
    """The start button, disabled with a sentence why when something is missing."""
    dataset, recipe = current_dataset(), current_recipe()
    problem = st.session_state.get("recipe_problem")
    reason, link = None, None
    if dataset is None:
        reason, link = TEXT["need_data"], ("app_pages/data.py", TEXT["to_data"])
    elif recipe.target is None:
        reason, link = TEXT["need_target"], ("app_pages/data.py", TEXT["to_data"])
    elif problem:
        reason = TEXT["need_valid"].format(problem=escape_markdown(problem))
        link = ("app_pages/design.py", TEXT["to_design"])
    # Keyed buttons carry no help= tooltip: Streamlit then draws the button twice in the page,
    # which makes it ambiguous for browser tests; the sentence is a caption instead.
    if st.button(
        TEXT["start"],
        key="train_start",
        type="primary",
        disabled=reason is not None,
        icon=":material/play_arrow:",
    ):
        set_job_id(runner().submit(dataset.data, dataset.name, recipe))
        st.rerun()
    if not reason:
        st.caption(
            TEXT["start_help"].format(
                name=escape_markdown(dataset.name), target=escape_markdown(recipe.target)
            )
        )
    else:
        st.info(reason)
        st.page_link(link[0], label=link[1])


@st.fragment(run_every=1)
def live(job_id: str, drawn_phase: str) -> None:
    """Redrawn every second while the run is active, with the doctor and the runs table.

    ``drawn_phase`` is the run's phase when the whole page was last drawn: when it changes
    (waiting -> training -> testing..., or the run ends) the whole page is drawn again, once,
    so the sidebar and the final outcome follow; the last full run stops the polling. Everything
    is read before anything is drawn, so the redraw is quick and nothing fades meanwhile.
    """
    try:
        status = job_status(job_id)
        jobs = runner().list_jobs()
    except TrainboardError as error:
        show_error(error)
        return
    if status.phase != drawn_phase:
        st.rerun(scope="app")
    # One source for the epoch count: the table shows this run as the progress bar does.
    jobs = [status if job.job_id == status.job_id else job for job in jobs]
    doctor_slot, runs_slot = live_panel(status)
    with doctor_slot:
        show_doctor(status)
    with runs_slot:
        runs_table(jobs, polled=True)


def outcome(status) -> None:
    """Why the run ended, in plain words, and where to go next."""
    result = status.result
    if status.phase == JobPhase.FINISHED:
        # The result's own sentence says how it ended; its box says whether that is good news.
        stopped_because = result.stopped_because if result else None
        box = {"stopped_by_user": st.warning, "diverged": st.error}.get(stopped_because, st.success)
        box(escape_markdown((result.message_text if result else "") or TEXT["finished"]))
        if result is not None and result.has_model:
            st.page_link(
                "app_pages/evaluate.py", label=TEXT["to_evaluate"], icon=":material/arrow_forward:"
            )
        else:
            st.warning(TEXT["no_model"])
    elif status.phase == JobPhase.FAILED:
        st.error(TEXT["failed"].format(error=escape_markdown(status.error or "")))
    elif status.phase == JobPhase.CANCELLED:
        st.info(TEXT["cancelled"])
    elif status.phase == JobPhase.INTERRUPTED:
        st.warning(TEXT["interrupted"].format(error=escape_markdown(status.error or "")))
    if status.can_restart:
        restart_button(status)
    curves(status.history, result.best_epoch if result else None)
    show_doctor(status)


def restart_button(status) -> None:
    """Start the run again from the job's own data and recipe (the upload may be long gone)."""
    if st.button(TEXT["restart"], key="train_restart", icon=":material/replay:"):
        set_job_id(runner().restart(status.job_id))
        st.rerun()
    st.caption(TEXT["restart_help"].format(name=escape_markdown(status.data_name)))


def main() -> None:
    st.title(TEXT["title"])
    st.caption(TEXT["intro"])
    try:
        status = job_status(current_job_id())
    except TrainboardError as error:  # e.g. an old link to a run that was deleted
        show_error(error)
        set_job_id(None)
        status = None
    jobs = runner().list_jobs()
    if is_active(status):
        stop_control(status)  # outside the live panel: a click is heard at once
        live(status.job_id, status.phase)  # draws the runs table too, kept current
    else:
        if status is not None:
            outcome(status)
        start_button()
        runs_table(jobs, polled=False)
    run_picker(jobs)


try:
    main()
except TrainboardError as error:
    show_error(error)
