"""The job runner: jobs run in their own process, report progress, stop, queue, survive restarts.

Fast tests build job folders by hand (or hold a concurrency slot so a real job process
stays queued and never loads TensorFlow). Slow tests run the real training of
``core.pipeline.train_and_export`` on a few hundred synthetic rows. The tests of a job's
life (progress, stop within a batch, a killed worker read as interrupted, queueing beyond
the slots) run with both runners: the local one and the Ray runner against a real local
Ray cluster (``ray_support.ray_cluster``).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
from helpers import churn_csv_bytes, jid, tiny_recipe
from ray_support import ray_cluster, stop_ray_jobs  # noqa: F401 (the fixture, by name)

from core.errors import TrainingError
from core.files import write_json_atomic
from core.jobs.runner import (
    BUNDLE_FILE,
    INTERRUPTED_MESSAGE,
    MODEL_CARD_FILE,
    UNEXPECTED_FAILURE_MESSAGE,
    LocalJobRunner,
    default_max_concurrent,
    get_runner,
)
from core.jobs.states import (
    ACTIVE_STATES,
    FINAL_STATES,
    JOB_ID_PATTERN,
    TAIL_PHASES,
    JobPhase,
    JobState,
    job_phase,
    new_job_id,
)
from core.jobs.status import JobRunner, JobStatus
from core.model.diagnosis import CODES
from core.model.recipe import Recipe
from core.results import ColumnImportance, EpochReport, RunResult

WAIT_SECONDS = 240  # upper bound for one job to start and train on a busy 2-core machine
RUNNERS = ["local", "ray"]


def make_runner(kind: str, workspace: Path, max_concurrent: int = 1) -> JobRunner:
    """The runner ``kind`` on ``workspace`` (the Ray one on the cluster at RAY_ADDRESS)."""
    if kind == "ray":
        from core.jobs.ray_runner import RayJobRunner

        return RayJobRunner(workspace, max_concurrent=max_concurrent)
    return LocalJobRunner(workspace, max_concurrent=max_concurrent)


@pytest.fixture(params=RUNNERS)
def runner_kind(request: pytest.FixtureRequest) -> str:
    """Each runner in turn; for "ray", a real local Ray cluster is running."""
    if request.param == "ray":
        request.getfixturevalue("ray_cluster")
    return request.param


def kill_job_process(pid: int) -> None:
    """SIGKILL a job's process (its whole group when it leads one), as a dying machine would."""
    if os.getpgid(pid) == pid:
        os.killpg(pid, signal.SIGKILL)
    else:  # under Ray the process may share its group with Ray's own processes
        os.kill(pid, signal.SIGKILL)


# --- helpers --------------------------------------------------------------------------------


def wait_for(
    runner: LocalJobRunner,
    job_id: str,
    condition: Callable[[JobStatus], bool],
    timeout: float = WAIT_SECONDS,
    seen: list[JobStatus] | None = None,
) -> JobStatus:
    """Poll until ``condition`` holds; fail with the job's log if it never does."""
    deadline = time.monotonic() + timeout
    while True:
        status = runner.status(job_id)
        if seen is not None:
            seen.append(status)
        if condition(status):
            return status
        if time.monotonic() > deadline:
            log = runner.jobs_dir / job_id / "log.txt"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
            pytest.fail(f"job {job_id} stuck in {status.state} (epoch {status.epoch}):\n{tail}")
        time.sleep(0.1)


def kill_leftover_processes(workspace: Path) -> None:
    """End every job process still alive under ``workspace`` (tests must not leak training)."""
    if os.environ.get("RAY_ADDRESS"):
        stop_ray_jobs(workspace)  # a Ray job still pending has no process to kill
    for folder in (workspace / "jobs").glob("*"):
        try:
            pid = json.loads((folder / "status.json").read_text()).get("pid")
        except (OSError, ValueError):
            continue
        if pid and (folder / "lock").exists() and _lock_held(folder / "lock"):
            try:
                kill_job_process(pid)
            except ProcessLookupError:
                pass


