"""Quantization Lab: the entry point (`streamlit run app.py`)."""

import streamlit as st

from ui import controls, nav, workspace
from ui.i18n import language_picker, t

with st.sidebar:
    language_picker()
st.set_page_config(page_title=t("app.title"), page_icon=":material/stairs:", layout="wide")
page = st.navigation(nav.streamlit_pages())
controls.apply_preset_link()
workspace.sidebar()
page.run()
