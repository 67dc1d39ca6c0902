"""Start page: what Trainboard does, a "Get started" button and the six steps, each a link."""

import streamlit as st

from core.i18n import Texts

TEXT = Texts("pages.home")

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
