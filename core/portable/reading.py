"""Read a raw CSV file, as people really save them, into a clean table.

Business CSVs arrive in many shapes: Excel's Windows encoding or a UTF-8 byte
order mark, semicolons and decimal commas from European settings, currency
signs, "N/A" for a blank, " yes " next to "Yes". :func:`read_table` reads every
cell as text first and then cleans each column with explicit rules, so the
result does not depend on pandas' guesses:

* headers and values are trimmed; empty headers become ``column_<position>``
  and repeated ones ``price_2``, ``price_3``;
* cells matching :data:`MISSING_MARKERS` (any case) become missing;
* a column whose present values all read as numbers (see :func:`parse_numbers`)
  becomes ``float64``;
* every other column has dtype ``object``: Python ``str`` values, and
  ``float('nan')`` for missing cells (the same on pandas 2 and 3). Spellings of
  one label that differ only in case or spacing (``"Yes"``, ``" yes "``,
  ``"YES"``) are unified to the most frequent spelling;
* rows with no value at all, and unnamed columns with no value at all (left by
  trailing delimiters), are removed.

How the file was read is recorded in ``frame.attrs["reading"]``
(encoding, delimiter, decimal mark, compression). Recognising those, and
rejecting files that are not CSV at all, is the job of :mod:`.sniffing`.

This module ships inside export bundles: stdlib, numpy and pandas only.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import UnusableDataError
from .sniffing import (
    DELIMITER_NAMES,
    check_looks_like_csv,
    check_size,
    decimal_evidence,
    decode_text,
    find_delimiter,
    read_number,
    unpack_gzip,
)
from .sniffing import DELIMITERS as DELIMITERS  # re-exported: part of this module's interface

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
    numbers, bad, _ = _parse_uniques(texts, missing, decimal or ".")
    take = np.append(numbers, np.nan)[codes]
    bad_cells = np.append(bad, False)[codes]
    return (
        pd.Series(take, index=values.index, dtype="float64", name=values.name),
        pd.Series(bad_cells, index=values.index, dtype=bool, name=values.name),
    )


def read_table(
    source: str | os.PathLike | bytes,
    *,
    name: str | None = None,
    max_bytes: int | None = None,
    min_rows: int = MIN_ROWS,
) -> pd.DataFrame:
    """Read a CSV file (plain or gzip-compressed) into a clean DataFrame.

    Parameters
    ----------
    source : str, os.PathLike or bytes
        A path, or the file's bytes (e.g. an upload). Objects with ``read()``
        or ``getvalue()`` are accepted too.
    name : str, optional
        The file name used in messages (defaults to the path's name).
    max_bytes : int, optional
        Largest accepted size, before and after decompression.
    min_rows : int
        Fewest data rows accepted: ``MIN_ROWS`` for training data; 1 for rows
        to predict.

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
    raw, label = _load_bytes(source, name, max_bytes)
    raw, compressed = unpack_gzip(raw, label, max_bytes)
    check_looks_like_csv(raw, label)
    text, encoding = decode_text(raw, label)
    text, delimiter = find_delimiter(text, label)
    frame = _parse(text, delimiter, label)
    frame, decimal = _clean(frame)
    if len(frame) == 0:
        raise UnusableDataError(
            f"{label} has a header row but no data rows. Add the rows of your table and try again."
        )
    if len(frame) < min_rows:
        raise UnusableDataError(
            f"{label} has only {len(frame)} rows of data; at least {min_rows} are needed to "
            "learn anything (a few hundred or more is much better). Add more rows."
        )
    frame.attrs["reading"] = {
        "encoding": encoding,
        "delimiter": delimiter,
        "decimal": decimal,
        "compressed": compressed,
    }
    return frame


# --- bytes in ------------------------------------------------------------------------------


def _load_bytes(source, name: str | None, max_bytes: int | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
        label = f"The file '{name}'" if name else "The file"
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        label = f"The file '{name or path.name}'"
        if not path.is_file():
            raise UnusableDataError(f"{label} was not found. Check the path and try again.")
        check_size(path.stat().st_size, max_bytes, label)
        raw = path.read_bytes()
    elif hasattr(source, "getvalue") or hasattr(source, "read"):
        raw = source.getvalue() if hasattr(source, "getvalue") else source.read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        name = name or getattr(source, "name", None)
        label = f"The file '{name}'" if name else "The file"
    else:
        raise UnusableDataError("Trainboard can only read a CSV file given as a path or as bytes.")
    check_size(len(raw), max_bytes, label)
    return raw, label


# --- text to cells -------------------------------------------------------------------------


def _parse(text: str, delimiter: str, label: str) -> pd.DataFrame:
    try:
        cells = pd.read_csv(  # object dtype: plain str cells, no conversion through Arrow
            io.BytesIO(text.encode("utf-8")), encoding="utf-8", sep=delimiter, header=None,
            dtype=object, keep_default_na=False,
            na_filter=False, skip_blank_lines=True, engine="c",
        )  # fmt: skip
    except pd.errors.EmptyDataError:
        raise UnusableDataError(f"{label} is empty. Choose a CSV file with your table.") from None
    except (pd.errors.ParserError, ValueError, csv.Error) as error:
        raise UnusableDataError(_explain_parse_error(str(error), delimiter, label)) from None
    raw_headers = [str(h) for h in cells.iloc[0].tolist()]
    cells = cells.iloc[1:].reset_index(drop=True)
    cells.columns = _unique_headers(raw_headers)
    # remembered so that an unnamed column left empty by trailing separators can be removed
    pairs = zip(cells.columns, raw_headers, strict=True)
    cells.attrs["unnamed"] = {column for column, header in pairs if not header.strip()}
    return cells


def _explain_parse_error(message: str, delimiter: str, label: str) -> str:
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    name = DELIMITER_NAMES[delimiter]
    if match:
        expected, line, seen = match.groups()
        return (
            f"{label} cannot be read as a table: line {line} has {seen} values but the header has "
            f"{expected} columns. A value there probably contains a {name} without quotes around "
            "it. Put such values in double quotes (or remove the extra separator) and upload again."
        )
    if "EOF inside string" in message:
        row = re.search(r"row (\d+)", message)
        where = f" near line {int(row.group(1)) + 1}" if row else ""
        return (
            f'{label} has a double quote (") that is opened{where} but never closed, so the '
            "rest of the file reads as one value. Fix or remove that quote and upload again."
        )
    return f"{label} cannot be read as a {name}-separated table. Check that it is a CSV file."


def _unique_headers(raw: list[str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for position, header in enumerate(raw, start=1):
        base = header.strip() or f"column_{position}"
        name, suffix = base, 2
        while name in seen:
            name, suffix = f"{base}_{suffix}", suffix + 1
        seen.add(name)
        names.append(name)
    return names


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
    texts: list, missing: np.ndarray, prefer: str, *, give_up_early: bool = False
) -> tuple[np.ndarray, np.ndarray, str]:
    """Parse distinct cleaned values under the better-fitting decimal mark.

    Returns numbers (NaN where missing or not a number), a mask of present
    values that are not numbers, and the decimal mark used. With
    ``give_up_early``, returns as soon as a sample shows the values are text
    (the mask is then only known to be non-empty).
    """
    present = np.flatnonzero(~missing)
    results: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    other = "," if prefer == "." else "."
    if give_up_early:
        probe = [texts[i] for i in present[:50]]
        if any(read_number(t, prefer) is None and read_number(t, other) is None for t in probe):
            bad = np.zeros(len(texts), dtype=bool)
            bad[present] = True
            return np.full(len(texts), np.nan), bad, prefer
    # Plain numbers ("12", "-3.5", "1e5") take pandas' fast C parser; only the
    # rest (currency, groups, percent, decimal comma) goes through read_number.
    fast = np.full(len(texts), np.nan)
    if len(present):
        fast[present] = pd.to_numeric(
            pd.Series([texts[i] for i in present], dtype=object), errors="coerce"
        ).to_numpy(dtype="float64", na_value=np.nan)
    fast[~np.isfinite(fast)] = np.nan
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
    numbers, bad = min(results.values(), key=lambda pair: int(pair[1].sum()))
    return numbers, bad, prefer if bad is results[prefer][1] else other


def _unify_labels(texts: list, missing: np.ndarray, counts: np.ndarray) -> list:
    """Map each spelling to the most frequent spelling sharing its normalised label."""
    keys = [None if gone else normalise_label(t) for t, gone in zip(texts, missing, strict=True)]
    best: dict[str, tuple[int, str]] = {}
    for text, key, count in zip(texts, keys, counts, strict=True):
        if key is not None and (key not in best or count > best[key][0]):
            best[key] = (int(count), text)
    return [np.nan if key is None else best[key][1] for key in keys]


def _clean(cells: pd.DataFrame) -> tuple[pd.DataFrame, str]:
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
    columns = {}
    for name, (codes, texts, missing) in prepared.items():
        if missing.all() and name in cells.attrs.get("unnamed", ()):
            continue  # an unnamed, empty column: a trailing separator
        numbers, bad, _ = _parse_uniques(texts, missing, decimal, give_up_early=True)
        if not missing.all() and not bad.any():
            values = np.append(numbers, np.nan)[codes]
            columns[name] = pd.Series(values, dtype="float64")
        else:
            counts = np.bincount(codes[codes >= 0], minlength=len(texts))
            labels = np.array([*_unify_labels(texts, missing, counts), np.nan], dtype=object)
            columns[name] = pd.Series(labels[codes], dtype=object)
    frame = pd.DataFrame(columns)
    frame = frame.loc[frame.notna().any(axis=1)].reset_index(drop=True)
    return frame, decimal
