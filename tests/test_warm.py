"""The warm worker: a process with TensorFlow loaded takes the next job and runs it as its own.

Fast tests drive the hand-over's checks over a socket pair in this process. Slow tests start
a real warm worker in the test's workspace, hand it real jobs (tiny data, few passes) and
check the job package's guarantees: the job finishes with the same scores as a cold start,
stops within a batch, reads "interrupted" when the worker is killed, and a worker that does
not answer properly is ended and the job starts cold.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import churn_csv_bytes, tiny_recipe
from test_jobs import hold_lock, kill_leftover_processes, make_job_folder, wait_for

from core.jobs import warm
from core.jobs.runner import INTERRUPTED_MESSAGE, LocalJobRunner
from core.jobs.states import new_job_id

READY_SECONDS = 180  # a worker loads TensorFlow: slow on a busy 2-core machine


@pytest.fixture
def workspace(workspace: Path) -> Iterator[Path]:
    """The test's workspace; afterwards, end every job process and warm worker left in it."""
    yield workspace
    kill_leftover_processes(workspace)
    lock = workspace / warm.WARM_DIR / warm.WORKER_LOCK
    waiting = [int(lock.read_text())] if lock.exists() and lock.read_text().isdigit() else []
    for pid in {*waiting, *_worker_pids(workspace)}:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _worker_pids(workspace: Path) -> list[int]:
    log = workspace / warm.WARM_DIR / warm.WORKER_LOG
    if not log.exists():
        return []
    head = warm.READY_LINE.split("{pid}")[0]
    return [
        int(line[len(head) :].split()[0])
        for line in log.read_text(errors="replace").splitlines()
        if line.startswith(head)
    ]


