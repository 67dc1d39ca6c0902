"""Trainboard's entry point (`streamlit run app.py`): page routing and the shared sidebar.

The pages live in ``app_pages/``, not ``pages/``: while a ``pages/`` folder sits beside
the entry script, Streamlit starts in its old file-based mode (until ``st.navigation``
first runs), so a deep link such as ``/train`` on a fresh server would run the page file
without this script.
"""

import streamlit as st

from core.i18n import Texts
from ui.language import install_language
from ui.sidebar import show_sidebar
from ui.sign_in import account_box, require_sign_in
from ui.state import init_session, sync_job_with_url

# (file, key of its title in TEXT, icon, url path). The first page is the home page:
# Streamlit serves it at the root ("/"), not at its own url path.
PAGES = [
    ("app_pages/home.py", "home", ":material/home:", "home"),
    ("app_pages/data.py", "data", ":material/table_chart:", "data"),
    ("app_pages/design.py", "design", ":material/tune:", "design"),
    ("app_pages/train.py", "train", ":material/model_training:", "train"),
    ("app_pages/evaluate.py", "evaluate", ":material/fact_check:", "evaluate"),
    ("app_pages/export.py", "export", ":material/download:", "export"),
    ("app_pages/predict.py", "predict", ":material/batch_prediction:", "predict"),
    ("app_pages/runs.py", "runs", ":material/history:", "runs"),
    ("app_pages/learn.py", "learn", ":material/school:", "learn"),
]
TEXT = Texts("pages.app")  # the page titles, the only user-facing text here
# Other addresses of the home page (people type or bookmark "/start"): hidden pages that
# send the browser to "/", so none of them opens a "Page not found" box.
HOME_ALIASES = ["start"]

st.set_page_config(page_title="Trainboard", layout="wide")
# The language first: every text drawn from here on (page titles too) is looked up in it.
install_language()
require_sign_in()  # on a team server with sign-in, nothing else is drawn before it
init_session()
sync_job_with_url()
pages = [
    st.Page(path, title=TEXT[title], icon=icon, url_path=url, default=index == 0)
    for index, (path, title, icon, url) in enumerate(PAGES)
]


def _go_home() -> None:
    st.switch_page(pages[0])


aliases = [
    st.Page(_go_home, title=TEXT[PAGES[0][1]], url_path=alias, visibility="hidden")
    for alias in HOME_ALIASES
]
page = st.navigation(pages + aliases)
page.run()
# The sidebar is drawn after the page, so it shows what the page has just saved (e.g. the
# column to predict chosen on the Data page). It still sits under the page links: Streamlit
# keeps its own sidebar blocks in place, whatever order the script draws them in.
show_sidebar()
account_box()
