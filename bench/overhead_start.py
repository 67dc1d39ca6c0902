"""Start -> first pass on screen: a warm worker against a cold job process and a bare import.

In one command, alternating, on one table (``sample_data/telco_churn.csv`` by default):

- ``import``: a fresh ``python -c "import tensorflow"``, wall clock (what any cold job pays
  before it reads a row);
- ``cold``: ``LocalJobRunner(warm=False).submit(...)`` until ``status.epoch >= 1``, as the
  Train page polls it (every 20 ms here);
- ``warm``: the same with a ready warm worker (``core.jobs.warm``), the app's default.

Each job is stopped once its first pass is on screen (the rest is not what is measured).
Also reported: the job's own first pass (``history[0].seconds``, tracing included), so
"little more than one pass plus reading the data" can be read off. Goal: warm < import.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.reporting import REPO_ROOT, format_table

POLL_SECONDS = 0.02
READY_SECONDS = 300.0


def bare_import_seconds() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import tensorflow"], check=True, cwd=REPO_ROOT)
    return time.perf_counter() - started


def _first_pass(runner: Any, data: bytes, name: str, recipe: Any) -> dict[str, float]:
    """Submit, wait for the first pass, stop the job and wait for its end."""
    started = time.perf_counter()
    job_id = runner.submit(data, name, recipe)
    submitted = time.perf_counter() - started
    while True:
        status = runner.status(job_id)
        if status.epoch >= 1 or not status.is_active:
            break
        time.sleep(POLL_SECONDS)
    seen = time.perf_counter() - started
    if status.epoch < 1:
        raise RuntimeError(f"the job ended before its first pass: {status.error}")
    runner.stop(job_id)
    while runner.status(job_id).is_active:
        time.sleep(0.2)
    return {
        "first_pass_seen": seen,
        "submit_seconds": submitted,
        "first_pass_itself": status.history[0].seconds,
    }


def _wait_for_worker(workspace: Path) -> None:
    from core.jobs import warm

    log = workspace / warm.WARM_DIR / warm.WORKER_LOG
    head = warm.READY_LINE.split("{pid}")[0]
    deadline = time.monotonic() + READY_SECONDS
    while not (log.exists() and head in log.read_text(errors="replace")):
        if time.monotonic() > deadline:
            raise RuntimeError("the warm worker never got ready")
        time.sleep(0.2)


def start_latency(csv_path: Path, target: str, rounds: int, log) -> dict[str, Any]:
    """Median start -> first pass of warm and cold jobs, and of a bare TensorFlow import."""
    from core.jobs.runner import LocalJobRunner
    from core.model.recipe import Recipe

    data = csv_path.read_bytes()
    recipe = Recipe(target=target)
    timings: dict[str, list[dict[str, float]]] = {"import": [], "cold": [], "warm": []}
    with tempfile.TemporaryDirectory() as folder:
        cold = LocalJobRunner(Path(folder) / "cold", max_concurrent=1)
        warm_runner = LocalJobRunner(Path(folder) / "warm", max_concurrent=1, warm=True)
        warm_runner.keep_warm()
        try:
            for index in range(rounds):
                order = ("import", "cold", "warm") if index % 2 == 0 else ("warm", "cold", "import")
                for side in order:
                    if side == "import":
                        timings[side].append({"first_pass_seen": bare_import_seconds()})
                    elif side == "cold":
                        timings[side].append(_first_pass(cold, data, csv_path.name, recipe))
                    else:
                        _wait_for_worker(warm_runner.workspace)  # loads after each job ends
                        timings[side].append(_first_pass(warm_runner, data, csv_path.name, recipe))
                    log(f"  round {index + 1} {side}: {timings[side][-1]['first_pass_seen']:.2f}s")
        finally:
            _end_workers(warm_runner.workspace)
    result: dict[str, Any] = {"file": csv_path.name, "rounds": rounds, "runs": timings}
    for side, runs in timings.items():
        result[f"{side}_median"] = statistics.median(r["first_pass_seen"] for r in runs)
    for side in ("cold", "warm"):
        result[f"{side}_first_pass_itself"] = statistics.median(
            r["first_pass_itself"] for r in timings[side]
        )
    result["warm_vs_import"] = result["warm_median"] / result["import_median"]
    return result


def _end_workers(workspace: Path) -> None:
    """End the warm worker this measurement started (its pid is in its lock file)."""
    import os
    import signal

    from core.jobs import warm

    lock = workspace / warm.WARM_DIR / warm.WORKER_LOCK
    try:
        pid = int(lock.read_text())
        os.killpg(pid, signal.SIGTERM)
    except (OSError, ValueError):
        pass


def print_start(result: dict[str, Any]) -> None:
    rows = [
        ['bare `python -c "import tensorflow"`', f"{result['import_median']:.2f}", "-"],
        [
            "cold job: start -> first pass",
            f"{result['cold_median']:.2f}",
            f"{result['cold_first_pass_itself']:.2f}",
        ],
        [
            "warm worker: start -> first pass",
            f"{result['warm_median']:.2f}",
            f"{result['warm_first_pass_itself']:.2f}",
        ],
    ]
    print(
        f"\nStart -> first pass on screen, {result['file']}, median of {result['rounds']} "
        f"(warm / import = {result['warm_vs_import']:.2f}; goal < 1)"
    )
    print(format_table(["path", "seconds", "the pass itself s"], rows))
