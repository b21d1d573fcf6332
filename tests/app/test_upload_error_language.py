"""A refused upload is explained in the student's language, and follows a language switch."""

from __future__ import annotations

import numpy as np
import pytest

import quantlib as ql
from quantlib.tensors import LoadText, TensorLoadError
from tests.app.conftest import assert_ok, open_app, widget
from tests.helpers import npy_bytes, render, upload
from ui import i18n
from ui.i18n import catalogue
from ui.markdown import plain

TRUNCATED = npy_bytes(np.arange(10.0))[:-8]


def shown(lang: str, name: str, err: ql.TensorLoadError) -> str:
    return catalogue(lang)["ws.upload_failed"].format(
        name=name, reason=render(lang, err.code, err.params))


def test_refused_upload_is_explained_in_vietnamese_then_in_english(vietnamese_outside_the_app):
    with pytest.raises(ql.TensorLoadError) as info:
        ql.load_tensors(TRUNCATED, "bad.npy")
    vi, en = shown("vi", "bad\\.npy", info.value), shown("en", "bad\\.npy", info.value)
    assert "File .npy này bị cắt cụt" in vi and en.endswith(
        f"“bad\\.npy”: {info.value} The workspace keeps its previous tensor.")

    at = open_app("uniform", {"lang": "vi"})
    assert_ok(at)
    upload(at, "bad.npy", TRUNCATED, lang="vi")
    assert not at.exception
    assert [e.value for e in at.error] == [vi]

    # The message is kept as data, so it is translated again when the language changes.
    widget(at, i18n.LANG_KEY, "vi").set_value("en").run()
    assert not at.exception
    assert [e.value for e in at.error] == [en]


@pytest.fixture
def vietnamese(monkeypatch):
    monkeypatch.setattr(i18n, "current_language", lambda: "vi")


def test_a_code_without_a_text_falls_back_to_the_english_message(vietnamese):
    err = TensorLoadError("from_a_newer_quantlib", "Something new went wrong ({n}).", n="3")
    assert i18n.coded_error(err, "load") == plain("Something new went wrong (3).")


def test_a_label_without_a_text_falls_back_to_english_inside_the_translation(vietnamese):
    label = LoadText("label_from_a_newer_quantlib", "The thing '{name}'", {"name": "w"})
    err = TensorLoadError("zero_dim", "{label} is 0-d.", label=label)
    assert i18n.coded_error(err, "load") == catalogue("vi")["load.zero_dim"].format(
        label=plain("The thing 'w'"))
