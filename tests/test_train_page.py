"""The Train page tells the truth at every moment: phases, Stop, the runs table, the doctor.

AppTest runs of the real app with the fake job runner of ``test_pages`` (no TensorFlow).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers import jid
from test_pages import (
    FakeRunner,
    classification_result,
    go,
    job_status,
    markdown_texts,
    markdown_texts_of,
    no_exception,
    open_app,
)

import core.jobs.runner
from core.model.diagnosis import diagnose
from core.model.recipe import Recipe
from core.results import EpochReport


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    """The fake job runner of test_pages, answering for every page."""
    fake = FakeRunner()
    monkeypatch.setattr(core.jobs.runner, "get_runner", lambda: fake)
    return fake


def widget_path(app, key: str) -> list[tuple[int, ...]]:
    """Where each widget with ``key`` sits in the page (its index path), in page order."""
    found: list[tuple[int, ...]] = []

    def walk(node, path: tuple[int, ...]) -> None:
        if getattr(node, "key", None) == key and getattr(node, "type", "") == "button":
            found.append(path)
        for index, child in getattr(node, "children", {}).items():
            walk(child, (*path, index))

    walk(app.main, ())
    return found


def stop_buttons(app) -> list:
    return [button for button in app.button if button.label == "Stop training"]


def overfitting_history(n: int = 16) -> list[EpochReport]:
    """Training error falls throughout; validation error bottoms out at pass 5, then climbs."""
    return [
        EpochReport(
            epoch=i,
            loss=1.0 / i,
            val_loss=0.6 - 0.05 * i if i <= 5 else 0.35 + 0.04 * (i - 5),
            metric=0.6 + i / 50,
            val_metric=0.7,
            metric_name="accuracy",
            seconds=0.5,
            learning_rate=0.001,
        )
        for i in range(1, n + 1)
    ]


def test_after_the_last_epoch_the_page_says_the_step_and_hides_stop(runner):
    status = job_status(jid("tail"), "running", epoch=4)
    runner.statuses[jid("tail")] = replace(status, step="packaging", step_done=2, step_total=4)
    app = go(open_app({"job": jid("tail")}), "train")
    no_exception(app)
    bar = app.get("progress")[0].proto
    assert bar.text == "Step 3 of 3 after training: Packaging the model for export (part 2 of 4)"
    assert 0.66 < bar.value / 100 < 1.0  # two steps done and a quarter of the third
    assert "Epoch" not in bar.text and "Time left" not in [m.label for m in app.metric]
    texts = markdown_texts(app)
    assert any("Training is over after 4 epochs" in text for text in texts)
    assert any("nothing left to stop" in text for text in texts)
    assert not stop_buttons(app)
    assert "**Training run:** packaging the model" in markdown_texts_of(app.sidebar)
    assert list(app.dataframe[0].value["State"]) == ["packaging"]


def test_the_testing_step_says_so_in_plain_words(runner):
    runner.statuses[jid("t")] = replace(job_status(jid("t"), "running", epoch=3), step="testing")
    app = go(open_app({"job": jid("t")}), "train")
    no_exception(app)
    assert "Testing the model on the held-out rows" in app.get("progress")[0].proto.text
    assert not stop_buttons(app)


def test_starting_says_the_wait_is_normal(runner):
    runner.statuses[jid("s")] = job_status(jid("s"), "running", epoch=0)
    app = go(open_app({"job": jid("s")}), "train")
    no_exception(app)
    assert any("takes up to half a minute the first time" in t for t in markdown_texts(app))


def test_one_stop_button_that_keeps_its_place_when_the_first_epoch_arrives(runner):
    """The ghost second Stop came from elements moving when the charts appeared."""
    runner.statuses[jid("g")] = job_status(jid("g"), "running", epoch=0)
    app = go(open_app({"job": jid("g")}), "train")
    before = widget_path(app, "train_stop")
    runner.statuses[jid("g")] = job_status(jid("g"), "running", epoch=1)
    app.run()
    no_exception(app)
    assert len(stop_buttons(app)) == 1 and len(before) == 1
    assert widget_path(app, "train_stop") == before
    assert len(app.get("plotly_chart")) == 2


def test_stopping_keeps_the_charts(runner):
    runner.statuses[jid("x")] = job_status(jid("x"), "running", epoch=3)
    app = go(open_app({"job": jid("x")}), "train")
    app.button(key="train_stop").click().run()
    assert runner.stopped == [jid("x")]
    runner.statuses[jid("x")] = job_status(jid("x"), "running", epoch=3, stop_requested=True)
    app.run()
    no_exception(app)
    assert len(app.get("plotly_chart")) == 2
    assert any("Stopping" in text for text in markdown_texts(app))


def test_charts_mark_the_kept_epoch(runner):
    runner.statuses[jid("k")] = replace(
        job_status(jid("k"), "running", epoch=0), history=overfitting_history(9), epoch=9
    )
    app = go(open_app({"job": jid("k")}), "train")
    no_exception(app)
    for chart in app.get("plotly_chart"):
        shapes = __import__("json").loads(chart.proto.spec)["layout"]["shapes"]
        assert [shape["x0"] for shape in shapes] == [5]  # the lowest validation error


def test_a_diverged_run_is_listed_as_diverged_with_a_one_click_fix(runner):
    recipe = Recipe()
    found = diagnose([], recipe, stopped_because="diverged")
    result = replace(
        classification_result(),
        stopped_because="diverged",
        epochs_run=0,
        best_epoch=None,
        metrics={},
        history=[],
        message="Training went wrong in pass 1: the error grew out of control instead of "
        "shrinking.",
        diagnosis=[d.to_dict() for d in found],
    )
    runner.statuses[jid("d")] = replace(job_status(jid("d"), "finished", result=result), history=[])
    app = go(open_app({"job": jid("d")}), "train")
    no_exception(app)
    assert list(app.dataframe[0].value["State"]) == ["diverged"]
    assert not any("e+0" in text for text in markdown_texts(app))
    fix = [b for b in app.button if b.key and b.key.startswith("doctor_fix_")]
    assert len(fix) == 1 and "learning rate" in fix[0].label.lower()
    old = app.session_state["recipe"].training.effective_learning_rate
    fix[0].click().run()
    no_exception(app)
    assert app.session_state["recipe"].training.learning_rate == old / 10
    assert any("start a new run to try it" in text for text in markdown_texts(app))


def test_the_live_doctor_offers_fixes_that_change_the_recipe(runner):
    history = overfitting_history()
    assert "overfitting" in [d.code for d in diagnose([r.to_dict() for r in history], Recipe())]
    runner.statuses[jid("o")] = replace(
        job_status(jid("o"), "running", epoch=0), history=history, epoch=len(history)
    )
    app = go(open_app({"job": jid("o")}), "train")
    no_exception(app)
    assert any("What the curves say" in str(h.value) for h in app.subheader)
    fixes = [b for b in app.button if b.key and b.key.startswith("doctor_fix_")]
    assert fixes and len({b.key for b in fixes}) == len(fixes)
    before = app.session_state["recipe"]
    fixes[0].click().run()
    no_exception(app)
    assert app.session_state["recipe"] != before
    assert any("start a new run to try it" in text for text in markdown_texts(app))


def test_evaluate_during_training_points_to_the_train_page(runner):
    runner.statuses[jid("r")] = job_status(jid("r"), "running", epoch=2)
    app = go(open_app({"job": jid("r")}), "evaluate")
    no_exception(app)
    texts = markdown_texts(app)
    assert any("Training is still running" in text for text in texts)
    assert not any("no finished training run" in text for text in texts)
    assert any("train" in link.proto.page for link in app.get("page_link"))
