"""The Runs page's reports to share: one opened run's, and a comparison of selected runs.

A report is made only when its button is clicked (``st.download_button`` calls ``data``
then), so opening a run or ticking runs stays fast: a report inlines plotly.js (about
5 MB). One run's report is the bundle's own ``report.html`` when the run has one and no
other decision threshold was chosen for it; otherwise it is rendered from the run's
result and recipe (:mod:`core.report`), with the run's name and the chosen threshold.
Download names come from :func:`core.report.report_file_name`.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core.bundle.layout import REPORT_HTML
from core.bundle.training_code import bundle_member
from core.i18n import Texts
from core.jobs.catalog import RunRow
from core.jobs.runner import BUNDLE_FILE
from core.jobs.status import JobStatus
from core.model.tasks import task_spec
from core.portable.decision import DEFAULT_THRESHOLD
from core.report import ReportRun, comparison_report, report_file_name, run_report
from ui.decisions import chosen_threshold
from ui.jobs import runner

TEXT = Texts("ui.run_reports")
MIME = "text/html"


def _threshold(status: JobStatus) -> float | None:
    """The decision threshold chosen for a yes/no run on the Evaluate page (None: the usual)."""
    if status.result is None or not task_spec(status.result.task).yes_no:
        return None
    chosen = chosen_threshold(status.job_id)
    return chosen if abs(chosen - DEFAULT_THRESHOLD) > 1e-9 else None


def _report_run(status: JobStatus, name: str, threshold: float | None) -> ReportRun | None:
    """A finished run as a report reads it (None: it has no result or no recipe)."""
    recipe = status.recipe or runner().recipe(status.job_id)
    if status.result is None or recipe is None:
        return None
    return ReportRun.from_result(status.result, recipe, name=name, threshold=threshold)


def run_report_bytes(status: JobStatus, name: str, threshold: float | None = None) -> bytes:
    """One run's report: the bundle's ``report.html`` if it says the same, else rendered.

    ``threshold`` is the decision threshold chosen for the run (None: the usual one, which
    the bundle's report states). It is read while the page runs, never in ``data``'s
    callable: that runs when the button is clicked, outside the page's session.
    """
    bundle = runner().artifact(status.job_id, BUNDLE_FILE)
    if bundle is not None and threshold is None:
        stored = bundle_member(bundle, REPORT_HTML)
        if stored is not None:
            return stored
    run = _report_run(status, name, threshold)
    if run is None:  # the button is only offered for a finished run
        raise ValueError(f"run {status.job_id} has no result and recipe to report")
    return run_report(run).encode("utf-8")


def report_button(status: JobStatus, row: RunRow) -> None:
    """The opened run's report to share (rendered only when clicked)."""
    if status.result is None or not status.result.has_model:
        return
    threshold = _threshold(status)
    st.download_button(
        TEXT["report"],
        data=lambda: run_report_bytes(status, row.name, threshold),
        file_name=report_file_name(row.name),
        mime=MIME,
        key="runs_download_report",
        icon=":material/insert_chart:",
        on_click="ignore",
    )
    st.caption(TEXT["report_help"])


def comparison_name(names: Sequence[str]) -> str:
    """What a comparison report is called: "Run A vs Run B, Run C"."""
    return TEXT["comparison_name"].format(first=names[0], rest=", ".join(names[1:]))


def comparison_report_bytes(
    runs: Sequence[tuple[JobStatus, RunRow]], thresholds: Sequence[float | None]
) -> bytes:
    """The comparison report of ``runs`` (the first is the reference), each at its threshold."""
    found = [
        _report_run(status, row.name, threshold)
        for (status, row), threshold in zip(runs, thresholds, strict=True)
    ]
    return comparison_report([run for run in found if run is not None]).encode("utf-8")


def comparison_report_button(runs: Sequence[tuple[JobStatus, RunRow]]) -> None:
    """The selected runs' comparison report to share (rendered only when clicked).

    Only finished runs with a model take part: a run still training has no scores yet.
    """
    finished = [
        (status, row)
        for status, row in runs
        if status.result is not None and status.result.has_model
    ]
    if len(finished) < 2:
        st.caption(TEXT["comparison_too_few"])
        return
    thresholds = [_threshold(status) for status, _ in finished]
    st.download_button(
        TEXT["comparison"],
        data=lambda: comparison_report_bytes(finished, thresholds),
        file_name=report_file_name(comparison_name([row.name for _, row in finished])),
        mime=MIME,
        key="runs_download_comparison_report",
        icon=":material/compare:",
        on_click="ignore",
    )
    st.caption(TEXT["comparison_help"])