def _lock_held(path: Path) -> bool:
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def hold_lock(path: Path) -> int:
    """Take an exclusive flock on ``path`` in this process and return the fd (close to free)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def make_job_folder(
    workspace: Path, job_id: str, status: dict | None, created_at: float = 1000.0
) -> Path:
    """A job folder written by hand, as a job process would have left it."""
    folder = workspace / "jobs" / job_id
    folder.mkdir(parents=True)
    write_json_atomic(
        folder / "job.json", {"data_name": "x.csv", "created_at": created_at, "max_epochs": 10}
    )
    if status is not None:
        write_json_atomic(folder / "status.json", status)
    (folder / "lock").touch()
    return folder


@pytest.fixture
def workspace(workspace: Path) -> Iterator[Path]:
    """The conftest's fresh workspace; afterwards, end any job process a test left running."""
    yield workspace
    kill_leftover_processes(workspace)


# --- fast tests: folders, ids, damaged files, queue bookkeeping -------------------------------


def test_new_job_ids_are_unguessable_sortable_and_url_safe() -> None:
    ids = [new_job_id(now) for now in (1_000_000_000.0, 1_000_000_001.0, 2_000_000_000.0)]
    assert all(JOB_ID_PATTERN.fullmatch(job_id) for job_id in ids)
    assert ids == sorted(ids)  # a later second sorts later
    random_parts = [job_id.rsplit("-", 1)[1] for job_id in ids + [new_job_id() for _ in range(50)]]
    assert all(len(part) == 32 for part in random_parts)  # 128 random bits each
    assert len(set(random_parts)) == len(random_parts)
    assert all(quote(job_id, safe="") == job_id for job_id in ids)  # nothing to escape in a URL


@pytest.mark.parametrize(
    "bad_id",
    [
        "..",
        "../other",
        "a/b",
        "/etc/passwd",
        ".hidden",
        "",
        "a b",
        "x" * 200,
        "jöb",
        "20990101-000000-abcdef12",  # the old, guessable shape
        "20260101T000000Z-" + "A" * 32,  # upper case
        "20260101T000000Z-" + "a" * 31,  # one character short
        "20260101T000000Z-" + "a" * 32 + "\n",
        f"../jobs/{jid('real')}",  # path tricks that would reach a real job's folder
        f"./{jid('real')}",
        f"{jid('real')}/",
    ],
)
def test_malformed_job_ids_are_no_such_run(workspace: Path, bad_id: str) -> None:
    runner = LocalJobRunner(workspace, max_concurrent=1)
    make_job_folder(workspace, jid("real"), {"state": "finished", "epoch": 1})
    for call in (
        runner.status,
        runner.stop,
        runner.restart,
        lambda job_id: runner.artifact(job_id, "bundle.zip"),
    ):
        with pytest.raises(TrainingError, match="no training run with the id") as caught:
            call(bad_id)
        assert len(str(caught.value)) < 400  # a long id is not echoed in full
    assert [status.job_id for status in runner.list_jobs()] == [jid("real")]


def test_unknown_job_and_artifact_name(workspace: Path) -> None:
    runner = LocalJobRunner(workspace, max_concurrent=1)
    with pytest.raises(TrainingError, match="no training run with the id"):
        runner.status(new_job_id())
    make_job_folder(workspace, jid("job-a"), {"state": "finished", "epoch": 3})
    assert runner.artifact(jid("job-a"), "bundle.zip") is None  # not written (yet)
    with pytest.raises(ValueError):
        runner.artifact(jid("job-a"), "recipe.json")


def test_damaged_job_folders_never_crash(workspace: Path) -> None:
    runner = LocalJobRunner(workspace, max_concurrent=1)
    make_job_folder(workspace, jid("garbled"), None)
    (workspace / "jobs" / jid("garbled") / "status.json").write_text('{"state": "runn')
    make_job_folder(workspace, jid("no-status"), None)
    half = workspace / "jobs" / jid("no-job-json")
    half.mkdir(parents=True)
    (half / "history.json").write_text("[{broken")
    good = make_job_folder(workspace, jid("good"), {"state": "failed", "epoch": 2, "error": "Bad."})
    (good / "history.json").write_text("not json at all")

    for job_id in (jid("garbled"), jid("no-status"), jid("no-job-json")):
        status = runner.status(job_id)
        assert status.state == "interrupted"
        assert status.error == INTERRUPTED_MESSAGE
        assert status.history == []
    listed = [status.job_id for status in runner.list_jobs()]
    assert jid("no-job-json") not in listed  # unreadable job.json: skipped in the list
    assert set(listed) == {jid("garbled"), jid("no-status"), jid("good")}
    assert runner.status(jid("good")).state == "failed"
    assert runner.status(jid("good")).error == "Bad."


