"""The Design page's "Find good settings for me": start a time-boxed search, watch it, use it.

The person picks how long Trainboard may search (:data:`BUDGETS`) and starts it;
:func:`core.tuning.coordinator.start_study` runs the search in its own process, so closing
the tab does not stop it. While it runs, the panel redraws every few seconds from the
search's ``state.json``: each try as a row (a link to its run), the best so far, the tries
stopped early, a chart of the scores, and a Stop button. At the end it shows the best run's
test result and offers "Use these settings", which loads the best recipe into the design.
The search being watched is remembered in the session (``tuning_study_id``). Every widget
is keyed (``tuning_*``). No Optuna vocabulary reaches the person.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.errors import TrainboardError
from core.evaluation.measures import format_metric, metric_label
from core.i18n import Texts
from core.model.recipe import Recipe
from core.tuning.space import settings_label
from core.tuning.study_files import (
    StudyPhase,
    StudyState,
    TrialState,
    read_state,
    stop_study,
    study_folder,
)
from ui.jobs import runner
from ui.recipe_form import forget_setting_widgets
from ui.sign_in import current_viewer
from ui.state import set_job_id, set_recipe
from ui.text import escape_markdown, show_error

if TYPE_CHECKING:
    from ui.state import Dataset

TEXT = Texts("ui.tuning")
BUDGETS = (2, 5, 15)  # minutes offered; the CLI takes any
SESSION_KEY = "tuning_study_id"
POLL_SECONDS = 2
TRAIN_PAGE_URL = "train"  # app.py's url path of the Train page (a run opens there by ?job=)
# How each trial state reads in the table and the chart (a key of the catalog, a colour).
STATE_COLOURS = {
    TrialState.RUNNING: "#1f77b4",
    TrialState.COMPLETE: "#2ca02c",
    TrialState.PRUNED: "#9e9e9e",
    TrialState.CUT_SHORT: "#bdbdbd",
    TrialState.FAILED: "#d62728",
}


def tuning_section(recipe: Recipe, dataset: Dataset | None, ready: bool) -> None:
    """The search panel: budget and start, then the search live, then its outcome.

    ``ready`` is False while the recipe form shows a problem (the search starts from the
    current recipe's data preparation, split and seed).
    """
    with st.expander(
        TEXT["title"], key="tuning_panel", on_change="rerun", icon=":material/auto_awesome:"
    ):
        st.write(TEXT["intro"])
        study_id = st.session_state.get(SESSION_KEY)
        if study_id:
            _watch(study_id, recipe)
        elif dataset is None or recipe.target is None:
            st.info(TEXT["need_data"])
        elif not ready:
            st.info(TEXT["need_recipe"])
        else:
            _start_form(recipe, dataset)


def _start_form(recipe: Recipe, dataset: Dataset) -> None:
    budget = st.radio(
        TEXT["budget"],
        BUDGETS,
        index=1,
        format_func=lambda minutes: TEXT["minutes"].format(n=minutes),
        horizontal=True,
        key="tuning_budget",
    )
    st.caption(TEXT["how"].format(slots=runner().max_concurrent))
    if st.button(TEXT["start"], key="tuning_start", type="primary", icon=":material/auto_awesome:"):
        # Imported here: Optuna loads only when a search starts, not with the page.
        from core.tuning import launch

        try:
            st.session_state[SESSION_KEY] = launch.start_study(
                dataset.data, dataset.name, recipe, budget, owner=current_viewer().owner
            )
            st.session_state["tuning_used"] = False
        except TrainboardError as error:
            show_error(error)
            return
        st.rerun()


def _read(study_id: str) -> StudyState | None:
    try:
        return read_state(study_folder(study_id))
    except TrainboardError as error:
        show_error(error)
        st.session_state.pop(SESSION_KEY, None)  # an old or deleted search: start afresh
        return None


def _watch(study_id: str, recipe: Recipe) -> None:
    state = _read(study_id)
    if state is None:
        return
    if state.phase.is_active:
        _live(study_id)
    else:
        _draw(state)
        _outcome(state, recipe)
    if st.button(TEXT["clear"], key="tuning_clear", icon=":material/close:"):
        st.session_state.pop(SESSION_KEY, None)
        st.rerun()


@st.fragment(run_every=POLL_SECONDS)
def _live(study_id: str) -> None:
    """Redrawn every few seconds while the search runs; the whole page once when it ends."""
    state = _read(study_id)
    if state is None:
        return
    if not state.phase.is_active:
        st.rerun(scope="app")
    _draw(state)
    if state.stop_requested:
        st.caption(TEXT["stopping"])
    else:
        # A callback: the request is written before the redraw, whichever scope reruns.
        st.button(
            TEXT["stop"],
            key="tuning_stop",
            icon=":material/stop:",
            on_click=stop_study,
            args=(study_folder(study_id),),
        )


def _headline(state: StudyState) -> str:
    tried = len(state.trials)
    early = state.count(TrialState.PRUNED)
    if state.phase == StudyPhase.SEARCHING:
        left = max(0, int(state.deadline - time.time()))
        return TEXT["searching"].format(n=tried, early=early, minutes=left // 60, seconds=left % 60)
    if state.phase == StudyPhase.STARTING:
        return TEXT["starting"]
    if state.phase == StudyPhase.TRAINING_BEST:
        return TEXT["training_best"].format(n=tried, early=early)
    if state.phase == StudyPhase.FINISHED:
        return TEXT["finished"].format(n=tried, early=early)
    if state.phase == StudyPhase.INTERRUPTED:
        return TEXT["interrupted"]
    return TEXT["ended"].format(reason=escape_markdown(state.message or ""))


def _draw(state: StudyState) -> None:
    """The headline, the best so far, the chart and the table of tries."""
    st.markdown(f"**{_headline(state)}**")
    best = state.best
    if best is not None:
        st.success(TEXT["best_so_far"].format(name=escape_markdown(best.name), value=best.value))
    if not state.trials:
        return
    _chart(state)
    rows = [
        {
            TEXT["col_try"]: trial.number,
            TEXT["col_settings"]: _settings(trial.recipe) or trial.name,
            TEXT["col_state"]: ("★ " if trial.number == state.best_trial else "")
            + TEXT[f"state_{trial.state.value}"],
            TEXT["col_value"]: trial.value,
            TEXT["col_passes"]: trial.epochs,
            TEXT["col_run"]: f"{TRAIN_PAGE_URL}?job={trial.job_id}",
        }
        for trial in state.trials
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        key="tuning_trials",
        column_config={
            TEXT["col_value"]: st.column_config.NumberColumn(
                format="%.4f", help=TEXT["value_help"]
            ),
            TEXT["col_run"]: st.column_config.LinkColumn(display_text=TEXT["open_run"]),
        },
    )


def _settings(recipe: dict) -> str | None:
    """A try's settings in a few words, in the reader's language (None if unreadable)."""
    if not recipe:
        return None
    try:
        return settings_label(Recipe.from_dict(recipe))
    except TrainboardError:
        return None


def _chart(state: StudyState) -> None:
    """Each try's validation score (lower is better), coloured by how it ended; best starred."""
    figure = go.Figure()
    for trial_state, colour in STATE_COLOURS.items():
        shown = [t for t in state.trials if t.state == trial_state and t.value is not None]
        if shown:
            figure.add_trace(
                go.Scatter(
                    x=[t.number for t in shown],
                    y=[t.value for t in shown],
                    mode="markers",
                    marker={"color": colour, "size": 10},
                    name=TEXT[f"state_{trial_state.value}"],
                    text=[t.name for t in shown],
                )
            )
    best = state.best
    if best is not None and best.value is not None and math.isfinite(best.value):
        figure.add_trace(
            go.Scatter(
                x=[best.number], y=[best.value], mode="markers", name=TEXT["best"],
                marker={"symbol": "star", "size": 18, "color": "#ffbf00"},
            )
        )  # fmt: skip
    figure.update_layout(
        height=260,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis_title=TEXT["col_try"],
        yaxis_title=TEXT["col_value"],
    )
    st.plotly_chart(figure, key="tuning_chart")


def _outcome(state: StudyState, recipe: Recipe) -> None:
    """After the search: the best run's test result, and the buttons to use it."""
    best = state.best
    if best is None or state.best_job_id is None:
        return
    try:
        status = runner().status(state.best_job_id)
    except TrainboardError as error:
        show_error(error)
        return
    result = status.result
    if result is not None and result.metrics:
        key = result.primary_metric
        st.markdown(
            TEXT["tested"].format(
                metric=metric_label(key), value=format_metric(result.metrics.get(key), key)
            )
        )
        st.markdown(escape_markdown(result.verdict))
    elif status.error:
        st.warning(status.error)
    use, open_run = st.columns(2)
    use.button(
        TEXT["use"],
        key="tuning_use",
        type="primary",
        icon=":material/check:",
        on_click=_use_settings,
        args=(best.recipe, recipe),
    )
    if open_run.button(TEXT["open_best"], key="tuning_open_best", icon=":material/open_in_new:"):
        set_job_id(state.best_job_id)
        st.switch_page("app_pages/train.py")
    if st.session_state.get("tuning_used"):
        st.caption(TEXT["used"])


def _use_settings(best: dict, current: Recipe) -> None:
    """Callback: the best recipe into the design, with the person's own data choices kept."""
    chosen = Recipe.from_dict(best).with_changes(
        target=current.target, drop_columns=list(current.drop_columns)
    )
    set_recipe(chosen)
    st.session_state["recipe_problem"] = None
    forget_setting_widgets()  # the form's boxes start again from the new recipe
    st.session_state["tuning_used"] = True
