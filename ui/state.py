"""Per-user state of the app, kept in ``st.session_state`` and initialised in one place.

Nothing here is a module-level mutable value: every user has their own session,
and a global would be shared between all of them.

Keys
----
data_bytes, data_name, data_digest
    The chosen CSV exactly as uploaded (or the sample's bytes), its file name and
    the SHA-256 of its bytes (the cache key for parsing and profiling).
recipe
    The current :class:`core.model.recipe.Recipe`; the Data page sets its target and
    columns to leave out, the Design page everything else.
drop_needs_refill
    True when the columns to leave out should be re-filled from the profile's suggestions
    (after a new dataset or a new target).
recipe_problem
    The message of the last rejected change on the Design page, or None; training
    cannot start while it is set.
job_id
    The run the user is looking at; mirrored in the URL (``?job=...``) so a refresh or
    a second tab finds it again.
loaded_model, predictions
    The Predict page's loaded bundle and last predictions (per session, never shared).
browser_id
    Who started this session's runs when the browser sent no token to know it by
    (:func:`browser_owner`).
"""

from __future__ import annotations

import binascii
import hashlib
import secrets
from dataclasses import dataclass

import streamlit as st

from core.jobs.access import Owner
from core.model.recipe import Recipe

# Streamlit's XSRF cookie: one random token per browser, kept for the browser's session and
# sent with every request, page loads and reruns alike (the value is re-masked each time;
# the token inside stays the same).
XSRF_COOKIE = "_streamlit_xsrf"


def _defaults() -> dict[str, object]:
    # A function, not a module-level dict, so no mutable value is ever shared between sessions.
    return {
        "data_bytes": None,
        "data_name": None,
        "data_digest": None,
        "recipe": Recipe(),
        "recipe_problem": None,
        "drop_needs_refill": False,
        "job_id": None,
        "loaded_model": None,
        "predictions": None,
    }


def init_session() -> None:
    """Create every app key with its default value, once per session."""
    for key, value in _defaults().items():
        if key not in st.session_state:
            st.session_state[key] = value


@dataclass(frozen=True)
class Dataset:
    """The CSV the user chose: its file name, raw bytes and content hash."""

    name: str
    data: bytes
    digest: str


def current_dataset() -> Dataset | None:
    """The chosen dataset, or None when the user has not chosen one yet."""
    data = st.session_state.get("data_bytes")
    if data is None:  # an empty file is a dataset too: reading it explains what is wrong
        return None
    return Dataset(
        name=st.session_state["data_name"], data=data, digest=st.session_state["data_digest"]
    )


def choose_dataset(name: str, data: bytes, target: str | None = None) -> None:
    """Make ``data`` the current dataset; the column choices of the old one are cleared.

    Safe to call from a widget callback: it only stores values.
    """
    st.session_state["data_bytes"] = data
    st.session_state["data_name"] = name
    st.session_state["data_digest"] = hashlib.sha256(data).hexdigest()
    recipe: Recipe = st.session_state["recipe"]
    st.session_state["recipe"] = recipe.with_changes(target=target, drop_columns=[])
    # The Data page fills the columns to leave out from the new profile on its next run,
    # and its column widgets start again from the new recipe.
    st.session_state["drop_needs_refill"] = True
    for key in ("target_column", "drop_columns"):
        st.session_state.pop(key, None)


def current_recipe() -> Recipe:
    """The recipe being edited."""
    return st.session_state["recipe"]


def set_recipe(recipe: Recipe) -> None:
    """Replace the recipe being edited (it is already validated: Recipe is immutable)."""
    st.session_state["recipe"] = recipe


def current_job_id() -> str | None:
    """The run the user is looking at, or None."""
    return st.session_state.get("job_id")


def set_job_id(job_id: str | None) -> None:
    """Look at another run, and put its id in the URL so a refresh comes back to it."""
    st.session_state["job_id"] = job_id
    st.session_state["loaded_model"] = None
    st.session_state["predictions"] = None
    if job_id:
        st.query_params["job"] = job_id
    elif "job" in st.query_params:
        del st.query_params["job"]


def sync_job_with_url() -> None:
    """Keep the session's run and the URL's ``?job=`` in step (called once per app run).

    A URL that names a run wins (a refresh, a bookmark, a second tab); otherwise the
    session's run is written back to the URL, because changing pages drops it. The id
    is not checked here: the job runner checks every id it is given (one pattern, in
    ``core.jobs.states``), and a malformed one reads as "no such run" on the page.
    """
    from_url = st.query_params.get("job")
    if from_url:
        if from_url != st.session_state.get("job_id"):
            st.session_state["job_id"] = from_url
            st.session_state["loaded_model"] = None
            st.session_state["predictions"] = None
    elif st.session_state.get("job_id"):
        st.query_params["job"] = st.session_state["job_id"]


def _xsrf_token(cookie: str | None) -> bytes | None:
    """The token inside Streamlit's XSRF cookie ("2|mask|masked token|time"), or None."""
    parts = (cookie or "").strip("\"'").split("|")
    if len(parts) != 4 or parts[0] != "2":
        return None
    try:
        mask, masked = binascii.a2b_hex(parts[1]), binascii.a2b_hex(parts[2])
    except (binascii.Error, ValueError):
        return None
    if not mask or not masked:
        return None
    return bytes(byte ^ mask[index % len(mask)] for index, byte in enumerate(masked))


def browser_id(xsrf_cookie: str | None) -> str | None:
    """The id of the browser that sent ``xsrf_cookie`` (a digest of its token), or None."""
    token = _xsrf_token(xsrf_cookie)
    if token is None:
        return None
    return hashlib.sha256(b"trainboard-browser\n" + token).hexdigest()[:32]


def browser_owner() -> Owner:
    """This browser, as the owner of the runs it starts (on a server without sign-in).

    Its id is a digest of the browser's XSRF token, so a page refresh or a second tab of
    the same browser keeps seeing its runs, and the token itself is never stored. Without
    that cookie (XSRF protection turned off) it is this Streamlit session's own random id.
    """
    from_cookie = browser_id(st.context.cookies.get(XSRF_COOKIE))
    if from_cookie is not None:
        return Owner(kind="browser", id=from_cookie)
    if not st.session_state.get("browser_id"):
        st.session_state["browser_id"] = secrets.token_hex(16)
    return Owner(kind="browser", id=st.session_state["browser_id"])
