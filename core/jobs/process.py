"""The body of one training job's own process: ``python -m core.jobs run <job_dir>``.

:class:`core.jobs.runner.LocalJobRunner` starts this in a fresh interpreter (never a
fork of a process that already loaded TensorFlow), in its own session, with
its output going to the job's ``log.txt``. The process:

1. holds an exclusive ``flock`` on ``<job_dir>/lock`` until it exits, so a job
   whose status says queued/running but whose lock is free is known to be dead;
2. waits, "queued", for a free concurrency slot (``<workspace>/slots/slot-<i>.lock``),
   first come first served, and is "cancelled" if a stop is requested meanwhile;
3. trains with :func:`core.pipeline.train_run` and :func:`core.pipeline.save_run`,
   appending every finished epoch to ``history.json``; the training loop checks the
   ``stop`` marker file itself before each batch, so a stop ends training within one
   batch; after the last pass, it records each tail step (testing, comparing,
   packaging, with its progress) in ``status.json``;
4. writes ``result.json``, logs the run to MLflow when ``MLFLOW_TRACKING_URI`` is set
   (:mod:`core.tracking`), and writes the final state ("finished" or "failed").

Only this module imports the training code (and with it TensorFlow).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from core.bundle.layout import model_card_beside
from core.errors import TrainboardError
from core.files import disk_full_message, read_json, write_json_atomic
from core.jobs.states import JobPhase, JobState, RunnerKind, check_job_id, is_job_id
from core.model.recipe import Recipe
from core.quiet_tensorflow import import_tensorflow_quietly
from core.results import EpochReport
from core.tracking import log_finished_run, with_note

# --- the layout of a job folder (core.jobs.runner uses the same names) ----------------------------

# File names inside a job folder, defined once.
DATA_FILE = "data.csv"
RECIPE_FILE = "recipe.json"
JOB_FILE = "job.json"
STATUS_FILE = "status.json"
HISTORY_FILE = "history.json"
RESULT_FILE = "result.json"
BUNDLE_FILE = "bundle.zip"
MODEL_CARD_FILE = model_card_beside(Path(BUNDLE_FILE)).name  # the export writes it there
LOG_FILE = "log.txt"
STOP_FILE = "stop"
LOCK_FILE = "lock"

INTERRUPTED_MESSAGE = (
    "This training run stopped before it could finish: its process ended unexpectedly "
    "(for example the machine or the app was restarted). Start it again: it keeps its own copy "
    "of the data and the settings."
)
UNEXPECTED_FAILURE_MESSAGE = (
    "Training failed unexpectedly. The technical details are in the job log."
)
CANCELLED_MESSAGE = "This run was cancelled before it started training."

SLOT_POLL_SECONDS = 0.5
# Training takes every core it can; the app that shows it must stay responsive (a Stop
# click, the live panel's redraws). A job runs at a lower priority: on an idle machine it
# loses nothing, on a busy one the app's short redraws go first.
JOB_NICENESS = 10


# --- small helpers (shared with core.jobs.runner) ------------------------------------------------


def write_job_json(path: Path, data: Any) -> None:
    """Write one of a job's JSON files atomically, readable by its owner only."""
    write_json_atomic(path, data, private=True)


def lower_priority() -> None:
    """Run at the jobs' priority (``JOB_NICENESS``); a process already lower stays so.

    Absolute, not ``os.nice``'s increment: a warm worker lowers itself while it loads and
    then runs a job through :func:`run_job`, which must not lower it twice.
    """
    try:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        if current < JOB_NICENESS:
            os.setpriority(os.PRIO_PROCESS, 0, JOB_NICENESS)
    except OSError:
        pass  # not allowed here: run at the normal priority


