"""The Runs page's pieces: the sortable runs table and one opened run (curves, scores, actions).

What a run is and which figures describe it are decided in :mod:`core.jobs.catalog`; the
runner reads and changes the files (rename, delete, the bundle, the run's own data and
recipe). Every widget is keyed (``runs_*``) so tests and the browser suite find it.

Session keys: ``runs_table_<n>`` (the table's selection; its key, kept in
``runs_table_key``, changes with the list of runs: see :func:`table_key`), ``runs_table_ids``
and ``runs_table_generation`` (the list the key was made for, and its number),
``runs_rename`` / ``runs_rename_for`` (the name box and the run it was filled for),
``runs_delete_pending`` (the run whose deletion awaits confirmation), ``runs_notice`` (what
the last action did, as markdown with the run's name escaped, shown once) and
``runs_notice_error`` (an action's error, shown once; the keep toggle is in
:mod:`ui.run_keeping`).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from core.bundle.layout import bundle_file_name
from core.errors import TrainboardError
from core.evaluation.measures import METRIC_LABELS
from core.i18n import Texts
from core.jobs.catalog import Headline, RunRow, check_deletable, run_row
from core.jobs.runner import BUNDLE_FILE
from core.jobs.status import JobStatus
from ui.bundle_language import bundle_bytes
from ui.charts import history_figure
from ui.jobs import runner
from ui.recipe_form import forget_setting_widgets
from ui.runs import TEXT as RUN_WORDS
from ui.runs import started_at
from ui.state import choose_dataset, current_job_id, set_job_id, set_recipe
from ui.text import escape_markdown, format_duration, show_error

TEXT = Texts("ui.run_catalog")
SHA_SHOWN = 12  # characters of the fingerprint shown: plenty to tell files apart by eye


# --- loading ---------------------------------------------------------------------------------


def load_runs() -> list[tuple[JobStatus, RunRow]]:
    """Every run, newest first, with its table row (a run deleted meanwhile is skipped)."""
    jobs = runner()
    found = []
    for status in jobs.list_jobs():
        try:
            meta, recipe = jobs.meta(status.job_id), jobs.recipe(status.job_id)
        except TrainboardError:  # deleted by another tab since the list was read
            continue
        found.append((status, run_row(status, meta, recipe)))
    return found


# --- the table -------------------------------------------------------------------------------


def _range_text(head: Headline | None) -> str | None:
    if head is None or head.low is None or head.high is None:
        return None
    return TEXT["range"].format(low=_number(head.low), high=_number(head.high))


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3f}"


def runs_frame(rows: list[RunRow]) -> pd.DataFrame:
    """The runs table's data: numbers stay numbers, so every column sorts properly."""
    cols = TEXT["columns"]
    records = []
    for row in rows:
        head = row.headline
        records.append(
            {
                cols["name"]: row.name,
                cols["data"]: row.data_name,
                cols["target"]: row.target,
                cols["recipe"]: row.recipe,
                cols["state"]: RUN_WORDS["phases"][row.phase],
                cols["when"]: datetime.fromtimestamp(row.created_at) if row.created_at else None,
                cols["took"]: round(row.seconds) if row.seconds else None,
                cols["best_epoch"]: row.best_epoch,
                cols["measure"]: METRIC_LABELS.get(head.metric, (head.metric,))[0]
                if head
                else None,
                cols["score"]: head.value if head else None,
                cols["range"]: _range_text(head),
                cols["baseline"]: head.baseline_value if head else None,
                cols["baseline_name"]: head.baseline_name.capitalize()
                if head and head.baseline_name
                else None,
                cols["fingerprint"]: (row.data_sha256 or "")[:SHA_SHOWN] or None,
                cols["pinned"]: row.pinned,
            }
        )
    return pd.DataFrame(records, columns=list(cols.values()))


