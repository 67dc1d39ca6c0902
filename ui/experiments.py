"""The Design page's one-click experiments: one setting, a few values, the runs compared.

The person picks a setting and two to five values; :func:`core.jobs.experiments.submit_experiment`
queues one run per value with everything else equal, and the runs are shown compared
(:func:`ui.compare.show_comparison`) while they train, redrawn every few seconds. The
experiment being watched is remembered in the session (``experiment_id``), so leaving the
page and coming back shows it again. Every widget is keyed (``experiment_*``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import streamlit as st

from core.errors import TrainboardError
from core.i18n import Texts
from core.jobs.experiments import (
    EXPERIMENT_SETTINGS,
    MAX_VALUES,
    MIN_VALUES,
    experiment_runs,
    submit_experiment,
)
from core.model.fields import spec_for
from ui.compare import show_comparison
from ui.jobs import runner
from ui.runs import TEXT as RUNS_TEXT
from ui.text import escape_markdown, show_error

if TYPE_CHECKING:
    from core.jobs.status import JobStatus
    from core.model.recipe import Recipe
    from ui.state import Dataset

TEXT = Texts("ui.experiments")
SESSION_KEY = "experiment_id"
POLL_SECONDS = 2


def _split_numbers(text: str) -> list[str]:
    return [part for part in re.split(r"[;,\s]+", text.strip()) if part]


def _pick_values(setting: str) -> list[Any]:
    """The values to try, from a multiselect (choices) or a box of numbers."""
    spec = EXPERIMENT_SETTINGS[setting]
    key = f"experiment_values_{setting}"
    if spec.kind == "choice":
        labels = spec_for("training.optimizer").choices or {}
        return st.multiselect(
            TEXT["choices"],
            list(labels),
            default=list(spec.defaults),
            format_func=labels.get,
            max_selections=MAX_VALUES,
            key=key,
        )
    text = st.text_input(
        TEXT["numbers"],
        value=" ".join(f"{value:g}" for value in spec.defaults),
        help=TEXT["numbers_help"],
        key=key,
    )
    return _split_numbers(text)


def experiment_section(recipe: Recipe, dataset: Dataset | None, ready: bool) -> None:
    """The experiment panel of the Design page: pick, start, then watch the runs compared.

    ``ready`` is False while the recipe form shows a problem (the last valid recipe
    would otherwise be used silently).
    """
    with st.expander(TEXT["title"], key="experiment_panel", on_change="rerun"):
        st.write(TEXT["intro"].format(low=MIN_VALUES, high=MAX_VALUES))
        if dataset is None or recipe.target is None:
            st.info(TEXT["need_data"])
        elif not ready:
            st.info(TEXT["need_recipe"])
        else:
            _start_form(recipe, dataset)
        experiment_id = st.session_state.get(SESSION_KEY)
        if experiment_id:
            _watch(experiment_id)


def _start_form(recipe: Recipe, dataset: Dataset) -> None:
    settings = list(EXPERIMENT_SETTINGS)
    setting = st.selectbox(
        TEXT["setting"],
        settings,
        format_func=lambda key: EXPERIMENT_SETTINGS[key].label,
        key="experiment_setting",
    )
    values = _pick_values(setting)
    slots = runner().max_concurrent
    st.caption(TEXT["equal"].format(n=len(values), slots=slots))
    if st.button(
        TEXT["start"].format(n=len(values)),
        key="experiment_start",
        type="primary",
        icon=":material/science:",
    ):
        try:
            experiment_id, _ = submit_experiment(
                runner(), dataset.data, dataset.name, recipe, setting, values
            )
        except TrainboardError as error:
            show_error(error)
            return
        st.session_state[SESSION_KEY] = experiment_id


def _statuses(experiment_id: str) -> list[JobStatus]:
    return experiment_runs(runner().list_jobs(), experiment_id)


def _watch(experiment_id: str) -> None:
    try:
        statuses = _statuses(experiment_id)
    except TrainboardError as error:
        show_error(error)
        return
    if not statuses:  # its runs were deleted
        st.session_state.pop(SESSION_KEY, None)
        return
    if any(status.is_active for status in statuses):
        _live(experiment_id)
    else:
        _draw(statuses)
    if st.button(TEXT["clear"], key="experiment_clear", icon=":material/close:"):
        st.session_state.pop(SESSION_KEY, None)
        st.rerun()


@st.fragment(run_every=POLL_SECONDS)
def _live(experiment_id: str) -> None:
    """Redrawn every few seconds while a run of the experiment is waiting or training."""
    try:
        statuses = _statuses(experiment_id)
    except TrainboardError as error:
        show_error(error)
        return
    if not any(status.is_active for status in statuses):
        st.rerun(scope="app")  # drawn once more, without polling
    _draw(statuses)


def _draw(statuses: list[JobStatus]) -> None:
    tag = statuses[0].experiment
    setting = EXPERIMENT_SETTINGS.get(tag.setting) if tag else None
    label = setting.label if setting else ""
    st.markdown(f"#### {TEXT['progress'].format(setting=escape_markdown(label))}")
    lines = [
        TEXT["run_line"].format(
            name=escape_markdown(status.experiment.name if status.experiment else status.job_id),
            phase=RUNS_TEXT["phases"][status.phase],
            epoch=status.epoch,
            max_epochs=status.max_epochs,
        )
        for status in statuses
    ]
    st.markdown("\n".join(lines))
    show_comparison(statuses, key="experiment_compare")