def lock_is_held(lock_path: Path) -> bool:
    """True if some process holds the flock on ``lock_path`` (i.e. the job is alive)."""
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except OSError:
        return False  # no lock file: no process ever took it, or the folder is gone
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def job_is_alive(job_dir: Path) -> bool:
    """Whether the process of the job in ``job_dir`` is alive (queued or working).

    The one liveness rule, by the runner the job's ``job.json`` names: a local job is alive
    while its process holds the folder's ``lock``; a Ray job while the Ray cluster says its
    Ray job is pending or running (:func:`core.jobs.ray_runner.ray_job_alive`), because a
    worker on another machine cannot hold a lock this machine sees reliably.
    """
    info = read_json(job_dir / JOB_FILE)
    # Without RAY_ADDRESS (the server went back to the local runner) the lock is the answer:
    # right on one machine, and never a wait for a cluster nobody pointed at.
    ray = isinstance(info, dict) and info.get("runner") == RunnerKind.RAY
    if ray and os.environ.get("RAY_ADDRESS"):
        try:
            from core.jobs.ray_runner import ray_job_alive  # only where Ray ran jobs
        except ImportError:  # Ray is not installed here: the lock is all there is
            return lock_is_held(job_dir / LOCK_FILE)
        return ray_job_alive(info)
    return lock_is_held(job_dir / LOCK_FILE)


def default_max_concurrent() -> int:
    """Jobs allowed to train at once: ``TRAINBOARD_MAX_JOBS``, else 1 on <= 2 cores, else half."""
    configured = os.environ.get("TRAINBOARD_MAX_JOBS", "").strip()
    if configured.isdigit() and int(configured) >= 1:
        return int(configured)
    cores = os.cpu_count() or 1
    return 1 if cores <= 2 else cores // 2


def queue_counts(jobs_dir: Path, job_id: str, created_at: float) -> tuple[int, int]:
    """Live jobs queued before this one (ties broken by id), and live jobs training.

    The queue is first come, first served: a queued job takes a slot only when no live
    queued job is ahead of it, and it waits while ``ahead + training`` fills every slot.
    """
    ahead = training = 0
    for folder in job_folders(jobs_dir):
        if folder.name == job_id:
            continue
        info = read_json(folder / JOB_FILE)
        status = read_json(folder / STATUS_FILE)
        if not isinstance(info, dict) or not isinstance(status, dict):
            continue
        state = status.get("state")
        if state == JobState.RUNNING:
            training += job_is_alive(folder)
        elif state == JobState.QUEUED:
            other_key = (as_float(info.get("created_at")), folder.name)
            if other_key < (created_at, job_id) and job_is_alive(folder):
                ahead += 1
    return ahead, training


def job_folders(jobs_dir: Path) -> list[Path]:
    """The job folders under ``jobs_dir`` (anything not named like a job id is ignored)."""
    try:
        entries = list(jobs_dir.iterdir())
    except OSError:
        return []
    return [entry for entry in entries if is_job_id(entry.name) and entry.is_dir()]