def table_key(ids: list[str]) -> str:
    """The table's key: ``runs_table_<n>``, a new ``n`` each time the list of runs changes.

    A selection is a list of row positions, and Streamlit keeps it (in the browser too) while
    the key stays the same: after a run is added or deleted it would point at other runs. A
    new key starts the table with nothing selected. The current key is in ``runs_table_key``.
    """
    if st.session_state.get("runs_table_ids") != ids or "runs_table_key" not in st.session_state:
        old = st.session_state.get("runs_table_key")
        if old:
            st.session_state.pop(old, None)
        generation = st.session_state.get("runs_table_generation", -1) + 1
        st.session_state["runs_table_generation"] = generation
        st.session_state["runs_table_key"] = f"runs_table_{generation}"
        st.session_state["runs_table_ids"] = ids
    return st.session_state["runs_table_key"]


def runs_table(rows: list[RunRow]) -> list[str]:
    """The sortable table of runs; returns the ids of the selected runs, in table order."""
    ids = [row.job_id for row in rows]
    key = table_key(ids)
    cols, helps = TEXT["columns"], TEXT["help"]
    event = st.dataframe(
        runs_frame(rows),
        key=key,
        on_select="rerun",
        selection_mode="multi-row",
        hide_index=True,
        placeholder="",
        column_config={
            cols["name"]: st.column_config.TextColumn(pinned=True),
            cols["when"]: st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            cols["took"]: st.column_config.NumberColumn(format="%d s", help=helps["took"]),
            cols["best_epoch"]: st.column_config.NumberColumn(format="%d"),
            cols["score"]: st.column_config.NumberColumn(format="%.3f", help=helps["score"]),
            cols["range"]: st.column_config.TextColumn(help=helps["range"]),
            cols["baseline"]: st.column_config.NumberColumn(format="%.3f", help=helps["baseline"]),
            cols["fingerprint"]: st.column_config.TextColumn(help=helps["fingerprint"]),
        },
    )
    return [ids[index] for index in sorted(event.selection.rows) if 0 <= index < len(ids)]


def show_notice() -> None:
    """What the last action did (rename, delete), once."""
    notice = st.session_state.pop("runs_notice", None)
    if notice:
        st.success(notice, icon=":material/check_circle:")  # its names are escaped already
    problem = st.session_state.pop("runs_notice_error", None)
    if problem:
        st.error(escape_markdown(problem))


def compare(statuses: list[JobStatus]) -> None:
    """Two or more runs side by side, through the comparison view (imported when used)."""
    from ui.compare import show_comparison

    show_comparison(statuses)


# --- one opened run --------------------------------------------------------------------------


def run_summary(status: JobStatus, row: RunRow) -> None:
    """Who, what and when; then the headline score, its range and the best baseline."""
    st.markdown(
        TEXT["details"].format(
            data=escape_markdown(row.data_name),
            sha=(row.data_sha256 or "?")[:SHA_SHOWN],
            target=escape_markdown(row.target or "?"),
            state=RUN_WORDS["phases"][row.phase],
            when=started_at(row.created_at),
            took=format_duration(row.seconds),
        )
    )
    if row.recipe:
        st.caption(escape_markdown(TEXT["recipe"].format(recipe=row.recipe)))
    result, head = status.result, row.headline
    if status.error:
        st.warning(TEXT["error"].format(error=escape_markdown(status.error)))
    if result is not None and head is None:
        st.warning(TEXT["no_model"])
    if head is not None:
        label = METRIC_LABELS.get(head.metric, (head.metric,))[0]
        score_col, base_col = st.columns(2)
        score_col.metric(TEXT["score"].format(label=label), _number(head.value))
        if head.low is not None and head.high is not None:
            score_col.caption(
                TEXT["score_range"].format(low=_number(head.low), high=_number(head.high))
            )
        if head.baseline_name:
            base_col.metric(
                TEXT["baseline"].format(name=escape_markdown(head.baseline_name.capitalize())),
                _number(head.baseline_value),
            )
        st.info(escape_markdown(result.verdict_text), icon=":material/lightbulb:")
        if result.best_epoch:
            st.caption(TEXT["best_epoch"].format(best=result.best_epoch, epochs=result.epochs_run))
        st.page_link(
            "app_pages/evaluate.py",
            label=TEXT["evaluate"],
            icon=":material/fact_check:",
            query_params={"job": status.job_id},
        )


