"""How the outcome changes across one column's values or ranges, before any training.

:func:`outcome_by_column` splits the rows by one column (each category, each range of a
number, each period of a date, and the empty cells) and gives, per group, the share of the
"yes" outcome (yes/no), the mix of outcomes (categories) or the mean (numbers). Its
``strength`` is the correlation ratio (eta squared): the share of the outcome's variation
that the groups explain, corrected for chance (many small groups explain a little of
anything by luck). Near 0 the column tells nothing about the outcome on its own; near 1 it
almost settles it, which is either a very strong real signal or a leak (a value recorded
after the outcome).

Cost is bounded as in :mod:`core.data.summaries`: at most ``SUMMARY_ROWS`` rows, dates
parsed on at most ``DATE_ROWS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data.profile_types import DataProfile
from core.data.summaries import (
    DATE_ROWS,
    DISTINCT_AS_GROUPS,
    GROUP_BINS,
    MAX_GROUPS,
    MIN_GROUP_ROWS,
    SUMMARY_ROWS,
    as_dates,
    as_numbers,
    number_text,
    row_outcomes,
    sample_rows,
    strength_level,
    text_counts,
)
from core.model.tasks import TaskSpec, task_spec
from core.portable.preprocess import MISSING, OTHER, label_text
from core.portable.reading import is_missing

RANGE_KINDS = ("numeric", "identifier", "date")  # grouped by ranges when they hold numbers
RANKING_ROWS = 50_000  # enough to rank columns by strength; a few milliseconds per column


@dataclass(frozen=True)
class OutcomeGroup:
    """One value or range of the column and the outcome among its rows.

    ``value`` is the share of the positive class (yes/no), the mean (numbers) or the share
    of the group's most common class (categories); ``shares`` holds every class's share, in
    class order (empty for numbers).
    """

    label: str
    rows: int
    value: float
    shares: tuple[float, ...] = ()


@dataclass(frozen=True)
class OutcomeByValue:
    """The outcome per value or range of ``column``; see :func:`outcome_by_column`."""

    column: str
    target: str
    task: str
    class_labels: tuple[str, ...]
    groups: tuple[OutcomeGroup, ...]
    overall: float  # share of the positive class (yes/no), mean (numbers), NaN (categories)
    overall_shares: tuple[float, ...]
    strength: float
    ranges: bool  # groups are ranges of numbers or dates, in order
    n_rows: int
    sampled: bool = False

    @property
    def spec(self) -> TaskSpec:
        """The task's :class:`~core.model.tasks.TaskSpec`, read instead of its name."""
        return task_spec(self.task)

    @property
    def positive(self) -> str | None:
        """The outcome whose share is shown (yes/no tasks: the second, "yes" label)."""
        return self.class_labels[-1] if self.spec.yes_no else None

    @property
    def level(self) -> str:
        """``none``, ``weak``, ``clear``, ``strong`` or ``decisive`` (see STRENGTH_LEVELS)."""
        return strength_level(self.strength)

    def large_groups(self) -> list[OutcomeGroup]:
        """Groups with enough rows to be named (at least MIN_GROUP_ROWS)."""
        return [g for g in self.groups if g.rows >= MIN_GROUP_ROWS]

    def extremes(self) -> tuple[OutcomeGroup, OutcomeGroup] | None:
        """The large groups with the lowest and the highest value, or None if fewer than 2."""
        large = self.large_groups()
        if len(large) < 2:
            return None
        return min(large, key=lambda g: g.value), max(large, key=lambda g: g.value)

    def purest(self) -> tuple[OutcomeGroup, str] | None:
        """Categories: the large group where one outcome is most common, and that outcome."""
        large = [g for g in self.large_groups() if g.shares]
        if not large:
            return None
        best = max(large, key=lambda g: g.value)
        return best, self.class_labels[int(np.argmax(best.shares))]


# --- grouping the rows ------------------------------------------------------------------------


def _range_labels(edges: np.ndarray, whole: bool, text) -> list[str]:
    """Labels of the ranges [e0, e1], (e1, e2], ...: whole numbers as "3 – 6" with no overlap."""
    labels = []
    for i, (low, high) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        if whole and i > 0:
            low = math.floor(low) + 1  # (2, 6] of whole numbers is 3 to 6
        labels.append(text(high) if low == high else f"{text(low)} – {text(high)}")
    return labels


def _number_groups(x: np.ndarray, text=number_text) -> tuple[np.ndarray, list[str]]:
    """Group index per row (-1: empty): one group per value if few, else quantile ranges."""
    present = np.isfinite(x)
    codes = np.full(x.size, -1, dtype=np.int64)
    distinct = np.unique(x[present])
    if distinct.size <= DISTINCT_AS_GROUPS:
        codes[present] = np.searchsorted(distinct, x[present])
        return codes, [text(v) for v in distinct]
    edges = np.unique(np.quantile(x[present], np.linspace(0.0, 1.0, GROUP_BINS + 1)))
    # Right-closed ranges: a value equal to an inner edge belongs to the range below it.
    codes[present] = np.searchsorted(edges[1:-1], x[present], side="left")
    whole = bool(np.all(np.mod(distinct, 1) == 0))
    return codes, _range_labels(edges, whole, text)


def _date_text(days: float) -> str:
    return (pd.Timestamp(0) + pd.Timedelta(days=days)).strftime("%Y-%m-%d")