def test_active_state_without_live_process_reads_interrupted(workspace: Path) -> None:
    runner = LocalJobRunner(workspace, max_concurrent=1)
    started = time.time() - 30
    folder = make_job_folder(
        workspace, jid("job-r"), {"state": "running", "epoch": 2, "started_at": started}
    )
    write_json_atomic(
        folder / "history.json", [{"epoch": 1, "seconds": 2.0}, {"epoch": 2, "seconds": 4.0}]
    )
    gone = runner.status(jid("job-r"))
    assert gone.state == "interrupted" and gone.eta_seconds is None
    assert gone.error == INTERRUPTED_MESSAGE

    fd = hold_lock(folder / "lock")  # a live process holds the lock: the job is running
    try:
        alive = runner.status(jid("job-r"))
        assert alive.state == "running"
        assert alive.epoch == 2 and len(alive.history) == 2
        assert alive.eta_seconds == pytest.approx(3.0 * (10 - 2))  # mean epoch time x remaining
        assert alive.elapsed_seconds >= 29
        assert alive.error is None and alive.queue_position is None
    finally:
        os.close(fd)
    assert runner.status(jid("job-r")).state == "interrupted"


def test_queue_position_counts_live_queued_jobs_created_earlier(workspace: Path) -> None:
    runner = LocalJobRunner(workspace, max_concurrent=1)
    fds = []
    for job_id, created, state in [
        (jid("a-running"), 1.0, "running"),
        (jid("b-queued"), 2.0, "queued"),
        (jid("c-queued"), 3.0, "queued"),
        (jid("d-queued"), 4.0, "queued"),
    ]:
        folder = make_job_folder(workspace, job_id, {"state": state, "epoch": 0}, created)
        fds.append(hold_lock(folder / "lock"))
    make_job_folder(
        workspace, jid("dead-queued"), {"state": "queued", "epoch": 0}, 0.5
    )  # no process
    try:
        assert [
            runner.status(j).queue_position
            for j in (jid("b-queued"), jid("c-queued"), jid("d-queued"))
        ] == [
            1,
            2,
            3,
        ]
        assert runner.status(jid("a-running")).queue_position is None
        assert runner.status(jid("dead-queued")).state == "interrupted"
        order = [status.job_id for status in runner.list_jobs()]
        assert order == [
            jid("d-queued"),
            jid("c-queued"),
            jid("b-queued"),
            jid("a-running"),
            jid("dead-queued"),
        ]
        os.close(fds.pop(1))  # b's process dies: c and d move up
        assert runner.status(jid("c-queued")).queue_position == 1
        assert runner.status(jid("d-queued")).queue_position == 2
    finally:
        for fd in fds:
            os.close(fd)


def test_states_and_phases_are_defined_once_and_cover_every_case() -> None:
    assert ACTIVE_STATES | FINAL_STATES == set(JobState) and not ACTIVE_STATES & FINAL_STATES
    assert {JobState(state).is_active for state in ("queued", "running")} == {True}
    # Queued: waiting only while other runs fill the slots, else it is taking a slot.
    assert job_phase(JobState.QUEUED, waits_for_slot=True, epoch=0) == JobPhase.WAITING
    assert job_phase(JobState.QUEUED, waits_for_slot=False, epoch=0) == JobPhase.STARTING
    # Running: starting until the first pass is done (reading the data, building the network).
    assert job_phase(JobState.RUNNING, waits_for_slot=False, epoch=0) == JobPhase.STARTING
    assert job_phase(JobState.RUNNING, waits_for_slot=False, epoch=1) == JobPhase.TRAINING
    for state in FINAL_STATES:
        assert job_phase(state, waits_for_slot=False, epoch=3) == state.value
    # After the last pass: the tail step the process recorded; anything else is ignored.
    for phase in TAIL_PHASES:
        assert job_phase(JobState.RUNNING, waits_for_slot=False, epoch=3, step=phase) == phase
    assert job_phase(JobState.RUNNING, waits_for_slot=False, epoch=3, step="x") == "training"
    assert job_phase(JobState.FINISHED, waits_for_slot=False, epoch=3, step="testing") == (
        "finished"
    )


