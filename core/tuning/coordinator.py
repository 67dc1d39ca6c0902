"""The settings search itself: Optuna proposes, the job runner trains, the validation rows judge.

:func:`run_study` drives one search within its time budget. Optuna (a TPE sampler, seeded)
proposes a recipe (:mod:`core.tuning.space`); the recipe is submitted as an ordinary job
through the job runner, so trials fill every job slot, appear live as runs, and run on
whatever engine the runner uses. The first trial is the person's own recipe (when it lies
inside the search space), so the best found is never worse on the validation rows than
what they had.

Each trial is judged on its *validation* rows only: the job is marked as a trial
(:data:`core.tuning.study_files.TUNING_FILE`), trains without ever scoring its test rows,
and the objective is the lowest validation loss in its ``history.json``
(:func:`objective_value`), the quantity that also picks the epoch a run keeps. After
every pass the trial's best validation loss so far is reported to a median pruner; when
Optuna says prune, the job gets a stop request, exactly as if someone pressed Stop. When
the time is up no new trial starts and running ones are cut short (once one trial has
finished, so there is always something to keep). Then the best settings are trained once
more as a normal run, tested on the test rows once, with its bundle.

The search runs outside the Streamlit script, as its own process
(``python -m core.jobs tune <study_dir>``, started by :func:`start_study`), or inside the
CLI's ``tune`` command. No TensorFlow here: the job processes load it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import optuna

from core.errors import TrainboardError
from core.i18n import Texts
from core.jobs.access import OWNER_FILE, read_owner
from core.jobs.experiments import EXPERIMENT_FILE, ExperimentTag
from core.jobs.status import JobRunner, JobStatus
from core.model.curves import DIVERGED  # (core.model.training would load TensorFlow)
from core.model.recipe import Recipe
from core.results import EpochReport
from core.tuning.space import best_run_name, params_of, suggest_recipe, trial_name
from core.tuning.study_files import (
    DATA_FILE,
    STOP_FILE,
    TUNING_FILE,
    TUNING_SETTING,
    StudyPhase,
    StudySettings,
    StudyState,
    TrialRecord,
    TrialState,
    TuningNote,
    read_settings,
    write_state,
)

TEXT = Texts("core.tuning.coordinator")

POLL_SECONDS = 0.5
WARMUP_EPOCHS = 3  # no trial is pruned before its 3rd pass: the first passes are noisy
STARTUP_TRIALS = 1  # pruning compares with finished trials (the first: the own recipe)
RANDOM_TRIALS = 5  # TPE tries this many at random before it models the good region
MAX_FAILURES = 3  # this many trials failing before any finished: the data is the problem

TrialCallback = Callable[[TrialRecord], None]


def objective_value(history: Sequence[EpochReport]) -> float | None:
    """A trial's score: its lowest validation loss (validation rows only; lower is better).

    It reads nothing but ``val_loss``: the training loss and the test rows play no part.
    None when no pass produced a usable validation loss.
    """
    values = [report.val_loss for report in history if math.isfinite(report.val_loss)]
    return min(values) if values else None


def make_study(seed: int, pruner: optuna.pruners.BasePruner | None = None) -> optuna.Study:
    """A seeded, in-memory Optuna study that minimises the validation loss."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=RANDOM_TRIALS),
        pruner=pruner
        or optuna.pruners.MedianPruner(
            n_startup_trials=STARTUP_TRIALS, n_warmup_steps=WARMUP_EPOCHS
        ),
    )


@dataclass
class _Live:
    """A trial whose job is queued or training."""

    trial: optuna.Trial
    record: TrialRecord
    reported: int = 0  # passes already reported to Optuna
    pruned: bool = False  # Optuna said prune: a stop was requested
    cut: bool = False  # the time ran out or the search was stopped: a stop was requested
    best: float = math.inf


@dataclass
class _Search:
    """The search's mutable state inside :func:`run_study`."""

    settings: StudySettings
    base: Recipe
    state: StudyState
    records: dict[int, TrialRecord] = field(default_factory=dict)
    live: dict[int, _Live] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def save(self, folder: Path, **changes: Any) -> None:
        ordered = tuple(self.records[n] for n in sorted(self.records))
        self.state = replace(self.state, trials=ordered, **changes)
        write_state(folder, self.state)


