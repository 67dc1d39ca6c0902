"""Choosing, reading and profiling the data file (CSV or Excel), cached on the file's content.

``st.cache_data`` is keyed on the SHA-256 of the bytes (the bytes themselves are
passed with a leading underscore so Streamlit does not re-hash megabytes on every
rerun). Cached values are copies per caller and the key is the content, so one
user never sees another user's data.

An Excel workbook is read like a CSV (its first sheet). When it has several
sheets, :func:`choose_sheet` offers them; the chosen sheet becomes the dataset
as CSV text cells (:func:`core.portable.workbooks.sheet_as_csv`, which read back
exactly as the sheet does), so the Design page, training jobs and the model card
need nothing Excel-specific.

Session keys (besides those of :mod:`ui.state`): ``upload_csv`` (the uploader),
``data_sheet`` (the sheet box), ``data_workbook`` (the workbook the current
dataset came from: its name, bytes, sheets, the sheet loaded and the digests of
the datasets made from it).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from core.i18n import Texts
from core.portable.sniffing import data_limit_bytes
from core.portable.workbooks import read_sheet, sheet_as_csv
from ui.state import Dataset, choose_dataset

TEXT = Texts("ui.data")
# Offered by the file dialog. Old and macro workbooks are accepted here only so that the
# reader can say in plain words why they are not opened (Streamlit would show a bare icon).
UPLOAD_TYPES = ["csv", "tsv", "txt", "gz", "xlsx", "xlsm", "xlsb", "xls", "ods"]


@st.cache_data(max_entries=4, ttl=3600, show_spinner=False)
def _read(digest: str, _data: bytes, name: str) -> pd.DataFrame:
    from core.portable.reading import read_table

    return read_table(_data, name=name)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def _profile(digest: str, _data: bytes, name: str, target: str | None, test_fraction: float):
    from core.data.profiling import profile_table

    return profile_table(_read(digest, _data, name), target=target, test_fraction=test_fraction)


# The summaries take the profile as an argument that is not hashed (leading underscore):
# what it adds to the key is the target, passed explicitly. Each costs at most a few tenths
# of a second on a million rows (they work on a sample), once per file, target and column.
@st.cache_data(max_entries=4, ttl=3600, show_spinner=False)
def _sketches(digest: str, _data: bytes, name: str, _profile) -> dict:
    from core.data.summaries import column_sketches

    return column_sketches(_read(digest, _data, name), _profile)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def _mix(digest: str, _data: bytes, name: str, target: str, _profile):
    from core.data.summaries import outcome_mix

    return outcome_mix(_read(digest, _data, name), _profile.task)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _by_value(digest: str, _data: bytes, name: str, target: str, column: str, _profile):
    from core.data.outcome_by_value import outcome_by_column

    return outcome_by_column(_read(digest, _data, name), _profile, column)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def _strengths(digest: str, _data: bytes, name: str, target: str, _profile) -> dict:
    from core.data.outcome_by_value import column_strengths

    return column_strengths(_read(digest, _data, name), _profile)


def column_strengths_for(dataset: Dataset, profile) -> dict[str, float]:
    """How much each column tells about the outcome on its own, 0 to 1 (cached)."""
    return _strengths(dataset.digest, dataset.data, dataset.name, profile.task.target, profile)


def column_sketches_for(dataset: Dataset, profile) -> dict[str, list[int] | None]:
    """Counts for each column's small chart (see :func:`core.data.summaries.column_sketch`)."""
    return _sketches(dataset.digest, dataset.data, dataset.name, profile)


def outcome_mix_for(dataset: Dataset, profile):
    """The :class:`core.data.summaries.OutcomeMix` of the profile's target (cached)."""
    return _mix(dataset.digest, dataset.data, dataset.name, profile.task.target, profile)


def outcome_by_column_for(dataset: Dataset, profile, column: str):
    """The :class:`core.data.outcome_by_value.OutcomeByValue` of one column (cached)."""
    target = profile.task.target
    return _by_value(dataset.digest, dataset.data, dataset.name, target, column, profile)


def read_dataset(dataset: Dataset) -> pd.DataFrame:
    """The dataset as a table (raises UnusableDataError in plain words)."""
    # The spinner is here, not in the cache decorator, so its words are looked up in the
    # visitor's language on each call (it only appears if the call takes over half a second).
    with st.spinner(TEXT["reading"]):
        return _read(dataset.digest, dataset.data, dataset.name)