def test_a_running_job_reports_its_tail_step_and_its_progress(workspace: Path) -> None:
    """status.json's step, read and checked: a damaged count is dropped, not trusted."""
    runner = LocalJobRunner(workspace, max_concurrent=1)
    raw = {"state": "running", "epoch": 4, "history_length": 0, "started_at": 1.0}
    folder = make_job_folder(
        workspace, jid("tail"), {**raw, "step": "packaging", "step_done": 2, "step_total": 4}
    )
    fd = hold_lock(folder / "lock")  # alive
    try:
        status = runner.status(jid("tail"))
        assert status.phase == JobPhase.PACKAGING and status.training_over
        assert (status.step_done, status.step_total) == (2, 4)
        runner.stop(jid("tail"))  # the model is trained: a stop would only throw it away
        assert not (folder / "stop").exists()
        write_json_atomic(folder / "status.json", {**raw, "step": "testing", "step_done": "2"})
        status = runner.status(jid("tail"))
        assert status.phase == JobPhase.TESTING and status.step_done is None
        write_json_atomic(folder / "status.json", raw)
        status = runner.status(jid("tail"))
        assert status.phase == JobPhase.TRAINING and not status.training_over
        runner.stop(jid("tail"))
        assert (folder / "stop").exists() and runner.status(jid("tail")).stop_requested
    finally:
        os.close(fd)


@pytest.mark.parametrize(("slots", "phase"), [(1, JobPhase.WAITING), (2, JobPhase.STARTING)])
def test_a_queued_job_waits_only_while_other_runs_fill_the_slots(
    workspace: Path, slots: int, phase: JobPhase
) -> None:
    runner = LocalJobRunner(workspace, max_concurrent=slots)
    fds = []
    for label, created, state in [("training", 1.0, "running"), ("next", 2.0, "queued")]:
        folder = make_job_folder(workspace, jid(label), {"state": state, "epoch": 0}, created)
        fds.append(hold_lock(folder / "lock"))
    try:
        queued = runner.status(jid("next"))
        assert queued.queue_position == 1  # nothing queued ahead of it...
        assert queued.waits_for_slot is (phase == JobPhase.WAITING)  # ...but maybe no free slot
        assert queued.phase == phase
    finally:
        for fd in fds:
            os.close(fd)


def test_results_and_epoch_reports_round_trip_through_json() -> None:
    report = EpochReport(
        epoch=1,
        loss=0.5,
        val_loss=float("nan"),
        metric=np.float32(0.75),
        val_metric=0.7,
        metric_name="accuracy",
        seconds=0.25,
        learning_rate=0.001,
    )
    stored = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert stored["val_loss"] is None and stored["metric"] == 0.75  # NaN and numpy made plain
    back = EpochReport.from_dict(stored)
    assert np.isnan(back.val_loss) and back.metric == 0.75 and back.epoch == 1
    result = RunResult(
        task="binary",
        target="churn",
        class_labels=["no", "yes"],
        primary_metric="roc_auc",
        metrics={"roc_auc": 0.8, "confusion_matrix": [[3, 1], [0, 4]]},
        baselines={"majority class": {"roc_auc": 0.5}},
        verdict="Better than guessing.",
        feature_importance=[ColumnImportance(column="tenure", importance=0.1, std=0.01)],
        epochs_run=2,
        best_epoch=2,
        stopped_because="completed",
        message="Done.",
        history=[replace(report, val_loss=0.6), replace(report, epoch=2, val_loss=0.55)],
    )
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert RunResult.from_dict(document) == result
    assert RunResult.from_dict({**document, "added_later": 1}) == result  # newer files still read
    assert "history" not in result.summary() and "evaluation" not in result.summary()
    assert set(result.metrics_file()) < set(result.summary())


def _ended_job(workspace: Path, state: str, data: bytes | None, recipe: Recipe) -> str:
    """A job folder left by a run that ended ``state``, with its own data and recipe."""
    job_id = jid(f"ended-{state}")
    folder = make_job_folder(workspace, job_id, {"state": state, "epoch": 1})
    if data is not None:
        (folder / "data.csv").write_bytes(data)
    (folder / "recipe.json").write_text(recipe.to_json(), encoding="utf-8")
    return job_id


