"""What every page does first: page settings, the session's keys, the run in the URL, the sidebar.

Why each page calls :func:`page_frame` instead of ``app.py`` doing it once: Streamlit
still has its old "pages directory" mode, switched on for as long as a ``pages/`` folder
sits beside ``app.py`` and ``st.navigation`` has not yet run in this server. In that mode
a page file is executed on its own, without ``app.py`` (``AppTest`` runs in it after every
``switch_page``; a real server runs in it when its very first request is a deep link such
as ``/train``). A page that sets up its own frame works the same either way.
"""

from __future__ import annotations

import streamlit as st

from ui.sidebar import show_sidebar
from ui.state import init_session, sync_job_with_url

PAGE_TITLE = "Trainboard"


def page_frame() -> None:
    """Set up the page: wide layout, session keys, ``?job=`` in the URL, the shared sidebar."""
    st.set_page_config(page_title=PAGE_TITLE, layout="wide")
    init_session()
    sync_job_with_url()
    show_sidebar()
