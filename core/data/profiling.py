"""Look at a table before training: what each column holds, what the task is, what may go wrong.

:func:`profile_table` gives every column a *kind*, infers the task from the column
to predict, and collects plain-language health warnings (the checks themselves
are in :mod:`core.data.health`). The kinds, decided in this order:

* ``empty``: no value at all. ``constant``: one distinct value in every row (one
  value plus empty cells is not constant: being empty may carry information).
* ``boolean``: exactly two distinct values that read as yes/no, true/false, y/n,
  t/f or 0/1 (any case). Two values of anything else are ``categorical``.
* Number columns (float64, as :func:`core.portable.reading.read_table` makes them,
  or text columns whose values all read as numbers): ``identifier`` only for
  whole numbers that look like row labels, i.e. either the name says so
  (``customer_id``, ``uuid``, ``OrderKey``, ``EmployeeNumber``, ``invoice_no``)
  and at least 50% of the rows have their own value, or nearly every row has
  its own value (at least 95%, over at least 50 rows) *and* the values fill at
  least half of their range, as numbers handed out in sequence do (1, 2, 3... or
  10001, 10002...). Otherwise ``numeric``: a measurement with decimals, or whole
  amounts that merely happen to differ (a monthly rate of 2,094 to 26,999 over
  1,470 rows fills 6% of its range) are never identifiers, and numbers are
  never dates.
* Text columns: ``date`` when at least 90% of a sample both looks like a date
  (digits with ``-``/``/``/``.``, or a month name with a day) and parses as one;
  ``text`` (free text) when more than half the values are distinct, longer than
  20 characters on average and mostly contain spaces; ``identifier`` by the same
  distinctness rule as numbers; otherwise ``categorical``.

Identifier, constant, empty, free-text and date columns are suggested for
leaving out (:attr:`DataProfile.suggested_drop`). Expensive checks (dates,
leakage) run on samples, so profiling a million rows takes seconds.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from core.data.health import LEAKAGE_SAMPLE, SAMPLE, health_warnings
from core.data.profile_types import ColumnProfile, DataProfile, TaskInfo
from core.errors import UnusableDataError
from core.model.tasks import classification_task, number_task
from core.portable.preprocess import label_text
from core.portable.reading import MIN_ROWS, is_missing, normalise_label, scan_numbers

KINDS = ("numeric", "categorical", "boolean", "date", "text", "identifier", "constant", "empty")
DROPPED_KINDS = ("identifier", "constant", "empty", "text", "date")
MAX_CLASSES = 50  # more categories than this cannot be a sensible classification target
MAX_INTEGER_CLASSES = 10  # whole-number targets with at most this many values are classes
IDENTIFIER_SHARE = 0.95
IDENTIFIER_SHARE_BY_NAME = 0.5
IDENTIFIER_MIN_ROWS = 50  # in fewer rows, all-different values happen by chance
SEQUENTIAL_FILL = 0.5  # whole numbers filling at least this share of their range: handed out
TOP_VALUES = 10
EXAMPLES = 5

BOOLEAN_PAIRS = ({"yes", "no"}, {"true", "false"}, {"y", "n"}, {"t", "f"}, {"0", "1"})
_NEGATIVE = {"no", "n", "false", "f", "0", "negative", "neg"}
_POSITIVE = {"yes", "y", "true", "t", "1", "positive", "pos"}
_ID_NAME = re.compile(r"(?:^|[_\W])(?:id|uuid|guid|key|code|number|no|nr|num)$", re.IGNORECASE)
_ID_CAMEL = re.compile(r"[a-z](?:ID|Id|Key|Code|Number|No|Nr|Num)$")
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE_SHAPE = re.compile(
    rf"\d{{1,4}}[-/.]\d{{1,2}}(?:[-/.]\d{{1,4}})?|{_MONTHS}\s*\d|\d\s*{_MONTHS}", re.IGNORECASE
)


# --- columns -------------------------------------------------------------------------------


def profile_column(name: str, values: pd.Series) -> ColumnProfile:
    """Profile one column: its kind, missing cells, distinct values, statistics, examples."""
    missing = is_missing(values)
    present = values[~missing.to_numpy()]
    n_rows, n_missing = len(values), int(missing.sum())
    numbers = _as_numbers(present)
    counts = (numbers if numbers is not None else present).value_counts(sort=True)
    kind = _kind(name, n_rows, present, numbers, counts)
    if kind == "date":
        stats = _date_stats(present)
    elif numbers is not None and kind in ("numeric", "identifier"):
        stats = {
            "min": numbers.min(),
            "max": numbers.max(),
            "mean": numbers.mean(),
            "median": numbers.median(),
            "std": numbers.std(),
        }
    else:
        top = counts.head(TOP_VALUES)
        stats = {"top": [{"value": label_text(v), "count": int(c)} for v, c in top.items()]}
    examples = [label_text(v) for v in pd.unique(present.iloc[:SAMPLE])[:EXAMPLES]]
    return ColumnProfile(
        name=str(name),
        kind=kind,
        missing_share=n_missing / n_rows if n_rows else 1.0,
        n_missing=n_missing,
        n_distinct=int(len(counts)),
        stats=stats,
        examples=examples,
    )


def _as_numbers(present: pd.Series) -> pd.Series | None:
    """The column as float64 when every present value is a number, else None."""
    if pd.api.types.is_bool_dtype(present.dtype) or pd.api.types.is_datetime64_any_dtype(
        present.dtype
    ):
        return None
    if pd.api.types.is_numeric_dtype(present.dtype):
        return present.astype("float64")
    scanned = None if present.empty else scan_numbers(present)  # stops early on text
    if scanned is None or scanned[1].any():
        return None  # read_table already made every mostly-numbers column float64
    return scanned[0]


def _kind(
    name: str, n_rows: int, present: pd.Series, numbers: pd.Series | None, counts: pd.Series
) -> str:
    n_present, n_distinct = len(present), len(counts)
    if n_present == 0:
        return "empty"
    if n_distinct == 1 and n_present == n_rows:
        return "constant"
    if n_distinct == 2 and {normalise_label(label_text(v)) for v in counts.index} in BOOLEAN_PAIRS:
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(present.dtype):
        return "date"
    if numbers is not None:
        return "identifier" if _looks_like_row_numbers(name, counts, n_present) else "numeric"
    sample = present.iloc[:SAMPLE].astype(str)
    if _looks_like_dates(sample):
        return "date"
    distinct_share = n_distinct / n_present
    if (
        distinct_share > 0.5
        and sample.str.len().mean() > 20
        and sample.str.contains(r"\s", regex=True).mean() >= 0.5
    ):
        return "text"
    if _mostly_distinct(name, n_distinct, n_present):
        return "identifier"
    return "categorical"


def _mostly_distinct(name: str, n_distinct: int, n_present: int) -> bool:
    share = n_distinct / n_present
    if _named_like_an_id(name):
        return share >= IDENTIFIER_SHARE_BY_NAME and n_present >= MIN_ROWS
    return share >= IDENTIFIER_SHARE and n_present >= IDENTIFIER_MIN_ROWS


def _named_like_an_id(name: str) -> bool:
    return bool(_ID_NAME.search(str(name)) or _ID_CAMEL.search(str(name)))


def _looks_like_row_numbers(name: str, counts: pd.Series, n_present: int) -> bool:
    """Whole numbers that label rows: named like an id, or distinct and handed out in sequence."""
    distinct = counts.index.to_numpy(dtype="float64")
    if not np.all(np.mod(distinct, 1) == 0) or not _mostly_distinct(name, len(distinct), n_present):
        return False
    if _named_like_an_id(name):
        return True
    span = float(distinct.max() - distinct.min()) + 1.0
    return len(distinct) / span >= SEQUENTIAL_FILL


def _looks_like_dates(sample: pd.Series) -> bool:
    shaped = sample.str.contains(_DATE_SHAPE, regex=True)
    if shaped.mean() < 0.9:
        return False
    return bool(_parse_dates(sample).notna().mean() >= 0.9)


def _parse_dates(values: pd.Series) -> pd.Series:
    with warnings.catch_warnings():  # pandas warns about guessing formats; guessing is the point
        warnings.simplefilter("ignore")
        return pd.to_datetime(values, format="mixed", errors="coerce")


def _date_stats(present: pd.Series) -> dict[str, Any]:
    if pd.api.types.is_datetime64_any_dtype(present.dtype):
        dates = present
    else:
        dates = _parse_dates(present.iloc[:LEAKAGE_SAMPLE].astype(str)).dropna()
    if dates.empty:
        return {}
    return {"earliest": dates.min().isoformat(), "latest": dates.max().isoformat()}


# --- the task ------------------------------------------------------------------------------


def infer_task(series: pd.Series, name: str) -> TaskInfo:
    """Infer what predicting ``series`` means: binary, multiclass or regression.

    Numbers with at most 10 distinct whole values (or exactly 2 values) are
    classes; other numbers are a regression. Text with 2 values is binary, with
    3 to ``MAX_CLASSES`` multiclass. Class labels are text in natural order
    (numbers numerically, otherwise alphabetically; for two labels the "no" side
    first), so for binary tasks the positive class is ``class_labels[1]``.

    Raises
    ------
    UnusableDataError
        If the column has no values, a single value, or too many categories.
    """
    present = series[~is_missing(series).to_numpy()]
    if present.empty:
        raise UnusableDataError(
            f"The column '{name}' has no values at all, so there is nothing to learn from; "
            "choose another column to predict."
        )
    numbers = _as_numbers(present)
    if numbers is not None:
        distinct = np.unique(numbers.to_numpy())
        whole = bool(np.all(np.mod(distinct, 1) == 0))
        if len(distinct) > 2 and not (whole and len(distinct) <= MAX_INTEGER_CLASSES):
            return TaskInfo(number_task().name, name)
        labels = [label_text(v) for v in distinct]
    else:
        # spellings differing only in case/spacing are one class (as the target encoder reads them)
        firsts: dict[str, str] = {}
        for value in present.value_counts().index:  # most frequent spelling first
            spelling = label_text(value)
            firsts.setdefault(normalise_label(spelling), spelling)
        labels = list(firsts.values())
    if len(labels) == 1:
        raise UnusableDataError(
            f"The column '{name}' has only the value '{labels[0]}': there is nothing to learn; "
            "choose another column."
        )
    if len(labels) > MAX_CLASSES:
        raise UnusableDataError(
            f"The column '{name}' has {len(labels)} different values, too many to predict as "
            f"categories (at most {MAX_CLASSES}). Choose another column, or group its values "
            "into fewer categories in your file first."
        )
    return TaskInfo(classification_task(len(labels)).name, name, _natural_order(labels))


def _natural_order(labels: list[str]) -> list[str]:
    try:
        ordered = sorted(labels, key=float)
    except ValueError:
        ordered = sorted(labels, key=lambda label: (label.casefold(), label))
    if len(ordered) == 2:
        first, second = (normalise_label(label) for label in ordered)
        if first in _POSITIVE or second in _NEGATIVE:
            ordered.reverse()  # the positive class goes last
    return ordered


# --- the whole table -----------------------------------------------------------------------


def profile_table(
    df: pd.DataFrame, target: str | None = None, *, test_fraction: float = 0.15
) -> DataProfile:
    """Profile every column, infer the task from ``target`` and collect health warnings.

    Parameters
    ----------
    df : pandas.DataFrame
        The table, ideally as returned by :func:`core.portable.reading.read_table`.
    target : str, optional
        The column to predict. Without it there is no task and no target checks.
    test_fraction : float
        Share of rows the final test will get, to warn when that is too few rows.

    Raises
    ------
    UnusableDataError
        If the target is not a column, cannot be predicted (see :func:`infer_task`),
        or fewer than ``MIN_ROWS`` rows have a value in it.
    """
    if target is not None and target not in df.columns:
        names = ", ".join(f"'{c}'" for c in list(df.columns)[:8])
        more = ", ..." if df.shape[1] > 8 else ""
        raise UnusableDataError(
            f"There is no column named '{target}'. Choose one of the columns of the file: "
            f"{names}{more}."
        )
    columns = [profile_column(str(name), df[name]) for name in df.columns]
    task, usable = _target_task(df, target) if target is not None else (None, None)
    return DataProfile(
        n_rows=int(df.shape[0]),
        n_columns=int(df.shape[1]),
        columns=columns,
        task=task,
        warnings=health_warnings(df, columns, task, usable, test_fraction),
        suggested_drop=[c.name for c in columns if c.kind in DROPPED_KINDS and c.name != target],
    )


def _target_task(df: pd.DataFrame, target: str) -> tuple[TaskInfo, pd.Series]:
    """Infer the task from the target; returns the task and the mask of rows with a target."""
    usable = ~is_missing(df[target])
    n_usable = int(usable.sum())
    task = infer_task(df[target], target)
    if n_usable < MIN_ROWS:
        raise UnusableDataError(
            f"Only {n_usable} rows have a value in '{target}'; at least {MIN_ROWS} are needed. "
            "Fill in more values of the column to predict, or choose another column."
        )
    return task, usable
