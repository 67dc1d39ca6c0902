"""A run's bundle and model card as the reader gets them: in the session's language.

Job processes write the bundle in English; :mod:`core.bundle.translation` writes its card
again in another language from the bundle's own files. The language is read while the page
is drawn: a download button's ``data`` callable runs when clicked, outside the session.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from core.bundle.translation import bundle_in_language, card_in_language
from core.errors import BundleError
from core.i18n import current_language, language
from core.results import RunResult


@st.cache_data(max_entries=8, show_spinner=False)
def _bundle(job_id: str, path: str, modified: float, code: str, _result: RunResult) -> bytes:
    # Cached per (job, file version, language): a copy is a few megabytes and a second to make.
    with language(code):
        return bundle_in_language(path, code, _result)


@st.cache_data(max_entries=32, show_spinner=False)
def _card(job_id: str, path: str, modified: float, code: str, _result: RunResult) -> str:
    return card_in_language(path, code, _result)


def bundle_bytes(job_id: str, bundle: Path, result: RunResult) -> Callable[[], bytes]:
    """What the bundle's download button hands out: the bundle with its model card in the
    session's language (the stored bundle itself if that cannot be written)."""
    code = current_language()

    def read() -> bytes:
        try:
            return _bundle(job_id, str(bundle), bundle.stat().st_mtime, code, result)
        except BundleError:  # an older or partial bundle: better its own card than nothing
            return bundle.read_bytes()

    return read


def card_text(job_id: str, bundle: Path | None, stored: str, result: RunResult) -> str:
    """The model card in the session's language; ``stored`` (the job's card) if it cannot be
    written again from the bundle."""
    if bundle is None:
        return stored
    try:
        return _card(job_id, str(bundle), bundle.stat().st_mtime, current_language(), result)
    except (BundleError, OSError):
        return stored
