"""Decisions in business terms: what a yes/no model does at a threshold, and what it is worth.

A yes/no model gives each row a probability; a row is *flagged* when its probability is at
least the decision threshold (the rule of :mod:`core.portable.decision`, shared with the
predictions). This module answers, from the test rows, what a person deciding needs:

- :func:`outcome_at` — at any threshold, the confusion matrix, precision, recall, F1 and
  the share of rows flagged (exact, from the labels and probabilities);
- :class:`DecisionCurve` — the same counts at every threshold of a fixed grid (0.00, 0.01,
  ..., 1.00) and the cumulative gains (lift) curve, computed by sorting the probabilities
  once; it is small (a few hundred numbers, whatever the number of test rows), so the run
  result and ``metrics.json`` keep it, and the Evaluate page's slider reads it;
- :meth:`DecisionCurve.best_threshold` — with a value for a right catch and a cost for a
  false alarm, the expected value at each threshold and the best one (the profit curve);
The sentences a product manager reads are in :mod:`core.evaluation.decision_text`; the
typical error of number predictions by range in :mod:`core.evaluation.error_ranges`.
No TensorFlow, no Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from core.portable.decision import (
    HIGHEST_THRESHOLD,
    LOWEST_THRESHOLD,
    SCHEMA_KEY,
    is_flagged,
)

GRID_STEP = 0.01
GRID = tuple(round(i * GRID_STEP, 2) for i in range(101))  # 0.00, 0.01, ..., 1.00
GAINS_POINTS = 101  # share of rows contacted: 0%, 1%, ..., 100%
PER_ROWS = 1000  # expected value is said "per 1,000 rows scored"


@dataclass(frozen=True)
class ThresholdOutcome:
    """Counts and rates of a yes/no decision at one threshold, on the test rows."""

    threshold: float
    true_positives: int  # flagged and really the outcome: right catches
    false_positives: int  # flagged but not the outcome: false alarms
    false_negatives: int  # not flagged but the outcome: missed
    true_negatives: int

    @property
    def positives(self) -> int:
        return self.true_positives + self.false_negatives

    @property
    def flagged(self) -> int:
        return self.true_positives + self.false_positives

    @property
    def total(self) -> int:
        return self.flagged + self.false_negatives + self.true_negatives

    @property
    def precision(self) -> float | None:
        """Share of flagged rows that really are the outcome (None when none is flagged)."""
        return self.true_positives / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        """Share of the outcome's rows that are flagged (None when there are none)."""
        return self.true_positives / self.positives if self.positives else None

    @property
    def f1(self) -> float:
        both = 2 * self.true_positives + self.false_positives + self.false_negatives
        return 2 * self.true_positives / both if both else 0.0

    @property
    def accuracy(self) -> float:
        return (self.true_positives + self.true_negatives) / self.total if self.total else 0.0

    @property
    def flagged_share(self) -> float:
        return self.flagged / self.total if self.total else 0.0

    @property
    def confusion_matrix(self) -> list[list[int]]:
        """Rows = actual, columns = predicted, in class order (second class = flagged)."""
        return [
            [self.true_negatives, self.false_positives],
            [self.false_negatives, self.true_positives],
        ]

    def to_dict(self) -> dict[str, Any]:
        """Counts and rates, JSON-ready (what ``metrics.json`` says about the threshold)."""
        return {
            **asdict(self),
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "accuracy": self.accuracy,
            "flagged_share": self.flagged_share,
            "confusion_matrix": self.confusion_matrix,
        }


def _labels_and_scores(y_true: Any, positive_proba: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true).astype(np.int64).reshape(-1)
    p = np.asarray(positive_proba, dtype=np.float64).reshape(-1)
    if len(y) != len(p) or len(y) == 0:
        raise ValueError(f"y_true has {len(y)} rows but the probabilities have {len(p)}.")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y_true must hold 0 (first class) or 1 (second class).")
    if not np.isfinite(p).all():
        raise ValueError("The probabilities must be finite numbers.")
    return y, p


