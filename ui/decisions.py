"""The Evaluate page's decision panel (yes/no models) and error-by-range section (numbers).

The threshold a person chooses here is remembered per run in ``st.session_state`` under
``chosen_threshold`` (``(job_id, threshold)``): the Export page writes the bundle with it
and the Predict page predicts the run's model with it. The slider's own key
(``decision_threshold``) is dropped by Streamlit whenever another page is shown, so it is
set again from the remembered value when the Evaluate page comes back.

Keys: ``decision_threshold`` (slider), ``decision_noun`` (what a row is),
``value_of_catch``, ``cost_of_false_alarm`` (number inputs), ``use_best_threshold`` (button).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.evaluation.decision_text import best_sentence, outcome_sentences
from core.evaluation.decisions import PER_ROWS, DecisionCurve
from core.evaluation.formatting import format_number
from core.i18n import Texts
from core.model.tasks import task_spec
from core.portable.decision import DEFAULT_THRESHOLD, HIGHEST_THRESHOLD, LOWEST_THRESHOLD
from core.results import RunResult
from ui.charts import confusion_matrix_figure
from ui.decision_charts import error_by_range_figure, gains_figure, profit_figure
from ui.text import escape_markdown

CHOSEN = "chosen_threshold"
SLIDER = "decision_threshold"

TEXT = Texts("ui.decisions")


def chosen_threshold(job_id: str | None) -> float:
    """The threshold chosen on the Evaluate page for this run (0.5 until one is chosen)."""
    remembered = st.session_state.get(CHOSEN)
    if remembered and remembered[0] == job_id:
        return float(remembered[1])
    return DEFAULT_THRESHOLD


def _use_threshold(job_id: str | None, threshold: float) -> None:
    # A callback: it runs before the slider exists in the next run, so it may set its value.
    st.session_state[SLIDER] = threshold
    st.session_state[CHOSEN] = (job_id, threshold)


def decision_panel(result: RunResult, job_id: str | None) -> None:
    """Threshold slider, live confusion matrix and sentences, value finder, gains chart."""
    data = result.evaluation.get("decisions")
    if not data:
        return
    curve = DecisionCurve.from_dict(data)
    labels = [str(label) for label in result.class_labels]
    target = str(result.target)
    positive = f"“{escape_markdown(labels[1])}”"
    st.subheader(TEXT["heading"])
    st.write(TEXT["intro"].format(positive=positive))
    remembered = st.session_state.get(CHOSEN)
    if SLIDER not in st.session_state or not remembered or remembered[0] != job_id:
        st.session_state[SLIDER] = chosen_threshold(job_id)
    threshold = st.slider(
        TEXT["slider"].format(positive=positive),
        min_value=LOWEST_THRESHOLD,
        max_value=HIGHEST_THRESHOLD,
        step=0.01,
        format="%.2f",
        key=SLIDER,
        help=TEXT["slider_help"],
    )
    st.session_state[CHOSEN] = (job_id, threshold)
    outcome = curve.at(threshold)
    noun = _outcome_view(outcome, labels, target, threshold)
    _value_finder(curve, job_id, threshold, noun)
    st.subheader(TEXT["gains"])
    st.plotly_chart(
        gains_figure(
            curve.gains_rows, curve.gains_caught, labels[1], outcome.flagged_share, outcome.recall
        ),
        key="chart_gains",
    )
    st.caption(TEXT["gains_caption"].format(positive=positive))


def _outcome_view(outcome: Any, labels: list[str], target: str, threshold: float) -> str:
    """The confusion matrix, three rates and the sentences; returns the rows' noun."""
    left, right = st.columns([3, 2])
    left.plotly_chart(
        confusion_matrix_figure(
            labels,
            outcome.confusion_matrix,
            TEXT["confusion"].format(threshold=f"{threshold:.2f}"),
        ),
        key="chart_decision_confusion",
    )
    right.metric(TEXT["precision"], format_number(outcome.precision, "percent"))
    right.metric(TEXT["recall"], format_number(outcome.recall, "percent"))
    right.metric(TEXT["flagged"], format_number(outcome.flagged_share, "percent"))
    noun = (st.session_state.get("decision_noun") or "").strip() or "rows"
    sentences = outcome_sentences(outcome, target, labels, noun)
    st.markdown("\n".join(f"- {escape_markdown(sentence)}" for sentence in sentences))
    st.caption(TEXT["table_note"])
    return noun