def _tag(study_id: str, index: int, name: str, count: int) -> dict[str, Any]:
    return ExperimentTag(study_id, TUNING_SETTING, index + 1, name, index, count).to_dict()


def _submit(
    runner: JobRunner, folder: Path, search: _Search, recipe: Recipe, note: TuningNote, name: str
) -> str:
    index = note.trial - 1 if note.trial is not None else len(search.records)
    notes = {
        EXPERIMENT_FILE: _tag(search.settings.study_id, index, name, len(search.records) + 1),
        TUNING_FILE: note.to_dict(),
    }
    owner = read_owner(folder)  # the person who started the search owns its runs
    if owner is not None:
        notes[OWNER_FILE] = owner.to_dict()
    job_id = runner.submit(folder / DATA_FILE, search.settings.data_name, recipe, notes=notes)
    try:
        runner.rename(job_id, name)
    except (TrainboardError, OSError):
        pass  # the run keeps its default name; the search goes on
    return job_id


def _launch(runner: JobRunner, folder: Path, search: _Search, study: optuna.Study) -> None:
    trial = study.ask()
    recipe = suggest_recipe(trial, search.base)
    number = trial.number + 1
    name = trial_name(number, recipe)
    note = TuningNote(search.settings.study_id, number, TuningNote.TRIAL)
    job_id = _submit(runner, folder, search, recipe, note, name)
    record = TrialRecord(
        number, job_id, name, recipe.to_dict(), max_epochs=recipe.training.max_epochs
    )
    search.records[number] = record
    search.live[number] = _Live(trial, record)


def _follow(runner: JobRunner, study: optuna.Study, live: _Live, stop_all: bool) -> JobStatus:
    """Report the trial's new passes to Optuna; stop its job when pruned or when stopping."""
    status = runner.status(live.record.job_id)
    for report in status.history[live.reported :]:
        if math.isfinite(report.val_loss):
            live.best = min(live.best, report.val_loss)
        if math.isfinite(live.best):
            live.trial.report(live.best, report.epoch)
        live.reported += 1
    if status.is_active and not (live.pruned or live.cut):
        if live.reported and math.isfinite(live.best) and live.trial.should_prune():
            live.pruned = True
            runner.stop(live.record.job_id)
        elif stop_all:
            live.cut = True
            runner.stop(live.record.job_id)
    best = live.best if math.isfinite(live.best) else None
    live.record = replace(live.record, epochs=status.epoch, value=best)
    return status


def _finish(study: optuna.Study, live: _Live, status: JobStatus, search: _Search) -> TrialRecord:
    """Tell Optuna how the ended trial did; returns its final record."""
    result = status.result
    value = objective_value(status.history)
    diverged = result is not None and result.stopped_because == DIVERGED
    if live.pruned or live.cut:
        state = TrialState.PRUNED if live.pruned else TrialState.CUT_SHORT
        study.tell(live.trial, state=optuna.trial.TrialState.PRUNED)
    elif status.state == "finished" and value is not None and not diverged:
        state = TrialState.COMPLETE
        study.tell(live.trial, value)
    else:
        state = TrialState.FAILED
        study.tell(live.trial, state=optuna.trial.TrialState.FAIL)
        search.errors.append(status.error or (result.message if result else "") or "")
    return replace(live.record, state=state, value=value, epochs=status.epoch)


def _best_number(study: optuna.Study) -> int | None:
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    return min(complete, key=lambda t: t.value).number + 1 if complete else None


