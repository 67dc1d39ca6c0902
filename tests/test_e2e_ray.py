"""One browser journey with the Ray runner: the app unchanged, every job on a Ray cluster.

A real ``streamlit run app.py`` started with ``TRAINBOARD_RUNNER=ray`` and ``RAY_ADDRESS``
pointing at a real local Ray cluster (``ray_support.ray_cluster``); headless Chromium trains
a run, watches it finish, then predicts a large file (a prediction job). Both jobs' statuses
say they ran on Ray, with Ray's own ids. The page is the same as with the local runner.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect
from ray_support import ray_cluster  # noqa: F401 (the fixture, by name)

from core.jobs.predictions import runs_in_session
from core.jobs.runner import LocalJobRunner
from core.portable.reading import read_table

pytest.register_assert_rewrite("e2e_support")
from e2e_support import (  # noqa: E402
    PROJECT_ROOT,
    AppServer,
    go_to,
    keyed_button,
    open_app,
    report_failures,
    run_streamlit,
    set_number,
    stop_leftover_jobs,
    upload,
    upload_and_choose_target,
    wait_idle,
)
from test_e2e import RUN_END_TIMEOUT_MS, start_training  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
pytest_plugins = ["e2e_support"]  # browser and page

SAMPLES = PROJECT_ROOT / "sample_data"
# A Ray job starts its process, which imports TensorFlow, trains, tests and packages.
RUN_START_AND_END_TIMEOUT_MS = 300_000


@pytest.fixture(scope="module")
def ray_app_server(
    ray_cluster: str,  # noqa: F811 (the imported fixture)
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[AppServer]:
    """A Trainboard server whose jobs run on the test Ray cluster."""
    folder = tmp_path_factory.mktemp("e2e_ray_server")
    workspace = folder / "workspace"
    workspace.mkdir()
    before = os.environ.get("TRAINBOARD_RUNNER")
    os.environ["TRAINBOARD_RUNNER"] = "ray"  # the server copies the environment as it starts
    try:
        with run_streamlit(workspace, folder / "streamlit.log") as server:
            try:
                yield server
            finally:
                stop_leftover_jobs(workspace)
    finally:
        if before is None:
            os.environ.pop("TRAINBOARD_RUNNER", None)
        else:
            os.environ["TRAINBOARD_RUNNER"] = before


def test_train_and_predict_on_ray(ray_app_server: AppServer, page: Page, tmp_path: Path) -> None:
    max_epochs = 3
    small = tmp_path / "churn_400.csv"
    pd.read_csv(SAMPLES / "telco_churn.csv", dtype=str, keep_default_na=False).head(400).to_csv(
        small, index=False
    )
    with report_failures(ray_app_server, "ray_journey", page):
        open_app(page, ray_app_server)
        go_to(page, "data")
        upload_and_choose_target(
            page,
            small,
            "churn",
            read=page.get_by_text(f"Using {small.name}: 400 rows, 20 columns."),
            chosen=page.get_by_text("the model will be predicting a yes/no outcome"),
        )
        expect(page.get_by_role("heading", name="Health check")).to_be_visible()
        wait_idle(page)
        go_to(page, "design")
        set_number(page, "epochs", max_epochs)
        wait_idle(page)

        # The page follows the run on its own until it ends (3 short passes may all end
        # between two redraws, so no single pass is awaited: journey 1 watches live passes).
        job_id = start_training(page)
        finished = page.get_by_text(
            re.compile(rf"^Training finished all {max_epochs} passes over the data")
        )
        expect(finished).to_be_visible(timeout=RUN_START_AND_END_TIMEOUT_MS)

        # The run's status says it ran on Ray, with Ray's own id for it.
        status = LocalJobRunner(ray_app_server.workspace).status(job_id)
        assert (status.state, status.runner) == ("finished", "ray")
        assert status.runner_id == f"trainboard-{job_id}"

        # A large file is predicted by a job, on Ray too.
        big = tmp_path / "churn_all.csv"
        shutil.copy(SAMPLES / "telco_churn.csv", big)
        assert not runs_in_session(big.stat().st_size)
        rows = len(read_table(big))
        go_to(page, "predict")
        upload(page, "predict_upload", big)
        keyed_button(page, "predict_run").click()
        expect(page.get_by_text(re.compile(rf"^Predicted .*\b{rows:,} rows\.$"))).to_be_visible(
            timeout=RUN_END_TIMEOUT_MS
        )
        expect(keyed_button(page, "download_predictions")).to_be_visible()
        runner = LocalJobRunner(ray_app_server.workspace)
        (prediction_id,) = [p.name for p in runner.predictions_dir.iterdir()]
        predicted = runner.prediction_status(prediction_id)
        assert (predicted.state, predicted.runner) == ("finished", "ray")
        assert predicted.rows_done == predicted.rows_total == rows