def _value_finder(curve: DecisionCurve, job_id: str | None, threshold: float, noun: str) -> None:
    """Optional amounts → the best threshold, a profit curve and a button to use it."""
    with st.expander(TEXT["money"], expanded=bool(st.session_state.get("value_of_catch"))):
        st.caption(TEXT["money_intro"])
        first, second, third = st.columns(3)
        first.text_input(
            TEXT["noun"], key="decision_noun", placeholder=TEXT["noun_placeholder"], max_chars=40
        )
        value = second.number_input(
            TEXT["value"], min_value=0.0, value=None, step=10.0, key="value_of_catch"
        )
        cost = third.number_input(
            TEXT["cost"], min_value=0.0, value=None, step=10.0, key="cost_of_false_alarm"
        )
        if value is None or cost is None:
            return
        best = curve.best_threshold(value, cost)
        say = st.success if best.pays_off else st.warning
        say(escape_markdown(best_sentence(best, value, cost, noun)))
        profit = curve.profit_curve(value, cost)
        st.plotly_chart(
            profit_figure(
                profit["threshold"], profit["per_rows"], best.threshold, threshold, PER_ROWS
            ),
            key="chart_profit",
        )
        if best.pays_off and abs(best.threshold - threshold) > 1e-9:
            st.button(
                TEXT["use"].format(threshold=f"{best.threshold:.2f}"),
                key="use_best_threshold",
                on_click=_use_threshold,
                args=(job_id, best.threshold),
                type="primary",
            )


def export_threshold(result: RunResult, job_id: str | None) -> float | None:
    """The Export page: a yes/no model's threshold in a sentence, with a link to change it.

    Returns the threshold to write into the bundle when it differs from the usual one
    (None: the bundle written at the end of training is the right one).
    """
    if not task_spec(result.task).yes_no:
        return None
    threshold = chosen_threshold(job_id)
    chosen = abs(threshold - DEFAULT_THRESHOLD) > 1e-9
    st.info(
        TEXT["export"].format(
            positive=escape_markdown(f"“{result.class_labels[1]}”"),
            threshold=f"{threshold:.2f}",
            chosen=TEXT["export_chosen" if chosen else "export_usual"],
        ),
        icon=":material/tune:",
    )
    st.page_link("app_pages/evaluate.py", label=TEXT["change"], icon=":material/tune:")
    return threshold if chosen else None


def error_by_range_section(result: RunResult) -> None:
    """Number predictions: the error in the target's units, overall and by range."""
    ranges = result.evaluation.get("error_by_range")
    metrics = result.metrics
    target = str(result.target)
    st.subheader(TEXT["range_heading"])
    st.write(
        TEXT["range_sentence"].format(
            target=escape_markdown(target),
            mae=format_number(metrics.get("mae")),
            median=format_number(metrics.get("median_absolute_error")),
        )
    )
    if not ranges:
        return
    if len(ranges) > 1:
        worst = max(ranges, key=lambda r: r["mae"])
        st.write(
            TEXT["range_worst"].format(
                low=format_number(worst["low"]),
                high=format_number(worst["high"]),
                mae=format_number(worst["mae"]),
            )
        )
    st.plotly_chart(error_by_range_figure(ranges, target), key="chart_error_by_range")
    st.caption(TEXT["range_caption"].format(target=escape_markdown(target)))
