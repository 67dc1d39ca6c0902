"""Jobs on a Ray cluster: the same job folders, each job's process started as a Ray job.

Chosen by ``TRAINBOARD_RUNNER=ray`` (:func:`core.jobs.runner.get_runner`); the cluster is
the one Ray itself finds from ``RAY_ADDRESS`` (the head's ``host:6379``, or its dashboard's
``http://host:8265``). Nothing else imports this module, so a laptop never needs Ray.

Design (docs/ARCHITECTURE.md, "Jobs on Ray"):

- **State stays in the job folder.** The workspace (``TRAINBOARD_WORKSPACE``) is a path
  every node sees (the same disk on one machine, a shared file system on several), and
  Trainboard is installed at the same path on every node. A Ray job runs exactly the local
  runner's job process, ``python -m core.jobs run <job_dir>``, so progress, the stop marker
  checked before every batch, the slot queue, ``result.json`` and the bundle are the same
  files, read by the same code. A restarted web server re-attaches by reading them.
- **Resources are declared.** Each job asks Ray for ``TRAINBOARD_RAY_CPUS`` CPUs (default 1)
  and, where the cluster has GPUs, ``TRAINBOARD_RAY_GPUS`` GPUs (default 1 there, else 0):
  Ray places it on a node with them free, and holds it pending while none has.
- **Liveness comes from Ray.** A worker on another machine cannot hold a lock the web server
  sees reliably, so a Ray job is alive while Ray says its Ray job is pending or running;
  when its process dies (or its node), Ray says "failed" and the job reads "interrupted".
- **Ray's id is recorded.** ``job.json`` says ``"runner": "ray"`` and ``runner_id``, the
  Ray submission id ``trainboard-<job id>``, fixed before the job is visible.
"""

from __future__ import annotations

import functools
import os
import shlex
import sys
import threading
import time
from pathlib import Path
from typing import Any

from core.errors import TrainingError
from core.files import read_json
from core.jobs.process import (
    CANCELLED_MESSAGE,
    JOB_FILE,
    LOG_FILE,
    STATUS_FILE,
    STOP_FILE,
    as_float,
    write_job_json,
)
from core.jobs.runner import PROJECT_ROOT, RUNNER_VARIABLE, LocalJobRunner
from core.jobs.states import JobState, RunnerKind

CPUS_VARIABLE = "TRAINBOARD_RAY_CPUS"
GPUS_VARIABLE = "TRAINBOARD_RAY_GPUS"
DEFAULT_CPUS = 1.0
SUBMISSION_PREFIX = "trainboard-"
# Ray statuses (ray.job_submission.JobStatus values) of a job whose process may still run.
LIVE_RAY_STATUSES = frozenset({"PENDING", "RUNNING"})
# The moment between a job folder becoming visible and Ray accepting its submission: a job
# Ray does not know yet is taken as alive for this long after it was created.
SUBMIT_GRACE_SECONDS = 30.0
# The cluster's size is asked once a minute at most (a page asks for a runner on every rerun).
CLUSTER_FACTS_SECONDS = 60.0
# How long an unreachable cluster is remembered as such before it is asked again.
FAILURE_MEMORY_SECONDS = 60.0
# Settings passed on to every job process, wherever it runs.
FORWARDED_PREFIXES = ("TRAINBOARD_", "MLFLOW_", "TF_")

NO_CLUSTER = (
    "Trainboard is set to run jobs on a Ray cluster (TRAINBOARD_RUNNER=ray) but cannot reach "
    "it ({reason}). Start one with 'ray start --head' and set RAY_ADDRESS to the address it "
    "prints, or unset TRAINBOARD_RUNNER to run jobs on this machine."
)
NO_RAY = (
    "Trainboard is set to run jobs on a Ray cluster (TRAINBOARD_RUNNER=ray) but Ray is not "
    'installed. Install it with: pip install -e ".[ray]" (or unset TRAINBOARD_RUNNER).'
)
BAD_RESOURCES = "{name} must be a number of at least {least}, not '{value}'."


# Cluster facts and failures to reach a cluster, per address: not any person's state, so
# shared by every session of the server.
_facts_lock = threading.Lock()
_facts: dict[str, tuple[float, dict[str, float]]] = {}
_failures: dict[str | None, tuple[float, TrainingError]] = {}


