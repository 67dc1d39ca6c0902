"""Health checks on a table: what a person should know about their data before training.

Each check returns :class:`HealthWarning` objects with a plain-language message
that says what is wrong and what to do about it. :func:`health_warnings` runs
them all, in this order, for :func:`core.data.profiling.profile_table`:

* :func:`target_warnings`: rows without a value to predict (``target_missing``),
  a rare class (``class_imbalance``), too few rows for a trustworthy final test
  (``small_test_set``);
* :func:`column_warnings`: notes on columns left out (``identifier``,
  ``constant``, ``empty``, ``text``, ``date``), a mostly empty column
  (``many_missing``), categories that are numbers but for a few cells
  (``mostly_numbers``, looking at every cell);
* :func:`not_number_warnings`: cells of a number column that were not numbers
  and were read as empty (``not_numbers``, from what
  :func:`core.portable.reading.read_table` recorded), for every column;
* :func:`leakage_warnings`: a column that may leak the outcome: alone it predicts
  the target almost perfectly, or most of what all columns predict while the others
  cannot replace it (``leakage``, see :mod:`core.data.leaks`).

This module needs only the column profiles and the task (types in
:mod:`core.data.profile_types`), never the profiling code itself, so
:mod:`core.data.profiling` imports it and not the other way round.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.data.leaks import find_leaks
from core.data.profile_types import ColumnProfile, HealthWarning, TaskInfo
from core.portable.preprocess import label_text
from core.portable.reading import normalise_label, scan_numbers

HEAVY_MISSING_SHARE = 0.40
RARE_CLASS_SHARE = 0.05
MIN_TEST_ROWS = 100
LEAKAGE_SAMPLE = 5000
LEAKAGE = "leakage"  # the code of a possible-leak warning (pages offer to leave the column out)
SAMPLE = 1000  # values looked at for dates and free text
MOSTLY_NUMBERS_SHARE = 0.10  # categories with at most this share of non-number cells: say so
CELLS_NAMED = 3  # cells quoted (row and text) in a message about cells
_SETTING_BALANCE = '"Balance rare outcomes"'
_SETTING_TEST = '"Rows for the final test"'


def health_warnings(
    df: pd.DataFrame,
    columns: list[ColumnProfile],
    task: TaskInfo | None,
    usable: pd.Series | None,
    test_fraction: float,
) -> list[HealthWarning]:
    """Every health warning for a profiled table: target, then columns, then leakage.

    Parameters
    ----------
    df : pandas.DataFrame
        The whole table.
    columns : list of ColumnProfile
        The profile of every column of ``df``.
    task : TaskInfo or None
        The task inferred from the column to predict; None without one (then
        there are no target or leakage checks).
    usable : pandas.Series or None
        bool, True for rows that have a value in the target (None without a task).
    test_fraction : float
        Share of the usable rows kept for the final test.
    """
    target = task.target if task is not None else None
    found = not_number_warnings(df.attrs.get("reading", {}).get("not_numbers", {}))
    if task is not None:
        found.extend(target_warnings(df, task, usable, test_fraction))
    for column in columns:
        if column.name != target:
            found.extend(column_warnings(column, df[column.name]))
    if task is not None:
        candidates = [
            c
            for c in columns
            if c.name != target and c.kind in ("numeric", "categorical", "boolean")
        ]
        found.extend(leakage_warnings(df, task, candidates, usable))
    return found


def target_warnings(
    df: pd.DataFrame, task: TaskInfo, usable: pd.Series, test_fraction: float
) -> list[HealthWarning]:
    """Warnings about the column to predict: left-out rows, a rare class, a small test set.

    Parameters
    ----------
    df : pandas.DataFrame
        The whole table.
    task : TaskInfo
        The task inferred from the column ``task.target``.
    usable : pandas.Series
        bool, True for rows that have a value in the target.
    test_fraction : float
        Share of the usable rows kept for the final test.
    """
    target = task.target
    n_usable, n_left_out = int(usable.sum()), int((~usable).sum())
    found = []
    if n_left_out:
        found.append(
            HealthWarning(
                "target_missing",
                target,
                f"{n_left_out} rows have no value in '{target}' and are left out: a model can only "
                "learn from rows whose outcome is known.",
                "info" if n_left_out / len(df) <= 0.2 else "warning",
            )
        )
    if task.spec.predicts_class:
        shares = _label_keys(df.loc[usable.to_numpy(), target]).value_counts(normalize=True)
        rarest = shares.idxmin()
        if shares.min() < RARE_CLASS_SHARE:
            label = next(x for x in task.class_labels if normalise_label(x) == rarest)
            found.append(
                HealthWarning(
                    "class_imbalance",
                    target,
                    f"Only {shares.min():.1%} of the rows have '{label}' in '{target}'. A model "
                    "can look accurate while rarely predicting it; turn on the "
                    f"{_SETTING_BALANCE} setting so these rows count more while learning.",
                )
            )
    n_test = int(round(test_fraction * n_usable))
    if n_test < MIN_TEST_ROWS:
        if 0.4 * n_usable >= MIN_TEST_ROWS:
            fix = f"add more rows, or raise {_SETTING_TEST} (for example to 30%)."
        else:
            fix = "add more rows: even the largest test share would hold fewer than "
            fix += f"{MIN_TEST_ROWS} rows."
        found.append(
            HealthWarning(
                "small_test_set",
                None,
                f"With {n_usable} usable rows and {test_fraction:.0%} kept for the final test, the "
                f"test will have only about {n_test} rows: too few to trust its score, because a "
                f"few lucky or unlucky rows change it a lot. To get a score you can rely on, {fix}",
            )
        )
    return found


def column_warnings(column: ColumnProfile, values: pd.Series) -> list[HealthWarning]:
    """Warnings about one input column: why it is left out, or what may mislead the model.

    Parameters
    ----------
    column : ColumnProfile
        The column's profile (its kind and missing share are what count).
    values : pandas.Series
        The column's raw values.
    """
    name, kind = column.name, column.kind
    reasons = {
        "identifier": "looks like an identifier (almost every row has its own value), so it "
        "cannot teach the model anything that carries over to new rows",
        "constant": "has the same value in every row, so it cannot help tell rows apart",
        "empty": "has no values at all",
        "text": "holds free text (long, mostly different sentences), which this model cannot read",
        "date": "holds dates, which the model cannot use directly (tip: add columns such as the "
        "month or the age in days to your file instead)",
    }
    if kind in reasons:
        return [
            HealthWarning(kind, name, f"Column '{name}' {reasons[kind]}. It is left out.", "info")
        ]
    found = []
    if column.missing_share > HEAVY_MISSING_SHARE:
        found.append(
            HealthWarning(
                "many_missing",
                name,
                f"Column '{name}' is {column.missing_share:.0%} empty. Empty cells are filled in "
                "before training, but so many guesses can mislead the model: consider leaving "
                "the column out, or fill in the missing values in your file.",
            )
        )
    if kind == "categorical":
        found.extend(_mostly_numbers(name, values))
    return found


def _mostly_numbers(name: str, values: pd.Series) -> list[HealthWarning]:
    """A category column whose every cell but a few (at most 10%) is a number."""
    scanned = scan_numbers(values)  # the whole column, stopping early on plain text
    if scanned is None:
        return []
    numbers, not_numbers = scanned
    n_bad = int(not_numbers.sum())
    n_present = n_bad + int(numbers.notna().sum())
    if not n_present or not 0 < n_bad / n_present <= MOSTLY_NUMBERS_SHARE:
        return []
    rows = np.flatnonzero(not_numbers.to_numpy())[:CELLS_NAMED]
    cells = _cells_text(n_bad, [int(r) + 1 for r in rows], [str(values.iloc[r]) for r in rows])
    return [
        HealthWarning(
            "mostly_numbers",
            name,
            f"Column '{name}' holds numbers except for {cells}, so it is treated as categories. "
            "To use it as numbers, correct or empty those cells in your file.",
        )
    ]


def not_number_warnings(not_numbers: dict[str, dict]) -> list[HealthWarning]:
    """Cells of number columns that were not numbers and were read as empty.

    Parameters
    ----------
    not_numbers : dict
        ``frame.attrs["reading"]["not_numbers"]`` as
        :func:`core.portable.reading.read_table` records it: column ->
        ``{"count", "rows", "values"}``.
    """
    found = []
    for name, cells in not_numbers.items():
        count = int(cells["count"])
        what = _cells_text(count, cells["rows"], cells["values"])
        verb = "is" if count == 1 else "are"
        found.append(
            HealthWarning(
                "not_numbers",
                name,
                f"Column '{name}' holds numbers, but {what} {verb} not a number. "
                f"{'It is' if count == 1 else 'They are'} read as empty, so the column is still "
                f"used as numbers; correct {'that cell' if count == 1 else 'those cells'} in your "
                "file to use the values.",
            )
        )
    return found


def _cells_text(count: int, rows: list[int], values: list[str]) -> str:
    """``"2 cells (row 12: 'n.a.', row 80: 'tbd')"``: row 1 is the first row below the header."""
    pairs = list(zip(rows, values, strict=True))[:CELLS_NAMED]
    named = [f"row {row:,}: '{value}'" for row, value in pairs]
    more = f", and {count - len(named):,} more" if count > len(named) else ""
    noun = "1 cell" if count == 1 else f"{count:,} cells"
    return f"{noun} ({', '.join(named)}{more})"


def leakage_warnings(
    df: pd.DataFrame, task: TaskInfo, candidates: list[ColumnProfile], usable: pd.Series
) -> list[HealthWarning]:
    """Columns that may leak the outcome (see :func:`core.data.leaks.find_leaks`).

    Each warning names the column, says why it looks like a leak and how to leave it out.
    """
    report = find_leaks(df, task, candidates, usable)
    return [HealthWarning(LEAKAGE, c.column, report.message(c)) for c in report.leaks]


def _label_keys(values: pd.Series) -> pd.Series:
    """The comparison key of each value's label text, computed once per distinct value."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    keys = np.array([*(normalise_label(label_text(u)) for u in uniques), ""], dtype=object)
    return pd.Series(keys[codes], index=values.index)
