"""Prediction jobs: predicting a large file runs as a job, never in the web server.

The Predict page used to load TensorFlow into the Streamlit process and block the person's
session for as long as a big file took. A file larger than :data:`IN_SESSION_MAX_BYTES`
now runs as a job of kind ``"predict"`` on the configured runner (a local process or a Ray
job), with progress by row chunks, a stop, and ``predictions.csv`` to download when done.

Why a threshold, and this one: a job costs a fixed few seconds (a new process, TensorFlow's
import, loading the model), while a small file, up to 256 KiB (a few thousand rows), is
predicted in well under a second once the model is loaded, and the page keeps that model
for the session (the what-if tab needs it in the session anyway). Below the threshold the
job's start-up would be the whole wait; above it, the work is worth moving out.

One folder per prediction, ``<workspace>/predictions/<id>/`` (ids as for training jobs)::

    rows           the uploaded file, bytes as given     bundle.zip   the model to use
    job.json       kind, file name, threshold, runner    status.json  state, step, rows
    predictions.csv, summary.json  the output and its headline and notes
    log.txt, lock, stop            as for a training job

Prediction jobs do not take a training slot (a person waits for them on the page, and a
prediction is short next to a training run); on Ray they declare their own CPUs. Ended
prediction folders older than :data:`KEEP_SECONDS` are removed when a new one starts.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from core.errors import TrainboardError, TrainingError
from core.files import read_json
from core.jobs.job_files import settled_state
from core.jobs.process import (
    INTERRUPTED_MESSAGE,
    JOB_FILE,
    LOCK_FILE,
    STATUS_FILE,
    STOP_FILE,
    UNEXPECTED_FAILURE_MESSAGE,
    as_float,
    job_folders,
    write_job_json,
)
from core.jobs.states import JobState, RunnerKind, check_job_id, new_job_id, no_such_run
from core.portable.outputs import PREDICT_BATCH_ROWS

PREDICT_KIND = "predict"
PREDICTIONS_DIR = "predictions"
ROWS_FILE = "rows"
BUNDLE_FILE = "bundle.zip"
PREDICTIONS_FILE = "predictions.csv"
SUMMARY_FILE = "summary.json"

# Files up to this size are predicted in the person's session (see the module docstring).
IN_SESSION_MAX_BYTES = 256 * 1024
# Rows predicted between two progress reports and stop checks: whole network batches.
CHUNK_ROWS = 4 * PREDICT_BATCH_ROWS
KEEP_SECONDS = 24 * 3600

CANCELLED_PREDICTION = "The prediction was stopped on request; nothing was written."
PREDICTION_NOT_STARTED = (
    "The prediction could not be started ({error}). Check that the workspace folder {folder} "
    "is writable and has free space, then try again."
)


class PredictionStep(str, Enum):
    """What a running prediction is doing, in order (``status.json``'s ``step``)."""

    READING = "reading"
    LOADING = "loading"
    PREDICTING = "predicting"
    WRITING = "writing"


def runs_in_session(size_bytes: int) -> bool:
    """Whether a file of ``size_bytes`` is predicted in the session rather than as a job."""
    return size_bytes <= IN_SESSION_MAX_BYTES


@dataclass(frozen=True)
class PredictionStatus:
    """Everything the Predict page shows about one prediction job."""

    prediction_id: str
    state: JobState
    data_name: str
    step: str | None
    rows_done: int
    rows_total: int | None
    error: str | None
    summary: dict[str, Any] | None  # once finished: headline, notes, task, labels, threshold
    runner: str = RunnerKind.LOCAL
    runner_id: str | None = None

    @property
    def is_active(self) -> bool:
        return JobState(self.state).is_active

    @property
    def fraction(self) -> float:
        """How far the predicting has come, 0 to 1."""
        if not self.rows_total:
            return 1.0 if self.state == JobState.FINISHED else 0.0
        return min(1.0, self.rows_done / self.rows_total)


class PredictionJobsMixin:
    """Prediction jobs for a runner that has ``workspace``, ``kind``, ``_runner_record`` and
    ``_start_process`` (:class:`core.jobs.runner.LocalJobRunner` and its Ray subclass)."""

    workspace: Path

    @property
    def predictions_dir(self) -> Path:
        return self.workspace / PREDICTIONS_DIR

    def submit_prediction(
        self,
        bundle: bytes | Path,
        rows: bytes,
        rows_name: str,
        *,
        threshold: float | None = None,
    ) -> str:
        """Start predicting ``rows`` (a file's bytes) with ``bundle``; return the job's id.

        ``threshold`` replaces the bundle's own yes/no decision threshold when given.

        Raises
        ------
        TrainingError
            If the folder cannot be written or the job cannot be started (nothing is left).
        """
        self.predictions_dir.mkdir(parents=True, exist_ok=True)
        self._remove_old_predictions()
        job_id = new_job_id()
        staging = self.predictions_dir / f".new-{job_id}"
        job_dir = self.predictions_dir / job_id
        lock_fd = None
        renamed = False
        try:
            staging.mkdir()
            lock_fd = os.open(staging / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            (staging / ROWS_FILE).write_bytes(bytes(rows))
            os.chmod(staging / ROWS_FILE, 0o600)  # the person's data: readable by its owner
            if isinstance(bundle, (bytes, bytearray, memoryview)):
                (staging / BUNDLE_FILE).write_bytes(bytes(bundle))
            else:
                shutil.copyfile(Path(bundle), staging / BUNDLE_FILE)
            write_job_json(staging / STATUS_FILE, {"state": JobState.QUEUED, "rows_done": 0})
            write_job_json(
                staging / JOB_FILE,
                {
                    "kind": PREDICT_KIND,
                    "job_id": job_id,
                    "data_name": str(rows_name),
                    "created_at": time.time(),
                    "threshold": threshold,
                    **self._runner_record(job_id),  # type: ignore[attr-defined]
                },
            )
            os.rename(staging, job_dir)
            renamed = True
            self._start_process(job_dir, lock_fd)  # type: ignore[attr-defined]
        except BaseException as error:
            shutil.rmtree(job_dir if renamed else staging, ignore_errors=True)
            if isinstance(error, OSError):
                raise TrainingError(
                    PREDICTION_NOT_STARTED.format(error=error, folder=self.workspace)
                ) from error
            raise
        finally:
            if lock_fd is not None:
                os.close(lock_fd)
        return job_id

    def _prediction_dir(self, prediction_id: str) -> Path:
        job_dir = self.predictions_dir / check_job_id(prediction_id)
        if not job_dir.is_dir():
            raise no_such_run(prediction_id)
        return job_dir

    def prediction_status(self, prediction_id: str) -> PredictionStatus:
        """Read one prediction job's status from its folder (never fails on damaged files)."""
        job_dir = self._prediction_dir(prediction_id)
        info = read_json(job_dir / JOB_FILE)
        info = info if isinstance(info, dict) else {}
        raw, state = settled_state(job_dir, read_json(job_dir / STATUS_FILE))
        error = raw.get("error") if state in (JobState.FAILED, JobState.CANCELLED) else None
        if state == JobState.INTERRUPTED:
            error = INTERRUPTED_MESSAGE
        elif state == JobState.FAILED and not error:
            error = UNEXPECTED_FAILURE_MESSAGE
        summary = read_json(job_dir / SUMMARY_FILE) if state == JobState.FINISHED else None
        total = raw.get("rows_total")
        return PredictionStatus(
            prediction_id=prediction_id,
            state=state,
            data_name=str(info.get("data_name", "")),
            step=raw.get("step") if isinstance(raw.get("step"), str) else None,
            rows_done=int(as_float(raw.get("rows_done"))),
            rows_total=int(total) if isinstance(total, int) else None,
            error=str(error) if error else None,
            summary=summary if isinstance(summary, dict) else None,
            runner=str(info.get("runner") or RunnerKind.LOCAL),
            runner_id=info.get("runner_id") if isinstance(info.get("runner_id"), str) else None,
        )

    def stop_prediction(self, prediction_id: str) -> None:
        """Ask a prediction job to stop (between two chunks of rows). Safe to call twice."""
        (self._prediction_dir(prediction_id) / STOP_FILE).touch(exist_ok=True)

    def predictions_file(self, prediction_id: str) -> Path | None:
        """The finished job's ``predictions.csv``, else None."""
        path = self._prediction_dir(prediction_id) / PREDICTIONS_FILE
        status = self.prediction_status(prediction_id)
        return path if status.state == JobState.FINISHED and path.is_file() else None

    def _remove_old_predictions(self) -> None:
        """Remove ended prediction folders older than KEEP_SECONDS (their files were offered)."""
        cutoff = time.time() - KEEP_SECONDS
        for folder in job_folders(self.predictions_dir):
            info = read_json(folder / JOB_FILE)
            created = as_float(info.get("created_at")) if isinstance(info, dict) else 0.0
            if created >= cutoff:
                continue
            try:
                _, state = settled_state(folder, read_json(folder / STATUS_FILE))
                if state.is_active:
                    continue
                hidden = folder.with_name(f".old-{folder.name}")
                os.rename(folder, hidden)  # gone from view at once, then removed
                shutil.rmtree(hidden, ignore_errors=True)
            except (OSError, TrainboardError):
                continue
