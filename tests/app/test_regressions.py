"""What broke when the app was tried as a hostile or careless student would, one test each
(items 6, 7, 8 and 10 of the architecture issue; the others are in test_lesson_links,
test_language_switch, test_page_workspace and the quantlib tensor tests)."""

from __future__ import annotations

import numpy as np

from quantlib import tensors
from tests.app.conftest import assert_ok, en, open_app, widget
from tests.helpers import npy_bytes, npz_bytes, upload
from ui.i18n import catalogue

HOSTILE_NAME = "** [click me](http://evil.example) :red[RED] $x^2$"


def test_an_error_from_quantlib_is_a_translated_sentence_in_vietnamese():
    """A symmetric range narrower than float64 can count: the reason is Vietnamese and
    ends with a full stop, not 'need a finite range ...' developer text."""
    at = open_app("uniform", {"lang": "vi", "u_mode": "scale", "u_range": "manual",
                              "u_lo": "0", "u_hi": "5e-324"})
    assert not at.exception
    (message,) = [e.value for e in at.error]
    expected = catalogue("vi")["err.range_too_small"].split("{")[0]
    assert expected in message and message.endswith(".")
    assert "must" not in message and "need" not in message


def test_file_and_array_names_are_shown_literally(vietnamese_outside_the_app):
    at = open_app("uniform", {"lang": "vi"})
    upload(at, HOSTILE_NAME + ".npz", npz_bytes(**{HOSTILE_NAME: np.ones(3, np.float32),
                                                   "b": np.zeros(2, np.float32)}), lang="vi")
    assert not at.exception
    # Markdown elements only: a selectbox shows its options as plain text anyway.
    text = "\n".join(m.value for m in [*at.sidebar.markdown, *at.sidebar.caption,
                                        *at.sidebar.error, *at.sidebar.info])
    assert "[click me](http" not in text  # the link's brackets are escaped
    assert "\\[click me\\]" in text and "\\$x\\^2\\$" in text


def test_a_refused_file_name_is_shown_literally():
    at2 = open_app("uniform")
    upload(at2, "[x](http://evil.example).pt", b"\x80\x04")
    (message,) = [e.value for e in at2.error]
    assert "](http" not in message and "pickle" in message


def test_the_upload_caption_states_the_uploaders_own_limit():
    at = open_app("uniform", {"ws_source": "upload"})
    mb = f"{tensors.MAX_UPLOAD_BYTES / 10**6:g}"
    assert any(f"up to {mb} MB" in c.value for c in at.sidebar.caption)
    assert any(f"{mb} MB" in i.value for i in at.sidebar.info)


def test_a_tiny_tensor_is_larger_than_its_floats_and_one_value_is_singular():
    at = open_app("uniform", {"ws_rows": "1", "ws_cols": "1"})
    assert_ok(at)
    bytes_card = next(m for m in at.metric if m.label == en("u.metric.bytes"))
    assert "larger" in bytes_card.proto.delta and "smaller" not in bytes_card.proto.delta
    captions = [c.value for c in at.caption]
    assert any(c.startswith("1 value from") for c in captions), captions
    assert not any("1 values" in c for c in captions)


def test_one_value_and_all_zeros_shade_nothing_as_clipped():
    for query in ({"ws_rows": "1", "ws_cols": "1"}, {"ws_kind": "constant",
                                                      "ws_constant_value": "0"}):
        at = open_app("uniform", query)
        assert_ok(at)
        for key in ("u_chart_hist", "u_chart_heat"):
            chart = next(el for el in at.main if getattr(el, "key", None) == key)
            assert '"type":"rect"' not in chart.proto.spec, (query, key)


def test_a_constant_upload_and_the_nan_policy_keep_working():
    at = open_app("uniform")
    upload(at, "holes.npy", npy_bytes(np.array([1.0, np.nan], np.float32)))
    assert not at.exception
    assert widget(at, "ws_nan").value == "replace"
