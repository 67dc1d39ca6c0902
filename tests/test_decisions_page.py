"""Decisions on the Evaluate page, and the chosen threshold on the Export and Predict pages.

Driven with AppTest, training replaced at its boundary (the fake runner of test_pages);
the run results carry a real decision curve built from constructed labels and
probabilities, so every number the page shows is checked against the curve itself.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_pages import (  # noqa: F401 - runner is a fixture
    _fake_bundle,
    chart_title,
    charts,
    classification_result,
    finished_run,
    go,
    no_exception,
    open_app,
    regression_result,
    runner,
)

from core.evaluation.decision_text import best_sentence, outcome_sentences
from core.evaluation.decisions import DecisionCurve
from core.evaluation.error_ranges import error_by_range
from core.evaluation.formatting import format_number
from core.jobs.runner import MODEL_CARD_FILE
from ui.text import escape_markdown

LABELS = ["No", "Yes"]


def scores(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    p = np.clip(0.25 + 0.35 * y + rng.normal(0, 0.18, n), 0.0, 1.0)
    return y, p


@pytest.fixture
def curve() -> DecisionCurve:
    return DecisionCurve.from_scores(*scores())


@pytest.fixture
def yes_no_run(runner, tmp_path, curve) -> str:  # noqa: F811 - the fixture above
    result = classification_result()
    result.evaluation["decisions"] = curve.to_dict()
    job_id = finished_run(runner, result, tmp_path)
    card = runner.artifacts[(job_id, MODEL_CARD_FILE)]
    card.write_text(
        "# Model card\n\nPredicts churn.\n\n## The yes/no decision\n\nOld words.\n\n"
        "## How good it is\n\nGood.\n",
        encoding="utf-8",
    )
    return job_id


def shown_rates(app) -> list[str]:
    return [str(metric.value) for metric in app.metric]


def expected_rates(curve: DecisionCurve, threshold: float) -> list[str]:
    outcome = curve.at(threshold)
    return [
        format_number(value, "percent")
        for value in (outcome.precision, outcome.recall, outcome.flagged_share)
    ]


def texts(app) -> str:
    return "\n".join(str(e.value) for kind in (app.markdown, app.success, app.info) for e in kind)


def heatmap(app) -> list[list[int]]:
    (spec,) = [s for s in charts(app) if s["data"][0]["type"] == "heatmap"]
    return spec["data"][0]["z"]


def test_the_slider_changes_the_matrix_rates_and_sentences(yes_no_run, curve):
    app = go(open_app({"job": yes_no_run}), "evaluate")
    no_exception(app)
    slider = app.slider(key="decision_threshold")
    assert slider.value == pytest.approx(0.5)
    assert shown_rates(app) == expected_rates(curve, 0.5)
    assert heatmap(app) == curve.at(0.5).confusion_matrix
    slider.set_value(0.3).run()
    no_exception(app)
    assert shown_rates(app) == expected_rates(curve, 0.3)
    assert shown_rates(app) != expected_rates(curve, 0.5)
    assert heatmap(app) == curve.at(0.3).confusion_matrix
    for sentence in outcome_sentences(curve.at(0.3), "churn", LABELS):
        assert escape_markdown(sentence) in texts(app)
    assert "Of every 100 rows flagged as churn “Yes”" in texts(app).replace("\\", "")
    assert app.session_state["chosen_threshold"] == (yes_no_run, pytest.approx(0.3))
    titles = [chart_title(spec) for spec in charts(app)]
    assert any(title.startswith("Cumulative gains") for title in titles)


def test_amounts_find_the_best_threshold_and_a_click_uses_it(yes_no_run, curve):
    app = go(open_app({"job": yes_no_run}), "evaluate")
    assert not _has(app, "use_best_threshold")  # nothing to use before the amounts are given
    app.number_input(key="value_of_catch").set_value(300.0).run()
    app.number_input(key="cost_of_false_alarm").set_value(40.0).run()
    no_exception(app)
    best = curve.best_threshold(300.0, 40.0)
    assert best.pays_off and best.threshold != 0.5
    assert escape_markdown(best_sentence(best, 300.0, 40.0)) in [str(s.value) for s in app.success]
    (profit,) = [s for s in charts(app) if chart_title(s).startswith("Expected value")]
    assert max(profit["data"][0]["y"]) == pytest.approx(best.per_rows)
    app.button(key="use_best_threshold").click().run()
    no_exception(app)
    assert app.slider(key="decision_threshold").value == pytest.approx(best.threshold)
    assert shown_rates(app) == expected_rates(curve, best.threshold)
    # Dearer false alarms move the best threshold up.
    app.number_input(key="cost_of_false_alarm").set_value(400.0).run()
    assert curve.best_threshold(300.0, 400.0).threshold > best.threshold
    assert escape_markdown(best_sentence(curve.best_threshold(300.0, 400.0), 300.0, 400.0)) in [
        str(s.value) for s in app.success
    ]


def _has(app, key: str) -> bool:
    return any(getattr(button, "key", None) == key for button in app.button)


def test_the_noun_names_the_rows_in_the_sentences(yes_no_run, curve):
    app = go(open_app({"job": yes_no_run}), "evaluate")
    app.text_input(key="decision_noun").input("customers").run()
    no_exception(app)
    assert "Of every 100 customers flagged as churn “Yes”" in texts(app).replace("\\", "")


def test_the_chosen_threshold_reaches_export_and_the_card_is_rendered(yes_no_run, curve):
    app = go(open_app({"job": yes_no_run}), "evaluate")
    app.slider(key="decision_threshold").set_value(0.35).run()
    go(app, "export")
    no_exception(app)
    assert any("**0.35**" in str(i.value) and "you chose" in str(i.value) for i in app.info)
    card = [str(m.value) for m in app.markdown if str(m.value).startswith("# Model card")]
    assert card, "the card is shown as rendered markdown"
    assert "at least **0.35**" in card[0] and "Old words." not in card[0]
    assert "## How good it is" in card[0]
    assert not [c for c in app.code if "# Model card" in c.value]
    # Back on Evaluate, the slider still holds the choice.
    go(app, "evaluate")
    assert app.slider(key="decision_threshold").value == pytest.approx(0.35)


def test_export_with_the_usual_threshold_says_so(yes_no_run):
    app = go(open_app({"job": yes_no_run}), "export")
    no_exception(app)
    assert any("**0.50**" in str(i.value) and "usual" in str(i.value) for i in app.info)


def test_predict_page_predicts_the_run_with_the_chosen_threshold(yes_no_run, monkeypatch):
    # The fake network gives every row a probability of 0.8 for "Yes".
    monkeypatch.setattr("core.bundle.writer.load_bundle", lambda source: _fake_bundle())
    app = go(open_app({"job": yes_no_run}), "evaluate")
    rows = b"age,plan\n31,pro\n45,basic\n"
    for threshold, answer in ((0.85, "No"), (0.5, "Yes")):
        go(app, "evaluate").slider(key="decision_threshold").set_value(threshold).run()
        go(app, "predict")
        app.file_uploader(key="predict_upload").upload("new.csv", rows, "text/csv").run()
        app.button(key="predict_run").click().run()
        no_exception(app)
        assert app.dataframe[0].value["prediction"].tolist() == [answer, answer]
        captions = [str(c.value).replace("\\", "") for c in app.caption]
        assert any(f"at least {threshold:.2f}" in caption for caption in captions)


def test_regression_shows_the_error_in_units_and_by_range(runner, tmp_path):  # noqa: F811
    result = regression_result()
    plots = result.evaluation["plots"]
    result.evaluation["error_by_range"] = error_by_range(plots["actual"], plots["predicted"])
    app = go(open_app({"job": finished_run(runner, result, tmp_path)}), "evaluate")
    no_exception(app)
    mae = format_number(result.metrics["mae"])
    assert any(escape_markdown(mae) in str(m.value) or mae in str(m.value) for m in app.markdown)
    (spec,) = [s for s in charts(app) if chart_title(s).startswith("Typical error by range")]
    assert [round(v, 6) for v in spec["data"][0]["y"]] == [
        round(r["mae"], 6) for r in result.evaluation["error_by_range"]
    ]
    table = app.table[0].value
    for cell in table["Your network"]:
        assert not cell.startswith("-0.000")
    assert not app.slider  # no threshold for numbers
