"""Training jobs that run in their own process, outside the Streamlit script.

A click, a page change, a browser refresh or a restart of the web server must
never kill a training run, so the Train page only *submits* a job and then
polls its progress (about once a second). Pages talk to a :class:`JobRunner`;
:class:`LocalJobRunner` runs jobs as separate processes on this machine, and
:class:`core.jobs.ray_runner.RayJobRunner` as Ray jobs on a Ray cluster (chosen
by ``TRAINBOARD_RUNNER=ray`` in :func:`get_runner`, the one place that knows),
without any page knowing which.

Everything about a job lives in one folder, ``<workspace>/jobs/<job_id>/``::

    data.csv       the user's file, bytes as uploaded (never a pickled frame)
    recipe.json    the recipe            job.json      data name, creation time
    status.json    state, epoch, times   history.json  one dict per finished epoch
    result.json    the result dict       bundle.zip, bundle.model_card.md  the export
    test_outputs.npz  the test rows' actual values and the network's outputs (paired comparisons)
    log.txt        the process's output  stop          a stop request (marker)
    lock           held (flock) by the job's process for as long as it lives
    experiment.json  and other notes given to submit(): who the job belongs to
    meta.json      the run's name, data fingerprint, target and "keep" pin (core.jobs.catalog)
    owner.json     who started it, a note from submit() (core.jobs.access)

Status is read from these files only, so a new runner (after a server restart)
sees every job exactly as before. A job whose status says queued or running but
whose ``lock`` is free has lost its process and reads as "interrupted"; it can be
started again from its own ``data.csv`` and ``recipe.json`` (:meth:`JobRunner.restart`).
The states, the phases pages show and the shape of a job id are defined in
:mod:`core.jobs.states`; an id that does not have that exact shape is "no such run"
before any file is touched.

The job process itself is :mod:`core.jobs.process`
(``python -m core.jobs run <job_dir>``). Nothing here imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from core.errors import TrainboardError, TrainingError
from core.evaluation.test_outputs import TEST_OUTPUTS_FILE
from core.files import copy_private, disk_full_message, read_json, write_atomically
from core.jobs.access import read_owner
from core.jobs.catalog import new_run_meta, read_meta, write_meta
from core.jobs.experiments import EXPERIMENT_FILE, ExperimentTag
from core.jobs.job_files import (
    mean_epoch_seconds,
    mtime,
    read_recipe,
    read_result,
    settled_state,
    tail_step,
)
from core.jobs.predictions import PredictionJobsMixin
from core.jobs.process import (
    BUNDLE_FILE,
    DATA_FILE,
    HISTORY_FILE,
    INTERRUPTED_MESSAGE,
    JOB_FILE,
    LOCK_FILE,
    LOG_FILE,
    MODEL_CARD_FILE,
    RECIPE_FILE,
    RESULT_FILE,
    STATUS_FILE,
    STOP_FILE,
    UNEXPECTED_FAILURE_MESSAGE,
    as_float,
    default_max_concurrent,
    job_folders,
    queue_counts,
    write_job_json,
)
from core.jobs.retention import sweep_if_due
from core.jobs.run_files import RESTART_NO_DATA, RunFilesMixin
from core.jobs.states import JobState, RunnerKind, check_job_id, new_job_id, no_such_run
from core.jobs.status import JobRunner, JobStatus
from core.jobs.warm import hand_over, start_warm_worker, warm_worker_wanted
from core.model.recipe import Recipe
from core.results import history_from_dicts

# Files a page may read or offer for download through JobRunner.artifact().
ARTIFACT_NAMES = (BUNDLE_FILE, MODEL_CARD_FILE, TEST_OUTPUTS_FILE)

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# The files a job folder is made of: a note passed to submit() may not replace one of them.
_JOB_FILES = frozenset(
    {DATA_FILE, RECIPE_FILE, JOB_FILE, STATUS_FILE, HISTORY_FILE, RESULT_FILE, BUNDLE_FILE}
    | {MODEL_CARD_FILE, LOG_FILE, STOP_FILE, LOCK_FILE}
)

RESTART_ACTIVE = "This run is still going; there is nothing to start again."

# The setting that picks the runner (get_runner), and its values.
RUNNER_VARIABLE = "TRAINBOARD_RUNNER"
UNKNOWN_RUNNER = (
    "TRAINBOARD_RUNNER is set to '{value}', which Trainboard does not know. Use 'local' (the "
    "default: jobs run on this machine) or 'ray' (jobs run on the Ray cluster at RAY_ADDRESS)."
)


# --- the local runner ------------------------------------------------------------------------


class LocalJobRunner(RunFilesMixin, PredictionJobsMixin):
    """Runs each job as its own process on this machine; state lives in the workspace folder.

    Parameters
    ----------
    workspace
        Folder holding ``jobs/`` and ``slots/``. Defaults to ``TRAINBOARD_WORKSPACE`` or
        ``./workspace``.
    max_concurrent
        Jobs allowed to train at the same time (the others wait, "queued"). Defaults to
        :func:`default_max_concurrent`.
    warm
        Keep a warm worker (:mod:`core.jobs.warm`, TensorFlow loaded) to start jobs without
        waiting for the import; off by default, on in the app (:func:`get_runner`).
    """

    kind = RunnerKind.LOCAL

    def __init__(
        self, workspace: Path | None = None, max_concurrent: int | None = None, warm: bool = False
    ) -> None:
        if workspace is None:
            workspace = Path(os.environ.get("TRAINBOARD_WORKSPACE") or "workspace")
        # Absolute, because the job process runs with another working directory.
        self.workspace = Path(workspace).expanduser().resolve()
        if max_concurrent is None:
            max_concurrent = default_max_concurrent()
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self.max_concurrent = int(max_concurrent)
        self.jobs_dir = self.workspace / "jobs"
        self.warm = warm
        # Old runs go when a runner starts (at most every few minutes) and after each job.
        sweep_if_due(self.workspace)

    # -- submitting ------------------------------------------------------------------------

    def submit(
        self,
        data: bytes | Path,
        data_name: str,
        recipe: Recipe,
        *,
        notes: dict[str, Any] | None = None,
    ) -> str:
        """Copy the data and recipe into a new job folder and start the job's process.

        ``notes`` (file name -> JSON data, e.g. ``experiment.json``) are written into the
        folder before it becomes visible, so a job is never listed without them.

        Raises
        ------
        TrainingError
            If the job folder cannot be written or the process cannot be started
            (nothing is left behind in that case).
        """
        for name in notes or {}:
            if Path(name).name != name or name in _JOB_FILES or name.startswith("."):
                raise ValueError(f"{name!r} cannot be a note file of a job")
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        (self.workspace / "slots").mkdir(exist_ok=True)
        job_id = new_job_id()
        # Build the folder under a hidden name and rename it when complete, so list_jobs
        # never sees a half-made job.
        staging = self.jobs_dir / f".new-{job_id}"
        job_dir = self.jobs_dir / job_id
        lock_fd = None
        renamed = False
        try:
            staging.mkdir(mode=0o700)  # the run's files are its owner's alone
            # Take the job's lock now and hand it to the process: the lock is held without
            # a gap from before "queued" is written, so the job never looks interrupted.
            lock_fd = os.open(staging / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            copy_private(data, staging / DATA_FILE)
            write_atomically(staging / RECIPE_FILE, recipe.to_json(), private=True)
            for name, content in (notes or {}).items():
                write_job_json(staging / name, content)
            # Named and fingerprinted once, here: the Runs page reads it for every run.
            meta = new_run_meta(staging / DATA_FILE, data_name, recipe)
            write_meta(staging, meta)
            write_job_json(staging / HISTORY_FILE, [])
            write_job_json(
                staging / STATUS_FILE, {"state": JobState.QUEUED, "epoch": 0, "history_length": 0}
            )
            write_job_json(
                staging / JOB_FILE,
                {
                    "job_id": job_id,
                    "data_name": str(data_name),
                    "created_at": time.time(),
                    "max_epochs": recipe.training.max_epochs,
                    "max_concurrent": self.max_concurrent,
                    "data_fingerprint": meta.data_sha256,
                    **self._runner_record(job_id),
                },
            )
            os.rename(staging, job_dir)
            renamed = True
            self._start_process(job_dir, lock_fd)
        except BaseException as error:
            shutil.rmtree(job_dir if renamed else staging, ignore_errors=True)
            if isinstance(error, OSError) and disk_full_message(error):
                raise TrainingError(disk_full_message(error)) from error
            if isinstance(error, (OSError, subprocess.SubprocessError)):
                raise TrainingError(
                    f"The training run could not be started ({error}). Check that the workspace "
                    f"folder {self.workspace} is writable and has free space, then try again."
                ) from error
            raise
        finally:
            if lock_fd is not None:
                os.close(lock_fd)  # the child keeps its own copy of the lock
        return job_id

    def _runner_record(self, job_id: str) -> dict[str, Any]:
        """What ``job.json`` says about the runner of ``job_id`` (read back by job_is_alive)."""
        return {"runner": self.kind}

    def _start_process(self, job_dir: Path, lock_fd: int) -> None:
        # A job that can start now goes to the warm worker if there is one (a queued one
        # would only hold TensorFlow's memory while it waits); otherwise it starts cold.
        if not (
            self.warm and self._starts_now(job_dir) and hand_over(self.workspace, job_dir, lock_fd)
        ):
            self._start_cold(job_dir, lock_fd)
        self.keep_warm()

    def _starts_now(self, job_dir: Path) -> bool:
        ahead, training = queue_counts(self.jobs_dir, job_dir.name, time.time())
        return ahead + training < self.max_concurrent

    def keep_warm(self) -> None:
        """Start the workspace's warm worker if this runner keeps one and none is waiting."""
        if self.warm:
            start_warm_worker(self.workspace, self._job_environment(), self.max_concurrent)

    def _job_environment(self) -> dict[str, str]:
        env = dict(os.environ)
        # The repository may not be installed: make `core` importable from its root.
        env["PYTHONPATH"] = os.pathsep.join(
            part for part in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if part
        )
        env["PYTHONUNBUFFERED"] = "1"  # the log shows progress as it happens
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        return env

    def _start_cold(self, job_dir: Path, lock_fd: int) -> None:
        env = self._job_environment()
        command = [
            sys.executable,
            "-m",
            "core.jobs",
            "run",
            str(job_dir),
            "--lock-fd",
            str(lock_fd),
        ]
        with open(job_dir / LOG_FILE, "ab") as log:
            process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(lock_fd,),
                # Own session: a Ctrl+C or restart of the web server does not reach the job.
                start_new_session=True,
            )
        # Reap the process when it ends, so no zombie lingers while the server runs.
        threading.Thread(target=process.wait, daemon=True).start()

    # -- reading ---------------------------------------------------------------------------

    def _job_dir(self, job_id: str) -> Path:
        """The folder of ``job_id``; a malformed or unknown id is "no such run"."""
        job_dir = self.jobs_dir / check_job_id(job_id)
        if not job_dir.is_dir():
            raise no_such_run(job_id)
        return job_dir

    def status(self, job_id: str) -> JobStatus:
        """Read one job's status from its folder (never fails on damaged files)."""
        job_dir = self._job_dir(job_id)
        return self._read_status(job_dir, allow_damaged=True)  # type: ignore[return-value]

    def list_jobs(self) -> list[JobStatus]:
        """Every readable job, newest first (folders with damaged job.json are skipped)."""
        statuses = [self._read_status(folder) for folder in job_folders(self.jobs_dir)]
        found = [status for status in statuses if status is not None]
        return sorted(found, key=lambda s: (s.created_at, s.job_id), reverse=True)

    def _read_status(self, job_dir: Path, allow_damaged: bool = False) -> JobStatus | None:
        info = read_json(job_dir / JOB_FILE)
        raw = read_json(job_dir / STATUS_FILE)
        if not isinstance(info, dict):
            if not allow_damaged:
                return None
            info = {}
        raw, state = settled_state(job_dir, raw)
        job_id = job_dir.name
        created_at = as_float(info.get("created_at"), default=mtime(job_dir))
        # status.json was read first, and the job writes history.json before status.json, so
        # the history may hold one epoch more than the status: cut it to agree with the status.
        history = history_from_dicts(read_json(job_dir / HISTORY_FILE))
        if isinstance(raw.get("history_length"), int):
            history = history[: raw["history_length"]]
        result = read_result(job_dir) if state == JobState.FINISHED else None
        started_at = raw.get("started_at")
        finished_at = raw.get("finished_at")
        epoch = int(as_float(raw.get("epoch"), default=len(history)))
        max_epochs = int(as_float(info.get("max_epochs"), default=0))

        queue_position = None
        waits_for_slot = False
        if state == JobState.QUEUED:
            ahead, training = queue_counts(self.jobs_dir, job_id, created_at)
            queue_position = ahead + 1
            slots = int(as_float(info.get("max_concurrent"), default=self.max_concurrent))
            waits_for_slot = ahead + training >= max(1, slots)
        error = raw.get("error") if state in (JobState.FAILED, JobState.CANCELLED) else None
        if state == JobState.INTERRUPTED:
            error = INTERRUPTED_MESSAGE
        elif state == JobState.FAILED and not error:
            error = UNEXPECTED_FAILURE_MESSAGE

        elapsed = 0.0
        if isinstance(started_at, (int, float)):
            if isinstance(finished_at, (int, float)):
                end = finished_at
            elif state == JobState.RUNNING:
                end = time.time()
            else:  # interrupted: the last sign of life is the last write to status.json
                end = mtime(job_dir / STATUS_FILE)
            elapsed = max(0.0, end - started_at)
        eta = None
        if state == JobState.RUNNING and epoch > 0:
            eta = mean_epoch_seconds(history, elapsed, epoch) * max(0, max_epochs - epoch)

        return JobStatus(
            job_id=job_id,
            state=state,
            queue_position=queue_position,
            data_name=str(info.get("data_name", "")),
            created_at=created_at,
            started_at=started_at if isinstance(started_at, (int, float)) else None,
            finished_at=finished_at if isinstance(finished_at, (int, float)) else None,
            epoch=epoch,
            max_epochs=max_epochs,
            elapsed_seconds=elapsed,
            eta_seconds=eta,
            history=history,
            result=result,
            error=str(error) if error else None,
            stop_requested=(job_dir / STOP_FILE).exists(),
            waits_for_slot=waits_for_slot,
            recipe=read_recipe(job_dir),
            data_fingerprint=info.get("data_fingerprint") or None,
            experiment=ExperimentTag.from_dict(read_json(job_dir / EXPERIMENT_FILE)),
            runner=str(info.get("runner") or RunnerKind.LOCAL),
            runner_id=info.get("runner_id") if isinstance(info.get("runner_id"), str) else None,
            owner=read_owner(job_dir),
            **tail_step(raw) if state == JobState.RUNNING else {},
        )

    # -- acting ----------------------------------------------------------------------------

    def stop(self, job_id: str) -> None:
        """Ask a queued or training job to stop; a job past its last pass is left alone.

        Once training is over (testing, comparing, packaging) the model is trained: a stop
        then would only throw it away, so it is not recorded (pages hide Stop by then).
        """
        job_dir = self._job_dir(job_id)
        if not self._read_status(job_dir, allow_damaged=True).training_over:
            (job_dir / STOP_FILE).touch(exist_ok=True)

    def restart(self, job_id: str, *, notes: dict[str, Any] | None = None) -> str:
        """Start a new job from an ended job's own ``data.csv`` and ``recipe.json``.

        The page that started the first run may be long gone (a refresh forgets the
        upload): the job folder keeps the bytes and the recipe, so nothing is asked again.
        The new run keeps the old one's name.

        Raises
        ------
        TrainingError
            If the job is still active, or its data or recipe is missing or damaged.
        """
        job_dir = self._job_dir(job_id)
        status = self._read_status(job_dir, allow_damaged=True)
        if status.is_active:
            raise TrainingError(RESTART_ACTIVE)
        recipe = read_recipe(job_dir)
        data = job_dir / DATA_FILE
        if recipe is None or not data.is_file():
            raise TrainingError(RESTART_NO_DATA)
        # A run of an experiment started again stays part of its experiment.
        tag = read_json(job_dir / EXPERIMENT_FILE)
        kept = {EXPERIMENT_FILE: tag} if ExperimentTag.from_dict(tag) is not None else {}
        notes = {**kept, **(notes or {})}
        new_id = self.submit(data, status.data_name or DATA_FILE, recipe, notes=notes)
        named = read_meta(job_dir)
        if named is not None:  # the same run again: it keeps the name the person gave it
            with contextlib.suppress(OSError, TrainboardError):
                self.rename(new_id, named.name)
        return new_id

    def artifact(self, job_id: str, name: str) -> Path | None:
        """The path of one of a job's files named in ``ARTIFACT_NAMES``, once it exists."""
        if name not in ARTIFACT_NAMES:
            raise ValueError(f"{name!r} is not a job artifact; use one of {ARTIFACT_NAMES}")
        path = self._job_dir(job_id) / name
        return path if path.is_file() else None


def get_runner() -> JobRunner:
    """The job runner pages should use (cheap to create: it is just a folder).

    Pages call this on each run of the script instead of keeping a runner in a
    module global shared by every user. ``TRAINBOARD_RUNNER=ray`` runs every job on
    the Ray cluster at ``RAY_ADDRESS`` (:mod:`core.jobs.ray_runner`, imported only
    then); unset or ``local``, jobs run on this machine.

    Raises
    ------
    TrainingError
        If ``TRAINBOARD_RUNNER`` names no runner, or the Ray cluster cannot be used.
    """
    choice = os.environ.get(RUNNER_VARIABLE, "").strip().lower() or RunnerKind.LOCAL
    if choice == RunnerKind.RAY:
        from core.jobs.ray_runner import RayJobRunner

        return RayJobRunner()
    if choice != RunnerKind.LOCAL:
        raise TrainingError(UNKNOWN_RUNNER.format(value=choice[:40]))
    runner = LocalJobRunner(warm=warm_worker_wanted())
    runner.keep_warm()  # the first job of the session already finds TensorFlow loaded
    return runner
