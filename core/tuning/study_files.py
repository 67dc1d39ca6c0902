"""A settings search's folder, its live state, and the note that marks a job as its trial.

One folder per search, ``<workspace>/studies/<study_id>/`` (the id has the shape of a job
id, :mod:`core.jobs.states`)::

    data.csv     the data, bytes as given      study.json   what to search: recipe, budget, seed
    state.json   the live state (StudyState)   stop         a stop request (marker)
    lock         held (flock) by the search's process while it lives
    log.txt      the search process's output

The search's process (:mod:`core.tuning.coordinator`) is the only writer of
``state.json``; pages and the CLI read it. A search whose state says it is going but whose
lock is free lost its process and reads as "interrupted". Each trial is an ordinary job
whose folder holds :data:`TUNING_FILE` (who it belongs to, and whether it is a trial judged
on the validation rows only) and the one-click experiments' ``experiment.json`` tag, so the
Runs page and :func:`core.jobs.experiments.experiment_runs` group a search's runs as one.
No TensorFlow here.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any

from core.errors import TrainingError
from core.files import read_json, write_json_atomic
from core.i18n import Texts
from core.jobs.process import lock_is_held
from core.jobs.states import check_job_id, no_such_run

TEXT = Texts("core.tuning.study_files")

STUDIES_FOLDER = "studies"  # beside jobs/ in the workspace
SETTINGS_FILE = "study.json"
STATE_FILE = "state.json"
DATA_FILE = "data.csv"
STOP_FILE = "stop"
LOCK_FILE = "lock"
LOG_FILE = "log.txt"
TUNING_FILE = "tuning.json"  # in the job folder of each trial and of the best run
TUNING_SETTING = "tuning"  # the experiment tag's "setting" for a search's runs


class StudyPhase(str, Enum):
    """Where a search is; pages say it in words."""

    STARTING = "starting"
    SEARCHING = "searching"
    TRAINING_BEST = "training_best"  # the best settings, trained again and tested
    FINISHED = "finished"
    STOPPED = "stopped"  # stopped before any trial finished: nothing to train
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # never written: the search's process is gone

    def __str__(self) -> str:
        return self.value

    @property
    def is_active(self) -> bool:
        return self in (StudyPhase.STARTING, StudyPhase.SEARCHING, StudyPhase.TRAINING_BEST)


class TrialState(str, Enum):
    """How one trial ended, as the search counts it."""

    RUNNING = "running"
    COMPLETE = "complete"  # trained to its end: its validation score counts
    PRUNED = "pruned"  # stopped early: worse than the others at the same pass
    CUT_SHORT = "cut_short"  # stopped by the time limit or a stop request: not counted
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class TuningNote:
    """What ``tuning.json`` says about a job: its search, its trial, and its role."""

    study_id: str
    trial: int | None  # 1-based trial number; None for the best settings' run
    role: str  # "trial" (validation rows only) or "best" (a normal run: tested, packaged)

    TRIAL = "trial"
    BEST = "best"

    def to_dict(self) -> dict[str, Any]:
        return {"study_id": self.study_id, "trial": self.trial, "role": self.role}

    @classmethod
    def from_dict(cls, data: Any) -> TuningNote | None:
        """The note in a job folder, or None when missing or damaged."""
        if not isinstance(data, dict) or data.get("role") not in (cls.TRIAL, cls.BEST):
            return None
        trial = data.get("trial")
        return cls(
            str(data.get("study_id", "")), trial if isinstance(trial, int) else None, data["role"]
        )

    @property
    def validation_only(self) -> bool:
        """A trial never touches the test rows: only the search's winner is tested, once."""
        return self.role == self.TRIAL


def validation_only_job(job_dir: Path) -> bool:
    """Whether the job in ``job_dir`` is a search's trial (trained, judged on validation only)."""
    note = TuningNote.from_dict(read_json(job_dir / TUNING_FILE))
    return note is not None and note.validation_only


@dataclass(frozen=True)
class TrialRecord:
    """One trial as the page lists it."""

    number: int  # 1-based
    job_id: str
    name: str
    recipe: dict[str, Any]
    state: TrialState = TrialState.RUNNING
    value: float | None = None  # best validation loss seen (complete: its score)
    epochs: int = 0
    max_epochs: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        data["value"] = self.value if self.value is not None and math.isfinite(self.value) else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrialRecord:
        value = data.get("value")
        return cls(
            number=int(data["number"]),
            job_id=str(data["job_id"]),
            name=str(data.get("name", "")),
            recipe=dict(data.get("recipe") or {}),
            state=TrialState(data.get("state", TrialState.RUNNING)),
            value=float(value) if isinstance(value, (int, float)) else None,
            epochs=int(data.get("epochs") or 0),
            max_epochs=int(data.get("max_epochs") or 0),
        )


