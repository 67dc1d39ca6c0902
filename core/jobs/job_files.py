"""Reading a job folder's files: its state, recipe, result and tail step, defensively.

A job folder is written by another process that may die at any moment, so every reader
here treats a missing or damaged file as "not there" instead of failing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.errors import TrainboardError
from core.files import read_json
from core.jobs.process import RECIPE_FILE, RESULT_FILE, STATUS_FILE, job_is_alive
from core.jobs.states import JobState
from core.model.recipe import Recipe
from core.results import EpochReport, RunResult


def settled_state(job_dir: Path, raw: Any) -> tuple[dict[str, Any], JobState]:
    """The status dict and the state to show, detecting jobs whose process is gone."""
    for _attempt in range(2):
        try:
            state = JobState(raw["state"])
        except (TypeError, KeyError, ValueError):  # not a dict, or not a known state
            return {}, JobState.INTERRUPTED
        if not state.is_active or job_is_alive(job_dir):
            return raw, state
        # The process is gone (its lock is free, or Ray says it ended). It writes its final
        # state before it exits, so it may have ended just after the first read: read once
        # more before calling it interrupted.
        raw = read_json(job_dir / STATUS_FILE)
    return (raw if isinstance(raw, dict) else {}), JobState.INTERRUPTED


def read_recipe(job_dir: Path) -> Recipe | None:
    """The job's recipe, or None if recipe.json is missing or damaged."""
    try:
        return Recipe.from_json((job_dir / RECIPE_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, TrainboardError):
        return None


def tail_step(raw: dict[str, Any]) -> dict[str, Any]:
    """The tail step a running job recorded (``step``, ``step_done``, ``step_total``), checked."""
    step = raw.get("step")
    if not isinstance(step, str):
        return {}
    counts = [raw.get("step_done"), raw.get("step_total")]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
        counts = [None, None]
    return {"step": step, "step_done": counts[0], "step_total": counts[1]}


def read_result(job_dir: Path) -> RunResult | None:
    """The finished job's result, or None if result.json is missing or damaged."""
    raw = read_json(job_dir / RESULT_FILE)
    if not isinstance(raw, dict):
        return None
    try:
        return RunResult.from_dict(raw)
    except (TypeError, ValueError):
        return None


def mean_epoch_seconds(history: list[EpochReport], elapsed: float, epoch: int) -> float:
    """Seconds per pass so far: the timed passes' mean, else elapsed time over passes."""
    seconds = [report.seconds for report in history]
    if seconds and all(s == s for s in seconds):  # no NaN: every pass was timed
        return float(sum(seconds)) / len(seconds)
    return elapsed / epoch


def mtime(path: Path) -> float:
    """When ``path`` was last written, or 0.0 when it cannot be read."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
