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
(encoding, delimiter, decimal mark, compression).

This module ships inside export bundles: stdlib, numpy and pandas only.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import UnusableDataError

try:  # optional: better guesses for files that are not UTF-8
    import charset_normalizer
except ImportError:  # pragma: no cover - the fallback chain still works
    charset_normalizer = None

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

DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar (|)"}
_CURRENCY = "$€£¥₹"
# A space, apostrophe or narrow space between digit groups ("1 234", "1'234") is a
# thousands separator; removed only when a group of exactly three digits follows.
_SPACE_GROUPS = re.compile(r"(?<=\d)[\s'’](?=\d{3}(?!\d))")
_BODY = {
    # decimal point, optional comma thousands groups: "1,234.5", ".5", "2e-3"
    ".": re.compile(r"(?=\.?\d)(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?(?:[eE][+-]?\d+)?"),
    # decimal comma, optional point thousands groups: "1.234,5", ",5"
    ",": re.compile(r"(?=,?\d)(?:\d{1,3}(?:\.\d{3})+|\d+)?(?:,\d*)?(?:[eE][+-]?\d+)?"),
}
_SAMPLE_CHARS = 64_000
# Magic numbers of files people upload by mistake, with what to do instead.
_NOT_CSV = (
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)", "Open it in Excel and save it as CSV"),
    (b"%PDF", "a PDF document", "Export the table as CSV from the program that made it"),
    (b"\x89PNG", "a PNG image", "Upload the data as a CSV file"),
    (b"\xff\xd8\xff", "a JPEG image", "Upload the data as a CSV file"),
    (b"GIF8", "a GIF image", "Upload the data as a CSV file"),
    (b"PAR1", "a Parquet file", "Convert it to CSV first"),
    (b"SQLite format 3", "an SQLite database", "Export the table you need as CSV"),
    (b"BZh", "a bzip2-compressed file", "Decompress it and upload the CSV inside"),
    (b"\xfd7zXZ", "an xz-compressed file", "Decompress it and upload the CSV inside"),
    (b"7z\xbc\xaf", "a 7-Zip archive", "Unpack it and upload the CSV inside"),
)


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
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(raw, label, max_bytes)
        compressed = True
    else:
        compressed = False
    if not raw.strip():
        raise UnusableDataError(f"{label} is empty. Choose a CSV file that contains your table.")
    _reject_non_csv(raw, label)
    text, encoding = _decode(raw)
    if "\x00" in text[:_SAMPLE_CHARS]:
        raise UnusableDataError(
            f"{label} contains binary data, not text, so it is not a CSV file. "
            "Export your table as CSV (UTF-8) and upload that."
        )
    hint = re.match(r'"?sep=(.)"?\r?\n', text, re.IGNORECASE)  # Excel's "sep=;" first line
    if hint:
        text = text[hint.end() :]
    delimiter = hint.group(1) if hint else _sniff_delimiter(text, label)
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
        _check_size(path.stat().st_size, max_bytes, label)
        raw = path.read_bytes()
    elif hasattr(source, "getvalue") or hasattr(source, "read"):
        raw = source.getvalue() if hasattr(source, "getvalue") else source.read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        name = name or getattr(source, "name", None)
        label = f"The file '{name}'" if name else "The file"
    else:
        raise UnusableDataError("Trainboard can only read a CSV file given as a path or as bytes.")
    _check_size(len(raw), max_bytes, label)
    return raw, label


def _check_size(size: int, max_bytes: int | None, label: str, extra: str = "") -> None:
    if max_bytes is not None and size > max_bytes:
        raise UnusableDataError(
            f"{label} is {_size_text(size)}{extra}, above the limit of {_size_text(max_bytes)}. "
            "Use a smaller extract (fewer rows or columns)."
        )


def _size_text(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 100_000 else f"{size / 1e3:,.1f} KB"


def _gunzip(raw: bytes, label: str, max_bytes: int | None) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            data = stream.read() if max_bytes is None else stream.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error):
        raise UnusableDataError(
            f"{label} looks gzip-compressed but is damaged. "
            "Compress it again or upload the plain CSV."
        ) from None
    _check_size(len(data), max_bytes, label, extra=" once decompressed")
    return data


def _reject_non_csv(raw: bytes, label: str) -> None:
    head = raw[:4096]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if b"xl/" in head or b"[Content_Types].xml" in head:
            raise UnusableDataError(
                f"{label} is an Excel workbook (.xlsx), not a CSV file. In Excel choose "
                "File > Save As > CSV (UTF-8), i.e. save it as CSV from Excel, and upload that."
            )
        raise UnusableDataError(
            f"{label} is a zip archive, not a CSV file. Unpack it and upload the CSV inside."
        )
    for magic, what, fix in _NOT_CSV:
        if head.startswith(magic):
            raise UnusableDataError(f"{label} is {what}, not a CSV file. {fix}.")
    if head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise UnusableDataError(
            f"{label} is a web page (HTML), not a CSV file. Download the data itself as CSV."
        )


