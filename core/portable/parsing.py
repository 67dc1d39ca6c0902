"""From a file's bytes to a table of text cells with unique column names.

:func:`core.portable.reading.read_table` reads a file here (:func:`load_bytes`),
turns CSV text into cells (:func:`parse_csv`, after :mod:`.sniffing` found the
encoding and delimiter) and takes the header row of those cells, or of an Excel
sheet's, as column names (:func:`with_headers`). Every cell is still raw text;
cleaning is :mod:`.reading`'s job.

This module ships inside export bundles: stdlib, numpy and pandas only.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pandas as pd

from .errors import UnusableDataError
from .sniffing import DELIMITER_NAMES, check_size

# --- bytes in ------------------------------------------------------------------------------


def load_bytes(source, name: str | None, max_bytes: int) -> tuple[bytes, str]:
    """The bytes of a path, bytes or file-like source, and the label messages use for it.

    Raises
    ------
    UnusableDataError
        If the file is missing, or larger than ``max_bytes``.
    """
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
        # one byte past the limit is enough to refuse a stream without reading all of it
        raw = source.getvalue() if hasattr(source, "getvalue") else source.read(max_bytes + 1)
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        name = name or getattr(source, "name", None)
        label = f"The file '{name}'" if name else "The file"
    else:
        raise UnusableDataError(
            "Trainboard can only read a CSV or Excel file given as a path or as bytes."
        )
    check_size(len(raw), max_bytes, label)
    return raw, label


# --- text to cells -------------------------------------------------------------------------


def parse_csv(text: str, delimiter: str, label: str) -> pd.DataFrame:
    """CSV text as text cells with unique column names (see :func:`with_headers`).

    Raises
    ------
    UnusableDataError
        If the text is empty, or a line cannot be split into the header's columns.
    """
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
    return with_headers(cells)


def with_headers(cells: pd.DataFrame) -> pd.DataFrame:
    """The first row of text cells as unique column names, the rest as the data rows."""
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
