"""Read a raw CSV file or Excel sheet, as people really save them, into a clean table.

Business CSVs arrive in many shapes: Excel's Windows encoding or a UTF-8 byte
order mark, semicolons and decimal commas from European settings, currency
signs, "N/A" for a blank, " yes " next to "Yes". :func:`read_table` reads every
cell as text first and then cleans each column with explicit rules, so the
result does not depend on pandas' guesses:

* headers and values are trimmed; empty headers become ``column_<position>``
  and repeated ones ``price_2``, ``price_3``;
* cells matching :data:`MISSING_MARKERS` (any case) become missing;
* a column whose present cells all read as numbers (see :func:`parse_numbers`)
  becomes ``float64``; so does one where at least :data:`NUMBER_SHARE` of them
  do (one typo in 5,000 prices): its other cells become missing, and how many
  they are, in which rows, with which values, is recorded (``not_numbers``
  below) for the health check to report;
* every other column has dtype ``object``: Python ``str`` values, and
  ``float('nan')`` for missing cells (the same on pandas 2 and 3). Spellings of
  one label that differ only in case or spacing (``"Yes"``, ``" yes "``,
  ``"YES"``) are unified to the most frequent spelling;
* rows with no value at all, and unnamed columns with no value at all (left by
  trailing delimiters), are removed.

An ``.xlsx`` workbook (recognised by its content, whatever its name) is read
by :mod:`.workbooks` into the same text cells a CSV gives, then cleaned the
same way. Every file is read within a size limit, also once unpacked (gzip,
xlsx): :func:`.sniffing.data_limit_bytes`.

How the file was read is recorded in ``frame.attrs["reading"]``: ``format``
(``"csv"`` or ``"xlsx"``), ``sheet`` and ``sheets`` (workbooks), ``encoding``,
``delimiter`` (CSV), ``decimal``, ``compressed``, and ``not_numbers``:
``{column: {"count", "rows", "values"}}`` with the first few row numbers
(1 = the first row below the header) and cell texts. Recognising the file and
rejecting files that are not tables at all is the job of :mod:`.sniffing`.

This module ships inside export bundles: stdlib, numpy and pandas only.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .errors import UnusableDataError
from .parsing import load_bytes, parse_csv, with_headers
from .sniffing import (
    check_looks_like_csv,
    data_limit_bytes,
    decimal_evidence,
    decode_text,
    find_delimiter,
    read_number,
    unpack_gzip,
)
from .workbooks import is_zip, read_sheet

MIN_ROWS = 10
"""Fewer data rows than this cannot be split into training and test rows."""

MISSING_MARKERS = frozenset(
    {
        "", "na", "n/a", "n.a.", "nan", "null", "none", "nil", "missing", "?", "-", "--", "---",
        "#n/a", "<na>", "nat", "undefined",
        # Excel error values: a formula that failed carries no information
        "#null!", "#div/0!", "#value!", "#ref!", "#name?", "#num!",
    }
)  # fmt: skip
"""Cell texts (compared trimmed and case-insensitively) that mean "no value"."""

NUMBER_SHARE = 0.99
"""A column is numbers when at least this share of its present cells read as numbers."""
NOT_NUMBER_EXAMPLES = 5
"""How many of a number column's other cells are recorded (row and text) for the message."""
_PROBE = 50  # distinct values looked at first: more than half not numbers means text


def normalise_label(value: str) -> str:
    """The key under which two spellings of a label count as the same.

    Case-folded, trimmed, with inner runs of whitespace collapsed to one space:
    ``normalise_label("  New   YORK ") == "new york"``.
    """
    return " ".join(str(value).split()).casefold()


def is_missing(values: pd.Series) -> pd.Series:
    """Boolean mask of cells that hold no value: NaN/None or a missing marker."""
    if not _is_textual(values):
        return values.isna()
    codes, uniques = _factorize(values)
    flags = [isinstance(u, str) and u.strip().casefold() in MISSING_MARKERS for u in uniques]
    # code -1 (NaN/None) picks the appended True
    return pd.Series(np.array([*flags, True], dtype=bool)[codes], index=values.index)