def ready_worker(runner: LocalJobRunner) -> int:
    """Start the runner's warm worker and wait until it listens; its process id."""
    runner.keep_warm()
    deadline = time.monotonic() + READY_SECONDS
    while not _worker_pids(runner.workspace):
        if time.monotonic() > deadline:
            log = runner.workspace / warm.WARM_DIR / warm.WORKER_LOG
            pytest.fail(f"the warm worker never got ready:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)
    return _worker_pids(runner.workspace)[-1]


def job_pid(runner: LocalJobRunner, job_id: str) -> int:
    return json.loads((runner.jobs_dir / job_id / "status.json").read_text())["pid"]


# --- fast: the switch and the hand-over's checks ----------------------------------------------


@pytest.mark.parametrize(
    ("value", "wanted"), [(None, True), ("1", True), ("0", False), ("off", False), ("no", False)]
)
def test_the_warm_worker_is_on_unless_turned_off(value: str | None, wanted: bool) -> None:
    environ = {} if value is None else {warm.WARM_VARIABLE: value}
    assert warm.warm_worker_wanted(environ) is wanted


def test_runners_start_no_worker_unless_asked(workspace: Path) -> None:
    LocalJobRunner(workspace).keep_warm()  # the class default: no warm worker
    assert not (workspace / warm.WARM_DIR).exists()


def _offer(jobs_dir: Path, job_dir: Path, lock_fd: int) -> tuple[object, bytes]:
    """Hand ``job_dir`` over a socket pair to the worker's checks; (taken job, answer)."""
    runner_end, worker_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with runner_end, worker_end:
        socket.send_fds(runner_end, [str(job_dir).encode()], [lock_fd])
        taken = warm._take_job(worker_end, jobs_dir)
        if taken is None:
            return None, runner_end.recv(64)
        os.close(taken[1])
        return taken, b""


def test_the_worker_takes_only_a_job_folder_of_its_workspace_with_its_own_lock(
    workspace: Path,
) -> None:
    jobs_dir = workspace / "jobs"
    job_id = new_job_id()
    folder = make_job_folder(workspace, job_id, {"state": "queued"})
    lock_fd = hold_lock(folder / "lock")
    other_fd = hold_lock(workspace / "other.lock")
    try:
        taken, _ = _offer(jobs_dir, folder, lock_fd)
        assert taken == (folder, taken[1])
        # Another workspace's folder, a folder not named like a job, another file's lock:
        # each is refused with a clear answer (the runner then starts the job cold).
        outside = make_job_folder(workspace / "elsewhere", job_id, {"state": "queued"})
        assert _offer(jobs_dir, outside, lock_fd) == (None, warm.REFUSED)
        (jobs_dir / "not-a-job").mkdir()
        assert _offer(jobs_dir, jobs_dir / "not-a-job", lock_fd) == (None, warm.REFUSED)
        assert _offer(jobs_dir, folder, other_fd) == (None, warm.REFUSED)
    finally:
        os.close(lock_fd)
        os.close(other_fd)


def test_no_worker_means_no_hand_over(workspace: Path) -> None:
    job_id = new_job_id()
    folder = make_job_folder(workspace, job_id, {"state": "queued"})
    lock_fd = hold_lock(folder / "lock")
    try:
        assert warm.hand_over(workspace, folder, lock_fd) is False
    finally:
        os.close(lock_fd)


# --- slow: real workers, real jobs ----------------------------------------------------------


@pytest.mark.slow
def test_a_warm_job_finishes_like_a_cold_one_and_the_next_worker_starts(workspace: Path) -> None:
    recipe = tiny_recipe(epochs=3, exact_epochs=True)
    data = churn_csv_bytes(300)
    cold_runner = LocalJobRunner(workspace / "cold", max_concurrent=1)
    cold = wait_for(
        cold_runner, cold_runner.submit(data, "churn.csv", recipe), lambda s: not s.is_active
    )

    runner = LocalJobRunner(workspace, max_concurrent=1, warm=True)
    worker = ready_worker(runner)
    job_id = runner.submit(data, "churn.csv", recipe)
    final = wait_for(runner, job_id, lambda s: not s.is_active)
    log = (runner.jobs_dir / job_id / "log.txt").read_text(errors="replace")
    assert final.state == "finished", (final.error, log[-3000:])
    assert job_pid(runner, job_id) == worker  # the warm worker ran it, as its own process
    assert "Finished: completed." in log  # and its output went to the job's own log
    # Same data, same recipe, same seed: the same scores as a job started cold.
    assert cold.state == "finished" and final.result.metrics == cold.result.metrics
    assert runner.artifact(job_id, "bundle.zip") is not None
    # After the hand-over the next warm worker was started for the next job.
    deadline = time.monotonic() + READY_SECONDS
    while len(_worker_pids(workspace)) < 1 or _worker_pids(workspace)[-1] == worker:
        assert time.monotonic() < deadline, "no next warm worker"
        time.sleep(0.2)


@pytest.mark.slow
def test_a_warm_job_stops_within_a_batch_and_reads_interrupted_when_killed(
    workspace: Path,
) -> None:
    runner = LocalJobRunner(workspace, max_concurrent=1, warm=True)
    recipe = tiny_recipe(epochs=500, exact_epochs=True, **{"training.batch_size": 4})
    worker = ready_worker(runner)
    stopped = runner.submit(churn_csv_bytes(600), "long.csv", recipe)
    wait_for(runner, stopped, lambda s: s.epoch >= 1 or not s.is_active)
    runner.stop(stopped)
    final = wait_for(runner, stopped, lambda s: not s.is_active)
    raw = json.loads((runner.jobs_dir / stopped / "status.json").read_text())
    assert raw["pid"] == worker
    assert final.result.stopped_because == "stopped_by_user"
    assert raw["batches_after_stop"] == 1, raw

    second = ready_worker(runner)
    assert second != worker
    killed = runner.submit(churn_csv_bytes(600), "long.csv", recipe)
    wait_for(runner, killed, lambda s: s.epoch >= 1 or not s.is_active)
    assert job_pid(runner, killed) == second
    os.killpg(second, signal.SIGKILL)  # as if the machine went down mid-training
    gone = wait_for(runner, killed, lambda s: s.state != "running", timeout=15)
    assert (gone.state, gone.error) == ("interrupted", INTERRUPTED_MESSAGE)


FAKE_WORKER = textwrap.dedent(
    """
    import socket, sys, time
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\\0" + sys.argv[1])  # the worker's abstract address
    listener.listen(1)
    print("listening", flush=True)
    connection, _ = listener.accept()
    if sys.argv[2] == "refuse":
        connection.sendall(b"refused\\n")
    time.sleep(600)  # "silent": a hung worker that never answers
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("behaviour", ["silent", "refuse"])
def test_a_worker_that_does_not_take_the_job_never_loses_it(
    workspace: Path, behaviour: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warm, "HANDOFF_SECONDS", 1.0)
    fake = subprocess.Popen(
        [sys.executable, "-c", FAKE_WORKER, warm.worker_address(workspace).lstrip("\0"), behaviour],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake.stdout.readline().strip() == "listening"
        runner = LocalJobRunner(workspace, max_concurrent=1, warm=True)
        monkeypatch.setattr(runner, "keep_warm", lambda: None)  # only the fake one here
        job_id = runner.submit(churn_csv_bytes(200), "churn.csv", tiny_recipe())
        # A silent worker was ended (it could otherwise start the job late); one that
        # refused is left alone. Either way the job started cold and finished.
        if behaviour == "silent":
            assert fake.wait(timeout=10) == -signal.SIGKILL
        else:
            assert fake.poll() is None
        final = wait_for(runner, job_id, lambda s: not s.is_active)
        assert final.state == "finished", final.error
        assert job_pid(runner, job_id) != fake.pid
    finally:
        fake.kill()
        fake.wait()
