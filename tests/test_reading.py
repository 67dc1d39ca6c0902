"""Tests of core.portable.reading: real-world CSV quirks in, clean tables or plain errors out."""

from __future__ import annotations

import gzip
import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from core.errors import UnusableDataError
from core.portable.reading import (
    MIN_ROWS,
    MISSING_MARKERS,
    is_missing,
    normalise_label,
    parse_numbers,
    read_table,
)


def table(rows: list[list[str]], header: list[str], sep: str = ",") -> str:
    """CSV text from a header and rows (no quoting: test values never contain the separator)."""
    return "\n".join(sep.join(cells) for cells in [header, *rows]) + "\n"


def city_rows(n: int = MIN_ROWS + 2) -> list[list[str]]:
    cities = ["Café Zürich", "Malmö", "São Paulo"]
    return [[cities[i % 3], str(i), f"{i}.5"] for i in range(n)]


# --- encodings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("latin-1", None)],
)
def test_encodings_are_detected_and_text_decoded(encoding: str, expected: str | None) -> None:
    text = table(city_rows(), ["city", "n", "x"])
    frame = read_table(text.encode(encoding))
    assert list(frame.columns) == ["city", "n", "x"]  # no BOM glued to the first header
    assert set(frame["city"]) == {"Café Zürich", "Malmö", "São Paulo"}
    if expected:
        assert frame.attrs["reading"]["encoding"] == expected


def test_cp1252_euro_sign_and_curly_quotes() -> None:
    rows = [[f"“deal {i}” – €", f"€{i},00"] for i in range(MIN_ROWS)]
    frame = read_table(table(rows, ["offer", "price"], sep=";").encode("cp1252"))
    assert frame["offer"].iloc[0] == "“deal 0” – €"
    assert frame["price"].tolist() == [float(i) for i in range(MIN_ROWS)]


def test_utf16_with_bom_as_saved_by_excel_unicode_text() -> None:
    text = table(city_rows(), ["city", "n", "x"], sep="\t")
    frame = read_table(text.encode("utf-16"))
    assert frame.shape == (MIN_ROWS + 2, 3)
    assert frame["city"].iloc[0] == "Café Zürich"


# --- delimiters, decimals, compression -----------------------------------------------------


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_each_delimiter_is_sniffed(sep: str) -> None:
    frame = read_table(table(city_rows(), ["city", "n", "x"], sep=sep).encode())
    assert frame.attrs["reading"]["delimiter"] == sep
    assert frame.shape == (MIN_ROWS + 2, 3)
    assert frame["x"].dtype == np.float64 and frame["x"].iloc[1] == 1.5


def test_excel_sep_line_sets_the_delimiter() -> None:
    text = "sep=;\n" + table(city_rows(), ["city", "n", "x"], sep=";")
    frame = read_table(text.encode())
    assert list(frame.columns) == ["city", "n", "x"] and len(frame) == MIN_ROWS + 2


def test_quoted_values_may_contain_the_delimiter() -> None:
    rows = [[f'"Smith, J{i}"', str(i)] for i in range(MIN_ROWS)]
    frame = read_table(table(rows, ["name", "n"]).encode())
    assert frame["name"].iloc[3] == "Smith, J3"


def test_european_decimal_commas_and_point_thousands() -> None:
    rows = [[f"item {i}", f"1.234,{i}", f"{i},5", f"{i}.000"] for i in range(MIN_ROWS)]
    frame = read_table(table(rows, ["item", "amount", "rate", "count"], sep=";").encode())
    assert frame.attrs["reading"]["decimal"] == ","
    assert frame["amount"].iloc[2] == pytest.approx(1234.2)
    assert frame["rate"].iloc[3] == pytest.approx(3.5)
    # "3.000" fits both marks; the file's decimal comma makes it three thousand
    assert frame["count"].iloc[3] == 3000.0


def test_point_decimals_in_a_semicolon_file_stay_decimals() -> None:
    rows = [[f"{i}", f"{i}.125"] for i in range(MIN_ROWS)]
    frame = read_table(table(rows, ["n", "share"], sep=";").encode())
    assert frame["share"].iloc[2] == pytest.approx(2.125)


def test_gzip_from_path_and_from_bytes(tmp_path) -> None:
    data = gzip.compress(table(city_rows(), ["city", "n", "x"]).encode())
    path = tmp_path / "cities.csv.gz"
    path.write_bytes(data)
    from_path, from_bytes = read_table(path), read_table(data, name="cities.csv.gz")
    pd.testing.assert_frame_equal(from_path, from_bytes)
    assert from_path.attrs["reading"]["compressed"] is True
    assert from_path.shape == (MIN_ROWS + 2, 3)


def test_file_like_upload_is_accepted() -> None:
    upload = io.BytesIO(table(city_rows(), ["city", "n", "x"]).encode())
    assert read_table(upload).shape == (MIN_ROWS + 2, 3)


