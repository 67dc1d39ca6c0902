"""Step 6: score new rows with the model just trained or with a bundle file, or try one row.

A large file is predicted by a job (``ui.predict_job``; the rule is
``core.jobs.predictions.runs_in_session``), a small one in the session."""

import hashlib
from pathlib import Path

import streamlit as st

from core.errors import TrainboardError
from core.i18n import Texts
from core.jobs.predictions import runs_in_session
from core.model.tasks import task_spec
from core.portable.outputs import output_columns
from core.portable.predicting import WARNING
from ui.data import UPLOAD_TYPES
from ui.decisions import chosen_threshold
from ui.jobs import finished_result, runner
from ui.predict_job import follow_prediction_job, start_prediction_job
from ui.state import current_job_id
from ui.text import escape_markdown, show_error
from ui.whatif import TEXT as WHATIF_TEXT
from ui.whatif import show_what_if

TEXT = Texts("pages.predict")


def choose_model() -> tuple[str, bytes | None] | None:
    """Where the model comes from: ("trained", None) or ("bundle", zip bytes); None if missing."""
    found = finished_result(current_job_id())
    has_trained = found is not None and found[1].has_model
    options = ["trained", "bundle"] if has_trained else ["bundle"]
    if not has_trained:
        st.info(TEXT["no_model"])
        st.page_link("app_pages/train.py", label=TEXT["to_train"], icon=":material/arrow_back:")
    source = st.radio(
        TEXT["source"],
        options,
        format_func=TEXT["sources"].get,
        key="predict_source",
        horizontal=True,
    )
    if source == "trained":
        result = found[1]
        st.caption(
            TEXT["trained_info"].format(
                target=escape_markdown(result.target),
                data=escape_markdown((result.data.name or "") if result.data else ""),
            )
        )
        return "trained", None
    upload = st.file_uploader(
        TEXT["bundle_upload"], type=["zip"], key="bundle_upload", help=TEXT["bundle_help"]
    )
    if upload is None:
        st.caption(TEXT["need_bundle"])
        return None
    return "bundle", upload.getvalue()


def model_key(source: str, bundle: bytes | None) -> tuple[str, str | None, float | None]:
    """What identifies a model: the run it came from (and the threshold chosen for it on the
    Evaluate page), or the bundle file's content (which holds its own threshold)."""
    if source == "trained":
        return source, current_job_id(), chosen_threshold(current_job_id())
    return source, hashlib.sha256(bundle).hexdigest(), None


def loaded_model(source: str, bundle: bytes | None):
    """The :class:`core.bundle.LoadedBundle`, loaded once per session (TensorFlow loads here)."""
    key = model_key(source, bundle)[:2]  # the threshold does not change the loaded network
    cached = st.session_state.get("loaded_model")
    if cached and cached[0] == key:
        return cached[1]
    from core.bundle.writer import load_bundle  # imports TensorFlow: only when the user predicts

    with st.spinner(TEXT["loading"]):
        model = load_bundle(trained_bundle() if source == "trained" else bundle)
    st.session_state["loaded_model"] = (key, model)
    return model


def trained_bundle() -> Path:
    """The path of the current run's bundle (TrainboardError when it has none)."""
    path = runner().artifact(current_job_id(), "bundle.zip")
    if path is None:
        raise TrainboardError(TEXT["no_model"])
    return path


def threshold_text(task: str, class_labels: list[str], used: float | None) -> str | None:
    """Yes/no models: which outcome is predicted from which probability."""
    if not task_spec(task).yes_no or used is None:
        return None
    return TEXT["threshold"].format(positive=f"“{class_labels[1]}”", threshold=f"{used:.2f}")


def predict(source: str, bundle: bytes | None, upload) -> None:
    """Predict the rows: a large file as a job, a small one here (kept for this session)."""
    data = upload.getvalue()
    # The run just trained predicts with the threshold chosen for it; a bundle with its own.
    threshold = model_key(source, bundle)[2]
    made_for = (model_key(source, bundle), hashlib.sha256(data).hexdigest())
    if not runs_in_session(len(data)):
        model_file = trained_bundle() if source == "trained" else bundle
        start_prediction_job(model_file, upload, threshold, made_for)
        return
    model = loaded_model(source, bundle)
    with st.spinner(TEXT["predicting"]):
        predictions = model.predict_file(data, name=upload.name, threshold=threshold)
    used = threshold if threshold is not None else model.decision_threshold
    st.session_state["predictions"] = {
        "name": upload.name,
        "for": made_for,
        "frame": predictions.frame,
        "headline": predictions.headline(model.target),
        "notes": [(note.level, note.message) for note in predictions.notes],
        "answers": output_columns(model.task, model.class_labels),
        "csv": predictions.to_csv(),
        "threshold": threshold_text(model.task, model.class_labels, used),
    }


def show_predictions(source: str, bundle: bytes | None, upload) -> None:
    """Preview and download of the last predictions, if they belong to this model and file."""
    made_for = (model_key(source, bundle), hashlib.sha256(upload.getvalue()).hexdigest())
    done = st.session_state.get("predictions")
    if not done or done["for"] != made_for:
        done = follow_prediction_job(made_for)  # a large file's job: its progress, or its end
        if done is None:
            return
        done["answers"] = output_columns(done["task"], done["class_labels"])
        done["threshold"] = threshold_text(
            done["task"], done["class_labels"], done["used_threshold"]
        )
        st.session_state["predictions"] = done
    st.success(escape_markdown(done["headline"]))
    for level, message in done["notes"]:
        (st.warning if level == WARNING else st.info)(escape_markdown(message))
    st.subheader(TEXT["preview"])
    # The answers first: with many input columns they would be off to the right.
    first = [c for c in done["answers"] if c in done["frame"].columns]
    order = first + [c for c in done["frame"].columns if c not in first]
    st.dataframe(done["frame"].head(200), hide_index=True, column_order=order)
    st.caption(TEXT["caption"])
    if done["threshold"]:
        st.caption(escape_markdown(done["threshold"]))
    stem = done["name"].rsplit(".", 1)[0]
    st.download_button(
        TEXT["download"],
        data=done["csv"],
        file_name=f"{stem}_predictions.csv",
        mime="text/csv",
        key="download_predictions",
        type="primary",
        icon=":material/download:",
        on_click="ignore",
    )


def main() -> None:
    st.title(TEXT["title"])
    st.write(TEXT["intro"])
    model = choose_model()
    if model is None:
        return
    # Tabs that track which one is open run only the open one's code: the what-if tab loads
    # the model (and TensorFlow) as it opens, the file tab only when asked to predict.
    file_tab, row_tab = st.tabs(
        [TEXT["file_tab"], WHATIF_TEXT["tab"]], key="predict_tab", on_change="rerun"
    )
    if file_tab.open:
        with file_tab:
            predict_a_file(model)
    if row_tab.open:
        with row_tab:
            show_what_if(loaded_model(*model), model_key(*model))


def predict_a_file(model: tuple[str, bytes | None]) -> None:
    """Upload rows, predict them, preview and download."""
    mb = st.get_option("server.maxUploadSize")
    upload = st.file_uploader(
        TEXT["upload"],
        type=UPLOAD_TYPES,
        key="predict_upload",
        help=TEXT["upload_help"].format(mb=mb),
    )
    if upload is None:
        return
    if st.button(TEXT["run"], key="predict_run", type="primary", icon=":material/play_arrow:"):
        predict(*model, upload)
    show_predictions(*model, upload)


try:
    main()
except TrainboardError as error:
    show_error(error)
