"""Excel workbooks, size limits and typo-tolerant number columns in core.portable.reading.

Workbooks are made with openpyxl here, the way Excel saves them: typed cells (numbers,
dates, booleans), several sheets, empty cells.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from core.errors import UnusableDataError
from core.portable.reading import read_table
from core.portable.sniffing import DEFAULT_MAX_DATA_MB, MAX_DATA_MB_ENV, MB
from core.portable.workbooks import sheet_as_csv

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).parent.parent
HEADER = ["customer", "age", "spend", "joined", "member", "plan"]


def rows(n: int = 12) -> list[list]:
    """Typed cells as Excel keeps them; "N/A" and empty cells mean missing."""
    plans = ["Basic", " basic ", "Pro"]
    return [
        [
            f"C-{i:05d}",
            20 + i if i != 3 else "N/A",
            round(10.5 * i, 2),
            dt.datetime(2024, 1, 1 + i),
            i % 2 == 0,
            plans[i % 3] if i != 5 else None,
        ]
        for i in range(n)
    ]


def workbook(sheets: dict[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, table in sheets.items():
        sheet = book.create_sheet(title)
        for row in table:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def unusable(source, **options) -> str:
    with pytest.raises(UnusableDataError) as caught:
        read_table(source, **options)
    return str(caught.value)


def add_part(raw: bytes, name: str, data: bytes) -> bytes:
    buffer = io.BytesIO(raw)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


# --- workbooks -----------------------------------------------------------------------------


def test_first_sheet_is_cleaned_like_a_csv() -> None:
    raw = workbook({"Customers": [HEADER, *rows()], "Notes": [["note"], ["hello"]]})
    frame = read_table(raw, name="crm.xlsx")
    assert list(frame.columns) == HEADER and len(frame) == 12
    assert frame["age"].dtype == "float64" and np.isnan(frame["age"].iloc[3])  # "N/A"
    assert frame["spend"].iloc[3] == pytest.approx(31.5)
    assert frame["joined"].iloc[1] == "2024-01-02"  # a date as ISO text, no "00:00:00"
    assert set(frame["member"]) == {"TRUE", "FALSE"}
    assert set(frame["plan"].dropna()) == {"Basic", "Pro"}  # " basic " unified, None missing
    assert pd.isna(frame["plan"].iloc[5])
    reading = frame.attrs["reading"]
    assert (reading["format"], reading["sheet"], reading["sheets"]) == (
        "xlsx",
        "Customers",
        ["Customers", "Notes"],
    )


def test_a_sheet_reads_exactly_as_the_same_table_saved_as_csv() -> None:
    raw = workbook({"Data": [HEADER, *rows()]})
    from_excel = read_table(raw, name="crm.xlsx")
    csv_text = pd.DataFrame(rows(), columns=HEADER)
    csv_text["joined"] = csv_text["joined"].dt.strftime("%Y-%m-%d")
    csv_text["member"] = csv_text["member"].map({True: "TRUE", False: "FALSE"})
    from_csv = read_table(csv_text.to_csv(index=False).encode(), name="crm.csv")
    pd.testing.assert_frame_equal(from_excel, from_csv)
    # and the sheet written out as CSV (what the app hands a training job) reads back the same
    cells = pd.DataFrame([[str(c) for c in HEADER], *[["", "1", "x,y", "", "", ""]] * 11])
    again = read_table(sheet_as_csv(cells))
    assert again.attrs["reading"]["delimiter"] == "," and again["spend"].iloc[0] == "x,y"


def test_chosen_sheet_and_unknown_sheet() -> None:
    other = [["city", "visits"], *[[f"town {i % 4}", i] for i in range(15)]]
    raw = workbook({"Customers": [HEADER, *rows()], "Cities": other})
    frame = read_table(raw, name="crm.xlsx", sheet="Cities")
    assert list(frame.columns) == ["city", "visits"] and frame["visits"].sum() == 105
    message = unusable(raw, name="crm.xlsx", sheet="Q3")
    assert "no sheet named 'Q3'" in message and "'Customers', 'Cities'" in message
    assert "not an Excel workbook" in unusable(b"a,b\n" + b"1,2\n" * 12, sheet="Cities")


def test_workbook_by_content_whatever_its_name(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"  # a job's copy of an uploaded workbook keeps this name
    path.write_bytes(workbook({"Customers": [HEADER, *rows()]}))
    assert read_table(path).attrs["reading"]["format"] == "xlsx"


def test_empty_sheet_and_too_few_rows() -> None:
    raw = workbook({"Empty": [], "Short": [HEADER, *rows(3)]})
    assert "sheet 'Empty'" in unusable(raw) and "is empty" in unusable(raw)
    assert "only 3 rows" in unusable(raw, sheet="Short")


@pytest.mark.parametrize(
    ("part", "data", "words"),
    [
        ("xl/vbaProject.bin", b"\x00" * 64, "with macros (.xlsm)"),
        ("xl/workbook.bin", b"\x00" * 64, "binary Excel workbook (.xlsb)"),
        ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet", "OpenDocument"),
        ("data.csv", b"a,b\n1,2\n", "zip archive"),
    ],
)
def test_workbooks_that_are_never_opened(part: str, data: bytes, words: str) -> None:
    if part == "xl/vbaProject.bin":  # a real workbook, plus macros
        raw = add_part(workbook({"Data": [HEADER, *rows()]}), part, data)
    else:
        raw = add_part(b"", part, data)
    message = unusable(raw, name="book.xlsx")
    assert words in message and "'book.xlsx'" in message


def test_old_xls_and_damaged_workbook() -> None:
    assert ".xlsx" in unusable(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    raw = workbook({"Data": [HEADER, *rows()]})
    assert "damaged" in unusable(raw[: len(raw) // 2] + bytes(200))


def test_zip_bomb_is_refused_by_declared_size() -> None:
    raw = add_part(workbook({"Data": [HEADER, *rows()]}), "xl/media/padding.bin", bytes(3 * MB))
    assert len(raw) < 100_000  # zeros compress a thousandfold
    message = unusable(raw, name="bomb.xlsx", max_bytes=MB)
    assert "unpacks to more than 1 MB" in message


def test_zip_bomb_that_lies_about_its_size_is_refused() -> None:
    raw = bytearray(add_part(workbook({"Data": [HEADER, *rows()]}), "xl/padding.xml", bytes(MB)))
    # declare 10 bytes in the central directory: inflating stops there and the CRC fails
    entry = raw.rindex(b"PK\x01\x02", 0, raw.rindex(b"xl/padding.xml") + 1)
    raw[entry + 24 : entry + 28] = struct.pack("<I", 10)
    assert "damaged" in unusable(bytes(raw), max_bytes=MB // 2)


# --- size limits ---------------------------------------------------------------------------


def csv_bytes(n_rows: int) -> bytes:
    return b"a,b\n" + b"1,2\n" * n_rows


def test_gzip_bomb_stops_at_the_limit() -> None:
    packed = gzip.compress(csv_bytes(2 * MB // 4))  # 2 MB of CSV in a few KB
    assert len(packed) < 20_000
    assert "unpacks to more than 1 MB" in unusable(packed, name="x.csv", max_bytes=MB)
    assert read_table(packed, max_bytes=3 * MB).shape == (2 * MB // 4, 2)


def test_the_limit_is_configured_once_for_every_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    packed = gzip.compress(csv_bytes(2 * MB // 4))
    monkeypatch.setenv(MAX_DATA_MB_ENV, "1")
    assert "above the limit of 1 MB" in unusable(csv_bytes(MB // 2))
    assert "unpacks to more than 1 MB" in unusable(packed)
    monkeypatch.setenv(MAX_DATA_MB_ENV, "lots")
    assert MAX_DATA_MB_ENV in unusable(csv_bytes(20))
    monkeypatch.delenv(MAX_DATA_MB_ENV)
    assert len(read_table(packed)) == 2 * MB // 4
    # the app's upload limit is the same number (.streamlit/config.toml)
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == DEFAULT_MAX_DATA_MB


def test_a_stream_is_read_only_up_to_the_limit() -> None:
    class Upload:  # a file-like object with read() only, like an open network stream
        def __init__(self, data: bytes) -> None:
            self.stream, self.asked = io.BytesIO(data), []

        def read(self, size: int = -1) -> bytes:
            self.asked.append(size)
            return self.stream.read(size)

    upload = Upload(csv_bytes(MB))
    assert "above the limit" in unusable(upload, max_bytes=1000)
    assert upload.asked == [1001]


# --- one typo in a number column -----------------------------------------------------------


def prices(n: int, typos: dict[int, str]) -> bytes:
    """A CSV whose price column holds numbers, except at some rows (1 = first data row)."""
    lines = ["price,units"]
    for row in range(1, n + 1):
        lines.append(f"{typos.get(row, f'{10 + row % 97}.50')},{row % 7}")
    return ("\n".join(lines) + "\n").encode()


def test_one_typo_keeps_a_number_column_numeric_and_is_recorded() -> None:
    frame = read_table(prices(5000, {4501: '"12,50 EUR"'}), name="prices.csv")
    assert frame["price"].dtype == "float64"
    assert frame["price"].isna().sum() == 1 and np.isnan(frame["price"].iloc[4500])
    assert frame.attrs["reading"]["not_numbers"] == {
        "price": {"count": 1, "rows": [4501], "values": ["12,50 EUR"]}
    }


def test_more_than_one_percent_of_text_keeps_the_column_text() -> None:
    typos = {row: "unknown" for row in range(100, 5000, 40)}  # 2.5% of the cells
    frame = read_table(prices(5000, typos))
    assert frame["price"].dtype == object
    assert frame.attrs["reading"]["not_numbers"] == {}


# --- the command line ----------------------------------------------------------------------


def test_cli_reads_a_chosen_sheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import EXIT_OK, EXIT_UNUSABLE, main

    other = [["city", "visits"], *[[f"town {i % 4}", i] for i in range(15)]]
    path = tmp_path / "crm.xlsx"
    path.write_bytes(workbook({"Customers": [HEADER, *rows()], "Cities": other}))
    assert main(["profile", str(path), "--sheet", "Cities"]) == EXIT_OK
    assert [c["name"] for c in json.loads(capsys.readouterr().out)["columns"]] == ["city", "visits"]
    assert main(["profile", str(path), "--sheet", "Q3"]) == EXIT_UNUSABLE
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: ") and "no sheet named 'Q3'" in line