def run_curves(status: JobStatus) -> None:
    """The run's loss and metric per epoch (the Train page's charts)."""
    if not status.history:
        return
    loss_col, metric_col = st.columns(2)
    loss_col.plotly_chart(history_figure(status.history, "loss"), key="runs_chart_loss")
    metric_col.plotly_chart(history_figure(status.history, "metric"), key="runs_chart_metric")


def rename_box(row: RunRow) -> None:
    """A name box filled with the run's name, and a save button."""
    if st.session_state.get("runs_rename_for") != row.job_id:
        st.session_state["runs_rename"] = row.name
        st.session_state["runs_rename_for"] = row.job_id
    name_col, save_col = st.columns([4, 1], vertical_alignment="bottom")
    name = name_col.text_input(TEXT["rename"], key="runs_rename")
    if save_col.button(TEXT["rename_save"], key="runs_rename_save"):
        try:
            saved = runner().rename(row.job_id, name)
        except TrainboardError as error:
            show_error(error)
            return
        st.session_state["runs_notice"] = TEXT["renamed"].format(name=escape_markdown(saved.name))
        st.session_state.pop("runs_rename_for", None)  # refill the box from the stored name
        st.rerun()


def download_bundle(status: JobStatus) -> None:
    """Download the run's bundle again from its job folder, its card in the session's language."""
    bundle = runner().artifact(status.job_id, BUNDLE_FILE)
    if bundle is None:
        st.caption(TEXT["no_bundle"])
        return
    read = (
        bundle.read_bytes
        if status.result is None
        else bundle_bytes(status.job_id, bundle, status.result)
    )  # the card in the session's language
    st.download_button(
        TEXT["download"],
        data=read,
        file_name=bundle_file_name(status.job_id),
        mime="application/zip",
        key="runs_download_bundle",
        icon=":material/folder_zip:",
        on_click="ignore",
    )


def try_again(status: JobStatus, row: RunRow) -> None:
    """Load the run's data and recipe into the session and open the Design page."""
    if st.button(TEXT["try_again"], key="runs_try_again", icon=":material/content_copy:"):
        try:
            data, name, recipe = runner().run_inputs(status.job_id)
        except TrainboardError as error:
            show_error(error)
            return
        choose_dataset(name, data, target=recipe.target)
        set_recipe(recipe)
        st.session_state["recipe_problem"] = None
        # The Data page's widgets start again from this recipe, not from suggestions.
        st.session_state["drop_needs_refill"] = False
        st.session_state["sample_dataset"] = None
        forget_setting_widgets()
        # A toast outlives the page change: the Design page opens with a word of what happened.
        st.toast(TEXT["loaded"].format(name=escape_markdown(row.name)), icon=":material/check:")
        st.switch_page("app_pages/design.py")
    st.caption(TEXT["try_again_help"])


def delete_box(status: JobStatus, row: RunRow) -> None:
    """Delete, after a confirmation naming the run; a queued or training run is refused."""
    try:
        check_deletable(status)
    except TrainboardError as error:
        st.button(TEXT["delete"], key="runs_delete", disabled=True, icon=":material/delete:")
        st.caption(escape_markdown(str(error)))
        return
    if st.session_state.get("runs_delete_pending") != row.job_id:
        if st.button(TEXT["delete"], key="runs_delete", icon=":material/delete:"):
            st.session_state["runs_delete_pending"] = row.job_id
            st.rerun()
        return
    st.warning(TEXT["delete_confirm"].format(name=escape_markdown(row.name)))
    yes_col, no_col = st.columns(2)
    if yes_col.button(TEXT["delete_yes"], key="runs_delete_confirm", type="primary"):
        st.session_state.pop("runs_delete_pending", None)
        try:
            runner().delete(row.job_id)
        except TrainboardError as error:
            show_error(error)
            return
        if current_job_id() == row.job_id:
            set_job_id(None)
        st.session_state["runs_notice"] = TEXT["deleted"].format(name=escape_markdown(row.name))
        st.rerun()
    if no_col.button(TEXT["delete_no"], key="runs_delete_cancel"):
        st.session_state.pop("runs_delete_pending", None)
        st.rerun()
