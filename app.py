"""Quantization Lab: the entry point (`streamlit run app.py`)."""

import streamlit as st

import views
from ui import language, nav, server, urlstate, workspace
from ui.i18n import t

server.freeze_startup_objects()

with st.sidebar:
    language.picker()
st.set_page_config(page_title=t("app.title"), page_icon=":material/stairs:", layout="wide")
page, info = nav.navigation(views.PAGES)
if info.table is not None:
    # Before the workspace: a page's preset link may choose the workspace's tensor.
    urlstate.bind(info.table)
workspace.picker()
page.run()
