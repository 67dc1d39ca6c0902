"""The Streamlit pages, driven with AppTest (no browser).

Training is replaced at its boundary only: ``core.jobs.runner.get_runner`` returns a
:class:`FakeRunner` that records submit/stop calls and answers with real
:class:`core.jobs.runner.JobStatus` objects. Results are built with the real
``core.evaluation.metrics`` functions, so they have exactly the shape the pipeline writes.
Everything else (reading, profiling, recipe, architecture) is the real code.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from helpers import jid
from streamlit.testing.v1 import AppTest

import core.jobs.runner
from core.errors import TrainingError
from core.evaluation import metrics as evaluation
from core.evaluation.baselines import baseline_metrics
from core.evaluation.verdict import verdict
from core.jobs.access import OWNER_FILE, Owner
from core.jobs.catalog import RunMeta, check_deletable, clean_run_name, default_run_name
from core.jobs.runner import BUNDLE_FILE, MODEL_CARD_FILE, RESTART_NO_DATA
from core.jobs.states import JobPhase, check_job_id, no_such_run
from core.jobs.status import JobStatus
from core.model.recipe import Recipe
from core.model.tasks import task_spec
from core.results import ColumnImportance, DataSummary, EpochReport, RunResult

ROOT = Path(__file__).resolve().parent.parent
# The app's ui/ package sits beside app.py (Streamlit puts that folder on the path).
sys.path.insert(0, str(ROOT))
from ui.text import escape_markdown  # noqa: E402

APP = ROOT / "app.py"
PAGES = ["home", "data", "design", "train", "evaluate", "export", "predict", "runs"]
TIMEOUT = 60  # seconds per script run: profiling a sample on a busy 2-core machine


# --- the fake runner and its results ---------------------------------------------------


def classification_result() -> RunResult:
    """A finished binary run's result, computed by the real evaluation code."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    proba = np.clip(0.3 * y + 0.35 + rng.normal(0, 0.2, 200), 0.01, 0.99)
    labels = ["No", "Yes"]
    x = np.column_stack([y + rng.normal(0, 1, 200), rng.normal(0, 1, 200)])
    baselines = baseline_metrics("binary", x, y, x, y, labels, seed=0)
    metrics = evaluation.classification_metrics(y, proba, labels)
    return result_dict(
        "binary",
        "churn",
        labels,
        metrics,
        baselines,
        {"curves": evaluation.classification_curves(y, proba, labels)},
    )


def regression_result() -> RunResult:
    """A finished regression run's result, computed by the real evaluation code."""
    rng = np.random.default_rng(1)
    y = rng.normal(1000, 300, 300)
    predicted = y + rng.normal(0, 100, 300)
    x = np.column_stack([y + rng.normal(0, 50, 300)])
    baselines = baseline_metrics("regression", x, y, x, y, [], seed=0)
    metrics = evaluation.regression_metrics(y, predicted)
    return result_dict(
        "regression",
        "price",
        [],
        metrics,
        baselines,
        {"plots": evaluation.regression_plots(y, predicted)},
    )


def result_dict(task, target, labels, metrics, baselines, charts) -> RunResult:
    """A run result as the job process stores it: written as JSON and read back."""
    result = RunResult(
        task=task,
        target=target,
        class_labels=labels,
        metrics=metrics,
        primary_metric=task_spec(task).headline_metric,
        baselines=baselines,
        verdict=verdict(task, metrics, baselines, labels),
        evaluation=charts,
        feature_importance=[
            ColumnImportance(column="tenure", importance=0.12, std=0.01),
            ColumnImportance(column="contract", importance=0.05, std=0.02),
        ],
        epochs_run=5,
        best_epoch=4,
        stopped_because="completed",
        message="Training ran all 5 epochs.",
        seconds=3.0,
        warnings=[],
        bundle="bundle.zip",
        history=epochs(5),
        data=DataSummary(
            name="telco_churn.csv",
            rows=1000,
            columns=20,
            n_train=700,
            n_validation=150,
            n_test=150,
            trained_at="2026-11-30T10:00:00+00:00",
        ),
    )
    return RunResult.from_dict(json.loads(json.dumps(result.to_dict())))


def epochs(n: int) -> list[EpochReport]:
    return [
        EpochReport(
            epoch=i,
            loss=1.0 / i,
            val_loss=1.1 / i,
            metric=0.5 + i / 20,
            val_metric=0.5 + i / 25,
            metric_name="accuracy",
            seconds=0.5,
            learning_rate=0.001,
        )
        for i in range(1, n + 1)
    ]


