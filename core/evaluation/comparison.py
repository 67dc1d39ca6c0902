"""Comparing two or more runs: their curves, the settings that differ, and their scores.

People compare runs to learn what a change did. This module answers three questions
for :mod:`ui.compare`, in plain words and without Streamlit:

* **How did they learn?** The loss and metric curves of every run, with its best epoch
  (:func:`curve_sets`).
* **What was different?** Only the settings that differ, each with its plain label and
  the values' plain labels (:func:`core.model.differences.differing_settings`).
* **Which one scores better, and is that more than luck?** Each test metric, each run's
  95% range, and every run against the first one (the reference). Runs tested on the same
  rows that kept their test outputs (:mod:`core.evaluation.test_outputs`) are compared with
  a paired bootstrap: both scored on the same resamples, a difference is real when its own
  range leaves out zero. Otherwise a difference counts as real only when the two runs' own
  ranges do not overlap (:func:`judge_difference`), which is conservative: a small real
  difference can read as "within the noise".

Scores are compared only between runs that predict the same column for the same task;
runs tested on different rows (other data, seed or split) are compared with a note that
part of any difference comes from the rows themselves (:class:`DataMatch`).
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING, Any

# The names read from the rest of the evaluation package, in one place.
from core.evaluation.bootstrap import BOOTSTRAP_RESAMPLES, CONFIDENCE
from core.evaluation.measures import HIGHER_IS_BETTER, METRIC_LABELS, format_metric
from core.evaluation.test_outputs import (
    PairedDifference,
    TestOutputs,
    paired_differences,
    same_rows,
)
from core.i18n import Texts
from core.model.differences import SettingDifference, differing_settings
from core.model.recipe import Recipe
from core.results import EpochReport, RunResult

if TYPE_CHECKING:
    from core.jobs.status import JobStatus

# All user-facing sentences of this module, in one place for translation.
TEXT = Texts("core.evaluation.comparison")  # the catalog runs.po


class DataMatch(str, Enum):
    """How far the runs' test rows and targets agree (decides what can be compared)."""

    SAME_SPLIT = "same_split"  # same data, target, seed and split: the same test rows
    SAME_DATA_OTHER_SPLIT = "same_data_other_split"
    OTHER_DATA = "other_data"  # same target and task, other (or unknown) data
    OTHER_TARGET = "other_target"  # scores are not comparable

    @property
    def scores_comparable(self) -> bool:
        return self is not DataMatch.OTHER_TARGET


@dataclass(frozen=True)
class ComparedRun:
    """One run as the comparison needs it (built from a job's status)."""

    job_id: str
    name: str
    data_name: str
    data_fingerprint: str | None
    recipe: Recipe | None
    history: list[EpochReport]
    result: RunResult | None
    test_outputs: TestOutputs | None = None  # kept by runs since paired comparisons


@dataclass(frozen=True)
class CurveSet:
    """One run's curves: per epoch, training and validation loss and progress metric."""

    name: str
    epochs: list[int]
    loss: list[float]
    val_loss: list[float]
    metric: list[float]
    val_metric: list[float]
    metric_name: str
    best_epoch: int | None  # the epoch whose model was kept (or the best so far)


@dataclass(frozen=True)
class MetricValue:
    """One run's score on one test metric, with its 95% range when known."""

    value: float | None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class MetricRow:
    """One test metric across the runs, and every run against the reference (the first)."""

    metric: str
    label: str
    higher_is_better: bool
    values: tuple[MetricValue, ...]  # one per run
    outcomes: tuple[str | None, ...]  # per run: better/worse/noise/unknown; None for the reference
    # Per run, when paired: its difference from the reference and that difference's range.
    paired: tuple[PairedDifference | None, ...] = ()


@dataclass(frozen=True)
class RunComparison:
    """Everything a page shows when comparing runs."""

    runs: list[ComparedRun]
    match: DataMatch
    notes: list[str]  # what is and is not compared, and why
    settings: list[SettingDifference]
    metrics: list[MetricRow]  # empty when the scores cannot be compared
    headline: str | None  # the metric that decides "how good" (when comparable)
    method: str | None  # how the noise was judged (when scores are compared)
    is_paired: bool = False  # judged on the same resamples of the same test rows

    def headline_sentences(self) -> list[str]:
        """Each run's headline score against the reference run's, in one sentence each."""
        row = next((r for r in self.metrics if r.metric == self.headline), None)
        if row is None:
            return []
        reference = row.values[0]
        sentences = []
        for run, value, outcome in zip(
            self.runs[1:], row.values[1:], row.outcomes[1:], strict=True
        ):
            if value.value is None or reference.value is None:
                continue
            difference = value.value - reference.value
            sentences.append(
                TEXT["headline"].format(
                    run=run.name,
                    metric=row.label,
                    value=format_metric(value.value, row.metric),
                    reference_value=format_metric(reference.value, row.metric),
                    reference=self.runs[0].name,
                    signed=("+" if difference >= 0 else "−")
                    + format_metric(abs(difference), row.metric),
                    outcome=outcome_text(outcome or "unknown", self.runs[0].name),
                )
            )
        return sentences


