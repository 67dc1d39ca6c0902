"""Part 6 of bench/overhead.py: does the app stay responsive while a job trains?

The same page visit is timed with no job running and while a real training job (its own
process, :class:`core.jobs.runner.LocalJobRunner`, at the jobs' lower priority) trains on
the same machine. The visit is what a person does on the Data page, driven with Streamlit's
``AppTest`` exactly as the page tests drive it: open the app, go to the Data page, choose
the telco churn sample, which reads, profiles and draws the table (Streamlit's caches are
cleared before every visit, so each one does the work). Idle and busy visits alternate; the
job is started before and stopped after each busy visit, once its first pass is done so it
is really training. Goal: the visit while a job trains takes at most 1.5 times the idle one.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.reporting import REPO_ROOT, format_table

SAMPLE = "telco_churn.csv"
TARGET = "churn"
PAGE_TIMEOUT = 300  # seconds per script run
JOB_START_SECONDS = 600.0


def page_visit_seconds() -> float:
    """Open the app, go to the Data page and choose the sample: the seconds it took."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    started = time.perf_counter()
    app = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=PAGE_TIMEOUT).run()
    app.switch_page("app_pages/data.py").run()
    app.segmented_control(key="sample_dataset").set_value(SAMPLE).run()
    seconds = time.perf_counter() - started
    if app.exception:
        raise RuntimeError(f"the Data page failed: {[e.value for e in app.exception]}")
    return seconds


def _training_job(runner: Any, data: bytes, recipe: Any) -> str:
    """Submit a long training job and wait until its first pass is done."""
    job_id = runner.submit(data, SAMPLE, recipe)
    deadline = time.monotonic() + JOB_START_SECONDS
    while True:
        status = runner.status(job_id)
        if status.epoch >= 1:
            return job_id
        if not status.is_active or time.monotonic() > deadline:
            raise RuntimeError(f"the job did not start training: {status.error}")
        time.sleep(0.2)


def _stop(runner: Any, job_id: str) -> dict[str, Any]:
    runner.stop(job_id)
    while (status := runner.status(job_id)).is_active:
        time.sleep(0.2)
    return {"passes_at_stop": status.epoch}


def responsiveness(rounds: int, log) -> dict[str, Any]:
    """Median page visit with no job and while a job trains, and their ratio."""
    from core.jobs.runner import LocalJobRunner
    from core.model.recipe import Recipe

    data = (REPO_ROOT / "sample_data" / SAMPLE).read_bytes()
    # Long enough to train through a visit: small batches, no early stop.
    recipe = Recipe(target=TARGET).with_changes(
        **{"training.batch_size": 16, "training.early_stopping": False}
    )
    timings: dict[str, list[float]] = {"idle": [], "busy": []}
    jobs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        # The pages' own workspace, without a warm worker loading TensorFlow beside them.
        settings = {
            "TRAINBOARD_WORKSPACE": str(Path(folder) / "app"),
            "TRAINBOARD_WARM_WORKER": "0",
        }
        previous = {name: os.environ.get(name) for name in settings}
        os.environ.update(settings)
        try:
            runner = LocalJobRunner(Path(folder) / "jobs", max_concurrent=1)
            page_visit_seconds()  # warm-up: imports and first script compilation
            for index in range(rounds):
                for side in ("idle", "busy") if index % 2 == 0 else ("busy", "idle"):
                    if side == "idle":
                        timings[side].append(page_visit_seconds())
                    else:
                        job_id = _training_job(runner, data, recipe)
                        timings[side].append(page_visit_seconds())
                        jobs.append(_stop(runner, job_id))
                    log(f"  round {index + 1} {side}: {timings[side][-1]:.2f}s")
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    idle, busy = statistics.median(timings["idle"]), statistics.median(timings["busy"])
    return {
        "page": f"Data page with {SAMPLE}",
        "rounds": rounds,
        "runs": timings,
        "jobs": jobs,
        "idle_median": idle,
        "busy_median": busy,
        "ratio": busy / idle,
    }


def print_responsive(result: dict[str, Any]) -> None:
    rows = [
        ["no job running", f"{result['idle_median']:.2f}"],
        ["while a job trains", f"{result['busy_median']:.2f}"],
    ]
    print(
        f"\nResponsiveness: {result['page']}, median of {result['rounds']} visits "
        "(goal: busy / idle <= 1.5)"
    )
    print(format_table(["side", "seconds"], rows))
    print(f"busy / idle: {result['ratio']:.2f}")
