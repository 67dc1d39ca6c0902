"""What one run reports: one :class:`EpochReport` per pass, then a :class:`RunResult`.

These are the types that cross the layers: the training loop emits epoch reports, the
pipeline returns a run result, the job process stores both as JSON (``history.json``,
``result.json``), and the pages, the CLI and the export bundle read them back. Each key
is spelled once, here, as a field name; ``to_dict``/``from_dict`` round-trip through
plain JSON values. No TensorFlow here: pages import this module.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from core.files import json_ready
from core.i18n import DEFAULT_LANGUAGE, Message

# Field metadata: "bulky" fields are left out of the CLI's summary (chart data, curves);
# "metrics_file" fields are what the bundle's metrics.json holds.
_BULKY_KEY, _METRICS_FILE_KEY = "bulky", "metrics_file"
_BULKY = {_BULKY_KEY: True}
_IN_METRICS_FILE = {_METRICS_FILE_KEY: True}


def _number(value: Any) -> float:
    """A float from stored JSON, where None stands for a value that was not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _from_known_fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    # Results written by an older or newer version may hold other keys: keep the known ones.
    names = {f.name for f in fields(cls)}
    return {key: value for key, value in data.items() if key in names}


@dataclass(frozen=True)
class EpochReport:
    """The scores of one finished pass over the training rows.

    ``metric`` is the task's progress metric (``metric_name``: accuracy, or the mean
    absolute error in the target's units); ``val_*`` are on the validation rows.
    """

    epoch: int  # 1-based
    loss: float
    val_loss: float
    metric: float
    val_metric: float
    metric_name: str
    seconds: float
    learning_rate: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (NaN becomes None)."""
        return json_ready(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EpochReport:
        """Read a stored report back (a missing or empty number reads as NaN)."""
        return cls(
            epoch=int(data.get("epoch") or 0),
            loss=_number(data.get("loss")),
            val_loss=_number(data.get("val_loss")),
            metric=_number(data.get("metric")),
            val_metric=_number(data.get("val_metric")),
            metric_name=str(data.get("metric_name") or ""),
            seconds=_number(data.get("seconds")),
            learning_rate=_number(data.get("learning_rate")),
        )


def history_from_dicts(rows: Any) -> list[EpochReport]:
    """Epoch reports from stored JSON; rows that are not reports are skipped."""
    if not isinstance(rows, list):
        return []
    return [EpochReport.from_dict(row) for row in rows if isinstance(row, dict)]


@dataclass(frozen=True)
class ColumnImportance:
    """How much the test score drops when one raw column is shuffled (mean and spread)."""

    column: str
    importance: float  # near 0 or below: the model does not rely on the column
    std: float

    def to_dict(self) -> dict[str, Any]:
        return json_ready(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnImportance:
        return cls(
            column=str(data.get("column", "")),
            importance=_number(data.get("importance")),
            std=_number(data.get("std")),
        )


@dataclass(frozen=True)
class DataSummary:
    """The data a run learned from: its name, size and how its rows were split."""

    name: str | None
    rows: int
    columns: int
    n_train: int
    n_validation: int
    n_test: int
    trained_at: str  # ISO 8601, UTC

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataSummary:
        return cls(**_from_known_fields(cls, data))


def _rendered(stored: Any, fallback: str) -> str:
    """A stored message in the current language, or ``fallback`` (the stored English
    sentence) when there is none, or when the message no longer says what the sentence says
    (the sentence was changed after the run: the sentence wins)."""
    if not isinstance(stored, Mapping) or not stored.get("key"):
        return fallback
    message = Message.from_dict(stored)
    if fallback and message.render(DEFAULT_LANGUAGE) != fallback:
        return fallback
    return message.render()


def rendered(stored: Any, fallback: str) -> str:
    """A stored message (``Message.to_dict()``) in the current language, or ``fallback``
    (the sentence a result stored before languages holds)."""
    return _rendered(stored, fallback)


def warnings_in_language(warnings: list[str], texts: Mapping[str, Any] | None) -> list[str]:
    """A result's ``warnings`` in the current language, from its ``texts``."""
    kept = (texts or {}).get("warnings")
    # Notes appended later (the tracking note) have no message: they keep their text.
    kept = kept if isinstance(kept, list) and len(kept) <= len(warnings) else []
    return [
        _rendered(kept[i] if i < len(kept) else None, str(warning))
        for i, warning in enumerate(warnings)
    ]


def texts_of(
    verdict: Message | None = None,
    message: Message | None = None,
    warnings: list[Message | None] | None = None,
) -> dict[str, Any]:
    """The ``texts`` of a :class:`RunResult` from its messages (None: no key for it)."""
    texts: dict[str, Any] = {}
    if verdict is not None:
        texts["verdict"] = verdict.to_dict()
    if message is not None:
        texts["message"] = message.to_dict()
    if warnings is not None:
        texts["warnings"] = [w.to_dict() if w is not None else None for w in warnings]
    return texts