def _category_groups(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Group index per row (-1: empty): the commonest values, the rest as one "(other)"."""
    empty = is_missing(values).to_numpy()
    present = values[~empty]
    counts = text_counts(present)
    kept = list(counts.index if len(counts) <= MAX_GROUPS else counts.index[: MAX_GROUPS - 1])
    index = {text: i for i, text in enumerate(kept)}
    # Each distinct cell's group, looked up once (not once per row).
    cell_codes, cells = pd.factorize(present)
    group_of = np.array([index.get(label_text(c), len(kept)) for c in cells], dtype=np.int64)
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[~empty] = group_of[cell_codes] if len(cells) else []
    return codes, kept + ([OTHER] if len(counts) > len(kept) else [])


def _groups(values: pd.Series, kind: str) -> tuple[np.ndarray, list[str], bool]:
    """Each row's group (empty cells in a last "(missing)" group), labels, and ranges or not."""
    codes, labels, ranges = None, [], False
    if kind == "date":
        # Days since 1970 whatever the parsed resolution (pandas may parse to s, ms or ns), so
        # whole days give ranges that do not share a day; empty or unreadable dates are NaN.
        days = (as_dates(values) - pd.Timestamp(0)) / pd.Timedelta(days=1)
        codes, labels = _number_groups(days.to_numpy(dtype="float64"), _date_text)
        ranges = True
    elif kind in RANGE_KINDS:
        numbers = as_numbers(values)
        if numbers.notna().sum() == (~is_missing(values)).sum():  # every present cell a number
            codes, labels = _number_groups(numbers.to_numpy())
            ranges = True
    if codes is None:
        codes, labels = _category_groups(values)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(labels), codes)
        labels = [*labels, MISSING]
    return codes, labels, ranges


# --- the outcome per group --------------------------------------------------------------------


def _strength(between: float, total: float, n_rows: int, n_groups: int) -> float:
    """Eta squared, corrected for chance like an adjusted R² (0 when the groups tell nothing)."""
    if total <= 0 or n_rows <= n_groups:
        return 0.0
    raw = between / total
    by_chance = (n_groups - 1) / (n_rows - 1)
    return float(min(1.0, max(0.0, (raw - by_chance) / (1.0 - by_chance))))


def outcome_by_column(df: pd.DataFrame, profile: DataProfile, column: str) -> OutcomeByValue:
    """The outcome per value or range of ``column``, with the strength of the link.

    Parameters
    ----------
    df : pandas.DataFrame
        The table (rows without an outcome are left out).
    profile : DataProfile
        Its profile with a task (the column to predict and its classes).
    column : str
        The column to look at; not the column to predict.

    Raises
    ------
    ValueError
        If the profile has no task, ``column`` is not a profiled column or is the target.
    """
    task = profile.task
    if task is None or column == task.target:
        raise ValueError("Choose the column to predict first, then another column to look at.")
    kind = profile.column(column).kind  # KeyError for a column that is not in the table
    rows = sample_rows(df[[column, task.target]], DATE_ROWS if kind == "date" else SUMMARY_ROWS)
    outcome, known = row_outcomes(rows, task)
    codes, labels, ranges = _groups(rows[column][known], kind)
    outcome = outcome[known]
    n_groups, n_rows = len(labels), int(outcome.size)
    sizes = np.bincount(codes, minlength=n_groups)
    seen = sizes > 0
    if task.class_labels:
        n_classes = len(task.class_labels)
        counts = np.bincount(codes * n_classes + outcome, minlength=n_groups * n_classes)
        shares = counts.reshape(n_groups, n_classes) / np.maximum(sizes, 1)[:, None]
        overall_shares = np.bincount(outcome, minlength=n_classes) / max(n_rows, 1)
        between = float((sizes[:, None] * (shares - overall_shares) ** 2).sum())
        total = float(n_rows * (overall_shares * (1.0 - overall_shares)).sum())
        binary = task.spec.yes_no
        values = shares[:, -1] if binary else shares.max(axis=1)
        overall = float(overall_shares[-1]) if binary else math.nan
        group_shares = [tuple(float(s) for s in row) for row in shares]
    else:
        means = np.bincount(codes, weights=outcome, minlength=n_groups) / np.maximum(sizes, 1)
        overall = float(outcome.mean()) if n_rows else math.nan
        between = float((sizes * (means - overall) ** 2).sum())
        total = float(((outcome - overall) ** 2).sum())
        values, overall_shares, group_shares = means, np.array([]), [()] * n_groups
    groups = [
        OutcomeGroup(labels[i], int(sizes[i]), float(values[i]), group_shares[i])
        for i in range(n_groups)
        if seen[i]
    ]
    if not ranges:  # categories read best sorted: highest rate first, leftovers last
        by_rows = task.spec.several_classes
        groups.sort(key=lambda g: (g.label in (OTHER, MISSING), -(g.rows if by_rows else g.value)))
    return OutcomeByValue(
        column=column,
        target=task.target,
        task=task.task,
        class_labels=tuple(task.class_labels),
        groups=tuple(groups),
        overall=overall,
        overall_shares=tuple(float(s) for s in overall_shares),
        strength=_strength(between, total, n_rows, int(seen.sum())),
        ranges=ranges,
        n_rows=n_rows,
        sampled=len(rows) < len(df),
    )


def column_strengths(df: pd.DataFrame, profile: DataProfile) -> dict[str, float]:
    """The strength of :func:`outcome_by_column` for every other non-empty column.

    Computed on one seeded sample of at most RANKING_ROWS rows, so ranking a million-row
    table's columns costs about as much as summarising one column of it.
    """
    task = profile.task
    if task is None:
        raise ValueError("Choose the column to predict first.")
    rows = sample_rows(df, RANKING_ROWS)
    return {
        column.name: outcome_by_column(rows, profile, column.name).strength
        for column in profile.columns
        if column.name != task.target and column.kind != "empty" and column.name in rows
    }
