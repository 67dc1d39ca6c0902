"""Trainboard's entry point (`streamlit run app.py`): page routing only.

Each page draws the shared frame itself (session keys, sidebar: see ui/frame.py for why).
"""

import streamlit as st

from ui.frame import PAGE_TITLE

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

st.set_page_config(page_title=PAGE_TITLE, layout="wide")
page = st.navigation(
    [
        st.Page(path, title=title, icon=icon, url_path=url, default=index == 0)
        for index, (path, title, icon, url) in enumerate(PAGES)
    ]
)
page.run()