def run_study(
    runner: JobRunner,
    folder: Path,
    *,
    on_trial: TrialCallback | None = None,
    pruner: optuna.pruners.BasePruner | None = None,
    first_params: Sequence[dict[str, Any]] | None = None,
    poll_seconds: float = POLL_SECONDS,
    train_best: bool = True,
) -> StudyState:
    """Search the settings for the study in ``folder``, then train the best as its own run.

    ``on_trial`` is told each trial's final record as it ends (the CLI prints it);
    ``first_params`` are the first trials to try (by default the person's own recipe).
    ``train_best=False`` ends after the search: the best recipe is in the state, untested.
    Returns the final state (also in ``state.json``).
    """
    settings = read_settings(folder)
    base = Recipe.from_dict(settings.recipe)
    study = make_study(settings.seed, pruner)
    for params in [params_of(base)] if first_params is None else first_params:
        if params is not None:
            study.enqueue_trial(params)
    started = time.time()
    state = StudyState(
        settings.study_id, StudyPhase.SEARCHING, settings.data_name, base.target or "",
        settings.budget_minutes, started, started + settings.budget_minutes * 60,
    )  # fmt: skip
    search = _Search(settings, base, state)
    search.save(folder)
    try:
        _search(runner, folder, search, study, on_trial, poll_seconds)
        if not train_best and _best_number(study) is not None:
            search.save(folder, phase=StudyPhase.FINISHED, finished_at=time.time())
            return search.state
        return _train_best(runner, folder, search, study, poll_seconds)
    except BaseException as error:
        for live in search.live.values():  # leave no trial training for nobody
            _quietly_stop(runner, live.record.job_id)
        phase, message = StudyPhase.FAILED, TEXT["failed"]
        if isinstance(error, TrainboardError):
            message = str(error)
        elif isinstance(error, KeyboardInterrupt):  # Ctrl+C in the CLI: ended, not broken
            phase, message = StudyPhase.STOPPED, TEXT["interrupted"]
        search.save(folder, phase=phase, message=message, finished_at=time.time())
        raise


def _quietly_stop(runner: JobRunner, job_id: str) -> None:
    try:
        runner.stop(job_id)
    except (TrainboardError, OSError):
        pass


def _search(
    runner: JobRunner,
    folder: Path,
    search: _Search,
    study: optuna.Study,
    on_trial: TrialCallback | None,
    poll_seconds: float,
) -> None:
    while True:
        stopping = (folder / STOP_FILE).exists()
        time_up = time.time() >= search.state.deadline
        failed_out = len(search.errors) >= MAX_FAILURES and _best_number(study) is None
        limit = search.settings.max_trials
        enough = limit is not None and len(search.records) >= limit
        open_for_trials = not (stopping or time_up or failed_out)
        if enough and not search.live:
            open_for_trials = False
        while open_for_trials and not enough and len(search.live) < max(1, runner.max_concurrent):
            _launch(runner, folder, search, study)
            enough = limit is not None and len(search.records) >= limit
        # Running trials are cut at the deadline only once one has finished: a search
        # always ends with something to keep.
        stop_all = stopping or (time_up and _best_number(study) is not None)
        for number, live in list(search.live.items()):
            try:
                status = _follow(runner, study, live, stop_all)
            except TrainboardError as error:  # its run was deleted meanwhile: a failed try
                study.tell(live.trial, state=optuna.trial.TrialState.FAIL)
                search.errors.append(str(error))
                status, live.record = None, replace(live.record, state=TrialState.FAILED)
            search.records[number] = live.record
            if status is None or not status.is_active:
                if status is not None:
                    search.records[number] = _finish(study, live, status, search)
                del search.live[number]
                if on_trial is not None:
                    on_trial(search.records[number])
        search.save(folder, best_trial=_best_number(study))
        if not search.live and not open_for_trials:
            return
        time.sleep(poll_seconds)


def _train_best(
    runner: JobRunner, folder: Path, search: _Search, study: optuna.Study, poll_seconds: float
) -> StudyState:
    best = _best_number(study)
    stopping = (folder / STOP_FILE).exists()
    if best is None:
        if stopping:
            message, phase = TEXT["stopped_empty"], StudyPhase.STOPPED
        else:
            reason = next((e for e in search.errors if e), TEXT["no_trial"])
            message, phase = TEXT["all_failed"].format(reason=reason), StudyPhase.FAILED
        search.save(folder, phase=phase, message=message, finished_at=time.time())
        return search.state
    recipe = Recipe.from_dict(search.records[best].recipe)
    note = TuningNote(search.settings.study_id, None, TuningNote.BEST)
    job_id = _submit(runner, folder, search, recipe, note, best_run_name(recipe))
    search.save(folder, phase=StudyPhase.TRAINING_BEST, best_trial=best, best_job_id=job_id)
    stop_sent = False
    while True:
        status = runner.status(job_id)
        if not status.is_active:
            break
        if (folder / STOP_FILE).exists() and not stop_sent and not status.training_over:
            runner.stop(job_id)
            stop_sent = True
        time.sleep(poll_seconds)
    message = None if status.state == "finished" else status.error
    search.save(folder, phase=StudyPhase.FINISHED, message=message, finished_at=time.time())
    return search.state