@dataclass(frozen=True)
class StudyState:
    """What ``state.json`` holds: the search so far, its best trial and its final run."""

    study_id: str
    phase: StudyPhase
    data_name: str
    target: str
    budget_minutes: float
    started_at: float
    deadline: float
    trials: tuple[TrialRecord, ...] = ()
    best_trial: int | None = None  # the number of the best complete trial
    best_job_id: str | None = None  # the final run with the best settings
    finished_at: float | None = None
    message: str | None = None  # why it failed or stopped, in plain words
    stop_requested: bool = False  # read from the stop marker, never stored

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("stop_requested")
        data["phase"] = self.phase.value
        data["trials"] = [trial.to_dict() for trial in self.trials]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudyState:
        return cls(
            study_id=str(data["study_id"]),
            phase=StudyPhase(data["phase"]),
            data_name=str(data.get("data_name", "")),
            target=str(data.get("target", "")),
            budget_minutes=float(data.get("budget_minutes") or 0.0),
            started_at=float(data.get("started_at") or 0.0),
            deadline=float(data.get("deadline") or 0.0),
            trials=tuple(TrialRecord.from_dict(t) for t in data.get("trials") or ()),
            best_trial=data.get("best_trial") if isinstance(data.get("best_trial"), int) else None,
            best_job_id=data.get("best_job_id") or None,
            finished_at=data.get("finished_at"),
            message=data.get("message"),
        )

    @property
    def best(self) -> TrialRecord | None:
        """The best complete trial so far, or None."""
        return next((t for t in self.trials if t.number == self.best_trial), None)

    def count(self, state: TrialState) -> int:
        """How many trials ended (or are) in ``state``."""
        return sum(1 for trial in self.trials if trial.state == state)


@dataclass(frozen=True)
class StudySettings:
    """What ``study.json`` says to search: the starting recipe, the budget and the seed."""

    study_id: str
    data_name: str
    recipe: dict[str, Any]
    budget_minutes: float
    seed: int
    created_at: float
    max_trials: int | None = None  # stop after this many tries even with time left

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudySettings:
        return cls(
            study_id=str(data["study_id"]),
            data_name=str(data["data_name"]),
            recipe=dict(data["recipe"]),
            budget_minutes=float(data["budget_minutes"]),
            seed=int(data["seed"]),
            created_at=float(data["created_at"]),
            max_trials=int(data["max_trials"]) if data.get("max_trials") else None,
        )


def studies_dir(workspace: Path | None = None) -> Path:
    """The folder of every search: ``<workspace>/studies`` (the runner's workspace)."""
    if workspace is None:
        workspace = Path(os.environ.get("TRAINBOARD_WORKSPACE") or "workspace")
    return Path(workspace).expanduser().resolve() / STUDIES_FOLDER


def study_folder(study_id: str, workspace: Path | None = None) -> Path:
    """The folder of one search; a malformed or unknown id is "no such run"."""
    folder = studies_dir(workspace) / check_job_id(study_id)
    if not folder.is_dir():
        raise no_such_run(study_id)
    return folder


def write_state(folder: Path, state: StudyState) -> None:
    """Write ``state.json`` atomically (only the search's own process does)."""
    write_json_atomic(folder / STATE_FILE, state.to_dict(), private=True)


def read_settings(folder: Path) -> StudySettings:
    """The search's ``study.json``.

    Raises
    ------
    TrainingError
        If it is missing or damaged.
    """
    try:
        return StudySettings.from_dict(read_json(folder / SETTINGS_FILE))
    except (TypeError, KeyError, ValueError):
        raise TrainingError(TEXT["damaged"]) from None


def read_state(folder: Path) -> StudyState:
    """The search's state as pages show it (a search whose process is gone: interrupted)."""
    raw = read_json(folder / STATE_FILE)
    try:
        state = StudyState.from_dict(raw)
    except (TypeError, KeyError, ValueError):
        settings = read_settings(folder)
        state = StudyState(
            settings.study_id, StudyPhase.STARTING, settings.data_name, "", settings.budget_minutes,
            settings.created_at, settings.created_at + settings.budget_minutes * 60,
        )  # fmt: skip
    if state.phase.is_active and not lock_is_held(folder / LOCK_FILE):
        # The process writes its final state before it lets go of the lock: read once more.
        again = read_json(folder / STATE_FILE)
        if isinstance(again, dict) and StudyPhase(again.get("phase", "failed")).is_active:
            state = replace(state, phase=StudyPhase.INTERRUPTED)
        elif isinstance(again, dict):
            state = StudyState.from_dict(again)
    return replace(state, stop_requested=(folder / STOP_FILE).exists())


def stop_study(folder: Path) -> None:
    """Ask a search to stop: no new trial starts, running ones stop, the best so far is kept."""
    (folder / STOP_FILE).touch(exist_ok=True)
