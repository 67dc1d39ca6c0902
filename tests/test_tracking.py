"""Runs logged to MLflow for teams that track experiments (``core.tracking``).

Fast tests cover the opt-in (no variable: mlflow is never imported or called), the notes for
a missing mlflow, an unreachable server and a refused store, and the names and values logged.
Slow tests train tiny runs through the CLI (into a sqlite store) and the job runner (into a
folder store) and read everything back with MLflow's own client.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import types

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the test extra installs tomli there
    import tomli as tomllib
from pathlib import Path

import mlflow
import pytest
from helpers import TINY_LAYERS, csv_bytes, raw_mixed_frame, tiny_recipe, write_csv
from mlflow.tracking import MlflowClient

from core import cli, tracking
from core.jobs.runner import LocalJobRunner
from core.model.recipe import Recipe

REPO = Path(__file__).resolve().parents[1]
JOB_SECONDS = 240  # upper bound for one tiny job to start and train on a busy 2-core machine


@pytest.fixture(autouse=True)
def no_mlflow_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with mlflow's own defaults (conftest already removes the tracking URI)."""
    for name in ("MLFLOW_ALLOW_FILE_STORE", *tracking.HTTP_DEFAULTS):
        monkeypatch.delenv(name, raising=False)


def a_result(bundle: Path | None = None) -> dict:
    """A result dict shaped like ``result.json`` for the tests that train nothing."""
    return {
        "task": "binary",
        "target": "churn",
        "metrics": {"accuracy": 0.8, "roc_auc": 0.9, "confusion_matrix": [[1, 0], [0, 1]]},
        "baselines": {"majority class": {"accuracy": 0.5, "roc_auc": None}},
        "history": [
            {
                "epoch": 1,
                "loss": 0.7,
                "val_loss": 0.6,
                "metric": 0.6,
                "val_metric": 0.6,
                "metric_name": "accuracy",
                "seconds": 0.1,
                "learning_rate": 0.001,
            },
            {
                "epoch": 2,
                "loss": 0.5,
                "val_loss": 0.5,
                "metric": 0.7,
                "val_metric": 0.8,
                "metric_name": "accuracy",
                "seconds": 0.1,
                "learning_rate": 0.001,
            },
        ],  # fmt: skip
        "epochs_run": 2,
        "best_epoch": 2,
        "stopped_because": "completed",
        "verdict": "Better than the simple baselines.",
        "message": "Trained for 2 passes.",
        "warnings": [],
        "batch_size": 16,
        "data": {"rows": 240, "n_train": 168, "n_validation": 36, "n_test": 36},
        "bundle": None if bundle is None else str(bundle),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- off unless asked, and never a crash ------------------------------------------------------


def test_importing_trainboard_does_not_import_mlflow() -> None:
    code = (
        "import sys, core.tracking, core.cli, core.jobs.process, core.jobs.runner; "
        "print('mlflow' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_without_the_variable_mlflow_is_never_called(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    touched: list[str] = []

    class Tripwire(types.ModuleType):
        def __getattr__(self, name: str):  # any use of mlflow would land here
            touched.append(name)
            raise AssertionError(f"mlflow.{name} used while tracking is off")

    for name in ("mlflow", "mlflow.tracking", "mlflow.entities", "mlflow.exceptions"):
        monkeypatch.setitem(sys.modules, name, Tripwire(name))
    data = write_csv(raw_mixed_frame(20), tmp_path / "data.csv")
    assert tracking.log_finished_run(a_result(), Recipe(target="churn"), data_path=data) is None
    monkeypatch.setenv(tracking.TRACKING_URI_VARIABLE, "   ")  # blank counts as unset
    assert tracking.log_finished_run(a_result(), Recipe(target="churn"), data_path=data) is None
    assert touched == []


def test_mlflow_not_installed_is_a_one_line_note(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(tracking.TRACKING_URI_VARIABLE, "http://tracking.example:5000")
    for name in ("mlflow", "mlflow.tracking"):
        monkeypatch.setitem(sys.modules, name, None)  # what a missing package looks like
    data = write_csv(raw_mixed_frame(20), tmp_path / "data.csv")
    tracked = tracking.log_finished_run(a_result(), Recipe(target="churn"), data_path=data)
    assert tracked is not None and tracked.run_id is None
    assert tracked.note == tracking.NOTES["not_installed"]
    assert "\n" not in tracked.note and tracking.INSTALL_COMMAND in tracked.note
    noted = tracking.with_note(a_result(), tracked)
    assert noted["warnings"] == [tracked.note]


def test_unreachable_server_is_a_quick_note_not_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    uri = f"http://team:secret@127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv(tracking.TRACKING_URI_VARIABLE, uri)
    data = write_csv(raw_mixed_frame(20), tmp_path / "data.csv")
    started = time.monotonic()
    tracked = tracking.log_finished_run(a_result(), Recipe(target="churn"), data_path=data)
    assert time.monotonic() - started < 60, "mlflow's own retries would take minutes"
    assert tracked is not None and tracked.run_id is None
    assert tracking.REASONS["unreachable"] in tracked.note
    assert "secret" not in tracked.note and "127.0.0.1" in tracked.note
    assert "\n" not in tracked.note
    # The shorter retries apply only while logging: the team's environment is left as it was.
    assert not set(tracking.HTTP_DEFAULTS) & set(os.environ)


def test_folder_store_refused_by_mlflow_names_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(tracking.TRACKING_URI_VARIABLE, (tmp_path / "mlruns").as_uri())
    data = write_csv(raw_mixed_frame(20), tmp_path / "data.csv")
    tracked = tracking.log_finished_run(a_result(), Recipe(target="churn"), data_path=data)
    # mlflow 3.x keeps its folder store behind MLFLOW_ALLOW_FILE_STORE=true (see pyproject).
    assert tracked is not None and tracked.run_id is None
    assert tracking.REASONS["file_store"] in tracked.note


# --- names and values -------------------------------------------------------------------------


def test_experiment_is_named_after_the_data_unless_configured() -> None:
    assert tracking.experiment_name("sales.csv.gz", {}) == "sales"
    assert tracking.experiment_name("/data/Q3 leads.xlsx", {}) == "Q3 leads"
    assert tracking.experiment_name(None, {}) == tracking.DEFAULT_EXPERIMENT
    settings = {tracking.EXPERIMENT_VARIABLE: "churn models"}
    assert tracking.experiment_name("sales.csv", settings) == "churn models"


def test_recipe_params_are_flat_strings_of_every_setting() -> None:
    recipe = Recipe(target="churn", drop_columns=("id",)).with_changes(
        **{"model.hidden_layers": TINY_LAYERS, "training.learning_rate": 0.01}
    )
    params = tracking.recipe_params(recipe)
    assert params["target"] == "churn"
    assert params["drop_columns"] == '["id"]'
    assert params["training.learning_rate"] == "0.01"
    assert params["training.batch_size"] == "None"
    assert params["model.hidden_layers.0.units"] == str(TINY_LAYERS[0].units)
    assert "model.hidden_layers.1.units" not in params
    assert all(isinstance(value, str) for value in params.values())


def test_run_metrics_per_epoch_and_final() -> None:
    per_epoch, final = tracking.run_metrics(a_result())
    losses = [(value, step) for key, value, step in per_epoch if key == "loss"]
    assert losses == [(0.7, 1), (0.5, 2)]
    assert {key for key, _, _ in per_epoch} == {
        "loss", "val_loss", "accuracy", "val_accuracy", "learning_rate", "epoch_seconds"
    }  # fmt: skip
    assert final["test_accuracy"] == 0.8 and final["test_roc_auc"] == 0.9
    assert final["baseline_majority_class_accuracy"] == 0.5
    assert "baseline_majority_class_roc_auc" not in final  # undefined: left out
    assert not any("confusion" in key for key in final)
    assert final["epochs_run"] == 2 and final["best_epoch"] == 2


def test_regression_progress_metric_is_logged_under_its_keras_name() -> None:
    result = a_result()
    result["task"] = "regression"
    for row in result["history"]:
        row["metric_name"] = "typical error (mean absolute error)"
    keys = {key for key, _, _ in tracking.run_metrics(result)[0]}
    assert {"mae", "val_mae"} <= keys and "accuracy" not in keys


def test_regression_metric_names_are_valid_mlflow_keys() -> None:
    assert tracking.metric_key("typical error (mean absolute error)") == (
        "typical_error_mean_absolute_error"
    )
    assert tracking.metric_key("baseline_linear regression_r2") == "baseline_linear_regression_r2"


def test_passwords_never_reach_a_note() -> None:
    assert tracking.redact_uri("https://u:p@mlflow.team.io/x") == "https://mlflow.team.io/x"
    assert tracking.redact_uri("sqlite:////srv/mlflow.db") == "sqlite:////srv/mlflow.db"
    assert tracking.redact_uri("http://[::1") == "the address in MLFLOW_TRACKING_URI"


# --- real runs, read back with MLflow's client ------------------------------------------------


def _only_run(client: MlflowClient, experiment: str):
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment!r}"
    runs = client.search_runs([found.experiment_id])
    assert len(runs) == 1
    return runs[0]


def _assert_logged(client: MlflowClient, run, result: dict, recipe: Recipe, data: Path) -> None:
    """Everything Trainboard promises to log for one run is there, with the run's values."""
    run_id = run.info.run_id
    assert run.info.status == "FINISHED"
    # Stamped with when each epoch ended: in order, within the run's start and end.
    stamps = [
        m.timestamp for m in sorted(client.get_metric_history(run_id, "loss"), key=lambda m: m.step)
    ]
    assert run.info.start_time <= stamps[0] and stamps == sorted(stamps)
    assert stamps[-1] <= run.info.end_time
    expected_params = tracking.recipe_params(recipe)
    assert {key: run.data.params[key] for key in expected_params} == expected_params
    assert run.data.params["training.effective_batch_size"] == str(result["batch_size"])
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        history = client.get_metric_history(run_id, key)
        assert sorted(m.step for m in history) == list(range(1, result["epochs_run"] + 1))
    losses = {m.step: m.value for m in client.get_metric_history(run_id, "loss")}
    assert losses == {row["epoch"]: row["loss"] for row in result["history"]}
    for name, value in result["metrics"].items():
        if isinstance(value, float):
            assert run.data.metrics[f"test_{name}"] == pytest.approx(value, rel=1e-12)
    baseline = result["baselines"]["majority class"]["accuracy"]
    assert run.data.metrics["baseline_majority_class_accuracy"] == pytest.approx(baseline)
    tags = run.data.tags
    assert tags["trainboard.data_sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert tags["trainboard.target"] == "churn" and tags["trainboard.task"] == "binary"
    assert result["verdict"] in tags[tracking.DESCRIPTION_TAG]
    codes = ",".join(finding["code"] for finding in result.get("diagnosis") or [])
    assert tags.get("trainboard.diagnosis", "") == codes
    artifacts = {item.path: item for item in client.list_artifacts(run_id)}
    bundle = Path(result["bundle"])
    assert artifacts[bundle.name].file_size == bundle.stat().st_size
    recipe_copy = mlflow.artifacts.load_text(f"{run.info.artifact_uri}/recipe.json")
    assert Recipe.from_json(recipe_copy) == recipe


@pytest.mark.slow
def test_cli_train_logs_the_run_to_a_sqlite_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)  # mlflow puts a new experiment's artifacts in ./mlruns
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv(tracking.TRACKING_URI_VARIABLE, uri)
    data = write_csv(raw_mixed_frame(240).drop(columns=["tier", "price"]), tmp_path / "churn.csv")
    out = tmp_path / "model.zip"
    args = ["train", str(data), "--target", "churn", "--epochs", "3", "--out", str(out)]
    assert cli.main(args) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert "Logged to MLflow" in captured.err

    client = MlflowClient(tracking_uri=uri)
    run = _only_run(client, "churn")  # named after the data file
    assert summary["mlflow_run_id"] == run.info.run_id
    assert run.info.run_name == "churn from churn.csv"
    assert "trainboard.job_id" not in run.data.tags
    recipe = Recipe(target="churn").with_changes(**{"training.max_epochs": 3})
    result = json.loads(mlflow.artifacts.load_text(f"{run.info.artifact_uri}/result.json"))
    assert result["metrics"] == summary["metrics"]
    _assert_logged(client, run, result, recipe, data)


def churn_data(rows: int = 240) -> bytes:
    return csv_bytes(raw_mixed_frame(rows).drop(columns=["tier", "price"]))


def run_job(workspace: Path, recipe: Recipe) -> tuple[LocalJobRunner, str]:
    """Train ``recipe`` as a real job (its own process) and wait until it has ended."""
    runner = LocalJobRunner(workspace, max_concurrent=1)
    job_id = runner.submit(churn_data(), "customers.csv", recipe)
    deadline = time.monotonic() + JOB_SECONDS
    while runner.status(job_id).is_active:
        if time.monotonic() > deadline:
            runner.stop(job_id)
            log = (runner.jobs_dir / job_id / "log.txt").read_text(errors="replace")
            pytest.fail(f"job {job_id} did not end in {JOB_SECONDS} s:\n{log[-3000:]}")
        time.sleep(0.2)
    return runner, job_id


@pytest.mark.slow
def test_job_logs_the_run_to_a_folder_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, workspace: Path
) -> None:
    uri = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv(tracking.TRACKING_URI_VARIABLE, uri)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # mlflow 3.x's opt-in, see the README
    monkeypatch.setenv(tracking.EXPERIMENT_VARIABLE, "churn models")
    recipe = tiny_recipe("binary", **{"training.max_epochs": 3})
    runner, job_id = run_job(workspace, recipe)
    status = runner.status(job_id)
    assert status.state == "finished", status.error

    job_dir = runner.jobs_dir / job_id
    result = json.loads((job_dir / "result.json").read_text())
    assert not any("MLflow" in note for note in result["warnings"])
    client = MlflowClient(tracking_uri=uri)
    run = _only_run(client, "churn models")
    assert run.data.tags["trainboard.job_id"] == job_id
    assert run.info.run_name == f"churn from customers.csv ({job_id})"
    _assert_logged(client, run, result, recipe, job_dir / "data.csv")
    assert f"run {run.info.run_id}" in (job_dir / "log.txt").read_text()


@pytest.mark.slow
def test_server_down_leaves_a_note_and_the_run_finishes(
    monkeypatch: pytest.MonkeyPatch, workspace: Path
) -> None:
    monkeypatch.setenv(tracking.TRACKING_URI_VARIABLE, f"http://127.0.0.1:{free_port()}")
    runner, job_id = run_job(workspace, tiny_recipe("binary"))
    status = runner.status(job_id)
    assert status.state == "finished", status.error
    assert status.result is not None and status.result.bundle
    notes = [note for note in status.result.warnings if "MLflow" in note]
    assert len(notes) == 1 and tracking.REASONS["unreachable"] in notes[0]
    assert notes[0] in (runner.jobs_dir / job_id / "log.txt").read_text()


def test_ci_installs_mlflow_through_the_test_extra() -> None:
    # .ci/run installs ".[test]": these tests must never find mlflow missing there.
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    extras = tomllib.loads(pyproject)["project"]["optional-dependencies"]
    assert "trainboard[mlflow]" in extras["test"]
    assert any(r.startswith("mlflow-skinny") for r in extras["mlflow"])
