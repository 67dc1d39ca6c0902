"""Runs as the Runs page lists them: a name, the data's fingerprint, the headline score.

Every training job is a *run*. What the job folder does not already say about it lives in
``meta.json`` (:data:`META_FILE`), written atomically when the job is submitted: the run's
name (a default derived from the recipe, e.g. "Adam, 2 layers"; the person may rename it),
the data file's name and SHA-256 fingerprint (the same digest the app keeps for an upload
and MLflow tags a run with), and the column predicted. The rules about runs are here: the
default name, what a valid name is, which runs may be deleted, and which figures make up a
row of the runs table. The job runner (:mod:`core.jobs.runner`) reads and writes the files;
nothing here imports Streamlit or TensorFlow.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.errors import TrainingError
from core.evaluation.measures import LOWER_IS_BETTER
from core.files import file_sha256, read_json, write_json_atomic
from core.i18n import Texts
from core.jobs.states import JobPhase, JobState
from core.jobs.status import JobStatus
from core.model.recipe import Recipe
from core.results import RunResult

META_FILE = "meta.json"
NAME_MAX_CHARS = 80

# Short optimizer names for run names (the recipe's own labels are sentences).
OPTIMIZER_NAMES = {
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
}

TEXT = Texts("core.jobs.catalog")  # the catalog runs.po


@dataclass(frozen=True)
class RunMeta:
    """What ``meta.json`` holds about a run (the rest is in the job's other files)."""

    name: str
    data_name: str
    data_sha256: str | None  # None only when the job folder has lost its data file
    target: str | None
    # Kept from automatic removal (core.jobs.retention) until the person lets it go.
    pinned: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> RunMeta | None:
        """Read stored meta back; None when it is not a dict with a usable name."""
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            return None
        name = data["name"].strip()
        if not name:
            return None
        sha = data.get("data_sha256")
        target = data.get("target")
        return cls(
            name=name[:NAME_MAX_CHARS],
            data_name=str(data.get("data_name") or ""),
            data_sha256=sha if isinstance(sha, str) and sha else None,
            target=target if isinstance(target, str) and target else None,
            pinned=data.get("pinned") is True,
        )


# --- names -------------------------------------------------------------------------------------


def _optimizer_name(recipe: Recipe) -> str:
    optimizer = recipe.training.optimizer
    return OPTIMIZER_NAMES.get(optimizer, str(optimizer).capitalize())


def default_run_name(recipe: Recipe) -> str:
    """A short name that tells runs apart by their main choices: "Adam, 2 layers".

    The learning rate and dropout are added only when set away from the defaults, so the
    usual run keeps a short name and an experiment's variants read differently.
    """
    shown = _optimizer_name(recipe)
    n = len(recipe.model.hidden_layers)
    key = "no_layer" if n == 0 else "one_layer" if n == 1 else "layers"
    parts = [TEXT[key].format(optimizer=shown, n=n)]
    if recipe.training.learning_rate is not None:
        parts.append(TEXT["learning_rate"].format(rate=recipe.training.learning_rate))
    dropouts = {layer.dropout for layer in recipe.model.hidden_layers}
    default_dropouts = {layer.dropout for layer in Recipe().model.hidden_layers}
    if dropouts and dropouts != default_dropouts and len(dropouts) == 1:
        dropout = dropouts.pop()
        parts.append(TEXT["dropout"].format(dropout=dropout) if dropout else TEXT["no_dropout"])
    return ", ".join(parts)


def recipe_summary(recipe: Recipe | None) -> str:
    """The recipe's main settings in one line, for the runs table.

    e.g. "Adam, learning rate 0.001, layers 128-64, dropout 0.3, up to 200 epochs": the
    effective learning rate (the optimizer's own when the recipe leaves it empty), so two
    runs read alike only when they trained alike.
    """
    if recipe is None:
        return ""
    layers = recipe.model.hidden_layers
    dropouts = sorted({layer.dropout for layer in layers})
    return TEXT["summary"].format(
        optimizer=_optimizer_name(recipe),
        rate=recipe.training.effective_learning_rate,
        units="-".join(str(layer.units) for layer in layers) or "none",
        dropout="/".join(f"{d:g}" for d in dropouts) or "-",
        epochs=recipe.training.max_epochs,
    )


def clean_run_name(text: Any) -> str:
    """``text`` as a run name (spaces trimmed, inner runs of spaces kept as one).

    Raises
    ------
    TrainingError
        With a plain sentence, when the name is empty or longer than :data:`NAME_MAX_CHARS`.
    """
    name = " ".join(str(text or "").split())
    if not name:
        raise TrainingError(TEXT["empty_name"])
    if len(name) > NAME_MAX_CHARS:
        raise TrainingError(TEXT["long_name"].format(limit=NAME_MAX_CHARS, n=len(name)))
    return name


# --- meta.json ---------------------------------------------------------------------------------


def new_run_meta(data_path: Path, data_name: str, recipe: Recipe | None) -> RunMeta:
    """The meta of a run about to start on ``data_path`` (fingerprinted once, here)."""
    try:
        sha = file_sha256(data_path)
    except OSError:
        sha = None
    return RunMeta(
        name=default_run_name(recipe if recipe is not None else Recipe()),
        data_name=str(data_name),
        data_sha256=sha,
        target=recipe.target if recipe is not None else None,
    )


def write_meta(job_dir: Path, meta: RunMeta) -> None:
    """Write ``meta.json`` in ``job_dir``, all or nothing."""
    write_json_atomic(job_dir / META_FILE, meta.to_dict(), private=True)


def read_meta(job_dir: Path) -> RunMeta | None:
    """The run's stored meta, or None when ``meta.json`` is missing or damaged."""
    return RunMeta.from_dict(read_json(job_dir / META_FILE))


# --- deleting ----------------------------------------------------------------------------------


def check_deletable(status: JobStatus) -> None:
    """Refuse to delete a run that is queued or training (its process still writes there).

    Raises
    ------
    TrainingError
        Saying to stop the run first.
    """
    if status.is_active:
        state = "training" if status.state == JobState.RUNNING else "waiting to train"
        raise TrainingError(TEXT["delete_active"].format(state=state))


# --- the row of the runs table -----------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """A run's headline test score, its uncertainty range and the best baseline's score."""

    metric: str  # e.g. "roc_auc"
    value: float | None
    low: float | None
    high: float | None
    baseline_name: str | None
    baseline_value: float | None


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def headline(result: RunResult | None) -> Headline | None:
    """The run's primary test metric with its range, beside the best baseline's value.

    None when the run has no result or produced no model (nothing was measured).
    """
    if result is None or not result.has_model:
        return None
    key = result.primary_metric
    interval = result.intervals.get(key) if isinstance(result.intervals, dict) else None
    low = high = None
    if isinstance(interval, (list, tuple)) and len(interval) == 2:
        low, high = _finite(interval[0]), _finite(interval[1])
    best_name, best_value = None, None
    for name, scores in (result.baselines or {}).items():
        value = _finite(scores.get(key)) if isinstance(scores, dict) else None
        if value is None:
            continue
        better = best_value is None or (
            value < best_value if key in LOWER_IS_BETTER else value > best_value
        )
        if better:
            best_name, best_value = str(name), value
    return Headline(
        metric=key,
        value=_finite(result.metrics.get(key)),
        low=low,
        high=high,
        baseline_name=best_name,
        baseline_value=best_value,
    )


@dataclass(frozen=True)
class RunRow:
    """One run as the runs table shows it (plain values; the page formats them)."""

    job_id: str
    name: str
    data_name: str
    data_sha256: str | None
    target: str | None
    recipe: str
    state: JobState
    phase: JobPhase  # what the page says the run is doing (waiting, training...)
    created_at: float
    seconds: float
    best_epoch: int | None
    headline: Headline | None
    pinned: bool = False


def run_row(status: JobStatus, meta: RunMeta | None, recipe: Recipe | None) -> RunRow:
    """The table row of one run, from its status, its meta and its recipe."""
    result = status.result
    target = meta.target if meta and meta.target else (result.target if result else None)
    if target is None and recipe is not None:
        target = recipe.target
    return RunRow(
        job_id=status.job_id,
        name=meta.name if meta else default_run_name(recipe or Recipe()),
        data_name=(meta.data_name if meta and meta.data_name else status.data_name),
        data_sha256=meta.data_sha256 if meta else None,
        target=target,
        recipe=recipe_summary(recipe),
        state=JobState(status.state),
        phase=status.phase,
        created_at=status.created_at,
        seconds=status.elapsed_seconds,
        best_epoch=result.best_epoch if result else None,
        headline=headline(result),
        pinned=bool(meta and meta.pinned),
    )
