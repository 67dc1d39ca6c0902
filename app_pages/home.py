"""Start page: what Trainboard does, a "Get started" button and the six steps, each a link."""

import streamlit as st

TEXT = {
    "title": "Trainboard",
    "intro": (
        "Teach a neural network to predict something from a table of your business data "
        "(will a customer leave, what price will a product sell for...), find out honestly "
        "whether it is any good, and hand a working model to your engineers. No code needed."
    ),
    "get_started": "Get started",
    "get_started_caption": "Begins with step 1: your data.",
    "steps": "Six steps, in order",
    "links": {
        "app_pages/data.py": "1. Your data: upload a CSV file or try a sample, and choose what "
        "to predict.",
        "app_pages/design.py": "2. Prepare & design: how the data is prepared and how the network "
        "is shaped.",
        "app_pages/train.py": "3. Train: start training and watch it learn.",
        "app_pages/evaluate.py": "4. Is it any good? Test scores next to simple baselines, in "
        "plain words.",
        "app_pages/export.py": "5. Export: download the model and its documentation for your "
        "engineers.",
        "app_pages/predict.py": "6. Predict: score new rows with the model.",
    },
    "privacy": "Your data stays on the server that runs this app; nothing is sent anywhere else.",
}

st.title(TEXT["title"])
st.write(TEXT["intro"])
if st.button(
    TEXT["get_started"], key="get_started", type="primary", icon=":material/arrow_forward:"
):
    st.switch_page("app_pages/data.py")
st.caption(TEXT["get_started_caption"])
st.subheader(TEXT["steps"])
for path, label in TEXT["links"].items():
    st.page_link(path, label=label)
st.caption(TEXT["privacy"])