def profile_dataset(dataset: Dataset, target: str | None, test_fraction: float = 0.15):
    """The dataset's :class:`core.data.profiling.DataProfile` for ``target`` (cached)."""
    with st.spinner(TEXT["profiling"]):
        return _profile(dataset.digest, dataset.data, dataset.name, target, test_fraction)


EXAMPLE_CHARS = 80  # beyond this the examples are cut with "…" (three wrapped lines)


def _examples_text(examples: list[str]) -> str:
    """The first examples, comma-separated; a long text ends in "…" rather than mid-cell."""
    text = ", ".join(str(value) for value in list(examples)[:5])
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1].rstrip() + "…"


def profile_frame(
    profile,
    kind_labels: dict[str, str],
    headers: dict[str, str],
    sketches: dict[str, list[int] | None] | None = None,
) -> pd.DataFrame:
    """One row per column: name, kind in plain words, its shape, gaps, values, examples.

    Parameters
    ----------
    profile : core.data.profiling.DataProfile
        The profile to show.
    kind_labels : dict
        Plain words for each column kind ("numeric" -> "Number").
    headers : dict
        Table headers under the keys column, kind, shape, missing, distinct, examples.
    sketches : dict, optional
        Counts for each column's small chart (:func:`column_sketches_for`); without them
        the table has no chart column.
    """
    rows = []
    for column in profile.columns:
        row = {
            headers["column"]: column.name,
            headers["kind"]: kind_labels.get(column.kind, column.kind),
        }
        if sketches is not None:
            row[headers["shape"]] = sketches.get(column.name)
        row[headers["missing"]] = round(100.0 * column.missing_share, 1)
        row[headers["distinct"]] = column.n_distinct
        row[headers["examples"]] = _examples_text(column.examples)
        rows.append(row)
    return pd.DataFrame(rows)


SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"


def sample_bytes(file_name: str) -> bytes:
    """The bytes of one of the bundled sample datasets (only files in sample_data/)."""
    path = (SAMPLE_DIR / file_name).resolve()
    if path.parent != SAMPLE_DIR or path.suffix != ".csv":
        raise ValueError(f"not a sample dataset: {file_name}")
    return path.read_bytes()


# --- choosing the file ---------------------------------------------------------------------


def _load_upload() -> None:
    upload = st.session_state.get("upload_csv")
    if upload is not None:
        choose_dataset(upload.name, upload.getvalue())
        st.session_state["sample_dataset"] = None


def upload_box() -> None:
    """The file uploader (CSV or Excel); a new file replaces the current dataset."""
    st.file_uploader(TEXT["upload"], type=UPLOAD_TYPES, key="upload_csv", on_change=_load_upload)
    st.caption(TEXT["upload_help"].format(mb=st.get_option("server.maxUploadSize")))


def choose_sheet(dataset: Dataset, table: pd.DataFrame) -> None:
    """The sheet box, for a workbook with several sheets; a new choice becomes the dataset.

    Parameters
    ----------
    dataset : Dataset
        The current dataset.
    table : pandas.DataFrame
        The dataset as read (its ``attrs["reading"]`` names the sheets of a workbook).

    Raises
    ------
    UnusableDataError
        If the chosen sheet cannot be read (an empty sheet, say).
    """
    book = st.session_state.get("data_workbook")
    if book is not None and dataset.digest not in book["digests"]:
        book = None  # another file was chosen since
        for key in ("data_workbook", "data_sheet"):
            st.session_state.pop(key, None)
    if book is None:
        reading = table.attrs.get("reading", {})
        if reading.get("format") != "xlsx" or len(reading.get("sheets", ())) < 2:
            return
        book = {
            "name": dataset.name,
            "data": dataset.data,
            "sheets": list(reading["sheets"]),
            "loaded": reading["sheet"],
            "digests": {dataset.digest},
        }
        st.session_state["data_workbook"] = book
    if st.session_state.get("data_sheet") not in book["sheets"]:
        st.session_state["data_sheet"] = book["loaded"]  # e.g. back from another page
    chosen = st.selectbox(TEXT["sheet"], book["sheets"], key="data_sheet", help=TEXT["sheet_help"])
    if chosen == book["loaded"]:
        return
    label = TEXT["file_label"].format(name=book["name"])
    cells, _, _ = read_sheet(book["data"], label, chosen, data_limit_bytes())
    choose_dataset(book["name"], sheet_as_csv(cells))
    book["digests"].add(st.session_state["data_digest"])
    book["loaded"] = chosen
    st.rerun()