def submission_id(job_id: str) -> str:
    """Ray's id for the Ray job that runs ``job_id`` (chosen by Trainboard, so known early)."""
    return f"{SUBMISSION_PREFIX}{job_id}"


def ray_client(address: str | None = None) -> Any:
    """A Ray job submission client for the cluster at ``address`` (``RAY_ADDRESS`` if None).

    Cached per address: the client is a small HTTP client, shared safely by every session.

    Raises
    ------
    TrainingError
        If Ray is not installed or the cluster cannot be reached, in plain words.
    """
    address = address or os.environ.get("RAY_ADDRESS") or None
    with _facts_lock:
        failed = _failures.get(address)
    # A cluster that is down can take 40 s to say so (Ray retries a host:6379 address): say
    # it again at once for a while instead of making every page wait that long each time.
    if failed is not None and time.monotonic() - failed[0] < FAILURE_MEMORY_SECONDS:
        raise failed[1]
    try:
        return _client_for(address)
    except TrainingError as error:
        with _facts_lock:
            _failures[address] = (time.monotonic(), error)
        raise


@functools.lru_cache(maxsize=4)
def _client_for(address: str | None) -> Any:
    try:
        from ray.job_submission import JobSubmissionClient
    except ImportError as error:
        raise TrainingError(NO_RAY) from error
    try:
        return JobSubmissionClient(address)
    except Exception as error:  # Ray raises ConnectionError, ValueError, RpcError...
        raise TrainingError(NO_CLUSTER.format(reason=_short(error))) from error


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:200]


def cluster_resources(client: Any) -> dict[str, float]:
    """Total resources of the cluster's live nodes (``{"CPU": 8.0, "GPU": 1.0, ...}``).

    Asked through Ray's state API at most once a minute per cluster.
    """
    address = str(client.get_address())
    with _facts_lock:
        known = _facts.get(address)
        if known is not None and time.monotonic() - known[0] < CLUSTER_FACTS_SECONDS:
            return dict(known[1])
    from ray.util.state import list_nodes

    try:
        nodes = list_nodes(address=address, raise_on_missing_output=False)
    except Exception as error:
        raise TrainingError(NO_CLUSTER.format(reason=_short(error))) from error
    totals: dict[str, float] = {}
    for node in nodes:
        if str(getattr(node, "state", "")) != "ALIVE":
            continue
        for name, amount in (getattr(node, "resources_total", None) or {}).items():
            totals[name] = totals.get(name, 0.0) + float(amount)
    if totals.get("CPU", 0.0) > 0:  # a node still starting up reports none yet: ask again
        with _facts_lock:
            _facts[address] = (time.monotonic(), totals)
    return dict(totals)