def job_status(
    job_id: str,
    state: str,
    *,
    epoch: int = 0,
    result: RunResult | None = None,
    error: str | None = None,
    queue_position: int | None = None,
    stop_requested: bool = False,
    waits_for_slot: bool = False,
) -> JobStatus:
    return JobStatus(
        job_id=job_id,
        state=state,
        queue_position=queue_position,
        data_name="telco_churn.csv",
        created_at=time.time(),
        started_at=time.time() - 10,
        finished_at=None,
        epoch=epoch,
        max_epochs=20,
        elapsed_seconds=12.0,
        eta_seconds=30.0 if epoch else None,
        history=epochs(epoch),
        result=result,
        error=error,
        stop_requested=stop_requested,
        waits_for_slot=waits_for_slot,
    )


class FakeRunner:
    """Stands in for core.jobs.runner.LocalJobRunner: records calls, answers from ``statuses``."""

    max_concurrent = 1

    def __init__(self) -> None:
        self.submitted: list[tuple[bytes, str, object]] = []
        self.stopped: list[str] = []
        self.restarted: list[str] = []
        self.statuses: dict[str, JobStatus] = {}
        self.artifacts: dict[tuple[str, str], Path] = {}
        self.metas: dict[str, RunMeta] = {}
        self.recipes: dict[str, Recipe] = {}
        self.inputs: dict[str, tuple[bytes, str, Recipe]] = {}
        self.deleted: list[str] = []

    def submit(self, data, data_name, recipe, *, notes=None) -> str:
        job_id = jid(f"job{len(self.submitted) + 1}")
        self.submitted.append((data, data_name, recipe))
        if isinstance(recipe, Recipe):
            self.recipes[job_id] = recipe
        owner = Owner.from_dict((notes or {}).get(OWNER_FILE))  # as the real runner records it
        self.statuses[job_id] = replace(job_status(job_id, "queued", queue_position=1), owner=owner)
        return job_id

    def status(self, job_id: str) -> JobStatus:
        # The real runner's id check and message: a malformed id never reaches a lookup.
        if check_job_id(job_id) not in self.statuses:
            raise no_such_run(job_id)
        return self.statuses[job_id]

    def restart(self, job_id: str, *, notes=None) -> str:
        self.restarted.append(job_id)
        return self.submit(b"", self.status(job_id).data_name, None, notes=notes)

    def stop(self, job_id: str) -> None:
        self.stopped.append(job_id)

    def list_jobs(self) -> list[JobStatus]:
        return list(self.statuses.values())

    def artifact(self, job_id: str, name: str) -> Path | None:
        return self.artifacts.get((job_id, name))

    def recipe(self, job_id: str) -> Recipe | None:
        self.status(job_id)
        return self.recipes.get(job_id)

    def run_inputs(self, job_id: str) -> tuple[bytes, str, Recipe]:
        self.status(job_id)
        if job_id not in self.inputs:
            raise TrainingError(RESTART_NO_DATA)
        return self.inputs[job_id]

    def meta(self, job_id: str) -> RunMeta:
        # The real rules (default name, name check, who may be deleted), fake storage.
        status = self.status(job_id)
        if job_id not in self.metas:
            recipe = self.recipe(job_id)
            self.metas[job_id] = RunMeta(
                name=default_run_name(recipe or Recipe()),
                data_name=status.data_name,
                data_sha256="ab" * 32,
                target=recipe.target if recipe else None,
            )
        return self.metas[job_id]

    def rename(self, job_id: str, name: str) -> RunMeta:
        self.metas[job_id] = replace(self.meta(job_id), name=clean_run_name(name))
        return self.metas[job_id]

    def pin(self, job_id: str, pinned: bool) -> RunMeta:
        self.metas[job_id] = replace(self.meta(job_id), pinned=pinned)
        return self.metas[job_id]

    def delete(self, job_id: str) -> None:
        check_deletable(self.status(job_id))
        self.deleted.append(job_id)
        del self.statuses[job_id]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    fake = FakeRunner()
    monkeypatch.setattr(core.jobs.runner, "get_runner", lambda: fake)
    return fake


# --- helpers -----------------------------------------------------------------------------


def open_app(query: dict | None = None) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.query_params.update(query or {})
    return app.run()


def go(app: AppTest, page: str) -> AppTest:
    return app.switch_page(f"app_pages/{page}.py").run()


