"""Read one sheet of an Excel workbook (.xlsx) as rows of text cells.

Product managers keep their tables in spreadsheets, so
:func:`core.portable.reading.read_table` accepts an ``.xlsx`` as well as a CSV:
:func:`read_sheet` turns the chosen sheet (the first one unless told) into the
same text cells a CSV gives, and from there both take the same cleaning path
(missing markers, numbers, labels...). A number Excel stores is written as
text the way Excel shows it (``3``, not ``3.0``), a date as ISO text
(``2024-03-31``), TRUE/FALSE as ``TRUE``/``FALSE``.

Nothing in a workbook is ever run:

* pandas reads it with openpyxl in read-only, values-only mode: a formula gives
  the result Excel last saved, nothing is recomputed, no link is followed;
* workbooks that carry macros (.xlsm), binary workbooks (.xlsb), encrypted
  ones and old .xls files are refused with a message saying how to save an .xlsx;
* an .xlsx is a zip of XML files, so before openpyxl opens it, its parts are
  checked against the size limit, by their declared sizes and then by
  inflating each one a chunk at a time (and checking its CRC): a small "zip
  bomb" is refused before it can fill the memory.

This module ships inside export bundles: stdlib, numpy and pandas only
(pandas needs openpyxl to read a workbook; without it the message says so).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import zipfile
import zlib

import numpy as np
import pandas as pd

from .errors import UnusableDataError
from .sniffing import size_text

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
MAX_PARTS = 10_000
"""More files than this inside one workbook is not a spreadsheet a person made."""
_CHUNK = 1024 * 1024
_WORKBOOK_PART = "xl/workbook.xml"
_MACRO_PART = "xl/vbaProject.bin"
_SAVE_AS_XLSX = "In Excel choose File > Save As > Excel Workbook (.xlsx), or CSV, and upload that."


def is_zip(raw: bytes) -> bool:
    """Whether the bytes are a zip file (an .xlsx is one)."""
    return raw[:4] in ZIP_MAGIC


def check_workbook(raw: bytes, label: str, max_bytes: int | None) -> None:
    """Stop unless the zip is an .xlsx without macros that unpacks within ``max_bytes``.

    Raises
    ------
    UnusableDataError
        For a damaged or encrypted file, a zip that is not a workbook, a
        macro-enabled (.xlsm), binary (.xlsb) or OpenDocument workbook, or one
        whose contents are larger than the limit once unpacked.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            parts = archive.infolist()
            names = {part.filename for part in parts}
            _check_kind(archive, names, label)
            if len(parts) > MAX_PARTS or any(part.flag_bits & 0x1 for part in parts):
                raise UnusableDataError(
                    f"{label} is password-protected or not a workbook Excel saved. {_SAVE_AS_XLSX}"
                )
            declared = sum(part.file_size for part in parts)
            _check_unpacked(declared, max_bytes, label)
            unpacked = 0
            for part in parts:  # the real sizes: inflate each part without keeping it
                with archive.open(part) as stream:
                    while chunk := stream.read(_CHUNK):
                        unpacked += len(chunk)
                        _check_unpacked(unpacked, max_bytes, label)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError):
        raise UnusableDataError(
            f"{label} is not a CSV file: it looks like an Excel workbook or a zip archive, but "
            "it is damaged. Open it in Excel and save it again, or save the sheet as CSV."
        ) from None


def _check_kind(archive: zipfile.ZipFile, names: set[str], label: str) -> None:
    if _WORKBOOK_PART in names:
        if _MACRO_PART in names:
            raise UnusableDataError(
                f"{label} is an Excel workbook with macros (.xlsm). Trainboard never runs "
                f"macros and does not open such files. {_SAVE_AS_XLSX}"
            )
        return
    if "xl/workbook.bin" in names:
        raise UnusableDataError(
            f"{label} is a binary Excel workbook (.xlsb), which Trainboard does not open. "
            f"{_SAVE_AS_XLSX}"
        )
    if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
        if archive.read("mimetype").startswith(b"application/vnd.oasis.opendocument"):
            raise UnusableDataError(
                f"{label} is an OpenDocument file (LibreOffice, .ods), which Trainboard does "
                "not open. Choose File > Save As > Excel 2007-365 (.xlsx), or CSV, and upload that."
            )
    raise UnusableDataError(
        f"{label} is a zip archive, not a CSV file or an Excel workbook. "
        "Unpack it and upload the CSV inside."
    )


