"""What each kind of prediction gives back, declared once per task.

A task is "binary" (a yes/no outcome), "multiclass" (one of several categories) or
"regression" (a number). This module holds the part of a task that a bundle needs at
prediction time: how many outputs the network gives, how they become one probability per
class, and which columns a predictions table gets. The full task specification
(:mod:`core.model.tasks`: output layer, loss, metrics, baselines) refers to these entries.

It ships inside every export bundle, so it imports numpy and the standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PREDICTION = "prediction"
PROBABILITY_PREFIX = "probability_"


def probability_column(label: str) -> str:
    """Name of the column holding the probability of one class: ``probability_<label>``."""
    return f"{PROBABILITY_PREFIX}{label}"


def widen_yes_no(positive: np.ndarray) -> np.ndarray:
    """Two columns ``[P(first class), P(second class)]`` from a yes/no model's single output.

    A yes/no network gives one number per row, the probability of the second class label;
    every reader of its outputs needs both columns.
    """
    positive = np.clip(np.asarray(positive, dtype=np.float64).reshape(-1), 0.0, 1.0)
    return np.column_stack([1.0 - positive, positive])


@dataclass(frozen=True)
class TaskOutputs:
    """What a task's network gives back and how it becomes a predictions table."""

    name: str  # "binary" | "multiclass" | "regression"
    predicts_class: bool  # False: a number, in the target's units
    single_probability: bool  # the network gives only P(class_labels[1]) (yes/no)
    min_classes: int
    max_classes: int

    def n_outputs(self, n_classes: int) -> int:
        """Outputs per row: one probability per class, or a single number or probability."""
        return n_classes if self.predicts_class and not self.single_probability else 1

    def output_columns(self, class_labels: Sequence[str]) -> list[str]:
        """The columns a predictions table adds after the input columns, in order."""
        if not self.predicts_class:
            return [PREDICTION]
        return [PREDICTION] + [probability_column(str(label)) for label in class_labels]

    def class_probabilities(self, outputs: np.ndarray, n_classes: int) -> np.ndarray:
        """Float64 ``(n, n_classes)`` probabilities from the network's outputs.

        Raises
        ------
        ValueError
            If the outputs do not fit the task (a programming error, not a user one).
        """
        if not self.predicts_class:
            raise ValueError(f"A {self.name} model predicts numbers, not class probabilities.")
        values = np.asarray(outputs, dtype=np.float64)
        values = values.reshape(len(values), -1)
        if self.single_probability:
            if n_classes != 2 or values.shape[1] != 1:
                raise ValueError("A yes/no model needs 2 class labels and 1 output per row.")
            return widen_yes_no(values[:, 0])
        if values.shape[1] != n_classes:
            raise ValueError(
                f"The model gives {values.shape[1]} outputs per row for {n_classes} classes."
            )
        return values

    def fits_classes(self, n_classes: int) -> bool:
        """Whether ``n_classes`` class labels fit this task (0 for a number)."""
        return self.min_classes <= n_classes <= self.max_classes


TASK_OUTPUTS: dict[str, TaskOutputs] = {
    "binary": TaskOutputs("binary", True, True, 2, 2),
    "multiclass": TaskOutputs("multiclass", True, False, 3, 10**6),
    "regression": TaskOutputs("regression", False, False, 0, 0),
}


def task_outputs(task: str) -> TaskOutputs:
    """The :class:`TaskOutputs` of a task name.

    Raises
    ------
    ValueError
        If ``task`` is not a known task (a programming error or a damaged file; callers
        that read files turn it into a plain message).
    """
    try:
        return TASK_OUTPUTS[task]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown task {task!r}; expected one of {tuple(TASK_OUTPUTS)}.") from None
