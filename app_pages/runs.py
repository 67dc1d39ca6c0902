"""Every training run: a sortable table, one run opened (curves, scores, rename, delete,
download its bundle or report, try again with changes), or two and more compared (with a
comparison report to download)."""

import streamlit as st

from core.errors import TrainboardError
from core.i18n import Texts
from ui.run_catalog import (
    TEXT,
    compare,
    delete_box,
    download_bundle,
    load_runs,
    rename_box,
    run_curves,
    run_summary,
    runs_table,
    show_notice,
    try_again,
)
from ui.run_keeping import keeping_notes, pin_toggle
from ui.run_reports import comparison_report_button, report_button
from ui.text import escape_markdown, show_error

PAGE = Texts("pages.runs")


def open_run(status, row) -> None:
    """One run: what it is and how it scored, its curves, and what can be done with it."""
    st.subheader(escape_markdown(row.name))
    run_summary(status, row)
    run_curves(status)
    rename_box(row)
    pin_toggle(row)
    left, middle, right = st.columns(3)
    with left:
        try_again(status, row)
    with middle:
        download_bundle(status)
        report_button(status, row)
    with right:
        delete_box(status, row)


def main() -> None:
    st.title(PAGE["title"])
    st.caption(PAGE["intro"])
    show_notice()
    keeping_notes()
    runs = load_runs()
    if not runs:
        st.info(TEXT["none"])
        st.page_link("app_pages/train.py", label=TEXT["to_train"], icon=":material/arrow_back:")
        return
    selected = runs_table([row for _, row in runs])
    by_id = {row.job_id: (status, row) for status, row in runs}
    if not selected:
        st.caption(TEXT["pick_hint"])
    elif len(selected) == 1:
        open_run(*by_id[selected[0]])
    else:
        compare([by_id[job_id][0] for job_id in selected])
        comparison_report_button([by_id[job_id] for job_id in selected])


try:
    main()
except TrainboardError as error:
    show_error(error)