def outcome_at(y_true: Any, positive_proba: Any, threshold: float) -> ThresholdOutcome:
    """The decision at ``threshold`` on labelled rows (exact, any threshold).

    Parameters
    ----------
    y_true : array of 0/1
        1 where the row really is the second class (``class_labels[1]``).
    positive_proba : array of float
        The model's probability of the second class for each row.
    threshold : float
        A row is flagged when its probability is at least this.
    """
    y, p = _labels_and_scores(y_true, positive_proba)
    flagged = is_flagged(p, threshold)
    tp = int(np.sum(flagged & (y == 1)))
    fp = int(np.sum(flagged & (y == 0)))
    positives = int(y.sum())
    return ThresholdOutcome(float(threshold), tp, fp, positives - tp, len(y) - positives - fp)


@dataclass(frozen=True)
class BestThreshold:
    """The threshold with the best expected value, and that value."""

    threshold: float
    total: float  # on the test rows
    per_rows: float  # per PER_ROWS rows scored
    pays_off: bool  # False: acting on nobody is at least as good


@dataclass(frozen=True)
class DecisionCurve:
    """A yes/no model's decisions at every threshold of a grid, and its gains curve.

    Attributes
    ----------
    thresholds
        The grid (0.00 to 1.00 by 0.01).
    true_positives, false_positives
        Right catches and false alarms at each threshold (the rest follows from the totals).
    positives, negatives
        Test rows that are, and are not, the second class.
    gains_rows, gains_caught
        Cumulative gains: contacting the share ``gains_rows`` of rows with the highest
        probabilities catches the share ``gains_caught`` of all positives.
    """

    thresholds: tuple[float, ...]
    true_positives: tuple[int, ...]
    false_positives: tuple[int, ...]
    positives: int
    negatives: int
    gains_rows: tuple[float, ...]
    gains_caught: tuple[float, ...]

    @classmethod
    def from_scores(
        cls,
        y_true: Any,
        positive_proba: Any,
        thresholds: Sequence[float] = GRID,
        gains_points: int = GAINS_POINTS,
    ) -> DecisionCurve:
        """Count every threshold at once: the probabilities are sorted a single time.

        With the probabilities in increasing order, the rows flagged at ``t`` (probability
        at least ``t``) are those from the first index where ``t`` fits (``searchsorted``,
        left side) to the end, so the catches are a difference of cumulative sums.
        """
        y, p = _labels_and_scores(y_true, positive_proba)
        order = np.argsort(p, kind="stable")
        p_sorted, y_sorted = p[order], y[order]
        grid = np.asarray(thresholds, dtype=np.float64)
        first = np.searchsorted(p_sorted, grid, side="left")
        positives_below = np.concatenate([[0], np.cumsum(y_sorted)])
        positives = int(y.sum())
        flagged = len(y) - first
        tp = positives - positives_below[first]
        fp = flagged - tp
        # Gains: the rows with the highest probabilities first.
        caught = np.concatenate([[0], np.cumsum(y_sorted[::-1])])
        shares = np.linspace(0.0, 1.0, gains_points)
        taken = np.round(shares * len(y)).astype(int)
        gains = caught[taken] / positives if positives else np.zeros(gains_points)
        return cls(
            thresholds=tuple(float(t) for t in grid),
            true_positives=tuple(int(v) for v in tp),
            false_positives=tuple(int(v) for v in fp),
            positives=positives,
            negatives=len(y) - positives,
            gains_rows=tuple(float(v) for v in shares),
            gains_caught=tuple(float(v) for v in gains),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecisionCurve:
        """Rebuild from :meth:`to_dict` (e.g. read from ``result.json`` or ``metrics.json``).

        Raises
        ------
        ValueError
            If the lists do not line up (a damaged file).
        """
        curve = cls(
            thresholds=tuple(float(v) for v in data["thresholds"]),
            true_positives=tuple(int(v) for v in data["true_positives"]),
            false_positives=tuple(int(v) for v in data["false_positives"]),
            positives=int(data["positives"]),
            negatives=int(data["negatives"]),
            gains_rows=tuple(float(v) for v in data["gains_rows"]),
            gains_caught=tuple(float(v) for v in data["gains_caught"]),
        )
        n = len(curve.thresholds)
        if not n or len(curve.true_positives) != n or len(curve.false_positives) != n:
            raise ValueError("The decision curve's lists do not line up.")
        if len(curve.gains_rows) != len(curve.gains_caught):
            raise ValueError("The gains curve's lists do not line up.")
        return curve

    def _index(self, threshold: float) -> int:
        return int(np.argmin(np.abs(np.asarray(self.thresholds) - threshold)))

    def at(self, threshold: float) -> ThresholdOutcome:
        """The decision at the grid threshold nearest ``threshold`` (exact on the grid)."""
        i = self._index(threshold)
        tp, fp = self.true_positives[i], self.false_positives[i]
        return ThresholdOutcome(
            self.thresholds[i], tp, fp, self.positives - tp, self.negatives - fp
        )

    def expected_values(self, value_of_catch: float, cost_of_false_alarm: float) -> np.ndarray:
        """Value of acting on the flagged test rows, at each grid threshold.

        A right catch earns ``value_of_catch``, a false alarm costs ``cost_of_false_alarm``;
        rows not flagged count nothing (the same as doing nothing).
        """
        tp = np.asarray(self.true_positives, dtype=np.float64)
        fp = np.asarray(self.false_positives, dtype=np.float64)
        return value_of_catch * tp - cost_of_false_alarm * fp

    def usable_thresholds(self) -> np.ndarray:
        """Grid positions a person may choose (0.01 to 0.99: 0 and 1 decide nothing)."""
        grid = np.asarray(self.thresholds)
        return np.flatnonzero(
            (grid >= LOWEST_THRESHOLD - 1e-9) & (grid <= HIGHEST_THRESHOLD + 1e-9)
        )

    def profit_curve(self, value_of_catch: float, cost_of_false_alarm: float) -> dict[str, list]:
        """``{"threshold": [...], "per_rows": [...]}``: expected value per 1,000 rows scored."""
        keep = self.usable_thresholds()
        values = self.expected_values(value_of_catch, cost_of_false_alarm)[keep]
        return {
            "threshold": [self.thresholds[i] for i in keep],
            "per_rows": [float(v) * PER_ROWS / self.total for v in values],
        }

    @property
    def total(self) -> int:
        return self.positives + self.negatives

    def best_threshold(self, value_of_catch: float, cost_of_false_alarm: float) -> BestThreshold:
        """The usable threshold with the highest expected value.

        Among equally good thresholds the lowest wins: it catches at least as many.

        Raises
        ------
        ValueError
            If an amount is negative or not a number (the page asks for amounts of 0 or more).
        """
        for amount in (value_of_catch, cost_of_false_alarm):
            if not np.isfinite(amount) or amount < 0:
                raise ValueError(
                    "The value of a catch and the cost of a false alarm are 0 or more."
                )
        keep = self.usable_thresholds()
        values = self.expected_values(value_of_catch, cost_of_false_alarm)[keep]
        best = int(np.argmax(values))
        total = float(values[best])
        return BestThreshold(
            threshold=self.thresholds[keep[best]],
            total=total,
            per_rows=total * PER_ROWS / self.total,
            pays_off=total > 0,
        )


def decision_document(decisions: dict[str, Any] | None, threshold: float) -> dict[str, Any]:
    """What ``metrics.json`` says about the yes/no decision.

    ``decision_threshold``, and, when the run's decision curve is known, ``at_threshold``
    (:meth:`ThresholdOutcome.to_dict` on the test rows) and ``decision_curve`` (the curve
    itself, so the threshold can be changed later without the test rows).
    """
    document: dict[str, Any] = {SCHEMA_KEY: float(threshold)}
    if decisions:
        document["at_threshold"] = DecisionCurve.from_dict(decisions).at(threshold).to_dict()
        document["decision_curve"] = decisions
    return document