def parse_numbers(values: pd.Series, *, decimal: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Read raw cells as numbers, with the same rules as :func:`read_table`.

    Accepted: leading ``+``/``-``, a currency sign (``$ € £ ¥ ₹``) before or after,
    thousands separators (``1,234.5``, ``1.234,5``, ``1 234``), a trailing ``%``
    (divided by 100), parentheses for negatives (``(12.5)``) and exponents.
    A series uses one decimal mark throughout: the point when every value
    fits it, else the comma when every value fits that.

    Parameters
    ----------
    values : pandas.Series
        Raw cells (text, numbers or missing). Numeric series pass through.
    decimal : {".", ","} or None
        The decimal mark preferred for values that fit both (``"1.234"``);
        ``None`` means the point.

    Returns
    -------
    numbers : pandas.Series
        float64, NaN where a cell is missing or not a number.
    not_numbers : pandas.Series
        bool, True where a cell is present but not a number.
    """
    if not _is_textual(values):
        numbers = values.astype("float64")  # keeps index and name
        bad = ~np.isfinite(numbers) & numbers.notna()  # infinities are not usable numbers
        return numbers.mask(bad), bad
    codes, uniques = _factorize(values)
    texts, missing = _clean_uniques(uniques)
    numbers, bad, _ = _parse_uniques(texts, missing, decimal or ".")  # never None: no give-up
    take = np.append(numbers, np.nan)[codes]
    bad_cells = np.append(bad, False)[codes]
    return (
        pd.Series(take, index=values.index, dtype="float64", name=values.name),
        pd.Series(bad_cells, index=values.index, dtype=bool, name=values.name),
    )


def scan_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series] | None:
    """:func:`parse_numbers` over a whole column, or None as soon as it shows it is text.

    Fast on long text columns: when more than half of the first 50 distinct
    present values are not numbers, the rest is not parsed. The decimal mark is
    the one the column's own values prove, else the point.
    """
    if not _is_textual(values):
        return parse_numbers(values)
    codes, uniques = _factorize(values)
    texts, missing = _clean_uniques(uniques)
    prefer = decimal_evidence(texts, missing) or "."
    parsed = _parse_uniques(texts, missing, prefer, give_up_early=True)
    if parsed is None:
        return None
    numbers, bad, _ = parsed
    return (
        pd.Series(np.append(numbers, np.nan)[codes], index=values.index, dtype="float64"),
        pd.Series(np.append(bad, False)[codes], index=values.index, dtype=bool),
    )


def read_table(
    source: str | os.PathLike | bytes,
    *,
    name: str | None = None,
    max_bytes: int | None = None,
    min_rows: int = MIN_ROWS,
    sheet: str | None = None,
) -> pd.DataFrame:
    """Read a CSV file (plain or gzip-compressed) or an Excel sheet into a clean DataFrame.

    Parameters
    ----------
    source : str, os.PathLike or bytes
        A path, or the file's bytes (e.g. an upload). Objects with ``read()``
        or ``getvalue()`` are accepted too.
    name : str, optional
        The file name used in messages (defaults to the path's name).
    max_bytes : int, optional
        Largest accepted size, before and after unpacking; by default
        :func:`.sniffing.data_limit_bytes` (200 MB unless configured).
    min_rows : int
        Fewest data rows accepted: ``MIN_ROWS`` for training data; 1 for rows
        to predict.
    sheet : str, optional
        The sheet to read from an Excel workbook (default: the first one).
        Naming a sheet for a CSV file is an error.

    Returns
    -------
    pandas.DataFrame
        Numeric columns as float64, other columns as object (str or NaN);
        see the module docstring for every cleaning rule.

    Raises
    ------
    UnusableDataError
        With a plain message naming the problem and the fix.
    """
    return _read(source, name, max_bytes, min_rows, sheet, keep_text=False)[0]


def read_table_with_text(
    source: str | os.PathLike | bytes,
    *,
    name: str | None = None,
    max_bytes: int | None = None,
    min_rows: int = MIN_ROWS,
    sheet: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`read_table`'s frame, and the same cells as the text read from the file.

    Predictions echo the input cells, so an identifier such as ``007`` comes back as
    written. The text frame has the same rows and columns; each cell is a ``str``
    (``""`` when empty), not trimmed, missing markers and spellings left as they are.
    Raises :class:`UnusableDataError` as :func:`read_table` does.
    """
    frame, text = _read(source, name, max_bytes, min_rows, sheet, keep_text=True)
    assert text is not None
    return frame, text


def _read(
    source: str | os.PathLike | bytes, name: str | None, max_bytes: int | None, min_rows: int,
    sheet: str | None, *, keep_text: bool,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:  # fmt: skip
    if max_bytes is None:
        max_bytes = data_limit_bytes()
    raw, label = load_bytes(source, name, max_bytes)
    try:
        if is_zip(raw):
            cells, sheet, sheets = read_sheet(raw, label, sheet, max_bytes)
            reading = {"format": "xlsx", "sheet": sheet, "sheets": sheets, "compressed": False}
            cells = with_headers(cells)
        else:
            if sheet is not None:
                raise UnusableDataError(
                    f"{label} is not an Excel workbook, so it has no sheet '{sheet}'. "
                    "Name a sheet only for an .xlsx file."
                )
            raw, compressed = unpack_gzip(raw, label, max_bytes)
            check_looks_like_csv(raw, label)
            text, encoding = decode_text(raw, label)
            del raw  # the text replaces it: keep one copy of a large file, not two
            text, delimiter = find_delimiter(text, label)
            reading = {"format": "csv", "encoding": encoding, "delimiter": delimiter}
            reading["compressed"] = compressed
            cells = parse_csv(text, delimiter, label)
        frame, decimal, not_numbers = _clean(cells)
        text_cells = None
        if keep_text:  # _clean keeps the original row positions: the text lines up with them
            text_cells = cells.loc[frame.index, list(frame.columns)].fillna("")
            text_cells = text_cells.reset_index(drop=True)
            text_cells.attrs = {}
        del cells
        frame = frame.reset_index(drop=True)
    except MemoryError:
        raise UnusableDataError(
            f"{label} is too large to read with the memory this computer has free. "
            "Use a smaller extract (fewer rows or columns)."
        ) from None
    if len(frame) == 0:
        raise UnusableDataError(
            f"{label} has a header row but no data rows. Add the rows of your table and try again."
        )
    if len(frame) < min_rows:
        raise UnusableDataError(
            f"{label} has only {len(frame)} rows of data; at least {min_rows} are needed to "
            "learn anything (a few hundred or more is much better). Add more rows."
        )
    frame.attrs["reading"] = {**reading, "decimal": decimal, "not_numbers": not_numbers}
    return frame, text_cells


# --- cleaning ------------------------------------------------------------------------------


def _factorize(values: pd.Series) -> tuple[np.ndarray, list]:
    """Codes (-1 for NaN/None) and distinct values: cleaning works once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(codes), np.asarray(uniques, dtype=object).tolist()


def _is_textual(values: pd.Series) -> bool:
    return not (
        pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype)
    )


def _clean_uniques(uniques: list) -> tuple[list, np.ndarray]:
    """Trimmed texts of distinct raw values, and which of them mean "missing"."""
    texts: list = []
    missing = np.zeros(len(uniques), dtype=bool)
    for i, value in enumerate(uniques):
        if isinstance(value, str):
            value = value.strip()
            missing[i] = value.casefold() in MISSING_MARKERS
        elif pd.api.types.is_scalar(value) and pd.isna(value):  # None, NaN, pd.NA, NaT
            missing[i] = True
        texts.append(value)
    return texts, missing


def _parse_uniques(
    texts: list,
    missing: np.ndarray,
    prefer: str,
    *,
    give_up_early: bool = False,
    counts: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, str] | None:
    """Parse distinct cleaned values under the better-fitting decimal mark.

    Returns numbers (NaN where missing or not a number), a mask of present
    values that are not numbers, and the decimal mark used: the one leaving
    the fewest cells unread (``counts`` cells per value; one each without).
    With ``give_up_early``, returns None when more than half of the first
    distinct values are not numbers: a text column, not worth parsing in full
    (a stray typo deep in a number column never stops the full parse).
    """
    present = np.flatnonzero(~missing)
    results: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    other = "," if prefer == "." else "."
    if give_up_early:
        probe = [texts[i] for i in present[:_PROBE]]
        unread = sum(
            read_number(t, prefer) is None and read_number(t, other) is None for t in probe
        )
        if unread > len(probe) / 2:
            return None
    # Plain numbers ("12", "-3.5", "1e5") take pandas' fast C parser; only the
    # rest (currency, groups, percent, decimal comma) goes through read_number.
    fast = np.full(len(texts), np.nan)
    if len(present):
        fast[present] = pd.to_numeric(
            pd.Series([texts[i] for i in present], dtype=object), errors="coerce"
        ).to_numpy(dtype="float64", na_value=np.nan)
    fast[~np.isfinite(fast)] = np.nan
    weights = np.ones(len(texts), dtype=np.int64) if counts is None else counts
    for mark in (prefer, other):
        numbers = fast.copy()
        if mark == ",":  # under the decimal comma "1.234" means 1234
            numbers[[i for i in present if isinstance(texts[i], str) and "." in texts[i]]] = np.nan
        for i in present[np.isnan(numbers[present])]:
            value = read_number(texts[i], mark)
            numbers[i] = np.nan if value is None else value
        bad = ~missing & np.isnan(numbers)
        results[mark] = (numbers, bad)
        if not bad.any():
            return numbers, bad, mark
    mark = min((prefer, other), key=lambda m: int(weights[results[m][1]].sum()))
    return (*results[mark], mark)


def _unify_labels(texts: list, missing: np.ndarray, counts: np.ndarray) -> list:
    """Map each spelling to the most frequent spelling sharing its normalised label."""
    keys = [None if gone else normalise_label(t) for t, gone in zip(texts, missing, strict=True)]
    best: dict[str, tuple[int, str]] = {}
    for text, key, count in zip(texts, keys, counts, strict=True):
        if key is not None and (key not in best or count > best[key][0]):
            best[key] = (int(count), text)
    return [np.nan if key is None else best[key][1] for key in keys]


def _clean(cells: pd.DataFrame) -> tuple[pd.DataFrame, str, dict[str, dict]]:
    """Clean text cells column by column; the decimal mark used; the number columns' typos."""
    prepared = {}
    votes = {".": 0, ",": 0}
    for name in cells.columns:
        codes, uniques = _factorize(cells[name])
        texts, missing = _clean_uniques(uniques)
        prepared[name] = (codes, texts, missing)
        evidence = decimal_evidence(texts, missing)
        if evidence:
            votes[evidence] += 1
    # Values that fit both marks ("1.234") follow what the rest of the file proves.
    decimal = "," if votes[","] > votes["."] else "."
    columns, not_numbers = {}, {}
    for name, (codes, texts, missing) in prepared.items():
        if missing.all() and name in cells.attrs.get("unnamed", ()):
            continue  # an unnamed, empty column: a trailing separator
        counts = np.bincount(codes[codes >= 0], minlength=len(texts))
        parsed = None
        if not missing.all():
            parsed = _parse_uniques(texts, missing, decimal, give_up_early=True, counts=counts)
        if parsed is not None:
            numbers, bad, _ = parsed
            n_bad = int(counts[bad].sum())
            if n_bad <= (1.0 - NUMBER_SHARE) * int(counts[~missing].sum()):
                columns[name] = pd.Series(np.append(numbers, np.nan)[codes], dtype="float64")
                if n_bad:
                    not_numbers[str(name)] = _not_number_cells(codes, texts, bad, n_bad)
                continue
        labels = np.array([*_unify_labels(texts, missing, counts), np.nan], dtype=object)
        columns[name] = pd.Series(labels[codes], dtype=object)
    frame = pd.DataFrame(columns)
    # The original row positions stay as the index (read_table_with_text aligns on them).
    return frame.loc[frame.notna().any(axis=1)], decimal, not_numbers


def _not_number_cells(codes: np.ndarray, texts: list, bad: np.ndarray, count: int) -> dict:
    """How many cells of a number column were not numbers, and the first few (row, text)."""
    first = np.flatnonzero(np.append(bad, False)[codes])[:NOT_NUMBER_EXAMPLES]
    return {
        "count": count,
        "rows": [int(row) + 1 for row in first],  # 1 = the first row below the header
        "values": [str(texts[codes[row]]) for row in first],
    }