def _check_unpacked(size: int, max_bytes: int | None, label: str) -> None:
    if max_bytes is not None and size > max_bytes:
        raise UnusableDataError(
            f"{label} unpacks to more than {size_text(max_bytes)}, the limit for a table "
            "(an .xlsx is compressed). Use a smaller extract (fewer rows or columns)."
        )


def read_sheet(
    raw: bytes, label: str, sheet: str | None, max_bytes: int | None
) -> tuple[pd.DataFrame, str, list[str]]:
    """One sheet's cells as text, header row included, after :func:`check_workbook`.

    Parameters
    ----------
    raw : bytes
        The workbook's bytes.
    label : str
        How messages name the file, e.g. ``"The file 'sales.xlsx'"``.
    sheet : str or None
        The sheet to read; None for the first one.
    max_bytes : int or None
        Largest size of the workbook's contents once unpacked.

    Returns
    -------
    cells : pandas.DataFrame
        Every cell as ``str`` (``""`` for an empty cell), no header yet.
    sheet : str
        The name of the sheet read.
    sheets : list of str
        The names of all the workbook's sheets, in order.

    Raises
    ------
    UnusableDataError
        If the workbook is unusable (see :func:`check_workbook`), has no sheet
        of that name, or its sheet is empty.
    """
    check_workbook(raw, label, max_bytes)
    try:
        book = pd.ExcelFile(io.BytesIO(raw), engine="openpyxl")
    except ImportError:
        raise UnusableDataError(
            "Reading Excel workbooks needs the Python package openpyxl "
            "(pip install openpyxl). Install it, or save the sheet as CSV."
        ) from None
    except MemoryError:
        raise  # not a damaged file: read_table explains it
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on malformed XML
        raise UnusableDataError(
            f"{label} cannot be read as an Excel workbook. Open it in Excel and save it again "
            "as .xlsx, or save the sheet as CSV."
        ) from None
    with book:
        sheets = [str(name) for name in book.sheet_names]
        if sheet is None and sheets:
            sheet = sheets[0]
        if sheet not in sheets:
            listed = ", ".join(f"'{name}'" for name in sheets)
            raise UnusableDataError(
                f"{label} has no sheet named '{sheet}'. Its sheets are: {listed}."
            )
        try:
            cells = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
        except MemoryError:
            raise
        except Exception:  # noqa: BLE001 - as above
            raise UnusableDataError(
                f"The sheet '{sheet}' of {label[0].lower()}{label[1:]} cannot be read. Open the "
                "workbook in Excel and save it again, or save the sheet as CSV."
            ) from None
    if cells.empty:
        raise UnusableDataError(
            f"The sheet '{sheet}' of {label[0].lower()}{label[1:]} is empty. Choose the sheet "
            "that holds your table."
        )
    return cells.apply(_column_text), sheet, sheets


def sheet_as_csv(cells: pd.DataFrame) -> bytes:
    """Text cells (as :func:`read_sheet` gives them) as CSV bytes that read back the same.

    The first line ``sep=,`` names the delimiter, so nothing is left to sniffing.
    """
    buffer = io.StringIO()
    buffer.write("sep=,\r\n")
    csv.writer(buffer).writerows(cells.itertuples(index=False, name=None))
    return buffer.getvalue().encode("utf-8")


def _column_text(values: pd.Series) -> pd.Series:
    """A column of Excel values as text, converted once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([*(cell_text(u) for u in uniques), ""], dtype=object)
    return pd.Series(texts[codes], index=values.index, dtype=object)


def cell_text(value: object) -> str:
    """One Excel value as the text a person sees in the cell (``""`` when empty)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        # Excel stores every number as a float: 3.0 was typed as 3.
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)