def test_an_interrupted_run_starts_again_from_its_own_data_and_recipe(workspace: Path) -> None:
    """A refresh forgot the upload: the job folder still has everything to start again."""
    runner = LocalJobRunner(workspace, max_concurrent=1)
    data, recipe = churn_csv_bytes(60), tiny_recipe(epochs=3, exact_epochs=True)
    old = _ended_job(workspace, "running", data, recipe)  # lock free: its process is gone
    assert runner.status(old).can_restart
    slot = hold_lock(workspace / "slots" / "slot-0.lock")  # keep the new job queued (no TF)
    try:
        new = runner.restart(old)
        assert new != old and JOB_ID_PATTERN.fullmatch(new)
        folder = workspace / "jobs" / new
        assert (folder / "data.csv").read_bytes() == data
        assert Recipe.from_json((folder / "recipe.json").read_text()) == recipe
        started = runner.status(new)
        assert (started.state, started.data_name) == ("queued", "x.csv")
        with pytest.raises(TrainingError, match="still going"):
            runner.restart(new)
        runner.stop(new)
        assert wait_for(runner, new, lambda s: not s.is_active, 60).state == "cancelled"
    finally:
        os.close(slot)
    assert runner.status(old).state == "interrupted"  # the old run is left as it was


def test_a_run_without_its_data_cannot_start_again(workspace: Path) -> None:
    runner = LocalJobRunner(workspace, max_concurrent=1)
    job_id = _ended_job(workspace, "cancelled", None, tiny_recipe())
    with pytest.raises(TrainingError, match="missing or damaged"):
        runner.restart(job_id)
    assert [status.job_id for status in runner.list_jobs()] == [job_id]  # nothing started


def test_defaults_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRAINBOARD_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("TRAINBOARD_MAX_JOBS", "3")
    runner = get_runner()
    assert isinstance(runner, LocalJobRunner)
    assert runner.workspace == (tmp_path / "ws").resolve()
    assert runner.max_concurrent == 3
    monkeypatch.delenv("TRAINBOARD_MAX_JOBS")
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert default_max_concurrent() == 1
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert default_max_concurrent() == 4
    monkeypatch.delenv("TRAINBOARD_WORKSPACE")
    monkeypatch.chdir(tmp_path)
    assert LocalJobRunner().workspace == (tmp_path / "workspace").resolve()
    with pytest.raises(ValueError):
        LocalJobRunner(tmp_path, max_concurrent=0)


def test_the_runner_is_chosen_in_one_place_and_ray_only_loads_when_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRAINBOARD_RUNNER", "spark")
    with pytest.raises(TrainingError, match="'local'.*'ray'"):
        get_runner()
    # The default runner never imports Ray (a laptop does not need it installed).
    script = (
        "import sys; from core.jobs.runner import get_runner, LocalJobRunner;"
        "assert type(get_runner()) is LocalJobRunner;"
        "assert not [m for m in sys.modules if m == 'ray' or m.startswith('ray.')]"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"TRAINBOARD_RUNNER", "RAY_ADDRESS"}}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_an_unreachable_ray_cluster_is_a_plain_message_said_at_once_the_second_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("TRAINBOARD_RUNNER", "ray")
    monkeypatch.setenv("RAY_ADDRESS", f"http://127.0.0.1:{port}")
    with pytest.raises(TrainingError, match="cannot reach it.*ray start --head"):
        get_runner()
    started = time.monotonic()
    with pytest.raises(TrainingError, match="cannot reach it"):
        get_runner()
    assert time.monotonic() - started < 0.5  # remembered: pages do not wait for it again


