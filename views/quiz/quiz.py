"""Quiz: self-study with instant feedback, and live classroom sessions (teacher and
student) whose answers are kept in the store."""

import streamlit as st

from ui import layout
from ui.i18n import t
from views.quiz import common, controls, selfstudy, student, teacher

seated = student.seat_in_url()
# On a student's phone the seat comes first: the page's why is for the other modes.
layout.header(t("q.title"), t("q.student.why") if seated else t("q.why"))
mode = controls.mode(seated=seated)
layout.link_notices()
if mode == "self":
    selfstudy.draw()
else:
    store = common.store()
    if store is not None:
        (teacher if mode == "teacher" else student).draw(store)
    elif mode == "teacher":
        st.caption(t("q.store_self_study"))
