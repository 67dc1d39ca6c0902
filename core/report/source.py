"""What a report reads from a run, in one place.

A report is drawn from a :class:`ReportRun`: the run's result (``core.results.RunResult``,
read through its JSON-ready dict, the form ``result.json`` holds), its recipe, the data
summary and, when known, the column profiles. Every key of the result that the report
reads is read here and nowhere else, so when results gain fields (a decision threshold)
or change shape, only this module changes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.evaluation.intervals import small_test_advice
from core.model.recipe import Recipe
from core.model.tasks import TASKS
from core.results import RunResult, rendered, warnings_in_language

if TYPE_CHECKING:  # the pipeline imports TensorFlow; a report only reads its attributes
    from core.pipeline import TrainedRun

# The probability from which a yes/no model answers its second outcome unless a person
# chose another threshold (the bundle's predictions use the same rule).
USUAL_THRESHOLD = 0.5


def _finite(value: Any) -> float | None:
    """A plain float, or None for a missing, non-numeric or undefined value."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _interval(value: Any) -> tuple[float, float] | None:
    """``[low, high]`` as a pair of floats, or None when it is not one."""
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        return None
    low, high = _finite(value[0]), _finite(value[1])
    return None if low is None or high is None else (low, high)


@dataclass(frozen=True)
class ReportRun:
    """One finished run, as a report reads it.

    Attributes
    ----------
    result
        The run's result dict (``core.pipeline`` writes it; ``result.json`` holds it).
    recipe
        The recipe the run was trained with.
    name
        What the run is called (empty: see :attr:`label`).
    data
        The data summary: ``name``, ``rows``, ``columns``, ``n_train``, ``n_validation``,
        ``n_test``, ``trained_at`` (``DataSummary.to_dict()``).
    columns
        Column name -> profile dict (``ColumnProfile.to_dict()``), when known.
    warnings
        Plain-language notes about the data and the split.
    threshold
        A yes/no model's decision threshold, when a person chose one (else the result's,
        else the usual one).
    """

    result: Mapping[str, Any]
    recipe: Recipe
    name: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    columns: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    warnings: Sequence[str] = ()
    threshold: float | None = None

    # --- construction ------------------------------------------------------------------

    @classmethod
    def from_trained(cls, run: TrainedRun, name: str | None = None) -> ReportRun:
        """From a trained run (``core.pipeline.TrainedRun``), e.g. while exporting it."""
        return cls.from_result(run.result, run.recipe, name=name, columns=run.column_profiles)

    @classmethod
    def from_result(
        cls,
        result: RunResult | Mapping[str, Any],
        recipe: Recipe | Mapping[str, Any],
        *,
        name: str | None = None,
        columns: Mapping[str, Mapping[str, Any]] | None = None,
        threshold: float | None = None,
    ) -> ReportRun:
        """From a run's result (a :class:`RunResult`, or its dict as ``result.json`` holds
        it) and its recipe (or the recipe's dict)."""
        if isinstance(result, RunResult):
            result = result.to_dict()
        if not isinstance(recipe, Recipe):
            recipe = Recipe.from_dict(dict(recipe))
        return cls(
            result=dict(result),
            recipe=recipe,
            name=name or "",
            data=dict(result.get("data") or {}),
            columns=dict(columns or {}),
            warnings=tuple(
                warnings_in_language(list(result.get("warnings") or ()), result.get("texts"))
            ),
            threshold=threshold,
        )

    # --- what the run is about ---------------------------------------------------------

    @property
    def label(self) -> str:
        """The run's name, or its data file and target when it has none."""
        return self.name or _default_name(self.data, self.result)

    @property
    def task(self) -> str:
        return str(self.result.get("task") or "")

    @property
    def target(self) -> str:
        return str(self.result.get("target") or self.recipe.target or "")

    @property
    def class_labels(self) -> list[str]:
        return [str(label) for label in self.result.get("class_labels") or []]

    @property
    def data_name(self) -> str:
        return str(self.data.get("name") or "")

    @property
    def trained_at(self) -> str:
        return str(self.data.get("trained_at") or "")

    @property
    def has_model(self) -> bool:
        """Whether training gave a usable model (else there are no test scores)."""
        return bool(self.metrics)

    # --- scores ------------------------------------------------------------------------

    @property
    def primary_metric(self) -> str:
        return str(self.result.get("primary_metric") or "")

    @property
    def metrics(self) -> dict[str, float]:
        """The network's test scores that are single numbers."""
        return _scores(self.result.get("metrics"))

    @property
    def baselines(self) -> dict[str, dict[str, float]]:
        """Baseline name -> its test scores on the same rows."""
        found = self.result.get("baselines") or {}
        return {str(name): _scores(scores) for name, scores in found.items()}

    @property
    def confusion_matrix(self) -> list[list[int]] | None:
        matrix = (self.result.get("metrics") or {}).get("confusion_matrix")
        return [[int(v) for v in row] for row in matrix] if matrix else None

    @property
    def intervals(self) -> dict[str, tuple[float, float]]:
        """Metric -> the network's uncertainty range (bootstrap), when the run has them."""
        found = self.result.get("intervals") or {}
        pairs = {str(k): _interval(v) for k, v in found.items()}
        return {k: v for k, v in pairs.items() if v is not None}

    @property
    def baseline_intervals(self) -> dict[str, dict[str, tuple[float, float]]]:
        """Baseline -> metric -> its uncertainty range, when the run has them."""
        found = (self.result.get("uncertainty") or {}).get("baseline_intervals") or {}
        ranges: dict[str, dict[str, tuple[float, float]]] = {}
        for name, metrics in found.items():
            pairs = {str(k): _interval(v) for k, v in (metrics or {}).items()}
            ranges[str(name)] = {k: v for k, v in pairs.items() if v is not None}
        return ranges

    @property
    def uncertainty_warning(self) -> str | None:
        """A plain sentence when the test set is too small to tell scores apart."""
        return small_test_advice(self.result.get("uncertainty"))

    @property
    def verdict(self) -> str:
        """The verdict (or, without a model, how training ended) in the current language."""
        texts = self.result.get("texts") or {}
        if self.result.get("verdict"):
            return rendered(texts.get("verdict"), str(self.result["verdict"]))
        return rendered(texts.get("message"), str(self.result.get("message") or ""))

    # --- the decision threshold (yes/no models) ----------------------------------------

    @property
    def decision_threshold(self) -> float | None:
        """The probability from which the second outcome is answered (yes/no only)."""
        spec = TASKS.get(str(self.task))
        if spec is None or not spec.yes_no:
            return None
        for value in (self.threshold, self.result.get("decision_threshold")):
            if _finite(value) is not None:
                return float(value)
        return USUAL_THRESHOLD

    @property
    def decision_counts(self) -> tuple[int, int, int, int] | None:
        """(right catches, false alarms, missed, rightly left alone) on the test rows.

        Read from the counts stored at the chosen threshold (``at_threshold``) when the run
        has them, else from the confusion matrix, which holds the usual threshold's.
        """
        stored = self.result.get("at_threshold")
        if isinstance(stored, Mapping):
            keys = ("true_positives", "false_positives", "false_negatives", "true_negatives")
            if all(isinstance(stored.get(k), int) for k in keys):
                tp, fp, fn, tn = (int(stored[k]) for k in keys)
                return tp, fp, fn, tn
        matrix = self.confusion_matrix
        if self.decision_threshold != USUAL_THRESHOLD or not matrix or len(matrix) != 2:
            return None
        (tn, fp), (fn, tp) = matrix
        return tp, fp, fn, tn

    # --- training ----------------------------------------------------------------------

    @property
    def history(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self.result.get("history") or []]

    @property
    def best_epoch(self) -> int | None:
        value = self.result.get("best_epoch")
        return int(value) if isinstance(value, (int, float)) else None

    @property
    def epochs_run(self) -> int:
        return int(self.result.get("epochs_run") or len(self.history))

    @property
    def stopped_because(self) -> str:
        return str(self.result.get("stopped_because") or "")

    @property
    def seconds(self) -> float | None:
        return _finite(self.result.get("seconds"))

    @property
    def batch_size(self) -> int | None:
        value = self.result.get("batch_size")
        return int(value) if isinstance(value, (int, float)) else None

    @property
    def metric_name(self) -> str:
        """The metric watched while training, as the history names it (e.g. "accuracy")."""
        return next((str(r["metric_name"]) for r in self.history if r.get("metric_name")), "")

    @property
    def diagnosis(self) -> list[dict[str, Any]]:
        """The training doctor's findings: ``code``, ``severity``, ``title``, ``message``
        (title and message in the current language when the result kept them as messages)."""
        from core.model.diagnosis_rules import Diagnosis

        found = []
        for stored in self.result.get("diagnosis") or []:
            if not isinstance(stored, Mapping):
                continue
            finding = dict(stored)
            if "code" in finding and "message" in finding:
                read = Diagnosis.from_dict(finding)
                finding.update(title=read.title, message=read.message)
            found.append(finding)
        return found

    @property
    def importance(self) -> list[tuple[str, float, float]]:
        """(column, importance, spread), most important first."""
        rows = []
        for entry in self.result.get("feature_importance") or []:
            value = _finite(entry.get("importance"))
            if value is not None:
                rows.append((str(entry.get("column")), value, _finite(entry.get("std")) or 0.0))
        return sorted(rows, key=lambda row: row[1], reverse=True)


def _scores(found: Any) -> dict[str, float]:
    if not isinstance(found, Mapping):
        return {}
    pairs = {str(k): _finite(v) for k, v in found.items() if not isinstance(v, (list, dict))}
    return {k: v for k, v in pairs.items() if v is not None}


def _default_name(data: Mapping[str, Any], result: Mapping[str, Any]) -> str:
    name = data.get("name") or "data"
    target = result.get("target")
    return f"{name} → {target}" if target else str(name)
