"""Trainboard's entry point (`streamlit run app.py`): page routing and the shared sidebar only."""

import streamlit as st

from ui.sidebar import show_sidebar
from ui.state import init_session, sync_job_with_url

# (file, title, icon, url path); the titles are the only user-facing text here.
PAGES = [
    ("pages/home.py", "Start here", ":material/home:", "start"),
    ("pages/data.py", "1. Your data", ":material/table_chart:", "data"),
    ("pages/design.py", "2. Prepare & design", ":material/tune:", "design"),
    ("pages/train.py", "3. Train", ":material/model_training:", "train"),
    ("pages/evaluate.py", "4. Is it any good?", ":material/fact_check:", "evaluate"),
    ("pages/export.py", "5. Export", ":material/download:", "export"),
    ("pages/predict.py", "6. Predict", ":material/batch_prediction:", "predict"),
]

st.set_page_config(page_title="Trainboard", layout="wide")
init_session()
sync_job_with_url()
page = st.navigation([
    st.Page(path, title=title, icon=icon, url_path=url, default=index == 0)
    for index, (path, title, icon, url) in enumerate(PAGES)
])
show_sidebar()
page.run()
