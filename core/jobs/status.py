"""What pages know about training jobs: a job's :class:`JobStatus` and the :class:`JobRunner`.

A page never needs to know how jobs run (:mod:`core.jobs.runner` runs them as local
processes; another runner could use a cluster): it submits, polls a status, stops,
restarts and downloads through this interface. No TensorFlow here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from core.jobs.access import Owner
from core.jobs.experiments import ExperimentTag
from core.jobs.states import (
    RESTARTABLE_STATES,
    TAIL_PHASES,
    JobPhase,
    JobState,
    RunnerKind,
    job_phase,
)
from core.model.recipe import Recipe
from core.results import EpochReport, RunResult

if TYPE_CHECKING:  # core.jobs.catalog reads JobStatus: import its types for hints only
    from core.jobs.catalog import RunMeta
    from core.jobs.predictions import PredictionStatus


@dataclass(frozen=True)
class JobStatus:
    """Everything a page shows about one job, read from the job's folder."""

    job_id: str
    state: JobState
    queue_position: int | None  # 1-based; None unless queued
    data_name: str
    created_at: float  # epoch seconds
    started_at: float | None
    finished_at: float | None
    epoch: int  # last finished epoch, 0 before the first one
    max_epochs: int
    elapsed_seconds: float
    eta_seconds: float | None  # upper bound: early stopping may end sooner
    history: list[EpochReport]
    result: RunResult | None  # once finished
    error: str | None  # plain-language message
    stop_requested: bool
    # Queued behind other runs: the runs ahead of it and the runs training fill every slot.
    waits_for_slot: bool = False
    recipe: Recipe | None = None  # None when the job's recipe.json is missing or damaged
    # sha256 of the data file as submitted: runs with the same one learned from the same rows.
    data_fingerprint: str | None = None
    experiment: ExperimentTag | None = None  # set for the runs of a one-click experiment
    # After training: the tail step the job is in (a TAIL_PHASES value) and, where it can be
    # counted, how far it is (e.g. packaging: the 2nd of 4 parts).
    step: str | None = None
    step_done: int | None = None
    step_total: int | None = None
    # What ran it ("local" or "ray") and, on Ray, Ray's own id for it (the submission id).
    runner: str = RunnerKind.LOCAL
    runner_id: str | None = None
    # Who started it (owner.json; None for runs made before owners were recorded).
    owner: Owner | None = None

    @property
    def is_active(self) -> bool:
        """True while the job is queued or running (worth polling again)."""
        return JobState(self.state).is_active

    @property
    def phase(self) -> JobPhase:
        """What the job is doing, as a page says it (waiting, starting, training...)."""
        return job_phase(
            JobState(self.state),
            waits_for_slot=self.waits_for_slot,
            epoch=self.epoch,
            step=self.step,
        )

    @property
    def training_over(self) -> bool:
        """Whether no more passes will run (the tail steps, or the job ended): Stop is moot."""
        return self.phase in TAIL_PHASES or not self.is_active

    @property
    def can_restart(self) -> bool:
        """Whether it ended without training to the end, so starting it again makes sense."""
        return self.state in RESTARTABLE_STATES


class JobRunner(Protocol):
    """What pages need from whatever runs training jobs (local pool, cluster...)."""

    #: How many jobs may train at the same time; the rest wait in a queue.
    max_concurrent: int

    def submit(
        self,
        data: bytes | Path,
        data_name: str,
        recipe: Recipe,
        *,
        notes: dict[str, Any] | None = None,
    ) -> str:
        """Start a job on ``data`` (CSV bytes or a file path) and return its id.

        ``notes`` maps a file name to JSON data kept with the job from its first moment
        (e.g. ``experiment.json``).
        """
        ...

    def status(self, job_id: str) -> JobStatus:
        """The current status of one job."""
        ...

    def stop(self, job_id: str) -> None:
        """Ask a job to stop (a queued job is cancelled). Safe to call twice."""
        ...

    def restart(self, job_id: str, *, notes: dict[str, Any] | None = None) -> str:
        """Start a new job from an ended job's own data and recipe; return the new id.

        ``notes`` are added to the new job's own (e.g. ``owner.json``: who started it again).
        """
        ...

    def list_jobs(self) -> list[JobStatus]:
        """All jobs, newest first."""
        ...

    def artifact(self, job_id: str, name: str) -> Path | None:
        """Path of ``BUNDLE_FILE`` or ``MODEL_CARD_FILE`` once it exists, else None."""
        ...

    def recipe(self, job_id: str) -> Recipe | None:
        """The recipe the job trained with, or None if it is missing or damaged."""
        ...

    def run_inputs(self, job_id: str) -> tuple[bytes, str, Recipe]:
        """The job's own data bytes, the data's file name and its recipe (to start anew)."""
        ...

    def meta(self, job_id: str) -> RunMeta:
        """The run's name, data fingerprint and target."""
        ...

    def rename(self, job_id: str, name: str) -> RunMeta:
        """Give the run a new name; raises TrainboardError with a plain sentence if unusable."""
        ...

    def delete(self, job_id: str) -> None:
        """Remove an ended run and its files; refuses a queued or training run."""
        ...

    def submit_prediction(
        self, bundle: bytes | Path, rows: bytes, rows_name: str, *, threshold: float | None = None
    ) -> str:
        """Start predicting a large file with a bundle as a job; return its id."""
        ...

    def prediction_status(self, prediction_id: str) -> PredictionStatus:
        """The current status of one prediction job."""
        ...

    def stop_prediction(self, prediction_id: str) -> None:
        """Ask a prediction job to stop. Safe to call twice."""
        ...

    def predictions_file(self, prediction_id: str) -> Path | None:
        """The finished prediction job's ``predictions.csv``, else None."""
        ...

    def pin(self, job_id: str, pinned: bool) -> RunMeta:
        """Keep the run from automatic removal (``pinned``), or let it go again."""
        ...
