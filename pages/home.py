"""Start page: what Trainboard does and the six steps, each a link."""

import streamlit as st

from ui.frame import page_frame

TEXT = {
    "title": "Trainboard",
    "intro": (
        "Teach a neural network to predict something from a table of your business data "
        "(will a customer leave, what price will a product sell for...), find out honestly "
        "whether it is any good, and hand a working model to your engineers. No code needed."
    ),
    "steps": "Six steps, in order",
    "links": {
        "pages/data.py": "1. Your data: upload a CSV file or try a sample, and choose what "
        "to predict.",
        "pages/design.py": "2. Prepare & design: how the data is prepared and how the network "
        "is shaped.",
        "pages/train.py": "3. Train: start training and watch it learn.",
        "pages/evaluate.py": "4. Is it any good? Test scores next to simple baselines, in "
        "plain words.",
        "pages/export.py": "5. Export: download the model and its documentation for your "
        "engineers.",
        "pages/predict.py": "6. Predict: score new rows with the model.",
    },
    "privacy": "Your data stays on the server that runs this app; nothing is sent anywhere else.",
}

page_frame()
st.title(TEXT["title"])
st.write(TEXT["intro"])
st.subheader(TEXT["steps"])
for path, label in TEXT["links"].items():
    st.page_link(path, label=label)
st.caption(TEXT["privacy"])
