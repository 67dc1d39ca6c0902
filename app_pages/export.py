"""Step 5: download the model bundle and its model card, with what each file is for."""

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd
import streamlit as st

from core.bundle.layout import (
    BUNDLE_FILES,
    DEFAULT_PREDICTIONS,
    PREDICT_SCRIPT,
    REPORT_HTML,
    REQUIREMENTS_TXT,
    TRAIN_NOTEBOOK,
    TRAIN_SCRIPT,
    bundle_file_name,
)
from core.bundle.threshold import bundle_with_threshold, card_with_threshold
from core.bundle.training_code import bundle_has, bundle_member
from core.errors import TrainboardError
from core.i18n import Texts, current_language, language
from core.jobs.runner import BUNDLE_FILE, MODEL_CARD_FILE
from core.report import report_file_name
from core.results import RunResult
from ui.bundle_language import bundle_bytes, card_text
from ui.decisions import export_threshold
from ui.jobs import finished_result, runner
from ui.state import current_job_id
from ui.text import show_error

TEXT = Texts("pages.export")


def downloads(job_id: str, result: RunResult) -> None:
    """The bundle and model card download buttons (the bundle is read only when clicked)."""
    bundle = runner().artifact(job_id, BUNDLE_FILE)
    card = runner().artifact(job_id, MODEL_CARD_FILE)
    if bundle is None:
        st.warning(TEXT["no_bundle"])
        st.page_link("app_pages/train.py", label=TEXT["to_train"], icon=":material/arrow_back:")
        return
    threshold = export_threshold(result, job_id)
    in_language = bundle_bytes(job_id, bundle, result)  # its card in the session's language
    left, right = st.columns(2)
    left.download_button(
        TEXT["bundle"],
        # With a chosen threshold, the copy is made (and checked) when the button is clicked.
        data=in_language
        if threshold is None
        else partial(with_threshold, in_language, threshold, result, current_language()),
        file_name=bundle_file_name(job_id),
        mime="application/zip",
        key="download_bundle",
        type="primary",
        icon=":material/folder_zip:",
        on_click="ignore",
    )
    left.caption(TEXT["bundle_help"])
    if card is not None:
        text = card_text(job_id, bundle, card.read_text(encoding="utf-8"), result)
        if threshold is not None:
            decisions = result.evaluation.get("decisions")
            labels = result.class_labels
            text = card_with_threshold(text, threshold, decisions, result.target, labels)
        right.download_button(
            TEXT["card"],
            data=text,
            file_name=f"model_card_{job_id}.md",
            mime="text/markdown",
            key="download_model_card",
            icon=":material/description:",
            on_click="ignore",
        )
        right.caption(TEXT["card_help"])
        with st.expander(TEXT["card_preview"]):
            st.markdown(text)  # the card escapes every text that comes from the data


def with_threshold(
    read: Callable[[], bytes], threshold: float, result: RunResult, code: str
) -> bytes:
    """The bundle in ``code`` with another decision threshold (its report in ``code`` too)."""
    with language(code):
        return bundle_with_threshold(read(), threshold, result)


def report_download(bundle: Path, job_id: str) -> None:
    """The run's report to share, taken from the bundle (read only when clicked)."""
    if not bundle_has(bundle, REPORT_HTML):
        return  # an older bundle, or the report could not be written (the card says why)
    st.download_button(
        TEXT["report"],
        data=lambda: bundle_member(bundle, REPORT_HTML),
        file_name=report_file_name(runner().meta(job_id).name),
        mime="text/html",
        key="download_report",
        icon=":material/insert_chart:",
        on_click="ignore",
    )
    st.caption(TEXT["report_help"])


def code_downloads(bundle: Path) -> None:
    """The run as a training script and a notebook, taken from the bundle."""
    script = bundle_member(bundle, TRAIN_SCRIPT)
    if script is None:
        return  # an older bundle, or the code could not be generated (the card says why)
    st.subheader(TEXT["code"])
    st.write(TEXT["code_intro"])
    left, right = st.columns(2)
    left.download_button(
        TEXT["script"].format(name=TRAIN_SCRIPT),
        data=script,
        file_name=TRAIN_SCRIPT,
        mime="text/x-python",
        key="download_train_script",
        icon=":material/code:",
        on_click="ignore",
    )
    left.code(TEXT["code_run"].format(name=TRAIN_SCRIPT), language="bash")
    notebook = bundle_member(bundle, TRAIN_NOTEBOOK)
    if notebook is not None:
        right.download_button(
            TEXT["notebook"].format(name=TRAIN_NOTEBOOK),
            data=notebook,
            file_name=TRAIN_NOTEBOOK,
            mime="application/x-ipynb+json",
            key="download_train_notebook",
            icon=":material/book:",
            on_click="ignore",
        )


def contents() -> None:
    """What each file in the bundle is for, and how an engineer runs predict.py."""
    st.subheader(TEXT["contents"])
    table = pd.DataFrame(
        [{TEXT["file"]: name, TEXT["purpose"]: what} for name, (what, _how) in BUNDLE_FILES.items()]
    )
    st.table(table, hide_index=True, border="horizontal")  # static: every row, text wrapped
    st.subheader(TEXT["engineer"])
    st.write(TEXT["engineer_intro"])
    st.code(
        TEXT["command"].format(
            requirements=REQUIREMENTS_TXT, script=PREDICT_SCRIPT, out=DEFAULT_PREDICTIONS
        ),
        language="bash",
    )
    st.caption(TEXT["engineer_after"])


def main() -> None:
    st.title(TEXT["title"])
    st.write(TEXT["intro"])
    job_id = current_job_id()
    found = finished_result(job_id)
    if found is None:
        st.info(TEXT["no_run"])
        st.page_link("app_pages/train.py", label=TEXT["to_train"], icon=":material/arrow_back:")
        return
    downloads(job_id, found[1])
    bundle = runner().artifact(job_id, "bundle.zip")
    if bundle is not None:
        report_download(bundle, job_id)
        code_downloads(bundle)
    contents()
    st.page_link("app_pages/predict.py", label=TEXT["next"], icon=":material/arrow_forward:")


try:
    main()
except TrainboardError as error:
    show_error(error)
