"""The language a session sees: chosen in the sidebar, kept in the URL, read by every lookup.

Which language, in order: the URL's ``?lang=`` (a shared link, a bookmark, a refresh), the
session's own choice in the sidebar switch, the browser's preferred language
(``st.context.locale``), else English. The switch writes its choice back to the URL, and a
page change (which drops the query string) gets it back from the session, so the address
always says which language is shown.

:func:`install_language` makes ``core.i18n`` ask this session which language to use, so
every ``TEXT[...]`` read while the script (or a fragment of it) runs is in the session's
language. The provider reads ``st.session_state``, which Streamlit keeps per session: one
provider serves every user.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, Texts, normalise_language, set_language_provider

LANGUAGE_KEY = "language"  # the switch's widget key, and the session's language
URL_PARAM = "lang"  # ?lang=zh
SWITCH_TEXT = Texts("core.i18n")


def session_language() -> str | None:
    """The language of the session being drawn, or None outside a session (a worker thread)."""
    # Without a script run context (a thread of the server's own) there is no session to ask:
    # the process's language applies, with no warning logged on every lookup.
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    return st.session_state.get(LANGUAGE_KEY)


def preferred_language(url_value: object, chosen: object, browser_locale: object) -> str:
    """The language to show: the URL's, the session's choice, the browser's, else English."""
    for candidate in (url_value, chosen, browser_locale):
        code = normalise_language(candidate)
        if code:
            return code
    return DEFAULT_LANGUAGE


def install_language() -> str:
    """Settle this run's language (see the module docstring), keep the URL in step and make
    every text lookup use it. Call once per run, before anything is drawn."""
    set_language_provider(session_language)
    code = preferred_language(
        st.query_params.get(URL_PARAM), st.session_state.get(LANGUAGE_KEY), st.context.locale
    )
    if st.session_state.get(LANGUAGE_KEY) != code:
        st.session_state[LANGUAGE_KEY] = code
    if st.query_params.get(URL_PARAM) != code:
        st.query_params[URL_PARAM] = code
    return code


def _language_changed() -> None:
    # The widget has already stored the new choice; the URL follows it.
    st.query_params[URL_PARAM] = st.session_state[LANGUAGE_KEY]


def language_switch() -> None:
    """The sidebar's language switch, each language shown by its own name."""
    st.selectbox(
        SWITCH_TEXT["switch_label"],
        list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        key=LANGUAGE_KEY,
        help=SWITCH_TEXT["switch_help"],
        on_change=_language_changed,
    )
