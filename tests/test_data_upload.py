"""The Data page's uploader with Excel workbooks, driven with AppTest (no browser)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from streamlit.testing.v1 import AppTest

from core.portable.reading import read_table

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 60  # seconds per script run on a busy 2-core machine
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(sheets: dict[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def customers(n: int = 60) -> list[list]:
    return [["customer", "visits", "left"]] + [
        [f"C-{i:04d}", i % 9, "yes" if i % 3 else "no"] for i in range(n)
    ]


def stores(n: int = 40) -> list[list]:
    return [["store", "area_m2", "revenue"]] + [
        [f"Store {i % 7}", 100 + i, 1000.5 + 3 * i] for i in range(n)
    ]


def data_page() -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    return app.switch_page("app_pages/data.py").run()


def upload(app: AppTest, name: str, data: bytes) -> AppTest:
    return app.file_uploader(key="upload_csv").upload(name, data, XLSX_MIME).run()


def test_the_uploader_offers_excel_and_says_so() -> None:
    app = data_page()
    uploader = app.file_uploader(key="upload_csv")
    assert "Excel" in uploader.label
    assert ".xlsx" in list(uploader.proto.type)
    assert any("Excel workbook (.xlsx)" in str(caption.value) for caption in app.caption)


def test_a_workbook_with_several_sheets_offers_the_sheet_choice() -> None:
    app = upload(data_page(), "crm.xlsx", workbook({"Customers": customers(), "Stores": stores()}))
    assert not app.exception, [e.value for e in app.exception]
    sheet = app.selectbox(key="data_sheet")
    assert sheet.options == ["Customers", "Stores"] and sheet.value == "Customers"
    assert app.selectbox(key="target_column").options == ["customer", "visits", "left"]
    app.selectbox(key="target_column").set_value("left").run()

    sheet.set_value("Stores").run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.selectbox(key="data_sheet").value == "Stores"
    assert app.selectbox(key="target_column").options == ["store", "area_m2", "revenue"]
    assert app.session_state["recipe"].target is None  # a new table: choose again
    # what a training job receives reads exactly as the sheet itself
    job_frame = read_table(app.session_state["data_bytes"])
    sheet_frame = read_table(workbook({"Stores": stores()}))
    pd.testing.assert_frame_equal(job_frame, sheet_frame)

    app.selectbox(key="data_sheet").set_value("Customers").run()
    assert app.selectbox(key="target_column").options == ["customer", "visits", "left"]


def test_one_sheet_needs_no_choice_and_macros_get_a_plain_message() -> None:
    app = upload(data_page(), "crm.xlsx", workbook({"Customers": customers()}))
    assert not app.exception and not app.selectbox(key="target_column").value
    assert "data_sheet" not in [box.key for box in app.selectbox]
    buffer = io.BytesIO(workbook({"Customers": customers()}))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\x00" * 64)
    app = upload(app, "crm.xlsm", buffer.getvalue())
    assert not app.exception
    assert app.error and "macros" in app.error[0].value and "Traceback" not in app.error[0].value
