"""Recognise what an uploaded file is before it is read as a table.

:func:`core.portable.reading.read_table` calls these steps in order, each of
which either answers a question about the file or stops with a plain message:

* :func:`data_limit_bytes`, :func:`check_size` and :func:`unpack_gzip`: is
  the file within the size limit, and is it gzip-compressed (then decompress
  it, streaming, and stop as soon as the limit is passed)?
* :func:`check_looks_like_csv`: is it empty, or a file people upload by
  mistake (Excel workbook, zip, PDF, image, database, web page...)?
* :func:`decode_text`: which text encoding (UTF-8, UTF-16, Excel's Windows
  encoding...), and is it binary data rather than text?
* :func:`find_delimiter`: which character separates the values?
* :func:`read_number` and :func:`decimal_evidence`: does a cell read as a
  number under a decimal point or a decimal comma, and which mark do a
  column's values prove?

This module ships inside export bundles (as part of ``trainboard_runtime``):
stdlib, numpy and pandas only, charset_normalizer if installed.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
import zlib
from collections import Counter

import numpy as np

from .errors import UnusableDataError

try:  # optional: better guesses for files that are not UTF-8
    import charset_normalizer
except ImportError:  # pragma: no cover - the fallback chain still works
    charset_normalizer = None

MB = 1024 * 1024
"""A megabyte as Streamlit counts it for ``server.maxUploadSize``."""
DEFAULT_MAX_DATA_MB = 200
"""The largest table read, in MB, before and after unpacking (gzip, Excel): Streamlit's
default upload limit, which ``.streamlit/config.toml`` keeps (a test checks they agree)."""
MAX_DATA_MB_ENV = "TRAINBOARD_MAX_DATA_MB"
"""Environment variable that sets another limit (a whole number of MB) for every reader:
the app, its job processes, the CLI and a bundle's ``predict.py``."""
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar (|)"}
SAMPLE_CHARS = 64_000
"""Characters of text looked at for binary data and for the delimiter."""
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1024 * 1024  # bytes inflated at a time: memory grows only with what is kept
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
# Magic numbers of files people upload by mistake, with what to do instead.
_NOT_CSV = (
    (
        b"\xd0\xcf\x11\xe0",
        "an old-style Excel workbook (.xls), which Trainboard does not open",
        "Open it in Excel and choose File > Save As > Excel Workbook (.xlsx) or CSV",
    ),
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


# --- bytes ---------------------------------------------------------------------------------


def data_limit_bytes() -> int:
    """The size limit of every reader, in bytes: ``TRAINBOARD_MAX_DATA_MB`` or 200 MB.

    Raises
    ------
    UnusableDataError
        If the environment variable is set but is not a positive whole number.
    """
    text = os.environ.get(MAX_DATA_MB_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_DATA_MB * MB
    if not text.isdigit() or int(text) == 0:
        raise UnusableDataError(
            f"The setting {MAX_DATA_MB_ENV}={text!r} is not a size in megabytes. "
            f"Set it to a whole number such as {DEFAULT_MAX_DATA_MB}, or remove it."
        )
    return int(text) * MB


def check_size(size: int, max_bytes: int | None, label: str, extra: str = "") -> None:
    """Stop when ``size`` bytes exceed ``max_bytes`` (no limit when it is None).

    Raises
    ------
    UnusableDataError
        Naming both sizes and suggesting a smaller extract.
    """
    if max_bytes is not None and size > max_bytes:
        raise UnusableDataError(
            f"{label} is {size_text(size)}{extra}, above the limit of {size_text(max_bytes)}. "
            "Use a smaller extract (fewer rows or columns)."
        )


def size_text(size: int) -> str:
    """A size in plain words (MB as Streamlit counts them): ``"200 MB"``, ``"900 bytes"``."""
    if size >= 100 * 1024:
        return f"{size / MB:,.1f}".removesuffix(".0") + " MB"
    if size >= 10 * 1024:
        return f"{size / 1024:,.1f}".removesuffix(".0") + " KB"
    return f"{size:,} bytes"


def unpack_gzip(raw: bytes, label: str, max_bytes: int | None) -> tuple[bytes, bool]:
    """The file's bytes decompressed when they are gzip, and whether they were.

    Raises
    ------
    UnusableDataError
        If the gzip data is damaged, or too large once decompressed.
    """
    if raw[:2] != _GZIP_MAGIC:
        return raw, False
    chunks, total = [], 0
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            # Inflate a chunk at a time and stop one byte past the limit: a small file that
            # unpacks to gigabytes is refused after at most the limit is spent, never all of it.
            while chunk := stream.read(_CHUNK):
                chunks.append(chunk)
                total += len(chunk)
                if max_bytes is not None and total > max_bytes:
                    raise UnusableDataError(
                        f"{label} unpacks to more than {size_text(max_bytes)}, the limit for a "
                        "table. Use a smaller extract (fewer rows or columns)."
                    )
    except (OSError, EOFError, zlib.error):
        raise UnusableDataError(
            f"{label} looks gzip-compressed but is damaged. "
            "Compress it again or upload the plain CSV."
        ) from None
    return b"".join(chunks), True


def check_looks_like_csv(raw: bytes, label: str) -> None:
    """Stop on an empty file, or one whose first bytes show it is not text at all.

    Raises
    ------
    UnusableDataError
        Saying what the file is (e.g. an Excel workbook) and how to get a CSV from it.
    """
    if not raw.strip():
        raise UnusableDataError(f"{label} is empty. Choose a CSV file that contains your table.")
    head = raw[:4096]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # workbooks are read before this check
        raise UnusableDataError(
            f"{label} is a zip archive inside a gzip file. Unpack it and upload the CSV inside."
        )
    for magic, what, fix in _NOT_CSV:
        if head.startswith(magic):
            raise UnusableDataError(f"{label} is {what}, not a CSV file. {fix}.")
    if head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise UnusableDataError(
            f"{label} is a web page (HTML), not a CSV file. Download the data itself as CSV."
        )


# --- bytes to text -------------------------------------------------------------------------


def decode_text(raw: bytes, label: str) -> tuple[str, str]:
    """The file's text and the name of the encoding it was read with.

    Raises
    ------
    UnusableDataError
        If the text holds NUL characters: binary data, not a CSV file.
    """
    text, encoding = _decode(raw)
    if "\x00" in text[:SAMPLE_CHARS]:
        raise UnusableDataError(
            f"{label} contains binary data, not text, so it is not a CSV file. "
            "Export your table as CSV (UTF-8) and upload that."
        )
    return text, encoding


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


# --- the delimiter -------------------------------------------------------------------------


def find_delimiter(text: str, label: str) -> tuple[str, str]:
    """The delimiter of a CSV text, and the text without Excel's ``sep=`` first line.

    A first line such as ``sep=;`` (Excel writes it) names the delimiter;
    otherwise it is sniffed from the first lines, among :data:`DELIMITERS`.

    Raises
    ------
    UnusableDataError
        If no delimiter gives more than one column, or the first line (the
        header) is shorter than most lines.
    """
    hint = re.match(r'"?sep=(.)"?\r?\n', text, re.IGNORECASE)
    if hint:
        return text[hint.end() :], hint.group(1)
    return text, _sniff_delimiter(text, label)


def _sniff_delimiter(text: str, label: str) -> str:
    """Pick the delimiter under which most lines have the same number (> 1) of values."""
    sample = text[:SAMPLE_CHARS]
    if len(text) > SAMPLE_CHARS and "\n" in sample:
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
        tried = ", ".join(DELIMITER_NAMES[d] for d in DELIMITERS)
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


# --- numbers and the decimal mark ----------------------------------------------------------


def read_number(text: object, decimal: str) -> float | None:
    """One cleaned cell as a number under one decimal mark, or None if it is not one.

    The rules are those of :func:`core.portable.reading.parse_numbers`: sign,
    currency sign, thousands groups, trailing ``%``, parentheses for negatives.
    """
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


def decimal_evidence(texts: list, missing: np.ndarray) -> str | None:
    """Which decimal mark a column's values alone prove (e.g. "1,5" proves the comma).

    Parameters
    ----------
    texts : list
        The column's distinct values, trimmed.
    missing : numpy.ndarray
        bool, True where a value means "missing".

    Returns
    -------
    str or None
        ``"."`` or ``","``; None when the values fit both marks, or neither.
    """
    present = (t for t, gone in zip(texts, missing, strict=True) if not gone)
    marked = [t for t in present if isinstance(t, str) and ("," in t or "." in t)][:200]
    if not marked:
        return None
    fits = {mark: all(read_number(t, mark) is not None for t in marked) for mark in (".", ",")}
    if fits["."] != fits[","]:
        return "." if fits["."] else ","
    return None
