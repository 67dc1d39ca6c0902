"""The Learn page with AppTest: it opens, shows the core's numbers and reacts to widgets."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.glossary import GLOSSARY, Term, get_entry
from core.model.tiny_network import DEFAULT_WEIGHTS, TinyWeights, gradient_step

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the app's ui/ package sits beside app.py
from ui.tiny_network_view import TEXT as VIEW_TEXT  # noqa: E402

APP = ROOT / "app.py"
TIMEOUT = 60  # seconds per script run, on a busy 2-core machine
KEY = "learn"


def open_learn(query: dict | None = None) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.query_params.update(query or {})
    app.run()
    return app.switch_page("app_pages/learn.py").run()


def no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def shown_table(app: AppTest) -> dict[str, np.ndarray]:
    frame = app.dataframe[0].value
    return {
        column: frame[VIEW_TEXT[column]].to_numpy(dtype=float)
        for column in ("before", "gradient", "after")
    }


def shown_metrics(app: AppTest) -> dict[str, float]:
    labels = {VIEW_TEXT[k]: k for k in ("prediction", "loss_before", "loss_after")}
    return {labels[m.label]: float(m.value) for m in app.metric if m.label in labels}


def latex(app: AppTest) -> str:
    return "\n".join(str(element.value) for element in app.latex)


def expected_step(app: AppTest, weights: TinyWeights = DEFAULT_WEIGHTS):
    """What the core computes for the widget values the page shows now."""
    return gradient_step(
        [app.number_input(key=f"{KEY}_x1").value, app.number_input(key=f"{KEY}_x2").value],
        app.slider(key=f"{KEY}_target").value,
        weights,
        app.select_slider(key=f"{KEY}_rate").value,
        app.selectbox(key=f"{KEY}_activation").value,
        app.selectbox(key=f"{KEY}_loss").value,
    )


def assert_shows(app: AppTest, step) -> None:
    table = shown_table(app)
    np.testing.assert_allclose(table["before"], step.weights.to_vector())
    np.testing.assert_allclose(table["gradient"], step.gradients.as_weights().to_vector())
    np.testing.assert_allclose(table["after"], step.updated.to_vector())
    metrics = shown_metrics(app)
    assert metrics["prediction"] == pytest.approx(step.forward.prediction, abs=5e-5)
    assert metrics["loss_before"] == pytest.approx(step.forward.loss, abs=5e-5)
    assert metrics["loss_after"] == pytest.approx(step.loss_after, abs=5e-5)
    formulas = latex(app)
    for number in (
        *step.forward.hidden_sums,
        *step.forward.hidden_outputs,
        step.forward.output_sum,
        step.forward.loss,
        *step.gradients.hidden_weights.ravel(),
        *step.gradients.output_weights,
        step.updated.output_weights[0],
    ):
        assert f"{number:.4f}" in formulas, number


def test_page_opens_and_shows_the_cores_numbers():
    app = open_learn()
    no_exception(app)
    assert app.title[0].value == "Learn"
    assert_shows(app, expected_step(app))
    assert len(app.get("plotly_chart")) >= 1 + sum(
        1 for entry in GLOSSARY.values() if entry.illustration is not None
    )


@pytest.mark.parametrize(
    ("key", "kind", "value"),
    [
        ("x1", "number_input", -1.5),
        ("x2", "number_input", 2.0),
        ("target", "slider", 0.0),
        ("rate", "select_slider", 3.0),
        ("activation", "selectbox", "relu"),
        ("loss", "selectbox", "squared_error"),
    ],
)
def test_changing_a_widget_changes_the_numbers(key, kind, value):
    app = open_learn()
    before = shown_table(app)
    getattr(app, kind)(key=f"{KEY}_{key}").set_value(value).run()
    no_exception(app)
    after = shown_table(app)
    assert not np.allclose(before["after"], after["after"])
    assert_shows(app, expected_step(app))


def test_taking_the_step_carries_on_from_the_new_weights_and_start_again_resets():
    app = open_learn()
    first = expected_step(app)
    app.button(key=f"{KEY}_apply").click().run()
    no_exception(app)
    second = expected_step(app, first.updated)
    assert_shows(app, second)
    assert second.forward.loss == pytest.approx(first.loss_after)
    assert any("Steps taken so far: 1" in str(c.value) for c in app.caption)
    history = json.loads(app.get("plotly_chart")[1].proto.spec)  # right after the diagram
    np.testing.assert_allclose(history["data"][0]["y"], [first.forward.loss, first.loss_after])
    app.button(key=f"{KEY}_reset").click().run()
    assert_shows(app, expected_step(app))


def test_a_too_high_learning_rate_is_called_out():
    app = open_learn()
    app.slider(key=f"{KEY}_target").set_value(0.5).run()
    app.select_slider(key=f"{KEY}_rate").set_value(30.0).run()
    no_exception(app)
    step = expected_step(app)
    assert step.loss_after > step.forward.loss  # the premise: this rate overshoots here
    assert any("overshoots" in str(w.value) for w in app.warning)


def test_glossary_lists_every_entry_and_search_narrows_it():
    app = open_learn()
    titles = {e.label for e in app.expander}
    assert {entry.title for entry in GLOSSARY.values()} <= titles
    app.text_input(key=f"{KEY}_glossary_search").input("dropout").run()
    no_exception(app)
    shown = {e.label for e in app.expander}
    assert get_entry(Term.DROPOUT).title in shown
    assert get_entry(Term.ROC_AUC).title not in shown
    app.text_input(key=f"{KEY}_glossary_search").input("recall").run()
    opened = [e.label for e in app.expander if e.proto.expanded]
    assert opened == [get_entry(Term.PRECISION_RECALL).title]  # named by the search: open
    app.text_input(key=f"{KEY}_glossary_search").input("*zebra*").run()
    assert any("zebra" in str(w.value) for w in app.warning)
    assert not app.expander


def test_a_term_in_the_url_opens_the_glossary_on_that_entry():
    app = open_learn({"term": Term.LEARNING_RATE.value})
    no_exception(app)
    # Streamlit's AppTest does not report which tab or expander is open, so check the request
    # reached the page: the entry's expander is the one drawn expanded.
    opened = [e for e in app.expander if e.proto.expanded]
    assert [e.label for e in opened] == [get_entry(Term.LEARNING_RATE).title]


def test_pictures_are_drawn_from_the_computed_numbers():
    app = open_learn()
    specs = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    # The network diagram carries the step's prediction on its output neuron.
    step = expected_step(app)
    texts = [t for spec in specs for trace in spec["data"] for t in (trace.get("text") or [])]
    assert any(f"{step.forward.prediction:.3f}" in str(t) for t in texts)


def _setting_explained() -> None:
    """An app whose first page shows one setting's explanation, as the Design page will."""
    import streamlit as st

    from ui.glossary import LEARN_PAGE, explain_setting

    def design() -> None:
        explain_setting("training.optimizer", key="why_optimizer")
        explain_setting("seed", key="why_seed")  # no entry: draws nothing

    pages = [st.Page(design, title="Design", default=True), st.Page(LEARN_PAGE, url_path="learn")]
    st.navigation(pages).run()


def test_a_setting_is_explained_one_click_away():
    app = AppTest.from_function(_setting_explained, default_timeout=TIMEOUT).run()
    no_exception(app)
    popovers = app.get("popover")
    assert len(popovers) == 1
    assert not app.subheader  # closed: the entry is not drawn (nor paid for) yet
    app.session_state["why_optimizer"] = True  # what a click on "What is this?" does
    app.run()
    no_exception(app)
    entry = get_entry(Term.OPTIMIZER)
    assert entry.title in [s.value for s in app.subheader]
    assert any(entry.formula in str(element.value) for element in app.latex)
    assert len(app.get("plotly_chart")) == 1  # the optimizer paths picture
    # Related entries and the entry itself are links to the Learn page, opened on that entry.
    links = {link.proto.page: link.proto.query_string for link in app.get("page_link")}
    assert any(query == f"term={Term.OPTIMIZER.value}" for query in links.values()), links