# --- cleaning ------------------------------------------------------------------------------


@pytest.mark.parametrize("marker", sorted(MISSING_MARKERS))
def test_each_missing_marker_becomes_missing(marker: str) -> None:
    for spelling in {marker, marker.upper(), f"  {marker} "}:
        rows = [
            [str(i), spelling if i == 2 else f"{i}.5", "a" if i % 2 else spelling]
            for i in range(12)
        ]
        frame = read_table(table(rows, ["n", "x", "label"]).encode())
        assert frame["x"].dtype == np.float64  # the marker does not make the column text
        assert np.isnan(frame["x"].iloc[2]) and frame["x"].iloc[3] == 3.5
        assert frame["label"].isna().sum() == 6 and set(frame["label"].dropna()) == {"a"}


def test_currency_thousands_percent_and_negatives() -> None:
    values = ["$1,234.50", "€ 99", "£-3", "(12.5)", "45%", "+7", "¥1 000", "-0.5%", "1e3", "  8 "]
    rows = [[str(i), v] for i, v in enumerate(values)]
    frame = read_table(table(rows, ["n", "money"], sep=";").encode())
    assert frame["money"].dtype == np.float64
    expected = [1234.5, 99.0, -3.0, -12.5, 0.45, 7.0, 1000.0, -0.005, 1000.0, 8.0]
    assert frame["money"].tolist() == pytest.approx(expected)


def test_a_single_word_keeps_a_column_as_text() -> None:
    rows = [[str(i), "unknown" if i == 5 else str(i * 2)] for i in range(12)]
    frame = read_table(table(rows, ["n", "score"]).encode())
    assert frame["score"].dtype == object
    assert frame["score"].iloc[5] == "unknown" and frame["score"].iloc[1] == "2"


def test_headers_and_values_are_trimmed_and_made_unique() -> None:
    text = " id , price ,, price,\n" + "".join(f" {i} , {i}.0 ,  x{i}  ,{i},\n" for i in range(12))
    frame = read_table(text.encode())
    # the trailing separator's unnamed, empty column is dropped; the named empty one is kept
    assert list(frame.columns) == ["id", "price", "column_3", "price_2"]
    assert frame["column_3"].iloc[4] == "x4"
    assert frame["price"].iloc[4] == 4.0


def test_label_variants_unify_to_the_most_frequent_spelling() -> None:
    answers = ["Yes", "Yes", " yes ", "YES", "No", "no", "No  "]
    cities = ["New  York", "new york", "New York", "New York"]
    rows = [[str(i), s] for i, s in enumerate((answers + cities) * 2)]
    frame = read_table(table(rows, ["n", "answer"]).encode())
    assert set(frame["answer"]) == {"Yes", "No", "New York"}
    assert frame["answer"].dtype == object


def test_text_columns_are_object_with_nan_for_missing() -> None:
    rows = [[str(i), "" if i == 0 else "a"] for i in range(12)]
    frame = read_table(table(rows, ["n", "letter"]).encode())
    assert frame["letter"].dtype == object
    assert isinstance(frame["letter"].iloc[1], str)
    assert isinstance(frame["letter"].iloc[0], float) and np.isnan(frame["letter"].iloc[0])


def test_blank_rows_are_dropped() -> None:
    text = "a,b\n" + "".join(f"{i},x\n,\n\n" for i in range(12))
    assert read_table(text.encode()).shape == (12, 2)


# --- unusable input ------------------------------------------------------------------------


def unusable(source, **options) -> str:
    with pytest.raises(UnusableDataError) as caught:
        read_table(source, **options)
    return str(caught.value)


def test_empty_file() -> None:
    assert "is empty" in unusable(b"")
    assert "is empty" in unusable(b"  \n\n")


def test_header_only() -> None:
    assert "no data rows" in unusable(b"a,b,c\n")


def test_too_few_rows() -> None:
    message = unusable(table(city_rows(MIN_ROWS - 1), ["city", "n", "x"]).encode())
    assert f"only {MIN_ROWS - 1} rows" in message and f"at least {MIN_ROWS}" in message


def test_rows_to_predict_may_be_fewer() -> None:
    frame = read_table(table(city_rows(1), ["city", "n", "x"]).encode(), min_rows=1)
    assert frame.shape == (1, 3) and frame["x"].iloc[0] == 0.5


def test_single_column_names_the_delimiters_tried() -> None:
    message = unusable(("value\n" + "1\n" * 20).encode(), name="values.csv")
    assert "'values.csv'" in message and "one column" in message
    for name in ("comma", "semicolon", "tab", "vertical bar"):
        assert name in message


def test_zip_archive_says_unpack() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data.csv", "a,b\n1,2\n")
    assert "zip archive" in unusable(buffer.getvalue())


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG image"),
        (b"%PDF-1.7\n" + bytes(100), "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "Excel Workbook (.xlsx)"),
        (b"a,b\n" + b"1,\x00\x01\x02\n" * 20, "binary data"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "web page"),
    ],
)
def test_binary_and_non_csv_content(payload: bytes, words: str) -> None:
    assert words in unusable(payload)