def _resource_setting(name: str, default: float, least: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    amount = as_float(value, default=-1.0)
    if amount < least:
        raise TrainingError(BAD_RESOURCES.format(name=name, least=least, value=value[:20]))
    return amount


class RayJobRunner(LocalJobRunner):
    """Runs each job as a Ray job on the cluster at ``RAY_ADDRESS``; state in the workspace.

    Everything but starting a job and telling whether it is alive is the local runner's:
    the folders, statuses, queue, stop marker, restart and artifacts are the same files.

    Parameters
    ----------
    workspace
        A folder every node of the cluster sees at the same path (``TRAINBOARD_WORKSPACE``).
    max_concurrent
        Jobs allowed to work at once; by default ``TRAINBOARD_MAX_JOBS`` or as many as the
        cluster's CPUs hold at ``TRAINBOARD_RAY_CPUS`` each.
    address
        The cluster (``RAY_ADDRESS`` when None).
    """

    kind = RunnerKind.RAY

    def __init__(
        self,
        workspace: Path | None = None,
        max_concurrent: int | None = None,
        address: str | None = None,
    ) -> None:
        self.client = ray_client(address)
        resources = cluster_resources(self.client)
        self.num_cpus = _resource_setting(CPUS_VARIABLE, DEFAULT_CPUS, least=0.0)
        has_gpu = resources.get("GPU", 0.0) >= 1.0
        self.num_gpus = _resource_setting(GPUS_VARIABLE, 1.0 if has_gpu else 0.0, least=0.0)
        if max_concurrent is None and not os.environ.get("TRAINBOARD_MAX_JOBS", "").strip():
            fits = resources.get("CPU", 0.0) // self.num_cpus if self.num_cpus else 1.0
            max_concurrent = max(1, int(fits))
        super().__init__(workspace, max_concurrent)

    def _runner_record(self, job_id: str) -> dict[str, Any]:
        return {"runner": self.kind, "runner_id": submission_id(job_id)}

    def _start_process(self, job_dir: Path, lock_fd: int) -> None:
        """Submit the job's process to Ray (the process takes the job's lock itself)."""
        del lock_fd  # a lock cannot travel to another machine: liveness comes from Ray
        self.submit_ray_job(job_dir)

    def submit_ray_job(self, job_dir: Path) -> str:
        """Start ``python -m core.jobs run <job_dir>`` as a Ray job; return Ray's id for it.

        Raises
        ------
        TrainingError
            If the cluster refuses the job or cannot be reached.
        """
        command = " ".join(
            shlex.quote(part) for part in (sys.executable, "-m", "core.jobs", "run", str(job_dir))
        )
        log = shlex.quote(str(job_dir / LOG_FILE))
        # exec: the job's process is the Ray job's own, so its end is the Ray job's end.
        entrypoint = f"cd {shlex.quote(str(PROJECT_ROOT))} && exec {command} >>{log} 2>&1"
        try:
            return self.client.submit_job(
                entrypoint=entrypoint,
                submission_id=submission_id(job_dir.name),
                entrypoint_num_cpus=self.num_cpus,
                entrypoint_num_gpus=self.num_gpus,
                runtime_env={"env_vars": job_environment(self.client.get_address())},
                metadata={"trainboard_job": job_dir.name},
            )
        except Exception as error:
            raise TrainingError(NO_CLUSTER.format(reason=_short(error))) from error

    def stop(self, job_id: str) -> None:
        """As the local runner; a job Ray still holds back for resources is cancelled at once.

        Its process never started, so nothing would see the stop marker until the cluster
        had room: the run is marked "cancelled" here, and Ray is asked to stop its Ray job
        (Ray does so when the job would start; the process, should it start first, finds
        the run no longer queued and exits without training).
        """
        super().stop(job_id)
        job_dir = self._job_dir(job_id)
        if not (job_dir / STOP_FILE).exists():
            return
        info = read_json(job_dir / JOB_FILE)
        sid = info.get("runner_id") if isinstance(info, dict) else None
        try:
            if not isinstance(sid, str) or ray_status(self.client, sid) != "PENDING":
                return
            self.client.stop_job(sid)
        except Exception:  # unreachable, or it started meanwhile: the stop marker will do
            return
        raw = read_json(job_dir / STATUS_FILE)
        # No pid: its process never started, so nothing else will write this status.
        if isinstance(raw, dict) and raw.get("state") == JobState.QUEUED and "pid" not in raw:
            cancelled = {"state": JobState.CANCELLED, "error": CANCELLED_MESSAGE}
            write_job_json(job_dir / STATUS_FILE, {**raw, **cancelled, "finished_at": time.time()})


def job_environment(address: str) -> dict[str, str]:
    """The environment variables a job process gets on whichever node runs it."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name.startswith(FORWARDED_PREFIXES) and name != RUNNER_VARIABLE
    }
    env["PYTHONPATH"] = str(PROJECT_ROOT)  # the repository may not be installed there
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # A prediction or tuning job that itself asks about other jobs finds the same cluster.
    env["RAY_ADDRESS"] = address
    return env


def ray_status(client: Any, sid: str) -> str | None:
    """Ray's status of the Ray job ``sid`` ("PENDING", "RUNNING", "FAILED"...), None if unknown.

    Raises
    ------
    ConnectionError
        (or another Ray error) when the cluster cannot be reached.
    """
    try:
        return str(client.get_job_status(sid).value)
    except RuntimeError as error:  # Ray's "does not exist" answer
        if "does not exist" in str(error):
            return None
        raise


def ray_job_alive(info: dict[str, Any]) -> bool:
    """Whether the Ray job named in a job's ``job.json`` (``info``) may still be working.

    Pending or running in Ray: alive. Ended, or the cluster unreachable (Ray jobs end with
    their cluster): not. Not yet known to Ray: alive only just after submission.
    """
    sid = info.get("runner_id")
    if not isinstance(sid, str):
        return False
    try:
        status = ray_status(ray_client(), sid)
    except Exception:
        return False
    if status is None:
        return time.time() - as_float(info.get("created_at")) < SUBMIT_GRACE_SECONDS
    return status in LIVE_RAY_STATUSES
