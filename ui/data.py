"""Reading and profiling the chosen CSV, cached on the file's content.

``st.cache_data`` is keyed on the SHA-256 of the bytes (the bytes themselves are
passed with a leading underscore so Streamlit does not re-hash megabytes on every
rerun). Cached values are copies per caller and the key is the content, so one
user never sees another user's data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from ui.state import Dataset

TEXT = {
    "reading": "Reading the file...",
    "profiling": "Looking at every column...",
}


@st.cache_data(max_entries=4, ttl=3600, show_spinner=TEXT["reading"])
def _read(digest: str, _data: bytes, name: str) -> pd.DataFrame:
    from core.portable.reading import read_table

    return read_table(_data, name=name)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=TEXT["profiling"])
def _profile(digest: str, _data: bytes, name: str, target: str | None, test_fraction: float):
    from core.data.profiling import profile_table

    return profile_table(_read(digest, _data, name), target=target, test_fraction=test_fraction)


def read_dataset(dataset: Dataset) -> pd.DataFrame:
    """The dataset as a table (raises UnusableDataError in plain words)."""
    return _read(dataset.digest, dataset.data, dataset.name)


def profile_dataset(dataset: Dataset, target: str | None, test_fraction: float = 0.15):
    """The dataset's :class:`core.data.profiling.DataProfile` for ``target`` (cached)."""
    return _profile(dataset.digest, dataset.data, dataset.name, target, test_fraction)


def profile_frame(profile, kind_labels: dict[str, str], headers: dict[str, str]) -> pd.DataFrame:
    """One row per column: name, kind in plain words, missing %, distinct values, examples.

    Parameters
    ----------
    profile : core.data.profiling.DataProfile
        The profile to show.
    kind_labels : dict
        Plain words for each column kind ("numeric" -> "Number").
    headers : dict
        Table headers under the keys column, kind, missing, distinct, examples.
    """
    rows = [
        {
            headers["column"]: column.name,
            headers["kind"]: kind_labels.get(column.kind, column.kind),
            headers["missing"]: round(100.0 * column.missing_share, 1),
            headers["distinct"]: column.n_distinct,
            headers["examples"]: ", ".join(str(value) for value in list(column.examples)[:5]),
        }
        for column in profile.columns
    ]
    return pd.DataFrame(rows)


SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"


def sample_bytes(file_name: str) -> bytes:
    """The bytes of one of the bundled sample datasets (only files in sample_data/)."""
    path = (SAMPLE_DIR / file_name).resolve()
    if path.parent != SAMPLE_DIR or path.suffix != ".csv":
        raise ValueError(f"not a sample dataset: {file_name}")
    return path.read_bytes()