def outcome_text(outcome: str, reference: str) -> str:
    """A plain phrase for an outcome against the reference run ("within the noise of Run A")."""
    return TEXT[f"outcome_{outcome}"].format(reference=reference)


# --- building the runs -----------------------------------------------------------------------


def run_name(index: int) -> str:
    """The default name of the run at ``index``: "Run A", "Run B", ..."""
    letters = string.ascii_uppercase
    letter = letters[index % 26] + (str(index // 26) if index >= 26 else "")
    return TEXT["run_name"].format(letter=letter)


def compared_runs(
    statuses: Sequence[JobStatus],
    names: Sequence[str] | None = None,
    outputs_of: Callable[[str], TestOutputs | None] | None = None,
) -> list[ComparedRun]:
    """The runs to compare, named by ``names``, else by their experiment value, else "Run A"...

    ``outputs_of`` reads a finished run's test outputs by job id (for paired comparisons).
    """
    runs = []
    for index, status in enumerate(statuses):
        if names is not None and index < len(names) and names[index]:
            name = names[index]
        elif status.experiment is not None:
            name = status.experiment.name
        else:
            name = run_name(index)
        runs.append(
            ComparedRun(
                job_id=status.job_id,
                name=name,
                data_name=status.data_name,
                data_fingerprint=status.data_fingerprint,
                recipe=status.recipe,
                history=list(status.result.history if status.result else status.history),
                result=status.result,
                test_outputs=outputs_of(status.job_id)
                if outputs_of is not None and status.result is not None
                else None,
            )
        )
    return runs


# --- curves ----------------------------------------------------------------------------------


def _best_so_far(history: Sequence[EpochReport]) -> int | None:
    finite = [r for r in history if math.isfinite(r.val_loss)]
    return min(finite, key=lambda r: r.val_loss).epoch if finite else None


def curve_sets(runs: Sequence[ComparedRun]) -> list[CurveSet]:
    """Every run's curves; the best epoch is the one kept, or the lowest validation loss so far."""
    sets = []
    for run in runs:
        history = run.history
        best = run.result.best_epoch if run.result is not None else None
        sets.append(
            CurveSet(
                name=run.name,
                epochs=[r.epoch for r in history],
                loss=[r.loss for r in history],
                val_loss=[r.val_loss for r in history],
                metric=[r.metric for r in history],
                val_metric=[r.val_metric for r in history],
                metric_name=next((r.metric_name for r in history if r.metric_name), ""),
                best_epoch=best if best is not None else _best_so_far(history),
            )
        )
    return sets


# --- data and scores -------------------------------------------------------------------------


def _split_key(recipe: Recipe) -> tuple[Any, ...]:
    # Which rows land in the test set: the seed and split settings, and whether rows with
    # empty cells are left out (that removes test rows too).
    preparation = recipe.preprocessing
    drops = (
        preparation.numeric_missing == "drop_rows",
        preparation.categorical_missing == "drop_rows",
    )
    return (recipe.seed, recipe.split.model_dump(), drops)


def data_match(runs: Sequence[ComparedRun]) -> tuple[DataMatch, list[str]]:
    """How the runs' data, target and test rows agree, and the notes a page shows about it."""
    targets = [
        run.result.target if run.result else (run.recipe.target if run.recipe else None)
        for run in runs
    ]
    if len(set(targets)) > 1:
        shown = ", ".join(
            f"'{target}'" if target else TEXT["unknown_target"] for target in dict.fromkeys(targets)
        )
        return DataMatch.OTHER_TARGET, [TEXT["other_target"].format(targets=shown)]
    tasks = {run.result.task for run in runs if run.result is not None}
    if len(tasks) > 1:
        return DataMatch.OTHER_TARGET, [TEXT["other_task"].format(target=targets[0])]
    fingerprints = [run.data_fingerprint for run in runs]
    if any(fingerprint is None for fingerprint in fingerprints):
        return DataMatch.OTHER_DATA, [TEXT["unknown_data"]]
    if len(set(fingerprints)) > 1:
        return DataMatch.OTHER_DATA, [TEXT["other_data"]]
    keys = [_split_key(run.recipe) if run.recipe is not None else None for run in runs]
    if any(key is None for key in keys) or any(key != keys[0] for key in keys[1:]):
        return DataMatch.SAME_DATA_OTHER_SPLIT, [TEXT["same_data_other_split"]]
    return DataMatch.SAME_SPLIT, [TEXT["same_split"]]


def judge_difference(reference: MetricValue, other: MetricValue, higher_is_better: bool) -> str:
    """How ``other`` compares with ``reference``: better, worse, noise or unknown.

    "better" and "worse" mean beyond the noise; "unknown" means a value or range is missing.

    The conservative rule for runs whose predictions cannot be paired: the difference is
    larger than the noise only when the two 95% ranges do not overlap.
    """
    bounds = (reference.value, reference.low, reference.high, other.value, other.low, other.high)
    if any(bound is None or not math.isfinite(bound) for bound in bounds):
        return "unknown"
    if other.low <= reference.high and reference.low <= other.high:  # type: ignore[operator]
        return "noise"
    return "better" if (other.value > reference.value) == higher_is_better else "worse"  # type: ignore[operator]


def _metric_value(result: RunResult | None, metric: str) -> MetricValue:
    if result is None or not result.has_model:
        return MetricValue(None)
    value = result.metrics.get(metric)
    interval = (result.intervals or {}).get(metric)
    low, high = (
        interval if isinstance(interval, (list, tuple)) and len(interval) == 2 else (None, None)
    )
    number = float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None
    return MetricValue(number, low, high)


def metric_rows(runs: Sequence[ComparedRun]) -> list[MetricRow]:
    """Every test metric any run has, the headline first, with each run against the first."""
    scored = [run.result for run in runs if run.result is not None and run.result.has_model]
    if not scored:
        return []
    headline = scored[0].primary_metric
    names = [headline] + [m for m in METRIC_LABELS if m != headline]
    present = [m for m in names if any(m in result.metrics for result in scored)]
    rows = []
    for metric in present:
        higher = HIGHER_IS_BETTER.get(metric, True)
        values = tuple(_metric_value(run.result, metric) for run in runs)
        outcomes = (None,) + tuple(
            judge_difference(values[0], value, higher) for value in values[1:]
        )
        rows.append(MetricRow(metric, METRIC_LABELS[metric][0], higher, values, outcomes))
    return rows


def _paired(runs: Sequence[ComparedRun]) -> list[dict[str, PairedDifference]] | None:
    """Each other run against the first, paired, when every run kept outputs on the same rows."""
    reference = runs[0]
    outputs = [run.test_outputs for run in runs]
    if reference.recipe is None or any(out is None for out in outputs):
        return None
    first = outputs[0]
    if not all(same_rows(first, out) for out in outputs[1:]):  # type: ignore[arg-type]
        return None
    seed = reference.recipe.seed
    return [paired_differences(first, out, seed=seed) for out in outputs[1:]]  # type: ignore[arg-type]


def _with_paired(
    rows: list[MetricRow], paired: list[dict[str, PairedDifference]]
) -> list[MetricRow]:
    updated = []
    for row in rows:
        found = tuple(differences.get(row.metric) for differences in paired)
        outcomes = (None,) + tuple(d.outcome if d else "unknown" for d in found)
        updated.append(replace(row, outcomes=outcomes, paired=(None, *found)))
    return updated


def compare_runs(runs: Sequence[ComparedRun]) -> RunComparison:
    """Compare two or more runs: data match, differing settings, and scores where comparable."""
    runs = list(runs)
    match, notes = data_match(runs)
    settings = differing_settings([run.recipe for run in runs])
    if not match.scores_comparable:
        return RunComparison(runs, match, notes, settings, [], None, None)
    unfinished = [run.name for run in runs if run.result is None or not run.result.has_model]
    if unfinished:
        notes.append(TEXT["unfinished"].format(names=", ".join(unfinished)))
    rows = metric_rows(runs)
    headline = next(
        (r.result.primary_metric for r in runs if r.result and r.result.has_model), None
    )
    method = None
    paired = _paired(runs) if rows and match is DataMatch.SAME_SPLIT and not unfinished else None
    if paired is not None:
        rows = _with_paired(rows, paired)
        method = TEXT["method_paired"].format(confidence=CONFIDENCE, resamples=BOOTSTRAP_RESAMPLES)
    elif rows:
        method = TEXT["method"].format(confidence=CONFIDENCE, resamples=BOOTSTRAP_RESAMPLES)
    if rows and any(outcome == "unknown" for outcome in rows[0].outcomes):
        notes.append(TEXT["no_ranges"])
    return RunComparison(
        runs, match, notes, settings, rows, headline, method, is_paired=paired is not None
    )