@dataclass(frozen=True)
class RunResult:
    """Everything a finished run reports (``result.json``).

    ``metrics`` and each baseline's scores map a metric name to its value on the test
    rows (None when undefined); ``evaluation`` holds the chart data (``curves`` for
    classes, ``plots`` for numbers). A run that produced no usable model has empty
    ``metrics``, ``evaluation`` and ``feature_importance`` and no ``bundle``.
    """

    task: str = field(metadata=_IN_METRICS_FILE)
    target: str = field(metadata=_IN_METRICS_FILE)
    class_labels: list[str] = field(metadata=_IN_METRICS_FILE)
    primary_metric: str = field(metadata=_IN_METRICS_FILE)
    metrics: dict[str, Any] = field(metadata=_IN_METRICS_FILE)
    baselines: dict[str, dict[str, Any]] = field(metadata=_IN_METRICS_FILE)
    verdict: str = field(metadata=_IN_METRICS_FILE)
    feature_importance: list[ColumnImportance] = field(metadata=_IN_METRICS_FILE)
    epochs_run: int = field(metadata=_IN_METRICS_FILE)
    best_epoch: int | None = field(metadata=_IN_METRICS_FILE)
    stopped_because: str = field(metadata=_IN_METRICS_FILE)
    message: str = field(metadata=_IN_METRICS_FILE)
    # metric -> [low, high] on the test rows, and the uncertainty behind them (see
    # core.evaluation.intervals); empty / None when the run has no model.
    intervals: dict[str, Any] = field(default_factory=dict, metadata=_IN_METRICS_FILE)
    uncertainty: dict[str, Any] | None = field(default=None, metadata=_IN_METRICS_FILE)
    warnings: list[str] = field(default_factory=list)
    evaluation: dict[str, Any] = field(default_factory=dict, metadata=_BULKY)
    history: list[EpochReport] = field(default_factory=list, metadata=_BULKY)
    seconds: float = 0.0  # the whole run, reading to evaluation
    batch_size: int | None = None
    data: DataSummary | None = None
    bundle: str | None = None  # the bundle written, if any
    export: dict[str, Any] | None = field(default=None, metadata=_BULKY)  # BundleReport.to_dict()
    # The training doctor's findings (core.model.diagnosis.Diagnosis.to_dict()); the CLI
    # prints their short form.
    diagnosis: list[dict[str, Any]] = field(default_factory=list, metadata=_BULKY)
    # The sentences above kept as messages (core.i18n.Message.to_dict()), so a stored run is
    # read in the reader's language: "verdict", "message" and "warnings" (one per warning,
    # None where a warning has no key). A result written before languages has none of them:
    # the *_text readers fall back to the stored English sentences.
    texts: dict[str, Any] = field(default_factory=dict, metadata=_BULKY)

    @property
    def has_model(self) -> bool:
        """Whether the run produced a model worth evaluating (it has test scores)."""
        return bool(self.metrics)

    @property
    def verdict_text(self) -> str:
        """The verdict in the current language (the stored sentence for an older result)."""
        return _rendered(self.texts.get("verdict"), self.verdict)

    @property
    def message_text(self) -> str:
        """How training ended, in the current language."""
        return _rendered(self.texts.get("message"), self.message)

    @property
    def warning_texts(self) -> list[str]:
        """The data warnings in the current language."""
        return warnings_in_language(self.warnings, self.texts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values: what ``result.json`` holds (nested reports become dicts)."""
        return json_ready(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        """Read a stored result back (keys it does not know are ignored)."""
        values = _from_known_fields(cls, data)
        values["history"] = history_from_dicts(values.get("history"))
        values["feature_importance"] = [
            ColumnImportance.from_dict(item)
            for item in values.get("feature_importance") or []
            if isinstance(item, dict)
        ]
        if isinstance(values.get("data"), dict):
            values["data"] = DataSummary.from_dict(values["data"])
        return cls(**values)

    def summary(self) -> dict[str, Any]:
        """The result without its bulky chart data and history (the CLI prints this)."""
        document = self.to_dict()
        return {f.name: document[f.name] for f in fields(self) if not f.metadata.get(_BULKY_KEY)}

    def metrics_file(self) -> dict[str, Any]:
        """The test results as the bundle's ``metrics.json`` holds them."""
        document = self.to_dict()
        keep = [f.name for f in fields(self) if f.metadata.get(_METRICS_FILE_KEY)]
        return {name: document[name] for name in keep}
