"""AppTest: the tensor workspace in the sidebar: generators, presets, uploads, bad input."""

from __future__ import annotations

import io
import json
import struct

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import quantlib as ql
from tests.app.conftest import TIMEOUT, assert_ok, en, open_app, widget
from tests.helpers import npy_bytes, upload
from ui import workspace


def sidebar_text(at) -> str:
    return "\n".join(el.value for el in at.sidebar if hasattr(el, "value")
                     and isinstance(el.value, str))


def current(at) -> workspace.TensorSpec:
    return at.session_state["_ws_last"]


@pytest.fixture
def at():
    app = open_app("uniform")
    assert_ok(app)
    return app


def test_generated_default_summary(at):
    text = sidebar_text(at)
    assert "64 × 256" in text and "float32" in text and "16,384 values" in text


def test_the_default_tensor_has_one_label(at):
    """The fallback tensor (when the first one asked for does not work) and the generated
    default are the same tensor, with the same label."""
    label = en("ws.label_generated", kind=en("gen.kind.normal"), shape="64 × 256", seed=0)
    assert current(at).label == label
    nothing = open_app("uniform", {"ws_source": "upload"})  # no file yet: the default
    assert not nothing.exception
    assert current(nothing).label == label and current(nothing).key == current(at).key


@pytest.mark.parametrize("kind", list(ql.GENERATORS))
def test_every_generator_renders_the_uniform_page(kind):
    app = open_app("uniform", {"ws_kind": kind, "ws_rows": "16", "ws_cols": "64"})
    assert_ok(app)
    assert "16 × 64" in sidebar_text(app)


def test_every_seed_tensor_preset(at):
    widget(at, "ws_source").set_value("preset").run()
    for name in ql.SEED_TENSORS:
        widget(at, "ws_preset").set_value(name).run()
        assert_ok(at)
        assert en(f"preset.tensor.{name}") in sidebar_text(at)


def test_upload_npy_becomes_the_workspace(at):
    upload(at, "weights.npy", npy_bytes(np.arange(12, dtype=np.float32).reshape(3, 4)))
    assert_ok(at)
    text = sidebar_text(at)
    assert "weights\\.npy" in text and "3 × 4" in text


def test_upload_npz_offers_a_picker(at):
    buf = io.BytesIO()
    np.savez(buf, a=np.ones(5, np.float32), b=np.arange(6, dtype=np.float32).reshape(2, 3))
    upload(at, "two.npz", buf.getvalue())
    assert_ok(at)
    widget(at, "ws_array").set_value("b").run()
    assert_ok(at)
    assert "2 × 3" in sidebar_text(at)


def test_upload_bf16_safetensors(at):
    import ml_dtypes

    values = np.array([[0.5, -1.25], [3.0, 2.0]], dtype=ml_dtypes.bfloat16)
    header = json.dumps({"w": {"dtype": "BF16", "shape": [2, 2],
                               "data_offsets": [0, values.nbytes]}}).encode()
    data = struct.pack("<Q", len(header)) + header + values.tobytes()
    upload(at, "model.safetensors", data)
    assert_ok(at)
    assert "model\\.safetensors" in sidebar_text(at)


@pytest.mark.parametrize(("name", "data", "needle"), [
    ("model.pt", b"\x80\x04fake pickle", "pickle"),
    ("ragged.csv", b"1,2,3\n4,5\n", "line 2"),
    ("words.csv", b"1,2\n3,banana\n", "banana"),
    ("empty.npy", b"", "empty"),
    ("bad.npy", npy_bytes(np.arange(10.0))[:-8], "truncated"),
    ("photo.jpg", b"\xff\xd8\xff", ".jpg"),
    ("huge.npy", npy_bytes(np.array([1e300, -1e300, 5e299, 0.0, 1.0])), "float32"),
    ("huge.csv", b"-1.7e308,1.7e308,0,1\n", "float32"),
], ids=["pickle", "ragged-csv", "text-in-csv", "empty", "truncated-npy", "wrong-type",
        "beyond-float32-npy", "beyond-float32-csv"])
def test_bad_upload_shows_why_and_keeps_the_previous_tensor(at, name, data, needle):
    before = current(at).key
    upload(at, name, data)
    assert not at.exception
    messages = [e.value for e in at.error]
    assert any(needle.lower() in m.lower().replace("\\", "") for m in messages), messages
    assert current(at).key == before
    assert at.metric  # the page still works on the kept tensor


def test_nan_and_inf_are_reported_and_handled(at):
    x = np.array([[1.0, np.nan, 3.0], [np.inf, -2.0, 0.5]], dtype=np.float32)
    upload(at, "holes.npy", npy_bytes(x))
    assert not at.exception
    assert any("NaN" in w.value for w in at.warning)
    assert widget(at, "ws_nan").value == "replace"
    assert "2 × 3" in sidebar_text(at)
    widget(at, "ws_nan").set_value("drop").run()
    assert_ok(at)
    assert current(at).x.shape == (4,)


def test_too_many_elements_is_refused_and_the_tensor_kept(at):
    widget(at, "ws_rows").set_value(5000).run()
    before = current(at).key
    widget(at, "ws_cols").set_value(5000).run()
    assert not at.exception
    assert any("25,000,000" in e.value for e in at.error)
    assert current(at).key == before


def test_reset_workspace(at):
    widget(at, "ws_kind").set_value("laplace").run()
    next(b for b in at.button if b.label == en("ws.reset")).click().run()
    assert_ok(at)
    assert widget(at, "ws_kind").value == "normal"


def test_cache_never_mixes_tensors_with_the_same_shape():
    first = open_app("uniform", {"ws_seed": "1"})
    second = open_app("uniform", {"ws_seed": "2"})
    x1, x2 = (current(a).x for a in (first, second))
    assert x1.shape == x2.shape and not np.array_equal(x1, x2)
    assert np.array_equal(x1, ql.generate("normal", (64, 256), seed=1))


def _two_pickers():
    import streamlit as st

    from ui import workspace

    first, second = workspace.picker("ws"), workspace.picker("wsw")
    st.text(f"{first.key}|{second.key}")


def test_a_second_picker_has_its_own_controls_link_values_and_tensor():
    """A page may ask for a second tensor (weights, say) with its own prefix."""
    table = workspace.table("wsw")
    assert all(key.startswith("wsw_") for key in table.keys)
    assert set(table.keys).isdisjoint(workspace.table().keys)
    app = AppTest.from_function(_two_pickers, default_timeout=TIMEOUT)
    app.query_params.update({"wsw_kind": "laplace", "wsw_rows": "8", "ws_seed": "3"})
    app.run()
    assert not app.exception
    first, second = app.text[0].value.split("|")
    assert "'normal', (64, 256), 3," in first and "'laplace', (8, 256), 0," in second
    assert widget(app, "wsw_kind").value == "laplace" and widget(app, "ws_kind").value == "normal"
