"""The numbers behind the Data page's pictures: each column's shape, the outcome mix, and
how the outcome changes across one column's values.

Three summaries, each a small typed result that the UI draws without further arithmetic:

* :func:`column_sketches`: a short list of counts per column, for a tiny bar chart in the
  column table: rows per range for numbers and dates, rows per value (most common first)
  for categories.
* :func:`outcome_mix`: how often each outcome occurs, or the distribution of a number
  to predict.
* :func:`outcome_by_column`: the outcome rate (yes/no), the mix of outcomes (categories)
  or the mean (numbers) per value or per range of one column, with a chance-corrected
  strength (the correlation ratio) that says whether the column tells anything about the
  outcome, or almost settles it, which is how a leak first shows.

Cost is bounded: tables over :data:`SUMMARY_ROWS` rows are summarised on a seeded random
sample of that many rows (the result says so), and dates are parsed on at most
:data:`DATE_ROWS` of them.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data.profile_types import DataProfile, TaskInfo
from core.model.tasks import TaskSpec, task_spec
from core.portable.preprocess import label_text
from core.portable.reading import is_missing, normalise_label

SUMMARY_ROWS = 200_000  # more rows change a share by less than a tenth of a point
DATE_ROWS = 20_000  # parsing mixed date formats is slow: a sample shows the shape
SKETCH_BINS = 16  # bars in a number column's sketch (wider integer spans are binned)
SKETCH_VALUES = 10  # bars in a category column's sketch, most common first
SKETCH_TAIL = 0.005  # a number sketch spans the 0.5th to 99.5th percentile (outliers clipped)
TARGET_BINS = 30  # bars in the histogram of a number to predict
GROUP_BINS = 10  # ranges (deciles) of a number column when comparing the outcome
DISTINCT_AS_GROUPS = 12  # a number column with at most this many values: one group per value
MAX_GROUPS = 12  # categories compared one by one; the rarer ones are "(other)"
MIN_GROUP_ROWS = 20  # a smaller group is drawn, never named as the highest or lowest
# Chance-corrected strength (share of the outcome's variation the column's groups explain)
# at or above which each level applies, weakest first.
STRENGTH_LEVELS = (("weak", 0.01), ("clear", 0.05), ("strong", 0.3), ("decisive", 0.7))
SKETCHED_KINDS = ("numeric", "date", "categorical", "boolean", "constant")


# --- shared helpers ---------------------------------------------------------------------------


def sample_rows(df: pd.DataFrame, limit: int = SUMMARY_ROWS, seed: int = 0) -> pd.DataFrame:
    """The table itself when it has at most ``limit`` rows, else a seeded random sample."""
    return df if len(df) <= limit else df.sample(n=limit, random_state=seed)


def as_numbers(values: pd.Series) -> pd.Series:
    """Present values as float64 (cells that are not numbers become NaN)."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    return pd.to_numeric(values, errors="coerce").astype("float64")


