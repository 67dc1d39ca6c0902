"""A run's test predictions, kept so that runs on the same test rows can be compared paired.

Two runs tested on the same rows can be scored on the *same* bootstrap resamples of those
rows: the range of their difference is then much narrower than two separate ranges, so a
real difference is seen as one (the same paired bootstrap that compares a network with its
baselines, :mod:`core.evaluation.intervals`). For that a run keeps its test outputs —
actual values and the network's probabilities or predicted values — in
``test_outputs.npz`` beside its result (:data:`TEST_OUTPUTS_FILE`, numbers only, no pickle).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.files import atomic_path

TEST_OUTPUTS_FILE = "test_outputs.npz"


@dataclass(frozen=True)
class TestOutputs:
    """The test rows' actual values and the network's outputs on them.

    ``y_true``: class indices or values in the target's units; ``outputs``: probabilities
    ``(n, k)`` or predicted values ``(n,)``.
    """

    __test__ = False  # not a pytest test class, despite its name

    task: str
    class_labels: list[str]
    y_true: np.ndarray
    outputs: np.ndarray

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the outputs to ``path`` (npz), all or nothing."""
        with atomic_path(path) as temporary, open(temporary, "wb") as handle:
            np.savez_compressed(
                handle,
                task=np.array(self.task),
                class_labels=np.array(self.class_labels, dtype=str),
                y_true=np.asarray(self.y_true),
                outputs=np.asarray(self.outputs, dtype=np.float64),
            )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TestOutputs | None:
        """Read outputs back; None when the file is missing or damaged."""
        try:
            with np.load(path, allow_pickle=False) as stored:
                return cls(
                    task=str(stored["task"]),
                    class_labels=[str(label) for label in stored["class_labels"]],
                    y_true=stored["y_true"],
                    outputs=stored["outputs"],
                )
        except (OSError, ValueError, KeyError):
            return None


@dataclass(frozen=True)
class PairedDifference:
    """Run B minus run A on one metric, scored on the same resamples of the same rows."""

    metric: str
    difference: float
    low: float
    high: float
    outcome: str  # "better" / "worse" (B against A, beyond the noise) or "noise"


def same_rows(first: TestOutputs, second: TestOutputs) -> bool:
    """Whether two runs were tested on the same rows (same task, labels and actual values)."""
    return (
        first.task == second.task
        and first.class_labels == second.class_labels
        and first.y_true.shape == second.y_true.shape
        and bool(np.array_equal(first.y_true, second.y_true))
        and len(first.outputs) == len(second.outputs)
    )


def paired_differences(
    reference: TestOutputs, other: TestOutputs, *, seed: int
) -> dict[str, PairedDifference]:
    """Every test metric's difference (other minus reference) with its paired 95% range.

    The caller checks :func:`same_rows` first; metrics undefined on too many resamples
    are left out.
    """
    # Imported here: the job runner reads this module's file name and needs no scikit-learn.
    from core.evaluation.baselines import score_outputs
    from core.evaluation.bootstrap import bootstrap_scores, percentile_range
    from core.evaluation.measures import HIGHER_IS_BETTER

    task, labels = reference.task, reference.class_labels
    outputs: dict[str, Any] = {"a": reference.outputs, "b": other.outputs}
    samples = bootstrap_scores(task, reference.y_true, outputs, labels, seed=seed)
    points = {
        name: score_outputs(task, reference.y_true, out, labels) for name, out in outputs.items()
    }
    found = {}
    for metric, values in samples["a"].items():
        ours, theirs = points["a"].get(metric), points["b"].get(metric)
        if ours is None or theirs is None or not math.isfinite(theirs - ours):
            continue
        span = percentile_range(samples["b"][metric] - values, theirs - ours)
        if span is None:
            continue
        low, high = span
        if low > 0 or high < 0:
            outcome = "better" if (low > 0) == HIGHER_IS_BETTER.get(metric, True) else "worse"
        else:
            outcome = "noise"
        found[metric] = PairedDifference(metric, float(theirs - ours), low, high, outcome)
    return found