def _decode(raw: bytes) -> tuple[str, str]:
    """Decode strictly as UTF-8 first; otherwise the likeliest Western single-byte encoding."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" is UTF-16
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = ["cp1252", "latin_1"]
    if charset_normalizer is not None:
        best = charset_normalizer.from_bytes(
            raw[:200_000], cp_isolation=["cp1252", "iso8859_15", "latin_1"]
        ).best()
        if best is not None:
            candidates.insert(0, best.encoding)
    for encoding in candidates:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin_1"), "latin_1"  # pragma: no cover - latin-1 decodes any bytes


# --- text to cells -------------------------------------------------------------------------


def _sniff_delimiter(text: str, label: str) -> str:
    """Pick the delimiter under which most lines have the same number (> 1) of values."""
    sample = text[:_SAMPLE_CHARS]
    if len(text) > _SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # never judge a cut-off last line
    best, best_score, best_widths = None, None, []
    for delimiter in DELIMITERS:
        try:
            reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
            widths = [len(row) for row in reader if any(row)]
        except csv.Error:
            continue
        usual = Counter(widths).most_common(1)[0][0] if widths else 0
        if usual < 2:
            continue
        score = (widths.count(usual) / len(widths), usual)
        if best_score is None or score > best_score:
            best, best_score, best_widths = delimiter, score, widths
    if best is None:
        tried = ", ".join(_DELIMITER_NAMES[d] for d in DELIMITERS)
        raise UnusableDataError(
            f"{label} has only one column (tried {tried} as separators). A table needs at least "
            "a column to predict and one to learn from; save it as CSV with one of these "
            "separators between the values."
        )
    if best_widths[0] < best_score[1]:  # pandas would take the short first line as the header
        raise UnusableDataError(
            f"The first line of {label[0].lower()}{label[1:]} has {best_widths[0]} value(s) but "
            f"most lines have {best_score[1]}. The first line must hold the column names: delete "
            "any title or note lines above them and upload again."
        )
    return best


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
    name = _DELIMITER_NAMES[delimiter]
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


def _parse_one(text, decimal: str) -> float | None:
    """One cell as a number under one decimal mark, or None if it is not one."""
    if isinstance(text, (bool, np.bool_)):
        return float(text)
    if isinstance(text, (int, float, np.number)):
        return float(text) if np.isfinite(text) else None
    if not isinstance(text, str):
        return None
    negative = text.startswith("(") and text.endswith(")")
    core = text[1:-1].strip() if negative else text
    scale = 1.0
    if core.endswith("%"):
        core, scale = core[:-1].rstrip(), 0.01
    sign = None
    for _ in range(2):  # accept both "-$5" and "$-5", but only one sign
        core = core.strip().strip(_CURRENCY).strip()
        if core[:1] in ("+", "-"):
            if sign is not None:
                return None
            sign, core = (-1.0 if core[0] == "-" else 1.0), core[1:]
    core = _SPACE_GROUPS.sub("", core)
    if not _BODY[decimal].fullmatch(core):
        return None
    if decimal == ",":
        core = core.replace(".", "").replace(",", ".")
    else:
        core = core.replace(",", "")
    value = float(core) * (sign or 1.0) * scale * (-1.0 if negative else 1.0)
    return value if np.isfinite(value) else None


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
        if any(_parse_one(t, prefer) is None and _parse_one(t, other) is None for t in probe):
            bad = np.zeros(len(texts), dtype=bool)
            bad[present] = True
            return np.full(len(texts), np.nan), bad, prefer
    # Plain numbers ("12", "-3.5", "1e5") take pandas' fast C parser; only the
    # rest (currency, groups, percent, decimal comma) goes through _parse_one.
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
            value = _parse_one(texts[i], mark)
            numbers[i] = np.nan if value is None else value
        bad = ~missing & np.isnan(numbers)
        results[mark] = (numbers, bad)
        if not bad.any():
            return numbers, bad, mark
    numbers, bad = min(results.values(), key=lambda pair: int(pair[1].sum()))
    return numbers, bad, prefer if bad is results[prefer][1] else other


def _decimal_evidence(texts: list, missing: np.ndarray) -> str | None:
    """Which decimal mark a column's values alone prove (e.g. "1,5" proves the comma)."""
    present = (t for t, gone in zip(texts, missing, strict=True) if not gone)
    marked = [t for t in present if "," in t or "." in t][:200]
    if not marked:
        return None
    fits = {mark: all(_parse_one(t, mark) is not None for t in marked) for mark in (".", ",")}
    if fits["."] != fits[","]:
        return "." if fits["."] else ","
    return None


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
        evidence = _decimal_evidence(texts, missing)
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
