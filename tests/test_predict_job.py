"""Prediction as a job: a large file predicted outside the web server, on either runner.

A real bundle is trained once (tiny data, few passes); the jobs are real job processes.
The page flow is driven with AppTest against the real local runner: upload, predict as a
job, watch, download. (A prediction job on Ray: tests/test_e2e_ray.py.)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import csv_bytes, mixed_frame, tiny_recipe
from test_jobs import kill_leftover_processes, make_runner

from core.errors import TrainingError
from core.jobs.predictions import (
    CHUNK_ROWS,
    IN_SESSION_MAX_BYTES,
    PREDICTIONS_FILE,
    PredictionStatus,
    runs_in_session,
)
from core.jobs.runner import LocalJobRunner
from core.jobs.states import JobState

ROOT = Path(__file__).resolve().parent.parent
WAIT_SECONDS = 240


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real yes/no bundle trained on a few hundred rows."""
    from core.bundle.writer import write_bundle
    from core.pipeline import train_run

    path = tmp_path_factory.mktemp("predict_job") / "bundle.zip"
    write_bundle(train_run(mixed_frame(), tiny_recipe("binary")), path)
    return path


def rows_to_predict(n: int) -> bytes:
    """``n`` new rows without the outcome column, some with empty or unseen cells."""
    frame = mixed_frame(n, seed=7).drop(columns=["churn"])
    return csv_bytes(frame)


@pytest.fixture
def workspace(workspace: Path) -> Iterator[Path]:
    yield workspace
    kill_leftover_processes(workspace)


def wait_until_ended(runner, prediction_id: str, seen: list | None = None) -> PredictionStatus:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        status = runner.prediction_status(prediction_id)
        if seen is not None:
            seen.append(status)
        if not status.is_active:
            return status
        if time.monotonic() > deadline:
            log = runner.predictions_dir / prediction_id / "log.txt"
            pytest.fail(f"prediction stuck in {status.state}:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def test_small_files_stay_in_the_session_and_large_ones_become_jobs() -> None:
    assert runs_in_session(0) and runs_in_session(IN_SESSION_MAX_BYTES)
    assert not runs_in_session(IN_SESSION_MAX_BYTES + 1)
    assert CHUNK_ROWS % 8192 == 0  # whole network batches: the same numbers as one call


def test_unknown_prediction_ids_are_no_such_run(workspace: Path) -> None:
    runner = LocalJobRunner(workspace, max_concurrent=1)
    for call in (runner.prediction_status, runner.stop_prediction, runner.predictions_file):
        with pytest.raises(TrainingError, match="no training run with the id"):
            call("../../etc")


@pytest.mark.slow
def test_a_prediction_job_writes_exactly_what_predict_file_gives(
    workspace: Path, bundle: Path
) -> None:
    """(On Ray: tests/test_e2e_ray.py predicts a large file through the page.)"""
    from core.bundle.loading import load_bundle

    runner = make_runner("local", workspace)
    n = CHUNK_ROWS + 500  # two chunks: the second one partly filled
    data = rows_to_predict(n)
    assert not runs_in_session(len(data))
    prediction_id = runner.submit_prediction(bundle, data, "new.csv", threshold=0.3)
    seen: list[PredictionStatus] = []
    final = wait_until_ended(runner, prediction_id, seen)
    assert final.state == JobState.FINISHED, final.error
    assert final.runner == "local"
    # Progress by chunks of rows, only forwards, ending at every usable row.
    done = [status.rows_done for status in seen]
    assert done == sorted(done) and final.rows_done == final.rows_total > CHUNK_ROWS
    written = runner.predictions_file(prediction_id)
    assert written is not None and written.name == PREDICTIONS_FILE

    expected = load_bundle(bundle).predict_file(data, name="new.csv", threshold=0.3)
    assert written.read_bytes() == expected.to_csv()  # byte for byte
    assert final.summary["headline"] == expected.headline("churn")
    assert final.summary["notes"] == [[n.level, n.message] for n in expected.notes]
    assert final.summary["threshold"] == 0.3
    assert not (workspace / "jobs").exists()  # not a training run: no run is listed


@pytest.mark.slow
def test_a_prediction_job_stops_on_request_and_writes_nothing(
    workspace: Path, bundle: Path
) -> None:
    runner = LocalJobRunner(workspace, max_concurrent=1)
    prediction_id = runner.submit_prediction(bundle, rows_to_predict(3000), "new.csv")
    runner.stop_prediction(prediction_id)  # before the first chunk: TensorFlow is still loading
    runner.stop_prediction(prediction_id)  # idempotent
    final = wait_until_ended(runner, prediction_id)
    assert final.state == JobState.CANCELLED and "stopped on request" in final.error
    assert runner.predictions_file(prediction_id) is None
    assert not (runner.predictions_dir / prediction_id / PREDICTIONS_FILE).exists()


@pytest.mark.slow
def test_a_file_missing_a_column_fails_in_plain_words(workspace: Path, bundle: Path) -> None:
    runner = LocalJobRunner(workspace, max_concurrent=1)
    frame = mixed_frame(50, seed=3).drop(columns=["churn", "plan"])
    prediction_id = runner.submit_prediction(bundle, csv_bytes(frame), "new.csv")
    final = wait_until_ended(runner, prediction_id)
    assert final.state == JobState.FAILED
    assert "plan" in final.error and "Traceback" not in final.error
    log = (runner.predictions_dir / prediction_id / "log.txt").read_text()
    assert "tensorflow" not in log.lower()  # refused before TensorFlow was loaded


@pytest.mark.slow
def test_the_predict_page_runs_a_large_file_as_a_job(workspace: Path, bundle: Path) -> None:
    from streamlit.testing.v1 import AppTest

    sys.path.insert(0, str(ROOT))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    app.switch_page("app_pages/predict.py").run()
    app.radio(key="predict_source").set_value("bundle").run()
    app.file_uploader(key="bundle_upload").upload(
        "model.zip", bundle.read_bytes(), "application/zip"
    ).run()
    data = rows_to_predict(15_000)
    assert not runs_in_session(len(data))
    app.file_uploader(key="predict_upload").upload("big.csv", data, "text/csv").run()
    app.button(key="predict_run").click().run()
    assert not app.exception
    # The job is running in its own process; the page shows its progress and a Stop button.
    assert app.session_state["loaded_model"] is None  # no model (TensorFlow) in this process
    assert app.button(key="predict_stop")
    deadline = time.monotonic() + WAIT_SECONDS
    while not app.download_button:
        assert time.monotonic() < deadline, [e.value for e in app.error + app.warning]
        time.sleep(1.0)
        app.run()
        assert not app.exception
    assert app.success[0].value.startswith("Predicted churn for 15,000 rows")
    assert app.download_button(key="download_predictions")
    assert len(app.dataframe[0].value) == 200  # the preview; the download is the whole file
