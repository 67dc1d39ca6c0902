"""The Runs page: every job is a named run (core.jobs.catalog, the runner's run files) and the
page that lists, opens, renames, deletes, downloads and clones runs.

Core tests use real job folders, written as a finished job leaves them (no training: a job
that must look queued holds its lock from this process, so its process never loads
TensorFlow). Page tests drive the app with AppTest and the fake runner of ``test_pages``,
which applies the real rules of ``core.jobs.catalog``; one page test uses the real runner
over real job folders, from the table to deleting a run.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import types
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import churn_csv_bytes, jid, tiny_recipe
from test_pages import (
    FakeRunner,
    charts,
    classification_result,
    go,
    job_status,
    no_exception,
    open_app,
    regression_result,
)

import core.jobs.runner
from core.bundle.layout import REPORT_HTML, bundle_file_name
from core.errors import TrainingError
from core.files import write_json_atomic
from core.jobs.catalog import (
    META_FILE,
    NAME_MAX_CHARS,
    RunMeta,
    clean_run_name,
    default_run_name,
    headline,
    new_run_meta,
    read_meta,
    recipe_summary,
    run_row,
    write_meta,
)
from core.jobs.runner import LocalJobRunner
from core.model.recipe import LayerConfig, Recipe
from core.report import report_file_name
from core.results import RunResult
from ui.run_reports import comparison_name

DATA = churn_csv_bytes(40)
INTERVALS = {"roc_auc": [0.79, 0.9]}


def finished_result() -> RunResult:
    return replace(classification_result(), intervals=INTERVALS)


def make_finished_job(
    workspace: Path, label: str, recipe: Recipe, *, created_at: float = 1000.0
) -> str:
    """A job folder exactly as a finished job leaves it (result, curves, bundle, its inputs)."""
    job_id = jid(label)
    folder = workspace / "jobs" / job_id
    folder.mkdir(parents=True)
    result = finished_result()
    write_json_atomic(
        folder / "job.json",
        {"job_id": job_id, "data_name": "churn.csv", "created_at": created_at, "max_epochs": 5},
    )
    write_json_atomic(
        folder / "status.json",
        {
            "state": "finished",
            "epoch": 5,
            "history_length": 5,
            "started_at": created_at + 1,
            "finished_at": created_at + 31,
        },
    )
    write_json_atomic(folder / "history.json", [r.to_dict() for r in result.history])
    write_json_atomic(folder / "result.json", result.to_dict())
    (folder / "recipe.json").write_text(recipe.to_json(), encoding="utf-8")
    (folder / "data.csv").write_bytes(DATA)
    (folder / "bundle.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    (folder / "lock").touch()
    return job_id


# --- names and meta ----------------------------------------------------------------------------


def test_default_names_say_the_main_choices() -> None:
    assert default_run_name(Recipe()) == "Adam, 2 layers"
    sgd = Recipe().with_changes(
        **{"training.optimizer": "sgd", "training.learning_rate": 0.05},
        **{"model.hidden_layers": (LayerConfig(units=8, dropout=0.5),)},
    )
    assert default_run_name(sgd) == "SGD, 1 layer, learning rate 0.05, dropout 0.5"
    bare = Recipe().with_changes(**{"model.hidden_layers": ()})
    assert default_run_name(bare) == "Adam, no hidden layer"
    assert recipe_summary(Recipe()) == (
        "Adam, learning rate 0.001, layers 128-64, dropout 0.3, up to 200 epochs"
    )
    assert recipe_summary(sgd).startswith("SGD, learning rate 0.05, layers 8, dropout 0.5")
    assert recipe_summary(None) == ""


def test_run_names_are_trimmed_and_checked() -> None:
    assert clean_run_name("  Adam   with  dropout ") == "Adam with dropout"
    with pytest.raises(TrainingError, match="cannot be empty"):
        clean_run_name("   ")
    with pytest.raises(TrainingError, match=f"at most {NAME_MAX_CHARS} characters"):
        clean_run_name("x" * (NAME_MAX_CHARS + 1))


def test_meta_round_trips_and_damaged_meta_reads_as_missing(tmp_path: Path) -> None:
    meta = RunMeta(name="Try 1", data_name="churn.csv", data_sha256="ab" * 32, target="churn")
    write_meta(tmp_path, meta)
    assert read_meta(tmp_path) == meta
    assert not [p for p in tmp_path.iterdir() if p.name != META_FILE]  # no temp file left
    for damaged in ("{", "[]", '{"name": "  "}', '{"name": 3}'):
        (tmp_path / META_FILE).write_text(damaged, encoding="utf-8")
        assert read_meta(tmp_path) is None


def test_fingerprint_is_the_sha256_the_app_keeps_for_an_upload(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_bytes(DATA)
    meta = new_run_meta(data, "churn.csv", tiny_recipe())
    assert meta.data_sha256 == hashlib.sha256(DATA).hexdigest()  # ui.state's data_digest rule
    assert (meta.target, meta.data_name) == ("churn", "churn.csv")
    assert new_run_meta(tmp_path / "gone.csv", "gone.csv", None).data_sha256 is None


def test_submit_names_and_fingerprints_the_run_and_restart_keeps_the_name(workspace: Path) -> None:
    from test_jobs import hold_lock, wait_for

    runner = LocalJobRunner(workspace, max_concurrent=1)
    slot = hold_lock(workspace / "slots" / "slot-0.lock")  # the job stays queued: no TensorFlow
    try:
        recipe = tiny_recipe(**{"training.optimizer": "sgd"})
        job_id = runner.submit(DATA, "churn.csv", recipe)
        stored = json.loads((workspace / "jobs" / job_id / META_FILE).read_text())
        assert stored["name"] == "SGD, 1 layer, no dropout" == runner.meta(job_id).name
        assert stored["data_sha256"] == hashlib.sha256(DATA).hexdigest()
        assert stored["target"] == "churn"
        with pytest.raises(TrainingError, match="Stop it on the Train page first"):
            runner.delete(job_id)  # queued: its process still owns the folder
        assert (workspace / "jobs" / job_id).is_dir()
        runner.rename(job_id, "My SGD try")
        runner.stop(job_id)
        wait_for(runner, job_id, lambda s: not s.is_active, 60)
        again = runner.restart(job_id)  # the same run again keeps its name
        assert runner.meta(again) == runner.meta(job_id)
        runner.stop(again)
        wait_for(runner, again, lambda s: not s.is_active, 60)
    finally:
        os.close(slot)


# --- a run's files: meta for older jobs, rename, inputs, delete ---------------------------------


def test_a_job_without_meta_gets_its_name_and_fingerprint_once(workspace: Path) -> None:
    job_id = make_finished_job(workspace, "old", Recipe(target="churn"))
    runner = LocalJobRunner(workspace, max_concurrent=1)
    meta = runner.meta(job_id)
    assert meta == RunMeta("Adam, 2 layers", "churn.csv", hashlib.sha256(DATA).hexdigest(), "churn")
    assert read_meta(workspace / "jobs" / job_id) == meta  # stored: not computed again


def test_rename_keeps_the_rest_of_the_meta(workspace: Path) -> None:
    job_id = make_finished_job(workspace, "rename", Recipe(target="churn"))
    runner = LocalJobRunner(workspace, max_concurrent=1)
    before = runner.meta(job_id)
    assert runner.rename(job_id, "  Baseline try ") == replace(before, name="Baseline try")
    assert LocalJobRunner(workspace).meta(job_id).name == "Baseline try"
    with pytest.raises(TrainingError, match="cannot be empty"):
        runner.rename(job_id, "")
    assert runner.meta(job_id).name == "Baseline try"


def test_run_inputs_are_the_runs_own_data_and_recipe(workspace: Path) -> None:
    recipe = tiny_recipe(**{"training.learning_rate": 0.02})
    job_id = make_finished_job(workspace, "inputs", recipe)
    runner = LocalJobRunner(workspace, max_concurrent=1)
    assert runner.run_inputs(job_id) == (DATA, "churn.csv", recipe)
    assert runner.recipe(job_id) == recipe
    (workspace / "jobs" / job_id / "recipe.json").write_text("{not json", encoding="utf-8")
    assert runner.recipe(job_id) is None
    with pytest.raises(TrainingError, match="missing or damaged"):
        runner.run_inputs(job_id)


def test_delete_removes_an_ended_run_and_nothing_else(workspace: Path) -> None:
    keep = make_finished_job(workspace, "keep", Recipe(target="churn"), created_at=1000)
    gone = make_finished_job(workspace, "gone", Recipe(target="churn"), created_at=2000)
    runner = LocalJobRunner(workspace, max_concurrent=1)
    runner.delete(gone)
    assert sorted(p.name for p in (workspace / "jobs").iterdir()) == [keep]  # nothing hidden left
    assert [s.job_id for s in runner.list_jobs()] == [keep]
    with pytest.raises(TrainingError, match="no training run"):
        runner.delete(gone)


@pytest.mark.parametrize("bad_id", ["..", "../jobs", "", "20260101T000000Z-" + "g" * 32])
def test_delete_checks_the_id_before_touching_any_file(workspace: Path, bad_id: str) -> None:
    keep = make_finished_job(workspace, "keep", Recipe(target="churn"))
    with pytest.raises(TrainingError, match="no training run"):
        LocalJobRunner(workspace).delete(bad_id)
    assert (workspace / "jobs" / keep).is_dir()


def test_delete_refuses_a_link_out_of_the_workspace(workspace: Path, tmp_path: Path) -> None:
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    (workspace / "jobs").mkdir(parents=True)
    link = workspace / "jobs" / jid("link")
    link.symlink_to(outside, target_is_directory=True)
    with pytest.raises(TrainingError, match="no training run"):
        LocalJobRunner(workspace).delete(jid("link"))
    assert (outside / "keep.txt").read_text() == "mine"


# --- the table's figures -------------------------------------------------------------------------


def test_headline_has_the_primary_score_its_range_and_the_best_baseline() -> None:
    result = finished_result()
    head = headline(result)
    assert head.metric == "roc_auc" and head.value == pytest.approx(result.metrics["roc_auc"])
    assert (head.low, head.high) == (0.79, 0.9)
    best = max(result.baselines.items(), key=lambda item: item[1]["roc_auc"])
    assert (head.baseline_name, head.baseline_value) == (best[0], best[1]["roc_auc"])
    assert headline(None) is None
    assert headline(replace(result, metrics={})) is None  # no model, nothing measured


def test_for_an_error_score_the_best_baseline_is_the_lowest() -> None:
    result = replace(
        regression_result(),
        primary_metric="mae",
        baselines={"mean": {"mae": 90.0}, "linear": {"mae": 40.0}, "broken": {"mae": None}},
    )
    head = headline(result)
    assert (head.baseline_name, head.baseline_value) == ("linear", 40.0)
    assert head.low is None and head.high is None  # no intervals stored


def test_a_row_prefers_the_stored_meta_and_falls_back_to_the_recipe() -> None:
    status = job_status(jid("row"), "finished", epoch=5, result=finished_result())
    meta = RunMeta("Mine", "churn.csv", "cd" * 32, "churn")
    row = run_row(status, meta, Recipe(target="churn"))
    assert (row.name, row.data_sha256, row.target) == ("Mine", "cd" * 32, "churn")
    assert row.best_epoch == 4
    assert row.recipe == recipe_summary(Recipe(target="churn"))
    bare = run_row(job_status(jid("row2"), "failed", error="bad"), None, None)
    assert (bare.name, bare.recipe) == ("Adam, 2 layers", "")
    assert bare.headline is None and bare.best_epoch is None


# --- the page ------------------------------------------------------------------------------------


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeRunner:
    fake = FakeRunner()
    monkeypatch.setattr(core.jobs.runner, "get_runner", lambda: fake)
    return fake


def add_run(runner: FakeRunner, tmp_path: Path, label: str, recipe: Recipe, **status) -> str:
    job_id = jid(label)
    state = status.pop("state", "finished")
    result = finished_result() if state == "finished" else None
    runner.statuses[job_id] = job_status(job_id, state, epoch=5, result=result, **status)
    runner.recipes[job_id] = recipe
    runner.inputs[job_id] = (DATA, "churn.csv", recipe)
    bundle = tmp_path / f"{label}.zip"
    bundle.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    runner.artifacts[(job_id, "bundle.zip")] = bundle
    return job_id


def select(app, rows: list[int]):
    key = app.session_state["runs_table_key"]  # the table's key changes with the list of runs
    app.session_state[key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    return app.run()


def table_of(app):
    return app.dataframe(key=app.session_state["runs_table_key"]).value


def texts(app) -> list[str]:
    kinds = (app.markdown, app.caption, app.info, app.warning, app.error, app.success)
    return [str(element.value) for kind in kinds for element in kind]


def test_without_runs_the_page_says_where_to_start(runner) -> None:
    app = go(open_app(), "runs")
    no_exception(app)
    assert "No runs yet" in app.info[0].value
    assert app.get("page_link")


def test_the_table_lists_every_run_with_its_scores(runner, tmp_path) -> None:
    add_run(runner, tmp_path, "adam", Recipe(target="churn"))
    sgd = Recipe(target="churn").with_changes(**{"training.optimizer": "sgd"})
    add_run(runner, tmp_path, "sgd", sgd, state="running")
    app = go(open_app(), "runs")
    no_exception(app)
    table = table_of(app)
    assert list(table["Name"]) == ["Adam, 2 layers", "SGD, 2 layers"]
    assert list(table["Status"]) == ["finished", "training"]
    assert table["Test score"].iloc[0] == pytest.approx(finished_result().metrics["roc_auc"])
    assert table["Likely range"].iloc[0] == "0.790 – 0.900"
    assert table["Best baseline"].iloc[0] > 0 and table["Baseline"].iloc[0]
    assert table["Measure"].iloc[0] == "ROC AUC" and table["Best epoch"].iloc[0] == 4
    assert table["Data fingerprint"].iloc[0] == "ab" * 6
    assert table["Test score"].dtype.kind == "f"  # numbers, so the column sorts by value
    assert "Select a run in the table" in " ".join(texts(app))


def test_opening_a_run_shows_its_curves_scores_and_evaluation_link(runner, tmp_path) -> None:
    job_id = add_run(runner, tmp_path, "adam", Recipe(target="churn"))
    app = select(go(open_app(), "runs"), [0])
    no_exception(app)
    assert app.main.subheader[0].value == "Adam, 2 layers"
    assert len(charts(app)) == 2
    assert app.metric[0].label == "Test ROC AUC"
    assert "Likely between 0.790 and 0.900." in texts(app)
    link = [p for p in app.get("page_link") if p.proto.page == "evaluate"]
    assert link and f"job={job_id}" in link[0].proto.query_string
    assert app.download_button(key="runs_download_bundle")


def test_rename_saves_the_new_name(runner, tmp_path) -> None:
    job_id = add_run(runner, tmp_path, "adam", Recipe(target="churn"))
    app = select(go(open_app(), "runs"), [0])
    assert app.text_input(key="runs_rename").value == "Adam, 2 layers"
    app.text_input(key="runs_rename").set_value("  First try ").run()
    app.button(key="runs_rename_save").click().run()
    no_exception(app)
    assert runner.metas[job_id].name == "First try"
    assert "Renamed to 'First try'." in [s.value for s in app.success]
    assert table_of(app)["Name"].iloc[0] == "First try"
    app.text_input(key="runs_rename").set_value("   ").run()
    app.button(key="runs_rename_save").click().run()
    assert "cannot be empty" in app.error[0].value and runner.metas[job_id].name == "First try"


def test_delete_asks_first_and_then_removes_the_run(runner, tmp_path) -> None:
    job_id = add_run(runner, tmp_path, "adam", Recipe(target="churn"))
    app = select(go(open_app({"job": job_id}), "runs"), [0])
    app.button(key="runs_delete").click().run()
    assert "cannot be undone" in app.warning[0].value and not runner.deleted
    app.button(key="runs_delete_cancel").click().run()
    assert not runner.deleted and not app.warning
    app.button(key="runs_delete").click().run()
    app.button(key="runs_delete_confirm").click().run()
    no_exception(app)
    assert runner.deleted == [job_id]
    assert "Deleted 'Adam, 2 layers'." in [s.value for s in app.success]
    assert app.session_state["job_id"] is None  # the deleted run is no longer the current one
    assert "No runs yet" in app.info[0].value


def test_a_run_still_training_cannot_be_deleted(runner, tmp_path) -> None:
    add_run(runner, tmp_path, "busy", Recipe(target="churn"), state="running")
    app = select(go(open_app(), "runs"), [0])
    no_exception(app)
    assert app.button(key="runs_delete").disabled
    assert any("Stop it on the Train page first" in text for text in texts(app))


def test_try_again_opens_the_design_page_with_the_runs_data_and_recipe(runner, tmp_path) -> None:
    recipe = tiny_recipe(**{"training.optimizer": "sgd", "training.learning_rate": 0.03})
    add_run(runner, tmp_path, "sgd", recipe)
    app = select(go(open_app(), "runs"), [0])
    app.button(key="runs_try_again").click().run()
    no_exception(app)
    assert app.title[0].value.startswith("2.")
    assert "are loaded: change what you want to try" in app.toast[0].value
    assert app.session_state["data_bytes"] == DATA
    assert app.session_state["data_name"] == "churn.csv"
    assert app.session_state["recipe"] == recipe
    assert app.session_state["data_digest"] == hashlib.sha256(DATA).hexdigest()


def test_two_selected_runs_are_compared(runner, tmp_path) -> None:
    add_run(runner, tmp_path, "a", Recipe(target="churn"))
    add_run(runner, tmp_path, "b", Recipe(target="churn"))
    app = select(go(open_app(), "runs"), [0, 1])
    no_exception(app)
    from ui.compare import TEXT as COMPARE_TEXT

    # No single run is opened: the headings are the comparison's own sections.
    headings = [s.value for s in app.main.subheader]
    assert headings == [COMPARE_TEXT["curves"], COMPARE_TEXT["settings"], COMPARE_TEXT["scores"]]


def test_a_selection_made_on_other_rows_is_dropped(runner, tmp_path) -> None:
    add_run(runner, tmp_path, "a", Recipe(target="churn"))
    app = select(go(open_app(), "runs"), [0])
    assert [s.value for s in app.main.subheader] == ["Adam, 2 layers"]
    add_run(runner, tmp_path, "b", Recipe(target="churn"))  # a new run moves the rows
    app.run()
    no_exception(app)
    assert not app.main.subheader  # not silently another run
    assert "Select a run in the table" in " ".join(texts(app))


def test_the_page_over_real_job_folders(workspace: Path) -> None:
    job_id = make_finished_job(workspace, "real", Recipe(target="churn"), created_at=time.time())
    app = select(go(open_app(), "runs"), [0])
    no_exception(app)
    table = table_of(app)
    assert table["Name"].iloc[0] == "Adam, 2 layers"
    assert table["Data fingerprint"].iloc[0] == hashlib.sha256(DATA).hexdigest()[:12]
    assert table["Took"].iloc[0] == 30
    app.button(key="runs_delete").click().run()
    app.button(key="runs_delete_confirm").click().run()
    no_exception(app)
    assert not (workspace / "jobs" / job_id).exists()


def test_selected_runs_go_to_the_comparison_view(runner, tmp_path, monkeypatch):
    """The page hands the selected runs' statuses, in table order, to ui.compare."""
    seen: list[list[str]] = []

    def show_comparison(statuses) -> None:
        seen.append([status.job_id for status in statuses])

    module = types.ModuleType("ui.compare")
    module.show_comparison = show_comparison
    monkeypatch.setitem(sys.modules, "ui.compare", module)
    first = add_run(runner, tmp_path, "a", Recipe(target="churn"))
    second = add_run(runner, tmp_path, "b", Recipe(target="churn"))
    app = select(go(open_app(), "runs"), [1, 0])
    no_exception(app)
    assert seen and seen[-1] == [first, second]  # in table order, whatever the clicking order