def as_float(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


# --- the job process ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: ``run <job_dir> [--lock-fd N]``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m core.jobs")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run one prepared job folder")
    run.add_argument("job_dir", type=Path)
    # The runner takes the job's lock before the job is visible and hands it over as
    # this file descriptor, so the lock is held without a gap.
    run.add_argument("--lock-fd", type=int, default=None, help=argparse.SUPPRESS)
    # A warm worker (core.jobs.warm): loads TensorFlow, then waits for a job to run.
    commands.add_parser("warm", help="wait, warm, for the next job", add_help=False)
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["warm"]:
        from core.jobs.warm import main as warm_main

        return warm_main(argv[1:])
    args = parser.parse_args(argv)
    job_dir = args.job_dir.resolve()
    check_job_id(job_dir.name)  # only ever a folder the runner made
    return run_job(job_dir, lock_fd=args.lock_fd)


class _StatusWriter:
    """Keeps the job's status dict and rewrites status.json atomically on each change."""

    def __init__(self, job_dir: Path) -> None:
        self.path = job_dir / STATUS_FILE
        self.status: dict[str, Any] = {
            "state": JobState.QUEUED,
            "epoch": 0,
            # Always present: a reader cuts history.json to it, so a pass written to the
            # history just after status.json was read never shows as one more epoch.
            "history_length": 0,
            "started_at": None,
            "finished_at": None,
            "error": None,
            "pid": os.getpid(),
        }

    def update(self, **changes: Any) -> None:
        self.status.update(changes)
        self.status["updated_at"] = time.time()
        write_job_json(self.path, self.status)


def run_job(job_dir: Path, lock_fd: int | None = None) -> int:
    """Run the job in ``job_dir`` from queued to its final state; returns the exit code."""
    job_lock = _take_job_lock(job_dir, lock_fd)
    if job_lock is None:
        print(f"Another process is already running the job in {job_dir}.", file=sys.stderr)
        return 1
    current = read_json(job_dir / STATUS_FILE)
    if not isinstance(current, dict) or current.get("state") != JobState.QUEUED:
        print(f"The job in {job_dir} is not waiting to run; nothing to do.", file=sys.stderr)
        return 1
    info = read_json(job_dir / JOB_FILE)
    info = info if isinstance(info, dict) else {}
    status = _StatusWriter(job_dir)
    status.update()  # records this process's id (lets an operator find and end it)
    lower_priority()
    # A large file to predict (core.jobs.predictions) takes no training slot.
    from core.jobs.predict_process import PREDICT_KIND, run_prediction

    if info.get("kind") == PREDICT_KIND:
        return run_prediction(job_dir, info, status)

    slot_fd = _wait_for_slot(job_dir, info)
    if slot_fd is None:
        status.update(state=JobState.CANCELLED, error=CANCELLED_MESSAGE, finished_at=time.time())
        print("Cancelled while waiting for a free slot.", file=sys.stderr)
        return 0
    try:
        return _train(job_dir, info, status)
    finally:
        os.close(slot_fd)  # frees the slot for the next queued job at once
        _remove_old_runs(job_dir.parent)


def _remove_old_runs(jobs_dir: Path) -> None:
    """After a job ends its bundle may take the workspace past its cap: apply the policy."""
    from core.jobs.retention import RetentionPolicy, RetentionSettingError, sweep

    try:
        report = sweep(jobs_dir, RetentionPolicy.from_env())
    except (RetentionSettingError, OSError) as error:
        print(f"Old runs were not cleaned up: {error}", file=sys.stderr)
        return
    if report.removed:
        print(f"Removed {len(report.removed)} old run(s) to keep the workspace in bounds.")


def _take_job_lock(job_dir: Path, lock_fd: int | None) -> int | None:
    """The file descriptor holding the job's exclusive lock, or None if another process has it."""
    if lock_fd is not None:
        try:
            # Same open file description as the runner's lock: this confirms we hold it.
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return lock_fd
        except OSError:
            return None
    fd = os.open(job_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    # A status() probe may hold the lock for a moment: retry briefly before giving up.
    deadline = time.monotonic() + 2.0
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except OSError:
            if time.monotonic() > deadline:
                os.close(fd)
                return None
            time.sleep(0.05)


def _wait_for_slot(job_dir: Path, info: dict[str, Any]) -> int | None:
    """Block until a concurrency slot is free and return its locked fd; None if stopped."""
    slots_dir = job_dir.parent.parent / "slots"
    slots_dir.mkdir(parents=True, exist_ok=True)
    try:
        max_concurrent = max(1, int(info.get("max_concurrent") or default_max_concurrent()))
    except (TypeError, ValueError):
        max_concurrent = default_max_concurrent()
    try:
        created_at = float(info.get("created_at", 0.0))
    except (TypeError, ValueError):
        created_at = 0.0
    while True:
        if (job_dir / STOP_FILE).exists():
            return None
        # First come, first served: only the oldest live queued job competes for a slot,
        # so the queue position shown to the user is the real order.
        if queue_counts(job_dir.parent, job_dir.name, created_at)[0] == 0:
            for index in range(max_concurrent):
                fd = os.open(slots_dir / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except OSError:
                    os.close(fd)
        time.sleep(SLOT_POLL_SECONDS)


class StopMarker:
    """The stop request as the training loop sees it: the ``stop`` file in the job folder.

    The loop asks :meth:`is_set` before every batch. Looking at the file there, rather
    than in a watcher thread that polls every 0.2 s, is what makes a stop end training
    within one batch: at a few milliseconds a batch, a 0.2 s poll let dozens of batches
    (and with short epochs, whole passes) run after the request. One ``stat`` call costs
    about a microsecond, far below a batch; once seen, the answer is kept.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen = False

    def is_set(self) -> bool:
        if not self._seen:
            self._seen = self.path.exists()
        return self._seen


def _train(job_dir: Path, info: dict[str, Any], status: _StatusWriter) -> int:
    history: list[dict[str, Any]] = []

    def on_epoch(report: EpochReport) -> None:
        history.append(report.to_dict())
        write_job_json(job_dir / HISTORY_FILE, history)  # history first: status points at it
        status.update(epoch=report.epoch, history_length=len(history))

    def on_phase(phase: JobPhase, done: int | None, total: int | None) -> None:
        status.update(step=phase.value, step_done=done, step_total=total)

    status.update(state=JobState.RUNNING, started_at=time.time())
    try:
        recipe = Recipe.from_json((job_dir / RECIPE_FILE).read_text(encoding="utf-8"))
        # Imported here, in the job's own process: this is what loads TensorFlow (quietly:
        # its start-up lines would only fill log.txt with alarming noise such as cuInit).
        import_tensorflow_quietly()
        from core.pipeline import load_table, save_run, train_run
        from core.tuning.study_files import validation_only_job

        # A settings search's trial is judged on its validation rows only: never tested.
        validation_only = validation_only_job(job_dir)
        run = train_run(
            load_table(job_dir / DATA_FILE),
            recipe,
            data_name=info.get("data_name") or DATA_FILE,
            on_epoch=on_epoch,
            stop_event=StopMarker(job_dir / STOP_FILE),
            on_phase=on_phase,
            evaluate_on_test=not validation_only,
        )
        if run.outcome.divergence:
            print(f"Diverged: {run.outcome.divergence}.", file=sys.stderr)
        # How many training batches ran once a stop request was seen (tests check it is one).
        status.update(
            batches=run.outcome.batches, batches_after_stop=run.outcome.batches_after_stop
        )
        result = run.result if validation_only else save_run(run, job_dir / BUNDLE_FILE, on_phase)
        write_job_json(job_dir / RESULT_FILE, result.to_dict())
    except TrainboardError as error:
        print(f"Training could not finish: {error}", file=sys.stderr)
        message = disk_full_message(error) or str(error)  # e.g. the model could not be saved
        status.update(state=JobState.FAILED, error=message, finished_at=time.time())
        return 1
    except Exception as error:
        # The traceback is for engineers (log.txt); the user sees a plain sentence.
        traceback.print_exc()
        message = disk_full_message(error) or UNEXPECTED_FAILURE_MESSAGE
        status.update(state=JobState.FAILED, error=message, finished_at=time.time())
        return 1
    # Teams that track experiments in MLflow get the run there too (nothing unless configured);
    # a failure to log is a note in the run, never a failed run.
    document = result.to_dict()
    tracked = log_finished_run(
        document,
        recipe,
        data_path=job_dir / DATA_FILE,
        data_name=info.get("data_name") or None,
        job_id=job_dir.name,
    )
    if tracked is not None:
        print(tracked.summary, file=sys.stderr)
        if tracked.note is not None:
            write_job_json(job_dir / RESULT_FILE, with_note(document, tracked))
    status.update(state=JobState.FINISHED, finished_at=time.time())
    print(f"Finished: {result.stopped_because}.", file=sys.stderr)
    return 0
