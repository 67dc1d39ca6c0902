"""The Train page's live panel: what the run is doing now, its progress, Stop, and the curves.

Every part is drawn into a slot (a container) made in the same order on every redraw,
whatever the run is doing. The live panel is a fragment redrawn every second; when an
element appeared or vanished between two redraws (the "starting" note going away at the
first pass, the charts appearing), every element after it moved, and the browser kept
showing the one that used to be there until the redraw ended: a second, ghost "Stop
training" button under the charts. Fixed slots keep every element where it was.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.i18n import Texts
from core.jobs.states import TAIL_PHASES, JobPhase
from ui.charts import history_figure
from ui.jobs import runner
from ui.text import format_duration

TEXT = Texts("ui.train_view")


def status_line(status: Any) -> None:
    """One sentence: what the run is doing now."""
    if status.phase == JobPhase.WAITING:
        st.info(TEXT["queued"].format(position=status.queue_position or 1))
    elif status.phase == JobPhase.STARTING:
        st.info(TEXT["starting"], icon=":material/hourglass_top:")
    elif status.phase in TAIL_PHASES:
        note = "tail_stopped" if status.stop_requested else "tail_note"
        st.info(TEXT[note].format(epochs=status.epoch), icon=":material/check_circle:")
    else:
        st.caption(TEXT["training"])


def progress_bar(status: Any) -> None:
    """Epochs while training; after it, the step (testing, comparing, packaging) and its part."""
    if status.phase in TAIL_PHASES:
        index = TAIL_PHASES.index(status.phase)
        words = TEXT["tail"][status.phase]
        share_in_step = 0.0
        if status.step_done and status.step_total:
            words = TEXT["tail_part"].format(
                text=words, done=status.step_done, parts=status.step_total
            )
            share_in_step = (status.step_done - 1) / status.step_total
        text = TEXT["tail_step"].format(n=index + 1, total=len(TAIL_PHASES), words=words)
        st.progress(min(1.0, (index + share_in_step) / len(TAIL_PHASES)), text=text)
        return
    share = min(1.0, status.epoch / status.max_epochs) if status.max_epochs else 0.0
    text = TEXT["progress"].format(epoch=status.epoch, max_epochs=status.max_epochs)
    st.progress(share, text=text)


def controls(status: Any) -> None:
    """Time so far, and time left (or epochs run, once training is over)."""
    left, right = st.columns(2)
    left.metric(TEXT["elapsed"], format_duration(status.elapsed_seconds))
    if status.training_over:
        right.metric(TEXT["epochs_run"], status.epoch)
        return
    eta = TEXT["eta_unknown"] if status.eta_seconds is None else format_duration(status.eta_seconds)
    right.metric(TEXT["eta"], eta, help=TEXT["eta_help"])


def stop_control(status: Any) -> None:
    """The Stop button, drawn by the whole page, never by the live panel.

    A click inside a fragment queues a rerun of the fragment that waits for the redraw in
    progress to end; with training taking the CPU, the redraws lag and the request reached
    the job 5 passes after the click (measured in the browser test: shown pass 2, ended
    after 7). A click outside it reruns the page at once, interrupting any redraw, and the
    page is drawn again whenever the phase changes, so Stop goes away when training ends.
    """
    if status.training_over:
        st.caption(TEXT["no_stop"])
    elif status.stop_requested:
        st.warning(TEXT["stopping"])
    else:
        stop_col, note_col = st.columns([1, 3], vertical_alignment="center")
        stop_col.button(
            TEXT["stop"],
            key="train_stop",
            icon=":material/stop:",
            on_click=runner().stop,
            args=(status.job_id,),
        )
        note_col.caption(TEXT["stop_help"])


def curves(history: list, best_epoch: int | None = None) -> None:
    """Loss and the task's metric per epoch, for training and validation rows.

    Always two columns, empty before the first epoch, so nothing after them moves; the
    epochs already recorded stay drawn while the run stops and after it ends.
    """
    loss_col, metric_col = st.columns(2)
    if not history:
        return
    loss_col.plotly_chart(history_figure(history, "loss", best_epoch), key="chart_loss")
    metric_col.plotly_chart(history_figure(history, "metric", best_epoch), key="chart_metric")


def live_panel(status: Any) -> tuple[Any, Any]:
    """Draw the status line, progress, controls and curves into fixed slots.

    Returns the two slots that follow (the doctor's, the runs table's), made now so they
    keep their place too.
    """
    slots = [st.container() for _ in range(6)]
    with slots[0]:
        status_line(status)
    with slots[1]:
        progress_bar(status)
    with slots[2]:
        controls(status)
    with slots[3]:
        curves(status.history)
    return slots[4], slots[5]