# --- reports to share ----------------------------------------------------------------------------


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> dict:
    """The callables given to download buttons as ``data``, by the file id a button carries
    (Streamlit calls them only when the button is clicked, from its own media manager)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    found: dict = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        file_id = original(self, data_callable, mimetype, coordinates, file_name, **kwargs)
        found[file_id] = data_callable
        found[file_id, "file_name"] = file_name
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return found


def clicked(app, deferred: dict, key: str) -> str:
    """What a download button gives when clicked, as text (it has not run before)."""
    button = app.download_button(key=key)
    data = deferred[button.proto.deferred_file_id]()
    return data.decode("utf-8") if isinstance(data, bytes) else data


def test_an_opened_run_offers_its_report_with_its_name(runner, tmp_path, deferred) -> None:
    job_id = add_run(runner, tmp_path, "adam", Recipe(target="churn"))
    runner.rename(job_id, "Adam <first> try")
    app = select(go(open_app(), "runs"), [0])
    no_exception(app)
    button = app.download_button(key="runs_download_report")
    assert button.proto.label == "Download the report (HTML)"
    assert button.proto.deferred_file_id  # made only when clicked: opening a run stays fast
    html = clicked(app, deferred, "runs_download_report")
    assert html.startswith("<!DOCTYPE html>") and "Adam &lt;first&gt; try" in html
    assert "Adam <first> try" not in html  # the name is escaped, never markup


def test_the_report_is_the_bundles_own_when_it_has_one(runner, tmp_path, deferred) -> None:
    job_id = add_run(runner, tmp_path, "adam", Recipe(target="churn"))
    bundle = tmp_path / "with_report.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr(REPORT_HTML, "<html>the bundle's report</html>")
    runner.artifacts[(job_id, "bundle.zip")] = bundle
    app = select(go(open_app(), "runs"), [0])
    assert clicked(app, deferred, "runs_download_report") == "<html>the bundle's report</html>"


def test_two_selected_runs_offer_a_comparison_report(runner, tmp_path, deferred) -> None:
    add_run(runner, tmp_path, "a", Recipe(target="churn"))
    sgd = Recipe(target="churn").with_changes(**{"training.optimizer": "sgd"})
    add_run(runner, tmp_path, "b", sgd)
    app = select(go(open_app(), "runs"), [0, 1])
    no_exception(app)
    html = clicked(app, deferred, "runs_download_comparison_report")
    assert html.startswith("<!DOCTYPE html>")
    assert "Adam, 2 layers" in html and "SGD, 2 layers" in html


def test_a_run_still_training_is_left_out_of_the_comparison_report(runner, tmp_path) -> None:
    add_run(runner, tmp_path, "a", Recipe(target="churn"))
    add_run(runner, tmp_path, "b", Recipe(target="churn"), state="running")
    app = select(go(open_app(), "runs"), [0, 1])
    no_exception(app)
    keys = [b.proto.id for b in app.get("download_button")]
    assert not any(k.endswith("runs_download_comparison_report") for k in keys)
    assert "needs at least two finished runs" in " ".join(texts(app))


def test_report_file_names_are_safe_and_named_after_the_run() -> None:
    assert report_file_name("Adam, 2 layers") == "Adam, 2 layers.report.html"
    assert report_file_name('a/b:c*?"<>|') == "a_b_c.report.html"
    assert report_file_name(" .. ") == "trainboard.report.html"
    assert comparison_name(["A", "B", "C"]) == "A vs B, C"


def file_name(app, deferred: dict, key: str) -> str:
    return deferred[app.download_button(key=key).proto.deferred_file_id, "file_name"]


def test_the_export_page_names_the_report_and_bundle_by_the_same_rules(
    runner, tmp_path, deferred
) -> None:
    job_id = add_run(runner, tmp_path, "adam", Recipe(target="churn"))
    runner.rename(job_id, "Adam: first try")
    with zipfile.ZipFile(runner.artifacts[(job_id, "bundle.zip")], "w") as archive:
        archive.writestr(REPORT_HTML, "<html></html>")
    app = go(open_app({"job": job_id}), "export")
    no_exception(app)
    assert file_name(app, deferred, "download_report") == "Adam_ first try.report.html"
    assert file_name(app, deferred, "download_bundle") == bundle_file_name(job_id)
    app = select(go(app, "runs"), [0])
    assert file_name(app, deferred, "runs_download_bundle") == bundle_file_name(job_id)
    assert file_name(app, deferred, "runs_download_report") == "Adam_ first try.report.html"
