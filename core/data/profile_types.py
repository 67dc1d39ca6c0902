"""What looking at a table finds: the typed results of profiling and of the health check.

:mod:`core.data.profiling` builds :class:`ColumnProfile`, :class:`TaskInfo` and
:class:`DataProfile`; :mod:`core.data.health` builds :class:`HealthWarning`
from the column profiles and the task. Both import these types from here, so
neither imports the other's types (profiling runs the health checks; health
never imports profiling).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from core.files import json_ready
from core.i18n import Message
from core.model.tasks import TaskSpec, task_spec


@dataclass(frozen=True)
class HealthWarning:
    """Something about the data a person should know, with what to do about it.

    ``text`` is the sentence as a message; ``message`` is it in the current language.
    """

    code: str
    column: str | None
    text: Message
    severity: str = "warning"  # "info" | "warning"

    @property
    def message(self) -> str:
        """The warning in the current language."""
        return self.text.render()

    def to_dict(self) -> dict[str, Any]:
        """The warning with its sentence in the current language and as a message."""
        return {
            "code": self.code,
            "column": self.column,
            "message": self.message,
            "severity": self.severity,
            "text": self.text.to_dict(),
        }


@dataclass(frozen=True)
class ColumnProfile:
    """What one column holds.

    ``stats`` is ``{"min", "max", "mean", "median", "std"}`` for number columns
    (numeric, and whole-number identifiers), ``{"earliest", "latest"}`` for dates
    (ISO text, from a sample) and ``{"top": [{"value", "count"}, ...]}`` (at most
    10, most frequent first) for every other kind.
    """

    name: str
    kind: str
    missing_share: float
    n_missing: int
    n_distinct: int
    stats: dict[str, Any] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return json_ready(asdict(self))


@dataclass(frozen=True)
class TaskInfo:
    """What the model will learn: the task and, for classes, their labels in output order."""

    task: str  # a key of core.model.tasks.TASKS
    target: str
    class_labels: list[str] = field(default_factory=list)

    @property
    def spec(self) -> TaskSpec:
        """Everything that follows from the task: output layer, loss, metrics, baselines."""
        return task_spec(self.task)

    def describe(self) -> str:
        """Plain words for the task, e.g. ``"predicting a yes/no outcome"``."""
        return self.spec.describe(len(self.class_labels))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "description": self.describe()}


@dataclass(frozen=True)
class DataProfile:
    """The profile of a whole table; see :func:`profile_table`."""

    n_rows: int
    n_columns: int
    columns: list[ColumnProfile]
    task: TaskInfo | None = None
    warnings: list[HealthWarning] = field(default_factory=list)
    suggested_drop: list[str] = field(default_factory=list)

    def column(self, name: str) -> ColumnProfile:
        """The profile of the column called ``name`` (KeyError if there is none)."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"There is no column named '{name}'.")

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_rows": self.n_rows,
            "n_columns": self.n_columns,
            "columns": [c.to_dict() for c in self.columns],
            "task": self.task.to_dict() if self.task else None,
            "warnings": [w.to_dict() for w in self.warnings],
            "suggested_drop": list(self.suggested_drop),
        }
