"""What a job can be (its states and the phases pages show) and what a job id looks like.

Defined once here; the job process, the runner and every page read these. Nothing here
touches the file system or imports TensorFlow.
"""

from __future__ import annotations

import re
import secrets
import time
from enum import Enum
from typing import Any

from core.errors import TrainingError


class _Words(str, Enum):
    """An enum whose members are plain strings ("queued"), in comparisons and in text.

    (``enum.StrEnum`` needs Python 3.11; Trainboard supports 3.10.)
    """

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class JobState(_Words):
    """The state a job records in its ``status.json`` (or is found in, for interrupted)."""

    QUEUED = "queued"  # waiting for a free slot (or taking one)
    RUNNING = "running"
    FINISHED = "finished"  # training ended; result.json says how (stopped, diverged...)
    FAILED = "failed"  # the data or recipe could not be used, or an unexpected error
    CANCELLED = "cancelled"  # stopped before it started training
    INTERRUPTED = "interrupted"  # never written: its process died while queued or running

    @property
    def is_active(self) -> bool:
        """Whether the job may still change (worth polling again)."""
        return self in ACTIVE_STATES


ACTIVE_STATES = frozenset({JobState.QUEUED, JobState.RUNNING})
FINAL_STATES = frozenset(JobState) - ACTIVE_STATES
# States worth starting again from the job's own data and recipe: it never trained to the end.
RESTARTABLE_STATES = frozenset({JobState.INTERRUPTED, JobState.CANCELLED})


class JobPhase(_Words):
    """What a page says a job is doing: the state, with queued and running told apart.

    A new job reads as queued for a moment while its process takes a free slot, and as
    running while it reads the data and builds the network: both are "starting". It is
    "waiting" only while the runs ahead of it and the runs training fill every slot.
    After the last pass a running job goes through the tail steps (``TAIL_PHASES``), in
    this order, which its process records in ``status.json`` as ``step``.
    """

    WAITING = "waiting"
    STARTING = "starting"
    TRAINING = "training"
    TESTING = "testing"  # scoring the kept model on the held-out test rows, importance
    COMPARING = "comparing"  # the simple baselines on the same rows, uncertainty ranges
    PACKAGING = "packaging"  # writing and checking the export formats, the model card
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


# The steps after training, in the order the job runs them: training is over (Stop no longer
# applies) once a job reaches any of them.
TAIL_PHASES = (JobPhase.TESTING, JobPhase.COMPARING, JobPhase.PACKAGING)


def job_phase(
    state: JobState, *, waits_for_slot: bool, epoch: int, step: str | None = None
) -> JobPhase:
    """The phase of a job in ``state`` that has finished ``epoch`` passes.

    ``step`` is the tail step its process last recorded (a ``TAIL_PHASES`` value), if any.
    """
    if state == JobState.QUEUED:
        return JobPhase.WAITING if waits_for_slot else JobPhase.STARTING
    if state == JobState.RUNNING:
        if step in {phase.value for phase in TAIL_PHASES}:
            return JobPhase(step)
        return JobPhase.TRAINING if epoch > 0 else JobPhase.STARTING
    return JobPhase(state.value)


class RunnerKind(_Words):
    """What ran a job, recorded in its ``job.json`` as ``runner`` (pages never need it)."""

    LOCAL = "local"  # a process on the web server's machine (core.jobs.runner)
    RAY = "ray"  # a Ray job on a Ray cluster (core.jobs.ray_runner)


# --- job ids ---------------------------------------------------------------------------------

# A job id is a capability: whoever has it can watch, stop and download the run. So it holds
# 128 random bits (secrets), after a UTC time stamp that keeps ids sortable by creation time.
# Only lowercase hex, digits, "T", "Z" and "-": safe as a folder name and in a URL.
JOB_ID_PATTERN = re.compile(r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{32}")
_RANDOM_BYTES = 16
_SHOWN_ID_CHARS = 60

NO_SUCH_RUN = (
    "There is no training run with the id '{job_id}'. It may have been deleted, or the link is "
    "incomplete; pick a run from the list of runs or start a new one."
)


def new_job_id(now: float | None = None) -> str:
    """A fresh job id: ``YYYYMMDDTHHMMSSZ-`` then 32 random hex characters."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    return f"{stamp}-{secrets.token_hex(_RANDOM_BYTES)}"


def is_job_id(value: Any) -> bool:
    """Whether ``value`` has the exact shape of a job id."""
    return isinstance(value, str) and JOB_ID_PATTERN.fullmatch(value) is not None


def check_job_id(value: Any) -> str:
    """Return ``value`` if it is a well-formed job id.

    Raises
    ------
    TrainingError
        "No such run" in plain words, for anything else (nothing is looked up on disk).
    """
    if not is_job_id(value):
        raise no_such_run(value)
    return value


def no_such_run(job_id: Any) -> TrainingError:
    """The plain "no such run" error, quoting (the start of) the id that was given."""
    shown = str(job_id) if isinstance(job_id, str) else type(job_id).__name__
    if len(shown) > _SHOWN_ID_CHARS:
        shown = shown[:_SHOWN_ID_CHARS] + "…"
    return TrainingError(NO_SUCH_RUN.format(job_id=shown))
