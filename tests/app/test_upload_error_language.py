"""A refused upload is explained in the student's language, and follows a language switch."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.runtime.scriptrunner import get_script_run_ctx

import quantlib as ql
from quantlib.tensors import LoadText
from tests.app.conftest import assert_ok, open_app
from tests.helpers import npy_bytes, render, upload
from ui import i18n, workspace
from ui.i18n import catalogue

TRUNCATED = npy_bytes(np.arange(10.0))[:-8]


def shown(lang: str, name: str, err: ql.TensorLoadError) -> str:
    return catalogue(lang)["ws.upload_failed"].format(
        name=name, reason=render(lang, err.code, err.params))


@pytest.fixture
def vietnamese_outside_the_app(monkeypatch):
    """AppTest calls a widget's format_func in the test's thread, outside any app run,
    where ``t()`` sees no session and answers in English; the options it compares with
    were drawn in Vietnamese. Outside a run, answer in Vietnamese too."""
    in_app = i18n.current_language
    monkeypatch.setattr(i18n, "current_language",
                        lambda: in_app() if get_script_run_ctx(suppress_warning=True) else "vi")


def test_refused_upload_is_explained_in_vietnamese_then_in_english(vietnamese_outside_the_app):
    with pytest.raises(ql.TensorLoadError) as info:
        ql.load_tensors(TRUNCATED, "bad.npy")
    vi, en = shown("vi", "bad.npy", info.value), shown("en", "bad.npy", info.value)
    assert "File .npy này bị cắt cụt" in vi and en.endswith(
        f"“bad.npy”: {info.value} The workspace keeps its previous tensor.")

    at = open_app("uniform", {"lang": "vi"})
    assert_ok(at)
    upload(at, "bad.npy", TRUNCATED)
    assert not at.exception
    assert [e.value for e in at.error] == [vi]

    # The message is kept as data, so it is translated again when the language changes.
    at.segmented_control(key=i18n.LANG_KEY).set_value("en").run()
    assert not at.exception
    assert [e.value for e in at.error] == [en]


@pytest.fixture
def vietnamese(monkeypatch):
    monkeypatch.setattr(i18n, "current_language", lambda: "vi")


def test_a_code_without_a_text_falls_back_to_the_english_message(vietnamese):
    failure = {"name": "x.npy", "code": "from_a_newer_quantlib", "params": {"n": "3"},
               "message": "Something new went wrong."}
    assert workspace._upload_error_text(failure) == catalogue("vi")["ws.upload_failed"].format(
        name="x.npy", reason="Something new went wrong.")


def test_a_label_without_a_text_falls_back_to_english_inside_the_translation(vietnamese):
    label = LoadText("label_from_a_newer_quantlib", "The thing '{name}'", {"name": "w"})
    failure = {"name": "x.npy", "code": "zero_dim", "params": {"label": label},
               "message": "unused"}
    reason = catalogue("vi")["load.zero_dim"].format(label="The thing 'w'")
    assert workspace._upload_error_text(failure) == catalogue("vi")["ws.upload_failed"].format(
        name="x.npy", reason=reason)
