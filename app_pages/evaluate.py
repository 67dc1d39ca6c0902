"""Step 4: is the model any good? Test scores next to simple baselines, charts, a verdict."""

import streamlit as st

from core.errors import TrainboardError
from core.i18n import Texts
from core.model.diagnosis_rules import HEALTHY, NO_BETTER_THAN_BASELINE
from core.model.tasks import task_spec
from core.results import RunResult
from ui.charts import (
    confusion_matrix_figure,
    curve_figure,
    importance_figure,
    predicted_vs_actual_figure,
    residual_figure,
)
from ui.decisions import decision_panel, error_by_range_section
from ui.doctor import show_diagnoses
from ui.honest import format_score, scores_table, show_suspicious_score, show_uncertainty
from ui.jobs import finished_result, is_active, job_status
from ui.state import current_job_id
from ui.text import escape_markdown, show_error

TEXT = Texts("pages.evaluate")


def classification_charts(result: RunResult) -> None:
    """Confusion matrix, ROC and precision-recall curves."""
    metrics = result.metrics
    labels = metrics.get("class_labels") or result.class_labels
    # A yes/no model's matrix is drawn by the decision panel, at the chosen threshold.
    if metrics.get("confusion_matrix") and not result.evaluation.get("decisions"):
        st.plotly_chart(
            confusion_matrix_figure(labels, metrics["confusion_matrix"], TEXT["confusion"]),
            key="chart_confusion",
        )
        st.caption(TEXT["confusion_caption"])
    curves = result.evaluation.get("curves") or {}
    roc = [
        {
            "name": TEXT["auc"].format(
                label=c["label"], value=format_score(c.get("auc"), "roc_auc")
            ),
            "x": c["fpr"],
            "y": c["tpr"],
        }
        for c in curves.get("roc", [])
    ]
    pr = [
        {
            "name": TEXT["auc"].format(
                label=c["label"],
                value=format_score(c.get("average_precision"), "average_precision"),
            ),
            "x": c["recall"],
            "y": c["precision"],
        }
        for c in curves.get("pr", [])
    ]
    left, right = st.columns(2)
    if roc:
        left.plotly_chart(curve_figure(roc, "roc", TEXT["roc"]), key="chart_roc")
    if pr:
        right.plotly_chart(curve_figure(pr, "pr", TEXT["pr"]), key="chart_pr")


def regression_charts(result: RunResult) -> None:
    """Predicted-vs-actual scatter and residual plot."""
    plots = result.evaluation.get("plots") or {}
    if not plots.get("actual"):
        return
    left, right = st.columns(2)
    with left:
        st.plotly_chart(
            predicted_vs_actual_figure(plots["actual"], plots["predicted"], TEXT["scatter"]),
            key="chart_scatter",
        )
        st.caption(TEXT["scatter_caption"])
    with right:
        st.plotly_chart(
            residual_figure(plots["predicted"], plots["residual"], TEXT["residuals"]),
            key="chart_residuals",
        )
        st.caption(TEXT["residuals_caption"])


def main() -> None:
    st.title(TEXT["title"])
    found = finished_result(current_job_id())
    if found is None:
        if is_active(job_status(current_job_id())):
            st.info(TEXT["still_training"], icon=":material/hourglass_top:")
            st.page_link("app_pages/train.py", label=TEXT["watch"], icon=":material/monitoring:")
            return
        st.info(TEXT["no_run"])
        st.page_link("app_pages/train.py", label=TEXT["to_train"], icon=":material/arrow_back:")
        return
    _, result = found
    st.subheader(TEXT["verdict"])
    st.info(escape_markdown(result.verdict_text), icon=":material/lightbulb:")
    show_diagnoses(result.diagnosis, "evaluate_doctor", codes=[NO_BETTER_THAN_BASELINE])
    if not result.has_model:
        st.warning(TEXT["no_model"])
        st.page_link("app_pages/train.py", label=TEXT["to_train"], icon=":material/arrow_back:")
        return
    st.caption(TEXT["intro"].format(n_test=result.data.n_test if result.data else 0))
    st.subheader(TEXT["scores"])
    # A static table wraps the long "What it means" sentences instead of cutting them off.
    # (Its cells are markdown: every text in it is the app's own, none comes from the file.)
    st.table(scores_table(result), hide_index=True, border="horizontal")
    show_uncertainty(result)
    show_suspicious_score(result, train_page="app_pages/train.py")
    if result.best_epoch:
        st.caption(TEXT["training"].format(epochs=result.epochs_run, best=result.best_epoch))
    spec = task_spec(result.task)
    if spec.predicts_class:
        classification_charts(result)
        if spec.yes_no:
            decision_panel(result, current_job_id())
    else:
        error_by_range_section(result)
        regression_charts(result)
    if result.feature_importance:
        st.subheader(TEXT["importance"])
        st.plotly_chart(importance_figure(result.feature_importance, ""), key="chart_importance")
        st.caption(TEXT["importance_caption"])
    show_diagnoses(
        result.diagnosis,
        "evaluate_curves",
        exclude=[HEALTHY, NO_BETTER_THAN_BASELINE],
        title=TEXT["doctor"],
    )
    if result.warnings:
        with st.expander(TEXT["notes"]):
            for note in result.warning_texts:
                st.warning(escape_markdown(note))
    st.page_link("app_pages/export.py", label=TEXT["next"], icon=":material/arrow_forward:")


try:
    main()
except TrainboardError as error:
    show_error(error)
