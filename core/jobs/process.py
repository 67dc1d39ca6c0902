"""The body of one training job's own process: ``python -m core.jobs run <job_dir>``.

:class:`core.jobs.runner.LocalJobRunner` starts this in a fresh interpreter (never a
fork of a process that already loaded TensorFlow), in its own session, with
its output going to the job's ``log.txt``. The process:

1. holds an exclusive ``flock`` on ``<job_dir>/lock`` until it exits, so a job
   whose status says queued/running but whose lock is free is known to be dead;
2. waits, "queued", for a free concurrency slot (``<workspace>/slots/slot-<i>.lock``),
   first come first served, and is "cancelled" if a stop is requested meanwhile;
3. trains with :func:`core.pipeline.train_and_export`, appending every finished
   epoch to ``history.json``, while a watcher thread turns the ``stop`` marker file
   into the stop event the training loop checks;
4. writes ``result.json``, logs the run to MLflow when ``MLFLOW_TRACKING_URI`` is set
   (:mod:`core.tracking`), and writes the final state ("finished" or "failed").

Only this module imports the training code (and with it TensorFlow).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from core.bundle.layout import model_card_beside
from core.errors import TrainboardError, TrainingError
from core.model.recipe import Recipe
from core.quiet_tensorflow import import_tensorflow_quietly
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
ACTIVE_STATES = ("queued", "running")

# A job id becomes a folder name: letters, digits, "-" and "_" only, so no id can
# climb out of the jobs folder ("..", "/", absolute paths) or hide itself (".x").
JOB_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")

INTERRUPTED_MESSAGE = (
    "This training run stopped before it could finish: its process ended unexpectedly "
    "(for example the machine or the app was restarted). Start the run again."
)
UNEXPECTED_FAILURE_MESSAGE = (
    "Training failed unexpectedly. The technical details are in the job log."
)
CANCELLED_MESSAGE = "This run was cancelled before it started training."

SLOT_POLL_SECONDS = 0.5
STOP_POLL_SECONDS = 0.2


# --- small file helpers (shared with core.jobs.runner) --------------------------------------------


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so a reader sees either the old file or the new one, never half of it."""
    text = json.dumps(data, indent=1, default=_json_fallback)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any:
    """The parsed content of a JSON file, or None if it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _json_fallback(value: Any) -> Any:
    # numpy scalars and arrays (metrics, curves) and paths inside result dicts.
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


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


def check_job_id(job_id: str) -> str:
    """Return ``job_id`` if it is a safe folder name; raise :class:`TrainingError` otherwise."""
    if not isinstance(job_id, str) or not JOB_ID_PATTERN.fullmatch(job_id):
        raise TrainingError(
            f"{job_id!r} is not a valid training run id. Pick the run from the list of runs."
        )
    return job_id


def default_max_concurrent() -> int:
    """Jobs allowed to train at once: ``TRAINBOARD_MAX_JOBS``, else 1 on <= 2 cores, else half."""
    configured = os.environ.get("TRAINBOARD_MAX_JOBS", "").strip()
    if configured.isdigit() and int(configured) >= 1:
        return int(configured)
    cores = os.cpu_count() or 1
    return 1 if cores <= 2 else cores // 2


def queued_ahead(jobs_dir: Path, job_id: str, created_at: float) -> int:
    """How many live queued jobs were created before this one (ties broken by id)."""
    ahead = 0
    for folder in job_folders(jobs_dir):
        if folder.name == job_id:
            continue
        info = read_json(folder / JOB_FILE)
        status = read_json(folder / STATUS_FILE)
        if not isinstance(info, dict) or not isinstance(status, dict):
            continue
        if status.get("state") != "queued":
            continue
        other_key = (as_float(info.get("created_at")), folder.name)
        if other_key < (created_at, job_id) and lock_is_held(folder / LOCK_FILE):
            ahead += 1
    return ahead


def job_folders(jobs_dir: Path) -> list[Path]:
    try:
        entries = list(jobs_dir.iterdir())
    except OSError:
        return []
    return [entry for entry in entries if JOB_ID_PATTERN.fullmatch(entry.name) and entry.is_dir()]


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
    args = parser.parse_args(argv)
    return run_job(args.job_dir.resolve(), lock_fd=args.lock_fd)


class _StatusWriter:
    """Keeps the job's status dict and rewrites status.json atomically on each change."""

    def __init__(self, job_dir: Path) -> None:
        self.path = job_dir / STATUS_FILE
        self.status: dict[str, Any] = {
            "state": "queued",
            "epoch": 0,
            "started_at": None,
            "finished_at": None,
            "error": None,
            "pid": os.getpid(),
        }

    def update(self, **changes: Any) -> None:
        self.status.update(changes)
        self.status["updated_at"] = time.time()
        write_json_atomic(self.path, self.status)


