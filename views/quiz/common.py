"""What the quiz's three views share: the store, a question's answer form, its reveal."""

from __future__ import annotations

import os

import streamlit as st

import views
from lessons import quiz
from quiz.store import ENV_VAR, Store, StoreError, open_store
from ui.i18n import t


@st.cache_resource(show_spinner=False)
def _open(url: str | None) -> Store:
    return open_store(url)


def store() -> Store | None:
    """The store (one per process and database), or None with the reason shown."""
    try:
        return _open(os.environ.get(ENV_VAR) or None)
    except StoreError as error:
        store_error(error)
        return None


def store_error(error: StoreError) -> None:
    st.error(t("q.store_error", reason=str(error)), icon=":material/database:")


def page_path(page: str) -> str | None:
    return next((p.path for p in views.PAGES if p.key == page and p.path), None)


def answer_form(question: quiz.QuestionView, key: str, button: str):
    """The answer widgets of a question in a form (nothing reruns until the button); the
    answer when the button was pressed, else None. A numeric answer is text, read by the
    grader (a comma works as the decimal point)."""
    with st.form(key, border=True):
        st.markdown(question.prompt)
        if question.kind == "single":
            labels = dict(question.options)
            given = st.radio(t("q.your_answer"), list(labels), format_func=labels.get,
                             index=None, key=f"{key}_single")
        elif question.kind == "multiple":
            if t("q.choose_all") not in question.prompt:
                st.caption(t("q.choose_all"))
            given = [oid for oid, text in question.options
                     if st.checkbox(text, key=f"{key}_{oid}")]
        else:
            given = st.text_input(t("q.number", unit=question.unit or "—"),
                                  key=f"{key}_number", placeholder="0.0157")
        pressed = st.form_submit_button(button, type="primary", width="stretch")
    if not pressed:
        return None
    if given is None or given == [] or given == "":
        st.warning(t("q.empty_answer"), icon=":material/edit:")
        return None
    return given


def show_reveal(reveal: quiz.Reveal, *, right: bool | None, given_text: str | None) -> None:
    """The key, the student's answer and whether it was right, the explanation, and a link
    to the page that teaches it."""
    if right is True:
        st.success(t("q.right", answer=given_text), icon=":material/check_circle:")
    elif right is False:
        st.error(t("q.wrong", answer=given_text), icon=":material/cancel:")
    st.markdown(t("q.correct_is", answer=reveal.listed))
    st.info(reveal.explanation, icon=":material/lightbulb:")
    path = page_path(reveal.page)
    if path:
        st.page_link(path, label=t("q.learn_more", page=t(f"nav.{reveal.page}")),
                     icon=":material/school:")