def as_dates(values: pd.Series) -> pd.Series:
    """Present values as datetimes (cells that are not dates become NaT)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    with warnings.catch_warnings():  # pandas warns about guessing formats; guessing is the point
        warnings.simplefilter("ignore")
        return pd.to_datetime(values.astype(str), format="mixed", errors="coerce")


def strength_level(strength: float) -> str:
    """``none``, ``weak``, ``clear``, ``strong`` or ``decisive``: how much a column's groups
    tell about the outcome (see STRENGTH_LEVELS)."""
    reached = [name for name, floor in STRENGTH_LEVELS if strength >= floor]
    return reached[-1] if reached else "none"


def number_text(value: float) -> str:
    """A number as a person writes it in a label: 25,000 / 2007 / 42 / 0.375 / 3.1e-05."""
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:.0f}"  # a year reads 2007, not 2,007
    return f"{value:.3g}"


def text_counts(present: pd.Series) -> pd.Series:
    """Rows per value as text (``label_text``), most common first, for present cells.

    The text is computed once per distinct value, not per row: a million rows take
    a fraction of a second.
    """
    counts = present.value_counts(sort=False)
    by_text = counts.groupby(counts.index.map(label_text), sort=False).sum()
    return by_text.sort_values(ascending=False, kind="stable")


def amount_text(value: float) -> str:
    """An average or other amount, always with thousands grouped: 3,933 / 658 / 0.375."""
    if math.isfinite(value) and abs(value) >= 100:
        return f"{value:,.0f}"
    return number_text(value)


# --- the column table's sketches --------------------------------------------------------------


def _histogram(x: np.ndarray, clip: bool) -> list[int]:
    """Rows per range: one bar per whole number over a short span, else SKETCH_BINS bins."""
    if x.size == 0:
        return []
    low, high = float(x.min()), float(x.max())
    whole = bool(np.all(np.mod(x, 1) == 0))
    if clip and x.size > 1:
        low, high = (float(q) for q in np.quantile(x, [SKETCH_TAIL, 1.0 - SKETCH_TAIL]))
        if whole:  # whole numbers stay whole: one bar per value over a short span
            low, high = math.floor(low), math.ceil(high)
        if low == high:
            low, high = float(x.min()), float(x.max())
        x = np.clip(x, low, high)  # outliers count in the edge bars instead of squashing the rest
    if whole and high - low + 1 <= 2 * SKETCH_BINS:
        return np.bincount((x - low).astype(np.int64)).tolist()
    if low == high:
        return [int(x.size)]
    counts, _ = np.histogram(x, bins=SKETCH_BINS, range=(low, high))
    return counts.tolist()


def column_sketch(values: pd.Series, kind: str) -> list[int] | None:
    """A column's shape as a few counts, or None for kinds a sketch does not help with.

    Parameters
    ----------
    values : pandas.Series
        The column (empty cells are left out).
    kind : str
        The column's kind from :func:`core.data.profiling.profile_column`. Numbers give rows
        per range (from the 0.5th to the 99.5th percentile, outliers counted in the edge
        ranges), dates rows per period, categories rows per value (most common first).
        Identifiers, free text and empty columns give None.
    """
    if kind not in SKETCHED_KINDS:
        return None
    present = values[~is_missing(values).to_numpy()]
    if kind == "numeric":
        return _histogram(as_numbers(present).dropna().to_numpy(), clip=True)
    if kind == "date":
        dates = as_dates(present.iloc[:DATE_ROWS]).dropna()
        return _histogram(dates.astype("int64").to_numpy(dtype="float64"), clip=False)
    return text_counts(present).head(SKETCH_VALUES).astype(int).tolist()


def column_sketches(df: pd.DataFrame, profile: DataProfile) -> dict[str, list[int] | None]:
    """:func:`column_sketch` of every profiled column, on at most SUMMARY_ROWS rows."""
    rows = sample_rows(df)
    return {
        column.name: column_sketch(rows[column.name], column.kind)
        for column in profile.columns
        if column.name in rows.columns
    }


# --- the outcome mix ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeMix:
    """How often each outcome occurs, or how the number to predict is spread.

    For classes, ``labels`` are the class labels (in the task's order) and ``counts`` their
    rows. For numbers, ``counts`` are rows per range between consecutive ``edges`` and
    ``quartiles`` the 25th, 50th and 75th percentiles.
    """

    target: str
    task: str
    n_rows: int
    labels: tuple[str, ...]
    counts: tuple[int, ...]
    edges: tuple[float, ...] = ()
    quartiles: tuple[float, float, float] | None = None
    sampled: bool = False

    @property
    def spec(self) -> TaskSpec:
        """The task's :class:`~core.model.tasks.TaskSpec`, read instead of its name."""
        return task_spec(self.task)

    @property
    def shares(self) -> tuple[float, ...]:
        """Each count as a share of the rows (0 to 1)."""
        total = sum(self.counts)
        return tuple(c / total if total else 0.0 for c in self.counts)


def _class_codes(values: pd.Series, labels: list[str]) -> np.ndarray:
    """Each row's class index in ``labels`` (-1: empty or not a known class).

    Spellings that differ only in case or spacing are one class, as when training.
    """
    index = {normalise_label(label): i for i, label in enumerate(labels)}
    empty = is_missing(values).to_numpy()
    codes = np.full(len(values), -1, dtype=np.int64)
    present = values[~empty]
    code_of = {v: index.get(normalise_label(label_text(v)), -1) for v in pd.unique(present)}
    codes[~empty] = present.map(code_of).to_numpy(dtype=np.int64)
    return codes


def row_outcomes(rows: pd.DataFrame, task: TaskInfo) -> tuple[np.ndarray, np.ndarray]:
    """The outcome of each row (class index or number) and which rows have one."""
    values = rows[task.target]
    if task.class_labels:
        codes = _class_codes(values, task.class_labels)
        return codes, codes >= 0
    numbers = as_numbers(values).to_numpy()
    return numbers, np.isfinite(numbers)


def outcome_mix(df: pd.DataFrame, task: TaskInfo) -> OutcomeMix:
    """How often each outcome occurs (classes), or a histogram of the number to predict."""
    rows = sample_rows(df[[task.target]])
    outcome, known = row_outcomes(rows, task)
    outcome = outcome[known]
    sampled = len(rows) < len(df)
    if task.class_labels:
        counts = np.bincount(outcome, minlength=len(task.class_labels))
        return OutcomeMix(
            target=task.target,
            task=task.task,
            n_rows=int(outcome.size),
            labels=tuple(task.class_labels),
            counts=tuple(int(c) for c in counts),
            sampled=sampled,
        )
    counts, edges = np.histogram(outcome, bins=TARGET_BINS)
    pairs = zip(edges[:-1], edges[1:], strict=True)
    labels = tuple(f"{number_text(low)} – {number_text(high)}" for low, high in pairs)
    q1, median, q3 = (float(q) for q in np.quantile(outcome, [0.25, 0.5, 0.75]))
    return OutcomeMix(
        target=task.target,
        task=task.task,
        n_rows=int(outcome.size),
        labels=labels,
        counts=tuple(int(c) for c in counts),
        edges=tuple(float(e) for e in edges),
        quartiles=(q1, median, q3),
        sampled=sampled,
    )
