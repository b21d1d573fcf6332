"""Quantization Lab: the entry point (`streamlit run app.py`)."""

import os

# After each matrix product OpenBLAS's threads spin for 2^28 cycles (about 0.1 s) before
# they sleep. A room of students runs many small products, and that spinning was a third
# of the server's CPU per rerun (bench.load); at 2^4 cycles large products are as fast.
# It must be set before numpy loads OpenBLAS, which the first import below does.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import streamlit as st  # noqa: E402

import views
from quiz import access
from ui import language, nav, server, urlstate, workspace
from ui.i18n import t

server.freeze_startup_objects()
access.teacher_key()  # generated and logged at start-up when QUANTLAB_TEACHER_KEY is unset

with st.sidebar:
    language.picker()
st.set_page_config(page_title=t("app.title"), page_icon=":material/stairs:", layout="wide")
page, info = nav.navigation(views.PAGES)
if info.table is not None:
    # Before the workspace: a page's preset link may choose the workspace's tensor.
    urlstate.bind(info.table)
if info.workspace:
    workspace.picker()
page.run()