def run_job(job_dir: Path, lock_fd: int | None = None) -> int:
    """Run the job in ``job_dir`` from queued to its final state; returns the exit code."""
    job_lock = _take_job_lock(job_dir, lock_fd)
    if job_lock is None:
        print(f"Another process is already running the job in {job_dir}.", file=sys.stderr)
        return 1
    current = read_json(job_dir / STATUS_FILE)
    if not isinstance(current, dict) or current.get("state") != "queued":
        print(f"The job in {job_dir} is not waiting to run; nothing to do.", file=sys.stderr)
        return 1
    info = read_json(job_dir / JOB_FILE)
    info = info if isinstance(info, dict) else {}
    status = _StatusWriter(job_dir)
    status.update()  # records this process's id (lets an operator find and end it)

    slot_fd = _wait_for_slot(job_dir, info)
    if slot_fd is None:
        status.update(state="cancelled", error=CANCELLED_MESSAGE, finished_at=time.time())
        print("Cancelled while waiting for a free slot.", file=sys.stderr)
        return 0
    try:
        return _train(job_dir, info, status)
    finally:
        os.close(slot_fd)  # frees the slot for the next queued job at once


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
        if queued_ahead(job_dir.parent, job_dir.name, created_at) == 0:
            for index in range(max_concurrent):
                fd = os.open(slots_dir / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except OSError:
                    os.close(fd)
        time.sleep(SLOT_POLL_SECONDS)


def _watch_for_stop(stop_path: Path, stop_event: threading.Event, done: threading.Event) -> None:
    # A thread, so a stop request arrives within ~0.2 s even in the middle of an epoch;
    # the training loop checks the event after every batch.
    while not done.is_set():
        if stop_path.exists():
            stop_event.set()
            return
        done.wait(STOP_POLL_SECONDS)


def _train(job_dir: Path, info: dict[str, Any], status: _StatusWriter) -> int:
    stop_event = threading.Event()
    done = threading.Event()
    history: list[dict[str, Any]] = []

    def on_epoch(row: dict[str, Any]) -> None:
        history.append(dict(row))
        write_json_atomic(job_dir / HISTORY_FILE, history)  # history first: status points at it
        status.update(epoch=int(row.get("epoch", len(history))), history_length=len(history))

    status.update(state="running", started_at=time.time())
    watcher = threading.Thread(
        target=_watch_for_stop, args=(job_dir / STOP_FILE, stop_event, done), daemon=True
    )
    watcher.start()
    try:
        recipe = Recipe.from_json((job_dir / RECIPE_FILE).read_text(encoding="utf-8"))
        # Imported here, in the job's own process: this is what loads TensorFlow (quietly:
        # its start-up lines would only fill log.txt with alarming noise such as cuInit).
        import_tensorflow_quietly()
        from core.pipeline import train_and_export

        result = train_and_export(
            job_dir / DATA_FILE,
            recipe,
            job_dir,
            on_epoch=on_epoch,
            stop_event=stop_event,
            data_name=info.get("data_name") or None,
        )
        write_json_atomic(job_dir / RESULT_FILE, result)
    except TrainboardError as error:
        print(f"Training could not finish: {error}", file=sys.stderr)
        status.update(state="failed", error=str(error), finished_at=time.time())
        return 1
    except Exception:
        # The traceback is for engineers (log.txt); the user sees a plain sentence.
        traceback.print_exc()
        status.update(state="failed", error=UNEXPECTED_FAILURE_MESSAGE, finished_at=time.time())
        return 1
    finally:
        done.set()
    # Teams that track experiments in MLflow get the run there too (nothing unless configured);
    # a failure to log is a note in the run, never a failed run.
    tracked = log_finished_run(
        result,
        recipe,
        data_path=job_dir / DATA_FILE,
        data_name=info.get("data_name") or None,
        job_id=job_dir.name,
    )
    if tracked is not None:
        print(tracked.summary, file=sys.stderr)
        if tracked.note is not None:
            write_json_atomic(job_dir / RESULT_FILE, with_note(result, tracked))
    status.update(state="finished", finished_at=time.time())
    print(f"Finished: {result.get('stopped_because', 'completed')}.", file=sys.stderr)
    return 0
