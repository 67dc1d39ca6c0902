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

from typing import Any

import numpy as np
import pandas as pd

from core.data.leaks import find_leaks
from core.data.profile_types import ColumnProfile, HealthWarning, TaskInfo
from core.i18n import Message, Texts
from core.portable.preprocess import label_text
from core.portable.reading import normalise_label, scan_numbers

HEAVY_MISSING_SHARE = 0.40
RARE_CLASS_SHARE = 0.05
MIN_TEST_ROWS = 100
LEAKAGE_SAMPLE = 5000
# Kinds of column the model cannot use: each has its sentence ``left_out_<kind>``.
LEFT_OUT_KINDS = ("identifier", "constant", "empty", "text", "date")
LEAKAGE = "leakage"  # the code of a possible-leak warning (pages offer to leave the column out)
SAMPLE = 1000  # values looked at for dates and free text
MOSTLY_NUMBERS_SHARE = 0.10  # categories with at most this share of non-number cells: say so
CELLS_NAMED = 3  # cells quoted (row and text) in a message about cells
# Every sentence of this module: keys of the catalog "core.data.health" (data.po), kept as
# messages so a stored warning is read in the reader's language. The settings are named as
# the recipe labels them (tests/test_i18n_core.py checks the English names agree).
TEXT = Texts("core.data.health")


def _m(name: str, /, **params: Any) -> Message:
    TEXT[name]  # an unknown name fails here, where it is written
    return Message(TEXT.key(name), params)


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
                _m("target_missing", n=n_left_out, target=target),
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
                    _m(
                        "class_imbalance",
                        share=f"{shares.min():.1%}",
                        label=label,
                        target=target,
                        setting=_m("setting_balance"),
                    ),
                )
            )
    n_test = int(round(test_fraction * n_usable))
    if n_test < MIN_TEST_ROWS:
        if 0.4 * n_usable >= MIN_TEST_ROWS:
            fix = _m("fix_raise_test", setting=_m("setting_test"))
        else:
            fix = _m("fix_more_rows", minimum=MIN_TEST_ROWS)
        found.append(
            HealthWarning(
                "small_test_set",
                None,
                _m(
                    "small_test_set",
                    n_usable=n_usable,
                    test_share=f"{test_fraction:.0%}",
                    n_test=n_test,
                    fix=fix,
                ),
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
    if kind in LEFT_OUT_KINDS:
        return [HealthWarning(kind, name, _m(f"left_out_{kind}", name=name), "info")]
    found = []
    if column.missing_share > HEAVY_MISSING_SHARE:
        found.append(
            HealthWarning(
                "many_missing",
                name,
                _m("many_missing", name=name, share=f"{column.missing_share:.0%}"),
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
            _m("mostly_numbers", name=name, cells=cells),
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
        key = "not_numbers_one" if count == 1 else "not_numbers_many"
        found.append(HealthWarning("not_numbers", name, _m(key, name=name, cells=what)))
    return found


def _cells_text(count: int, rows: list[int], values: list[str]) -> Message:
    """``"2 cells (row 12: 'n.a.', row 80: 'tbd')"``: row 1 is the first row below the header."""
    pairs = list(zip(rows, values, strict=True))[:CELLS_NAMED]
    named = [
        _m("cell_first" if i == 0 else "cell_next", row=f"{row:,}", value=str(value))
        for i, (row, value) in enumerate(pairs)
    ]
    more = _m("cells_more", n=f"{count - len(named):,}") if count > len(named) else ""
    if count == 1:
        return _m("cells_one", named=named, more=more)
    return _m("cells_many", count=f"{count:,}", named=named, more=more)


def leakage_warnings(
    df: pd.DataFrame, task: TaskInfo, candidates: list[ColumnProfile], usable: pd.Series
) -> list[HealthWarning]:
    """Columns that may leak the outcome (see :func:`core.data.leaks.find_leaks`).

    Each warning names the column, says why it looks like a leak and how to leave it out.
    """
    report = find_leaks(df, task, candidates, usable)
    return [HealthWarning(LEAKAGE, c.column, report.message_of(c)) for c in report.leaks]


def _label_keys(values: pd.Series) -> pd.Series:
    """The comparison key of each value's label text, computed once per distinct value."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    keys = np.array([*(normalise_label(label_text(u)) for u in uniques), ""], dtype=object)
    return pd.Series(keys[codes], index=values.index)
