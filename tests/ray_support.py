"""A real local Ray cluster for the tests of the Ray runner (no mocks of Ray).

``.ci/run`` starts one (``ray start --head --num-cpus=2`` on a fixed port) and exports
``RAY_ADDRESS``; the :func:`ray_cluster` fixture then uses it. When ``RAY_ADDRESS`` is
unset (plain ``pytest`` on a developer's machine) the fixture starts its own cluster with
``ray start --head --block`` and ends exactly that process when the session ends: its Ray
processes go with it, and a cluster the developer runs elsewhere is never touched.

Test modules import the fixture (``from ray_support import ray_cluster``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# The test cluster's ports: fixed, and away from Ray's defaults (6379, 8265, 10001) so a
# developer's own cluster keeps running beside it (and below the workers' 10002-19999).
# .ci/run uses the same numbers.
GCS_PORT = 6390
DASHBOARD_PORT = 8266
CLIENT_PORT = 6392
ADDRESS = f"127.0.0.1:{GCS_PORT}"
START_TIMEOUT = 90.0  # a head node with its dashboard on a busy 2-core machine


def ray_command() -> list[str]:
    """``ray start`` for a 2-CPU head node on the test ports, in the foreground (``--block``)."""
    ray = Path(sys.executable).with_name("ray")
    return [
        str(ray),
        "start",
        "--head",
        "--num-cpus=2",
        f"--port={GCS_PORT}",
        f"--dashboard-port={DASHBOARD_PORT}",
        f"--ray-client-server-port={CLIENT_PORT}",
        "--dashboard-host=127.0.0.1",
        "--disable-usage-stats",
        "--block",
    ]


def wait_until_ready(
    address: str, process: subprocess.Popen | None = None, log: Path | None = None
) -> None:
    """Wait until the cluster at ``address`` accepts Ray jobs and its node reports its CPUs."""
    from ray.job_submission import JobSubmissionClient
    from ray.util.state import list_nodes

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            client = JobSubmissionClient(address)
            client.list_jobs()
            nodes = list_nodes(address=client.get_address(), raise_on_missing_output=False)
            if any(node.resources_total.get("CPU") for node in nodes):
                return
            raise RuntimeError("no node reports its CPUs yet")
        except Exception as error:
            if process is not None and process.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:] if log else ""
                pytest.fail(f"ray start ended with exit code {process.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                pytest.fail(f"the Ray cluster at {address} did not answer: {error}")
            time.sleep(1.0)


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a running local Ray cluster (``RAY_ADDRESS`` is set to it meanwhile)."""
    given = os.environ.get("RAY_ADDRESS")
    if given:
        wait_until_ready(given)
        yield given
        return
    log = tmp_path_factory.mktemp("ray") / "ray_start.log"
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ray_command(), stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    os.environ["RAY_ADDRESS"] = ADDRESS
    try:
        wait_until_ready(ADDRESS, process, log)
        yield ADDRESS
    finally:
        os.environ.pop("RAY_ADDRESS", None)
        # SIGTERM lets `ray start --block` shut its Ray processes down; its reaper ends any
        # that are left if it cannot.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def stop_ray_jobs(workspace: Path) -> None:
    """Stop the Ray jobs of every job folder under ``workspace`` that Ray still runs."""
    from core.files import read_json
    from core.jobs.ray_runner import ray_client, ray_status

    for folder in (workspace / "jobs").glob("*"):
        info = read_json(folder / "job.json")
        sid = info.get("runner_id") if isinstance(info, dict) else None
        if isinstance(sid, str) and ray_status(ray_client(), sid) in {"PENDING", "RUNNING"}:
            ray_client().stop_job(sid)