def no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def charts(app: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def chart_title(spec: dict) -> str:
    return spec["layout"]["title"]["text"]


def markdown_texts_of(block) -> list[str]:
    """The markdown texts of one part of the page (e.g. ``app.sidebar``)."""
    return [str(element.value) for element in block.markdown]


def markdown_texts(app: AppTest) -> list[str]:
    """Every text Streamlit renders as markdown (messages, captions, markdown)."""
    kinds = (app.markdown, app.caption, app.info, app.warning, app.error, app.success)
    return [str(element.value) for kind in kinds for element in kind]


def with_sample(app: AppTest, sample: str = "telco_churn.csv") -> AppTest:
    go(app, "data")
    return app.segmented_control(key="sample_dataset").set_value(sample).run()


def finished_run(
    runner: FakeRunner, result: RunResult, tmp_path: Path, job_id: str = jid("done1")
) -> str:
    runner.statuses[job_id] = job_status(job_id, "finished", epoch=5, result=result)
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip archive
    card = tmp_path / "model_card.md"
    card.write_text("# Model card\n\nPredicts churn.", encoding="utf-8")
    runner.artifacts[(job_id, BUNDLE_FILE)] = bundle
    runner.artifacts[(job_id, MODEL_CARD_FILE)] = card
    return job_id


# --- every page opens ----------------------------------------------------------------------


def test_every_page_opens_without_data_and_says_what_to_do(runner):
    app = open_app()
    for page in PAGES:
        go(app, page)
        no_exception(app)
        if page not in ("home", "data"):
            # A page that needs earlier steps links back to them instead of failing.
            assert app.get("page_link"), page
    assert not app.error


def test_every_page_opens_with_data_and_a_finished_run(runner, tmp_path):
    job_id = finished_run(runner, classification_result(), tmp_path)
    app = with_sample(open_app({"job": job_id}))
    for page in PAGES:
        go(app, page)
        no_exception(app)
        assert not app.error, (page, [e.value for e in app.error])


# --- home and addresses ----------------------------------------------------------------------


def test_home_has_a_get_started_button_that_opens_the_data_page(runner):
    app = open_app()
    button = app.button(key="get_started")
    assert button.label == "Get started" and button.proto.type == "primary"
    button.click().run()
    no_exception(app)
    assert app.title[0].value == "1. Your data"


def test_the_start_address_opens_the_home_page_without_page_not_found(runner, monkeypatch):
    # A browser opening "/start" asks for the page by its url path (no page hash yet); that
    # is how a real session's first run reaches st.navigation. The "Page not found" box is
    # the message Streamlit sends from send_page_not_found, recorded here.
    import streamlit.commands.navigation as navigation
    import streamlit.testing.v1.local_script_runner as local_runner

    not_found: list[object] = []
    monkeypatch.setattr(navigation, "send_page_not_found", not_found.append)
    monkeypatch.setattr(
        local_runner, "RerunData", functools.partial(local_runner.RerunData, page_name="start")
    )
    app = open_app()
    no_exception(app)
    assert not not_found
    assert app.title[0].value == "Trainboard"
    assert app.button(key="get_started")
    # An address that names no page still says so (the check above can fail).
    monkeypatch.setattr(
        local_runner, "RerunData", functools.partial(local_runner.RerunData, page_name="nowhere")
    )
    open_app()
    assert len(not_found) == 1


# --- data ----------------------------------------------------------------------------------


def test_sample_dataset_loads_with_its_target_and_profile(runner):
    app = with_sample(open_app())
    no_exception(app)
    assert app.selectbox(key="target_column").value == "churn"
    assert any("yes/no" in text for text in markdown_texts(app))
    profile = app.dataframe[-1].value
    assert len(profile) == 20  # one row per column of telco_churn.csv
    assert app.session_state["recipe"].target == "churn"
    assert "(20 MB" not in " ".join(markdown_texts(app))
    assert any("200 MB" in text for text in markdown_texts(app))  # the upload limit is stated


def test_choosing_another_target_changes_the_task(runner):
    app = with_sample(open_app())
    app.selectbox(key="target_column").set_value("monthly_charges").run()
    no_exception(app)
    assert any("predicting a number" in text for text in markdown_texts(app))
    assert app.session_state["recipe"].target == "monthly_charges"
    assert "monthly_charges" not in app.multiselect(key="drop_columns").options


def test_uploaded_csv_with_markup_in_names_is_shown_literally(runner):
    name = "**bold** <b>x</b> [link](http://evil.example) :red[hi]"
    rows = "\n".join(f"{i},{i % 3},same" for i in range(60))
    csv = f"amount,{json.dumps(name)},flag\n{rows}\n".encode()
    app = open_app()
    go(app, "data")
    app.file_uploader(key="upload_csv").upload("my <file>.csv", csv, "text/csv").run()
    no_exception(app)
    assert name in app.selectbox(key="target_column").options
    assert name in list(app.dataframe[0].value.columns)  # the preview shows the name as text
    app.selectbox(key="target_column").set_value(name).run()
    no_exception(app)
    texts = markdown_texts(app)
    assert any(escape_markdown(name) in text for text in texts)
    assert not any(name in text for text in texts)  # never unescaped inside markdown
    assert not any("<b>" in text or "**bold**" in text for text in texts)
    # The sidebar names the file and the target safely too.
    assert any(escape_markdown("my <file>.csv") in str(m.value) for m in app.sidebar.markdown)
    assert any(escape_markdown(name) in str(m.value) for m in app.sidebar.markdown)


def test_sidebar_names_the_column_to_predict_in_the_same_run_it_is_chosen(runner):
    rows = "\n".join(f"{i},{i % 4},{'yes' if i % 3 else 'no'}" for i in range(80))
    app = open_app()
    go(app, "data")
    app.file_uploader(key="upload_csv").upload("shop.csv", f"a,b,left\n{rows}\n".encode()).run()
    sidebar = [str(m.value) for m in app.sidebar.markdown]
    assert "**Predicting:** not chosen yet" in sidebar
    app.selectbox(key="target_column").set_value("left").run()  # one run, no other click
    no_exception(app)
    assert "**Predicting:** left" in [str(m.value) for m in app.sidebar.markdown]


def test_suggested_columns_to_leave_out_are_prefilled_with_the_reason(runner):
    rows = "\n".join(f"C{i:05d},{i % 7},{'yes' if i % 3 else 'no'}" for i in range(120))
    app = open_app()
    go(app, "data")
    csv = f"customer_id,visits,left\n{rows}\n".encode()
    app.file_uploader(key="upload_csv").upload("customers.csv", csv, "text/csv").run()
    app.selectbox(key="target_column").set_value("left").run()
    no_exception(app)
    assert app.multiselect(key="drop_columns").value == ["customer_id"]
    assert app.session_state["recipe"].drop_columns == ("customer_id",)
    reasons = [text for text in markdown_texts(app) if "Suggested to leave out" in text]
    assert reasons and "customer\\_id" in reasons[0]
    # The person can overrule the suggestion; the recipe follows.
    app.multiselect(key="drop_columns").set_value([]).run()
    assert app.session_state["recipe"].drop_columns == ()


def test_unreadable_upload_shows_a_plain_error(runner):
    app = open_app()
    go(app, "data")
    app.file_uploader(key="upload_csv").upload("empty.csv", b"", "text/csv").run()
    no_exception(app)
    assert app.error and "Traceback" not in app.error[0].value


def test_a_long_column_kind_gets_a_column_wide_enough_to_read(runner):
    rows = "\n".join(f"C{i:05d},{i % 7},{'yes' if i % 3 else 'no'}" for i in range(120))
    app = open_app()
    go(app, "data")
    csv = f"customer_id,visits,left\n{rows}\n".encode()
    app.file_uploader(key="upload_csv").upload("customers.csv", csv, "text/csv").run()
    no_exception(app)
    profile = app.dataframe[-1]
    label = "Identifier (different in every row)"
    assert label in list(profile.value["Kind"])
    width = json.loads(profile.proto.columns)["Kind"]["width"]
    # At least 6 px per character of the label in a 14 px font: no "Identifier (d...".
    assert width >= 6 * len(label)


# --- design --------------------------------------------------------------------------------


def test_epochs_and_layers_change_the_recipe_and_the_diagram(runner):
    app = go(with_sample(open_app()), "design")
    no_exception(app)
    before = chart_title(charts(app)[0])
    layers_before = len(app.session_state["recipe"].model.hidden_layers)
    app.number_input(key="epochs").set_value(7).run()
    assert app.session_state["recipe"].training.max_epochs == 7
    app.button(key="layer_add").click().run()
    no_exception(app)
    assert len(app.session_state["recipe"].model.hidden_layers) == layers_before + 1
    after = chart_title(charts(app)[0])
    assert after != before and "weights" in after
    labels = charts(app)[0]["layout"]["xaxis"]["ticktext"]
    # The default's learned number ranges have their own box; "Layer n" is the form's layer n.
    hidden = [f"Layer {n}" for n in range(1, layers_before + 2)]
    assert labels == ["Inputs", "Number ranges", *hidden, "Answer"]
    app.number_input(key="layer_units_0").set_value(16).run()
    assert app.session_state["recipe"].model.hidden_layers[0].units == 16
    app.button(key="layer_remove_0").click().run()
    no_exception(app)
    layers = app.session_state["recipe"].model.hidden_layers
    assert len(layers) == layers_before and layers[0].units != 16  # the right layer went
    assert app.number_input(key="epochs").value == 7  # other choices are kept


def test_momentum_is_offered_only_for_sgd(runner):
    app = go(with_sample(open_app()), "design")
    assert not [w for w in app.slider if w.key == "opt_training_momentum"]
    app.selectbox(key="opt_training_optimizer").set_value("sgd").run()
    no_exception(app)
    assert [w for w in app.slider if w.key == "opt_training_momentum"]
    assert app.session_state["recipe"].training.optimizer == "sgd"
    # It appears beside the optimizer just chosen, not inside the advanced settings.
    assert not [w for w in app.expander[0].slider if w.key == "opt_training_momentum"]


def test_plain_gradient_descent_offers_neither_momentum_nor_a_batch_size(runner):
    app = go(with_sample(open_app()), "design")
    assert [w for w in app.number_input if w.key == "opt_training_batch_size"]
    app.selectbox(key="opt_training_optimizer").set_value("gradient_descent").run()
    no_exception(app)
    assert app.session_state["recipe"].training.optimizer == "gradient_descent"
    assert not [w for w in app.number_input if w.key == "opt_training_batch_size"]
    assert not [w for w in app.slider if w.key == "opt_training_momentum"]


def test_contradicting_settings_are_refused_and_block_training(runner):
    app = go(with_sample(open_app()), "design")
    app.slider(key="opt_split_validation_fraction").set_value(0.4)
    app.slider(key="opt_split_test_fraction").set_value(0.4).run()
    no_exception(app)
    assert app.error and "60%" in app.error[0].value
    assert app.session_state["recipe"].split.test_fraction == 0.15  # last valid recipe kept
    go(app, "train")
    assert app.button(key="train_start").disabled


def test_settings_survive_a_visit_to_another_page(runner):
    app = go(with_sample(open_app()), "design")
    app.number_input(key="epochs").set_value(9).run()
    go(app, "data")
    go(app, "design")
    assert app.number_input(key="epochs").value == 9


def test_preparation_optimizer_and_learning_rate_are_main_choices(runner):
    app = go(with_sample(open_app()), "design")
    no_exception(app)
    main_keys = {
        "opt_preprocessing_numeric_missing",
        "opt_preprocessing_categorical_missing",
        "opt_preprocessing_numeric_scaling",
        "opt_preprocessing_categorical_encoding",
        "opt_training_optimizer",
        "opt_training_learning_rate",
        "layer_units_0",
        "epochs",
    }
    advanced = app.expander[0]
    hidden = {w.key for w in [*advanced.selectbox, *advanced.number_input, *advanced.slider]}
    shown = {w.key for w in [*app.selectbox, *app.number_input]}
    assert main_keys <= shown
    assert not main_keys & hidden
    # An empty learning rate says which value "automatic" means for the chosen method.
    assert any("0.001" in text for text in markdown_texts(app))
    app.selectbox(key="opt_training_optimizer").set_value("sgd").run()
    assert any("0.01." in text for text in markdown_texts(app))


@pytest.mark.parametrize(
    ("key", "value", "words", "recipe_value"),
    [
        (
            "opt_training_learning_rate",
            100.0,
            "must be more than 0 and at most 10",
            lambda r: r.training.learning_rate,
        ),
        ("epochs", 0, "must be at least 1 and at most 5000", lambda r: r.training.max_epochs),
        (
            "layer_units_0",
            5000,
            "must be at least 1 and at most 4096",
            lambda r: r.model.hidden_layers[0].units,
        ),
    ],
)
def test_a_number_outside_its_range_is_said_in_the_page(runner, key, value, words, recipe_value):
    app = go(with_sample(open_app()), "design")
    before = recipe_value(app.session_state["recipe"])
    app.number_input(key=key).set_value(value).run()
    no_exception(app)
    errors = [str(e.value) for e in app.error]
    assert len(errors) == 1, errors  # said once, under its own box
    assert words in errors[0] and "outside the allowed range" in errors[0]
    assert escape_markdown(f"{value:g}") in errors[0]
    assert recipe_value(app.session_state["recipe"]) == before  # the last valid value is kept
    go(app, "train")
    assert app.button(key="train_start").disabled
    assert any("outside the allowed range" in str(i.value) for i in app.info)


def test_adding_a_layer_after_a_refused_size_keeps_the_last_valid_size(runner):
    app = go(with_sample(open_app()), "design")
    layers = app.session_state["recipe"].model.hidden_layers
    app.number_input(key="layer_units_0").set_value(5000).run()
    app.button(key="layer_add").click().run()
    no_exception(app)
    assert not app.toast  # no error from the refused value
    after = app.session_state["recipe"].model.hidden_layers
    assert len(after) == len(layers) + 1 and after[0].units == layers[0].units


def test_a_corrected_number_clears_the_message_and_is_used(runner):
    app = go(with_sample(open_app()), "design")
    app.number_input(key="opt_training_learning_rate").set_value(100.0).run()
    assert app.error
    app.number_input(key="opt_training_learning_rate").set_value(0.05).run()
    no_exception(app)
    assert not app.error
    assert app.session_state["recipe"].training.learning_rate == 0.05
    assert app.session_state["recipe_problem"] is None


# --- train ---------------------------------------------------------------------------------


def test_start_is_disabled_with_a_reason_without_data(runner):
    app = go(open_app(), "train")
    assert app.button(key="train_start").disabled
    assert app.info and app.get("page_link")


def test_training_starts_shows_progress_and_stops(runner):
    app = go(with_sample(open_app()), "train")
    app.button(key="train_start").click().run()
    no_exception(app)
    assert len(runner.submitted) == 1
    data, data_name, recipe = runner.submitted[0]
    assert data == (ROOT / "sample_data" / "telco_churn.csv").read_bytes()
    assert data_name == "telco_churn.csv" and recipe.target == "churn"
    assert app.query_params["job"] == jid("job1")
    # First in line with nothing training: it is starting, not waiting for anyone.
    texts = markdown_texts(app)
    assert any(text.startswith("Starting") for text in texts)
    assert not any("queue" in text for text in texts)
    assert "**Training run:** starting" in markdown_texts_of(app.sidebar)
    runner.statuses[jid("job1")] = job_status(jid("job1"), "running", epoch=3)
    app.run()
    no_exception(app)
    assert "Epoch 3 of at most 20" in app.get("progress")[0].proto.text
    assert any("training" in text for text in markdown_texts_of(app.sidebar))
    titles = [chart_title(spec) for spec in charts(app)]
    assert len(titles) == 2 and any(t.startswith("Error (cross-entropy)") for t in titles)
    assert [len(spec["data"][0]["x"]) for spec in charts(app)] == [3, 3]
    # Whole epochs on the x axis, one tick each while there are few.
    assert {spec["layout"]["xaxis"]["tickformat"] for spec in charts(app)} == {"d"}
    assert {spec["layout"]["xaxis"]["dtick"] for spec in charts(app)} == {1}
    # The runs table is drawn by the live panel, so it shows the same epoch as the bar.
    table = app.dataframe[0].value
    assert list(table["Epochs"]) == [3] and list(table["State"]) == ["training"]
    app.button(key="train_stop").click().run()
    assert runner.stopped == [jid("job1")]


def test_a_run_behind_a_training_run_says_it_waits_in_the_queue(runner):
    runner.statuses[jid("busy")] = job_status(jid("busy"), "running", epoch=2)
    runner.statuses[jid("next")] = job_status(
        jid("next"), "queued", queue_position=1, waits_for_slot=True
    )
    app = go(open_app({"job": jid("next")}), "train")
    no_exception(app)
    texts = markdown_texts(app)
    assert any("1 in the queue" in text for text in texts)
    assert not any(text.startswith("Starting") for text in texts)
    assert "**Training run:** waiting for its turn" in markdown_texts_of(app.sidebar)


def test_the_run_picker_follows_the_newest_run(runner, tmp_path):
    finished_run(runner, classification_result(), tmp_path, job_id=jid("old1"))
    app = go(with_sample(open_app({"job": jid("old1")})), "train")
    assert app.selectbox(key="job_pick").value == jid("old1")
    app.button(key="train_start").click().run()
    no_exception(app)
    assert app.session_state["job_id"] == jid("job1")
    assert app.selectbox(key="job_pick").value == jid("job1")


def test_finished_run_says_why_it_ended_and_points_to_evaluate(runner, tmp_path):
    job_id = finished_run(runner, classification_result(), tmp_path)
    app = go(open_app({"job": job_id}), "train")
    no_exception(app)
    assert app.success[0].value.replace("\\", "") == "Training ran all 5 epochs."
    assert any(
        link.proto.page.endswith("evaluate") or "evaluate" in link.proto.page
        for link in app.get("page_link")
    )


@pytest.mark.parametrize(
    "stopped_because, kind",
    [
        ("early_stopped", "success"),
        ("stopped_by_user", "warning"),
        ("diverged", "error"),
    ],
)
def test_how_a_run_ended_is_said_once_in_a_box_that_fits(runner, tmp_path, stopped_because, kind):
    message = f"Training ended ({stopped_because}) after 3 passes."
    result = replace(classification_result(), stopped_because=stopped_because, message=message)
    job_id = finished_run(runner, result, tmp_path)
    app = go(open_app({"job": job_id}), "train")
    no_exception(app)
    boxes = {"success": app.success, "warning": app.warning, "error": app.error}
    assert [box.value for box in boxes[kind]] == [escape_markdown(message)]
    others = [box.value for name, found in boxes.items() if name != kind for box in found]
    assert not others


@pytest.mark.parametrize(
    "state, words",
    [
        ("failed", "Training failed"),
        ("cancelled", "cancelled"),
        ("interrupted", "interrupted"),
    ],
)
def test_runs_that_did_not_finish_get_their_own_sentence(runner, state, words):
    runner.statuses[jid("j")] = job_status(jid("j"), state, error="The computer restarted.")
    app = go(open_app({"job": jid("j")}), "train")
    no_exception(app)
    assert any(words in text for text in markdown_texts(app))


@pytest.mark.parametrize(
    "job_id", ["nosuchjob", jid("deleted"), "../../etc/passwd", "20990101-000000-abcdef12"]
)
def test_a_link_to_an_unknown_run_shows_an_error_and_the_page_still_works(runner, job_id):
    app = go(open_app({"job": job_id}), "train")
    no_exception(app)
    assert app.error and "no training run with the id" in app.error[0].value
    assert escape_markdown(job_id) in app.error[0].value
    assert app.button(key="train_start")
    assert "job" not in app.query_params  # the bad link is dropped


@pytest.mark.parametrize("state", ["interrupted", "cancelled"])
def test_a_run_that_never_finished_starts_again_from_its_own_copy(runner, state):
    """After a refresh the upload is gone (no data chosen): the run's own copy is used."""
    runner.statuses[jid("gone")] = job_status(jid("gone"), state, error="The computer restarted.")
    app = go(open_app({"job": jid("gone")}), "train")
    assert app.button(key="train_start").disabled  # no data in this session any more
    app.button(key="train_restart").click().run()
    no_exception(app)
    assert runner.restarted == [jid("gone")]
    assert app.session_state["job_id"] == app.query_params["job"] == jid("job1")
    assert any(text.startswith("Starting") for text in markdown_texts(app))


def test_a_failed_run_offers_no_restart(runner):
    runner.statuses[jid("bad")] = job_status(jid("bad"), "failed", error="Column 'x' is empty.")
    app = go(open_app({"job": jid("bad")}), "train")
    no_exception(app)
    assert not [button for button in app.button if button.key == "train_restart"]


def test_every_phase_of_a_run_has_words_in_the_sidebar():
    from ui.sidebar import TEXT

    assert set(TEXT["phases"]) == {phase.value for phase in JobPhase}


def test_recent_runs_can_be_reopened(runner, tmp_path):
    finished_run(runner, classification_result(), tmp_path, job_id=jid("old1"))
    app = go(open_app(), "train")
    app.selectbox(key="job_pick").set_value(jid("old1"))
    app.button(key="job_open").click().run()
    no_exception(app)
    assert app.session_state["job_id"] == jid("old1") and app.query_params["job"] == jid("old1")


# --- evaluate, export, predict -------------------------------------------------------------


def test_evaluate_shows_verdict_scores_and_classification_charts(runner, tmp_path):
    result = classification_result()
    app = go(open_app({"job": finished_run(runner, result, tmp_path)}), "evaluate")
    no_exception(app)
    assert app.info[0].value == escape_markdown(result.verdict)
    table = app.table[0].value  # a static table: the long explanations wrap
    assert "Your network" in table.columns and "Majority class" in table.columns
    assert "ROC AUC" in set(table["Measure"])
    assert table["What it means"].str.len().min() > 20
    kinds = [spec["data"][0]["type"] for spec in charts(app)]
    assert kinds.count("heatmap") == 1 and kinds.count("bar") == 1 and len(kinds) == 4


def test_evaluate_shows_regression_charts(runner, tmp_path):
    app = go(open_app({"job": finished_run(runner, regression_result(), tmp_path)}), "evaluate")
    no_exception(app)
    assert "R²" in set(app.table[0].value["Measure"])
    titles = [chart_title(spec) for spec in charts(app)]
    assert "Predicted against actual values" in titles and len(titles) == 3


def test_export_offers_bundle_and_model_card(runner, tmp_path):
    app = go(open_app({"job": finished_run(runner, classification_result(), tmp_path)}), "export")
    no_exception(app)
    assert app.download_button(key="download_bundle")
    assert app.download_button(key="download_model_card")
    files = set(app.table[0].value["File"])
    assert {"model.keras", "predict.py", "trainboard_runtime/", "schema.json"} <= files
    assert any("predict.py" in code.value for code in app.code)


def test_export_without_a_bundle_says_so(runner, tmp_path):
    job_id = finished_run(runner, classification_result(), tmp_path)
    del runner.artifacts[(job_id, BUNDLE_FILE)]
    app = go(open_app({"job": job_id}), "export")
    no_exception(app)
    assert app.warning and not app.download_button


def test_predict_offers_the_trained_model_or_a_bundle(runner, tmp_path):
    app = go(open_app({"job": finished_run(runner, classification_result(), tmp_path)}), "predict")
    no_exception(app)
    assert app.radio(key="predict_source").options == [
        "The model from the current training run",
        "A model bundle file (.zip) exported earlier",
    ]
    app.file_uploader(key="predict_upload").upload("new.csv", b"a,b\n1,2\n", "text/csv").run()
    no_exception(app)
    assert app.button(key="predict_run")


def _fake_bundle():
    """A real LoadedBundle whose network is a numpy function (no TensorFlow)."""
    import pandas as pd

    from core.bundle.loading import LoadedBundle
    from core.model.recipe import PreprocessingConfig
    from core.portable.preprocess import Preprocessor
    from core.portable.target import TargetEncoder

    frame = pd.DataFrame({"age": np.arange(40.0), "plan": ["basic", "pro"] * 20})
    preprocessor = Preprocessor.fit(
        frame, {"age": "numeric", "plan": "categorical"}, PreprocessingConfig().model_dump()
    )
    return LoadedBundle(
        model=lambda features: np.full((len(features), 1), 0.8),
        preprocessor=preprocessor,
        target_encoder=TargetEncoder(task="binary", class_labels=["No", "Yes"]),
        schema={"task": "binary", "target": "churn", "class_labels": ["No", "Yes"]},
    )


def test_predict_echoes_cells_and_shows_the_notes(runner, tmp_path, monkeypatch):
    monkeypatch.setattr("core.bundle.writer.load_bundle", lambda source: _fake_bundle())
    app = go(open_app({"job": finished_run(runner, classification_result(), tmp_path)}), "predict")
    rows = b'account_id,age,plan\n007,31,pro\n"1,234",lots,gold\n'
    app.file_uploader(key="predict_upload").upload("new.csv", rows, "text/csv").run()
    app.button(key="predict_run").click().run()
    no_exception(app)
    assert app.success[0].value == escape_markdown("Predicted churn for 2 rows.")
    (warning,) = [w.value for w in app.warning]
    assert "age" in warning and "1 cell is not a number" in warning and "lots" in warning
    (info,) = [i.value for i in app.info]
    assert "plan" in info and "1 row with a value the model never learned" in info
    table = app.dataframe[0].value
    assert table["account_id"].tolist() == ["007", "1,234"], "cells come back as written"
    assert table["prediction"].tolist() == ["Yes", "Yes"]
    single = b"account_id,age,plan\n007,31,pro\n"
    app.file_uploader(key="predict_upload").upload("one.csv", single, "text/csv").run()
    app.button(key="predict_run").click().run()
    assert app.success[0].value == escape_markdown("Predicted churn for 1 row.")
    assert not app.warning and not app.info


# --- start-up speed --------------------------------------------------------------------------


def test_no_page_imports_tensorflow(tmp_path):
    """Opening every page must not import TensorFlow (it takes seconds to import)."""
    script = f"""
import sys
from pathlib import Path
sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "tests")!r}]
import pytest
import core.jobs.runner
import test_pages as t
fake = t.FakeRunner()
core.jobs.runner.get_runner = lambda: fake
job_id = t.finished_run(fake, t.classification_result(), Path({str(tmp_path)!r}))
app = t.with_sample(t.open_app({{"job": job_id}}))
for page in t.PAGES:
    t.go(app, page)
    t.no_exception(app)
print("tensorflow" in sys.modules, "keras" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "False False"


# --- the whole journey with the real job runner and a real model -------------------------


@pytest.mark.slow
def test_journey_with_the_real_runner_trains_evaluates_exports_and_predicts(workspace):
    """Sample -> 3 epochs -> live progress -> evaluate -> export -> predict, nothing replaced."""
    app = with_sample(open_app(), "penguins.csv")
    go(app, "design")
    app.number_input(key="epochs").set_value(3).run()
    go(app, "train")
    app.button(key="train_start").click().run()
    no_exception(app)
    job_id = app.session_state["job_id"]
    runner = core.jobs.runner.get_runner()
    deadline = time.time() + 600
    while runner.status(job_id).is_active and time.time() < deadline:
        time.sleep(2)
        app.run()  # the live fragment polls on every run
        no_exception(app)
    status = runner.status(job_id)
    assert status.state == "finished", status.error
    app.run()
    no_exception(app)
    assert app.success and not app.get("progress")  # the final state, no more polling
    go(app, "evaluate")
    no_exception(app)
    assert app.info[0].value == escape_markdown(status.result.verdict)
    assert len(charts(app)) == 4  # confusion matrix, ROC, precision-recall, importance
    go(app, "export")
    no_exception(app)
    assert app.download_button(key="download_bundle")
    go(app, "predict")
    rows = (ROOT / "sample_data" / "penguins.csv").read_text().splitlines()[:21]
    new_rows = "\n".join(",".join(line.split(",")[1:]) for line in rows).encode()  # no species
    app.file_uploader(key="predict_upload").upload("new_penguins.csv", new_rows, "text/csv").run()
    app.button(key="predict_run").click().run(timeout=300)
    no_exception(app)
    assert not app.error, [e.value for e in app.error]
    predictions = app.dataframe[0].value
    assert len(predictions) == 20
    assert {"prediction", "probability_Adelie", "probability_Gentoo"} <= set(predictions.columns)
    assert set(predictions["prediction"]) <= {"Adelie", "Chinstrap", "Gentoo"}
    assert app.download_button(key="download_predictions")
    # A file to predict may be much smaller than a training file: three rows are enough.
    few = b"\n".join(new_rows.splitlines()[:4])
    app.file_uploader(key="predict_upload").upload("three.csv", few, "text/csv").run()
    app.button(key="predict_run").click().run(timeout=300)
    assert not app.error, [e.value for e in app.error]
    assert len(app.dataframe[0].value) == 3


def test_app_pages_and_ui_never_import_tensorflow_directly():
    """Pages reach TensorFlow only through core (lazily, when the user predicts)."""
    import ast

    files = [APP, *sorted((ROOT / "app_pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
    assert len(files) >= 10
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not [n for n in names if n.split(".")[0] in ("tensorflow", "keras")], path