def test_damaged_gzip() -> None:
    assert "damaged" in unusable(b"\x1f\x8b\x08\x00garbage")


def test_size_limit_before_and_after_decompression(tmp_path) -> None:
    data = table(city_rows(200), ["city", "n", "x"]).encode()
    assert "above the limit" in unusable(data, max_bytes=1000)
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    assert "above the limit" in unusable(path, max_bytes=1000)
    packed = gzip.compress(data)
    assert len(packed) < 1000 < len(data)
    assert "unpacks to more than 1,000 bytes" in unusable(packed, max_bytes=1000)


def test_row_with_too_many_values_names_the_line() -> None:
    text = table(city_rows(), ["city", "n", "x"]) + "Oslo,1,2,3\n"
    message = unusable(text.encode())
    assert f"line {MIN_ROWS + 4}" in message and "4 values" in message and "3 columns" in message


def test_title_line_above_the_header() -> None:
    text = "Sales report 2024\n" + table(city_rows(), ["city", "n", "x"])
    message = unusable(text.encode(), name="report.csv")
    assert "first line of the file 'report.csv' has 1 value(s)" in message
    assert "most lines have 3" in message and "title" in message


def test_unclosed_quote() -> None:
    text = 'a,b\n1,"open\n' + "2,3\n" * 12
    assert "never closed" in unusable(text.encode())


def test_missing_file() -> None:
    assert "not found" in unusable("/no/such/file.csv")


# --- helpers used at prediction time -------------------------------------------------------


def test_parse_numbers_mask_and_passthrough() -> None:
    numbers, not_numbers = parse_numbers(pd.Series([" 1,5 ", "n/a", "abc", None, "2,25"]))
    assert numbers.dtype == np.float64
    assert numbers.iloc[0] == 1.5 and numbers.iloc[4] == 2.25  # decimal comma fits every value
    assert np.isnan(numbers.iloc[1]) and np.isnan(numbers.iloc[2]) and np.isnan(numbers.iloc[3])
    assert not_numbers.tolist() == [False, False, True, False, False]
    assert numbers.name is None and parse_numbers(pd.Series(["1"], name="x"))[0].name == "x"
    already, bad = parse_numbers(pd.Series([1, 2, np.nan]))
    assert already.tolist()[:2] == [1.0, 2.0] and not bad.any()


def test_parse_numbers_rejects_malformed_numbers() -> None:
    malformed = ["--5", "+-1", "1,2,3", "1.2.3,4,5", "5-", "$", "1e", "12 34", "inf", "0x10"]
    numbers, not_numbers = parse_numbers(pd.Series(malformed))
    assert not_numbers.all() and numbers.isna().all()
    _, bad = parse_numbers(pd.Series([pd.NA, None, 1], dtype=object))
    assert not bad.any()


def test_parse_numbers_prefers_the_given_decimal_mark_for_ambiguous_values() -> None:
    assert parse_numbers(pd.Series(["1.234"]))[0].iloc[0] == pytest.approx(1.234)
    assert parse_numbers(pd.Series(["1.234"]), decimal=",")[0].iloc[0] == 1234.0
    assert parse_numbers(pd.Series(["1,234"]))[0].iloc[0] == 1234.0


def test_parse_numbers_matches_read_table() -> None:
    raw = ["$1,200", "15%", "(3)", "7", "n/a", "2.5", "1e2", "€4", "-1", "0"]
    rows = [[str(i), v] for i, v in enumerate(raw)]
    frame = read_table(table(rows, ["n", "v"], sep=";").encode())
    numbers, _ = parse_numbers(pd.Series(raw))
    np.testing.assert_array_equal(frame["v"].to_numpy(), numbers.to_numpy())


def test_normalise_label_and_is_missing() -> None:
    assert normalise_label("  New   YORK ") == "new york" == normalise_label("new york")
    mask = is_missing(pd.Series(["NA", " null ", "x", None, np.nan, "N/A", "0"]))
    assert mask.tolist() == [True, True, False, True, True, True, False]
    assert is_missing(pd.Series([1.0, np.nan])).tolist() == [False, True]


@pytest.mark.parametrize(
    ("file", "shape", "numeric"),
    [
        ("telco_churn.csv", (7043, 20), "total_charges"),
        ("penguins.csv", (344, 8), "body_mass_g"),
        ("diamonds.csv", (53940, 10), "price"),
    ],
)
def test_sample_datasets_read(file: str, shape: tuple[int, int], numeric: str) -> None:
    from pathlib import Path

    frame = read_table(Path(__file__).parent.parent / "sample_data" / file)
    assert frame.shape == shape
    assert frame[numeric].dtype == np.float64