@pytest.mark.usefixtures("ray_cluster")
def test_the_ray_runner_sizes_itself_from_the_cluster(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.jobs.ray_runner import RayJobRunner

    monkeypatch.setenv("TRAINBOARD_RUNNER", "ray")
    monkeypatch.delenv("TRAINBOARD_MAX_JOBS", raising=False)
    runner = get_runner()
    assert isinstance(runner, RayJobRunner)
    # The test cluster has 2 CPUs and no GPU: two jobs of one CPU each, none asks for a GPU.
    assert (runner.max_concurrent, runner.num_cpus, runner.num_gpus) == (2, 1.0, 0.0)
    monkeypatch.setenv("TRAINBOARD_RAY_CPUS", "2")
    assert RayJobRunner(workspace).max_concurrent == 1
    monkeypatch.setenv("TRAINBOARD_RAY_CPUS", "lots")
    with pytest.raises(TrainingError, match="TRAINBOARD_RAY_CPUS must be a number"):
        RayJobRunner(workspace)


def test_failed_submit_leaves_no_half_made_folder(workspace: Path) -> None:
    runner = LocalJobRunner(workspace, max_concurrent=1)
    with pytest.raises(TrainingError, match="could not be started"):
        runner.submit(
            workspace.parent / "missing.csv",
            "missing.csv",
            tiny_recipe(epochs=2, exact_epochs=True),
        )
    assert list((workspace / "jobs").iterdir()) == []


def test_atomic_json_write_leaves_no_temp_files(tmp_path: Path) -> None:
    write_json_atomic(tmp_path / "a.json", {"x": np.float32(1.5), "y": np.arange(3)})
    write_json_atomic(tmp_path / "a.json", {"x": 2})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_stop_cancels_a_queued_job(workspace: Path, runner_kind: str) -> None:
    """A job waiting for a slot is cancelled by stop(), without ever loading TensorFlow."""
    runner = make_runner(runner_kind, workspace)
    slot = hold_lock(workspace / "slots" / "slot-0.lock")  # "another job" holds the only slot
    try:
        data = churn_csv_bytes(50)
        job_id = runner.submit(data, "churn.csv", tiny_recipe(epochs=3, exact_epochs=True))
        folder = workspace / "jobs" / job_id
        assert (folder / "data.csv").read_bytes() == data  # the bytes as given
        assert Recipe.from_json((folder / "recipe.json").read_text()) == tiny_recipe(
            epochs=3, exact_epochs=True
        )
        assert json.loads((folder / "job.json").read_text())["data_name"] == "churn.csv"
        queued = runner.status(job_id)
        assert (queued.state, queued.queue_position, queued.epoch) == ("queued", 1, 0)
        assert (queued.data_name, queued.max_epochs, queued.eta_seconds) == ("churn.csv", 3, None)
        # The process records its id once it runs; it is still waiting for the slot.
        wait_for(
            runner, job_id, lambda s: "pid" in json.loads((folder / "status.json").read_text()), 60
        )
        assert runner.status(job_id).state == "queued"

        runner.stop(job_id)
        runner.stop(job_id)  # idempotent
        cancelled = wait_for(runner, job_id, lambda s: not s.is_active, 30)
        assert cancelled.state == "cancelled"
        assert cancelled.stop_requested and cancelled.error
        assert cancelled.started_at is None and cancelled.result is None
        assert [s.job_id for s in runner.list_jobs()] == [job_id]
        assert "tensorflow" not in (folder / "log.txt").read_text().lower()
        assert cancelled.runner == runner_kind
    finally:
        os.close(slot)


@pytest.mark.usefixtures("ray_cluster")
def test_a_job_ray_holds_back_for_resources_is_queued_then_cancelled_on_stop(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asking for more CPUs than the 2-CPU test cluster has: Ray keeps the job pending (its
    process never starts), the run reads queued, and Stop cancels the run at once."""
    from core.jobs.ray_runner import ray_client, ray_status

    monkeypatch.setenv("TRAINBOARD_RAY_CPUS", "3")
    runner = make_runner("ray", workspace)
    job_id = runner.submit(churn_csv_bytes(50), "churn.csv", tiny_recipe(epochs=2))
    time.sleep(3.0)  # Ray would have started it by now if it could
    status = runner.status(job_id)
    assert (status.state, status.queue_position, status.runner) == ("queued", 1, "ray")
    assert ray_status(ray_client(), status.runner_id) == "PENDING"
    runner.stop(job_id)
    cancelled = wait_for(runner, job_id, lambda s: not s.is_active, 30)
    assert cancelled.state == "cancelled" and cancelled.error
    assert not (workspace / "jobs" / job_id / "log.txt").exists()  # its process never ran


# --- slow tests: real training in real job processes ------------------------------------------


@pytest.fixture(scope="module", params=RUNNERS)
def finished_job(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str, list, str]]:
    """One real job per runner, watched from submission to the end (shared by the tests
    that read it)."""
    kind = request.param
    if kind == "ray":
        request.getfixturevalue("ray_cluster")
    workspace = tmp_path_factory.mktemp("finished") / "workspace"
    runner = make_runner(kind, workspace)
    try:
        job_id = runner.submit(
            churn_csv_bytes(400),
            "churn.csv",
            tiny_recipe(epochs=6, exact_epochs=True, **{"training.batch_size": 2}),
        )
        seen: list[JobStatus] = []
        wait_for(runner, job_id, lambda s: not s.is_active, seen=seen)
        yield workspace, job_id, seen, kind
    finally:
        kill_leftover_processes(workspace)


@pytest.mark.slow
def test_job_reports_progress_then_finishes_with_a_bundle(finished_job) -> None:
    workspace, job_id, seen, kind = finished_job
    runner = make_runner(kind, workspace)
    final = runner.status(job_id)
    # The status says what ran the job, with Ray's own id on Ray.
    assert final.runner == kind
    assert final.runner_id == (f"trainboard-{job_id}" if kind == "ray" else None)
    log = (workspace / "jobs" / job_id / "log.txt").read_text(errors="replace")
    assert final.state == "finished", (final.error, log[-3000:])
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3") == "3":  # unless someone asked for them
        # The job process loads TensorFlow quietly: no start-up noise such as cuInit in the log.
        assert "absl::InitializeLog" not in log and "cuInit" not in log, log[:2000]

    running = [s for s in seen if s.state == "running"]
    assert running, "the job was never seen running"
    epochs = [s.epoch for s in seen]
    assert epochs == sorted(epochs)  # progress only moves forward
    assert all(len(s.history) == s.epoch for s in seen)  # history and epoch agree
    assert any(0 < s.epoch < final.max_epochs for s in running), "no progress seen mid-training"
    assert any(s.eta_seconds is not None and s.eta_seconds > 0 for s in running)

    assert final.epoch == final.max_epochs == 6 and len(final.history) == 6
    assert [report.epoch for report in final.history] == [1, 2, 3, 4, 5, 6]
    assert final.result is not None
    assert final.result.stopped_because == "completed"
    assert final.result.epochs_run == 6
    # The training doctor's findings travel with the result, fixes included.
    assert final.result.diagnosis
    assert all(d["code"] in CODES and "fixes" in d for d in final.result.diagnosis)
    assert final.error is None and not final.stop_requested and final.eta_seconds is None
    assert final.started_at and final.finished_at and final.created_at <= final.started_at
    assert final.elapsed_seconds == pytest.approx(final.finished_at - final.started_at)
    bundle = runner.artifact(job_id, BUNDLE_FILE)
    assert bundle is not None and bundle.stat().st_size > 0
    card = runner.artifact(job_id, MODEL_CARD_FILE)
    assert card is not None and card.read_text().strip()
    stored = json.loads((workspace / "jobs" / job_id / "result.json").read_text())
    assert RunResult.from_dict(stored) == final.result
    assert final.result.history == final.history  # the result carries the same curves


@pytest.mark.slow
def test_finished_job_reads_the_same_after_a_restart(finished_job) -> None:
    workspace, job_id, _, kind = finished_job
    before = make_runner(kind, workspace).status(job_id)
    after_restart = make_runner(kind, workspace, max_concurrent=4)  # a brand-new runner
    assert after_restart.status(job_id) == before
    assert after_restart.list_jobs() == [before]


@pytest.mark.slow
def test_stop_ends_training_within_one_batch_then_goes_through_the_tail(
    workspace: Path, runner_kind: str
) -> None:
    """A real job of many passes of dozens of batches: stopped mid-training, it runs one more
    batch (counted by the trainer, not timed), then says each tail step."""
    runner = make_runner(runner_kind, workspace)
    job_id = runner.submit(
        churn_csv_bytes(600),
        "churn.csv",
        tiny_recipe(epochs=500, exact_epochs=True, **{"training.batch_size": 4}),
    )
    wait_for(runner, job_id, lambda s: s.epoch >= 1 or not s.is_active)
    runner.stop(job_id)
    requested_at = runner.status(job_id)
    assert requested_at.stop_requested
    seen: list[JobStatus] = []
    final = wait_for(runner, job_id, lambda s: not s.is_active, seen=seen)
    assert final.state == "finished", final.error
    assert final.result.stopped_because == "stopped_by_user"
    raw = json.loads((workspace / "jobs" / job_id / "status.json").read_text())
    assert raw["batches_after_stop"] == 1, raw  # the batch running when the request came
    per_epoch = -(-final.result.data.n_train // 4)
    assert per_epoch > 20  # many batches per pass, so a whole pass more would show
    # status.json is written at the end of each pass, so the status read right after the
    # request may still show the pass before the one that was running: allow that one pass of
    # lag, no more (the old Stop ran on for 7 passes).
    assert raw["batches"] <= (requested_at.epoch + 2) * per_epoch
    assert final.epoch <= requested_at.epoch + 2 < 500
    assert final.result.epochs_run == final.epoch == len(final.history)
    # The tail steps come in order, after training, and the history stays readable all along.
    tail = [s.phase for s in seen if s.phase in TAIL_PHASES]
    assert tail and tail == sorted(tail, key=TAIL_PHASES.index)
    assert all(len(s.history) == s.epoch for s in seen)


@pytest.mark.slow
def test_the_steps_after_training_are_reported_in_order_with_packagings_parts(
    tmp_path: Path,
) -> None:
    from core.bundle.writer import PACKAGING_STEPS
    from core.pipeline import train_and_export

    data = tmp_path / "churn.csv"
    data.write_bytes(churn_csv_bytes(300))
    calls: list[tuple[str, int | None, int | None]] = []
    train_and_export(
        data, tiny_recipe(), tmp_path, on_phase=lambda *call: calls.append(tuple(call))
    )
    assert [phase for phase, _, _ in calls][:3] == ["testing", "comparing", "packaging"]
    assert calls[3:] == [("packaging", n, PACKAGING_STEPS) for n in range(1, PACKAGING_STEPS + 1)]


@pytest.mark.slow
def test_queued_job_waits_then_runs_when_the_killed_one_frees_its_slot(
    workspace: Path, runner_kind: str
) -> None:
    """One slot: the second job queues; killing the first reads "interrupted" and frees the slot."""
    runner = make_runner(runner_kind, workspace)
    first = runner.submit(
        churn_csv_bytes(600),
        "long.csv",
        tiny_recipe(epochs=500, exact_epochs=True, **{"training.batch_size": 4}),
    )
    running = wait_for(runner, first, lambda s: s.epoch >= 1 or not s.is_active)
    assert running.state == "running"
    second = runner.submit(
        churn_csv_bytes(200, seed=1), "short.csv", tiny_recipe(epochs=2, exact_epochs=True)
    )
    time.sleep(1.5)  # several slot polls: the second job must still wait
    waiting = runner.status(second)
    assert (waiting.state, waiting.queue_position, waiting.started_at) == ("queued", 1, None)
    assert runner.status(first).state == "running"
    assert [s.job_id for s in runner.list_jobs()] == [second, first]

    pid = json.loads((workspace / "jobs" / first / "status.json").read_text())["pid"]
    killed_at = time.time()
    kill_job_process(pid)  # as if the machine went down mid-training
    gone = wait_for(runner, first, lambda s: s.state != "running", timeout=15)
    assert gone.state == "interrupted"
    assert gone.error == INTERRUPTED_MESSAGE
    assert gone.epoch >= 1 and gone.eta_seconds is None and gone.result is None
    # A brand-new runner (a restarted server) sees the same.
    assert make_runner(runner_kind, workspace).status(first).state == "interrupted"

    done = wait_for(runner, second, lambda s: not s.is_active)
    assert done.state == "finished", done.error
    assert done.queue_position is None and done.epoch == 2
    assert done.started_at >= killed_at


@pytest.mark.slow
def test_unusable_data_fails_with_a_plain_message(workspace: Path) -> None:
    runner = LocalJobRunner(workspace, max_concurrent=1)
    job_id = runner.submit(
        churn_csv_bytes(200), "churn.csv", tiny_recipe(exact_epochs=True, target="refund")
    )
    final = wait_for(runner, job_id, lambda s: not s.is_active)
    assert final.state == "failed"
    assert final.error and final.error != UNEXPECTED_FAILURE_MESSAGE  # the pipeline's own words
    assert "refund" in final.error  # names the missing column
    assert "Traceback" not in final.error
    assert final.result is None and runner.artifact(job_id, BUNDLE_FILE) is None
