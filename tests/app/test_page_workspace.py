"""AppTest: the tensor workspace in the sidebar: generators, presets, uploads, bad input."""

from __future__ import annotations

import io
import json
import struct

import numpy as np
import pytest

import quantlib as ql
from tests.app.conftest import assert_ok, en, open_app
from tests.helpers import npy_bytes, upload


def sidebar_text(at) -> str:
    return "\n".join(el.value for el in at.sidebar if hasattr(el, "value")
                     and isinstance(el.value, str))


@pytest.fixture
def at():
    app = open_app("uniform")
    assert_ok(app)
    return app


def test_generated_default_summary(at):
    text = sidebar_text(at)
    assert "64 × 256" in text and "float32" in text


@pytest.mark.parametrize("kind", list(ql.GENERATORS))
def test_every_generator_renders_the_uniform_page(kind):
    app = open_app("uniform", {"ws_kind": kind, "ws_rows": "16", "ws_cols": "64"})
    assert_ok(app)
    assert "16 × 64" in sidebar_text(app)


def test_every_seed_tensor_preset(at):
    at.segmented_control(key="ws_source").set_value("preset").run()
    for name in ql.SEED_TENSORS:
        at.selectbox(key="ws_preset").set_value(name).run()
        assert_ok(at)
        assert en(f"preset.tensor.{name}") in sidebar_text(at)


def test_upload_npy_becomes_the_workspace(at):
    upload(at, "weights.npy", npy_bytes(np.arange(12, dtype=np.float32).reshape(3, 4)))
    assert_ok(at)
    text = sidebar_text(at)
    assert "weights.npy" in text and "3 × 4" in text


def test_upload_npz_offers_a_picker(at):
    buf = io.BytesIO()
    np.savez(buf, a=np.ones(5, np.float32), b=np.arange(6, dtype=np.float32).reshape(2, 3))
    upload(at, "two.npz", buf.getvalue())
    assert_ok(at)
    at.selectbox(key="ws_array").set_value("b").run()
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
    assert "model.safetensors" in sidebar_text(at)


@pytest.mark.parametrize(("name", "data", "needle"), [
    ("model.pt", b"\x80\x04fake pickle", "pickle"),
    ("ragged.csv", b"1,2,3\n4,5\n", "line 2"),
    ("words.csv", b"1,2\n3,banana\n", "banana"),
    ("empty.npy", b"", "empty"),
    ("bad.npy", npy_bytes(np.arange(10.0))[:-8], "truncated"),
    ("photo.jpg", b"\xff\xd8\xff", ".jpg"),
], ids=["pickle", "ragged-csv", "text-in-csv", "empty", "truncated-npy", "wrong-type"])
def test_bad_upload_shows_why_and_keeps_the_previous_tensor(at, name, data, needle):
    before = at.session_state["_ws_current"].key
    upload(at, name, data)
    assert not at.exception
    messages = [e.value for e in at.error]
    assert any(needle.lower() in m.lower() for m in messages), messages
    assert at.session_state["_ws_current"].key == before
    # The page still works on the kept tensor.
    assert at.metric


def test_nan_and_inf_are_reported_and_handled(at):
    x = np.array([[1.0, np.nan, 3.0], [np.inf, -2.0, 0.5]], dtype=np.float32)
    upload(at, "holes.npy", npy_bytes(x))
    assert not at.exception
    assert any("NaN" in w.value for w in at.warning)
    assert at.radio(key="ws_nan").value == "replace"
    assert "2 × 3" in sidebar_text(at)
    at.radio(key="ws_nan").set_value("drop").run()
    assert_ok(at)
    assert at.session_state["_ws_current"].x.shape == (4,)


def test_too_many_elements_is_refused_and_the_tensor_kept(at):
    at.number_input(key="ws_rows").set_value(5000).run()
    before = at.session_state["_ws_current"].key
    at.number_input(key="ws_cols").set_value(5000).run()
    assert not at.exception
    assert any("25,000,000" in e.value for e in at.error)
    assert at.session_state["_ws_current"].key == before


def test_reset_workspace(at):
    at.selectbox(key="ws_kind").set_value("laplace").run()
    next(b for b in at.button if b.label == en("ws.reset")).click().run()
    assert_ok(at)
    assert at.selectbox(key="ws_kind").value == "normal"


def test_cache_never_mixes_tensors_with_the_same_shape():
    first = open_app("uniform", {"ws_seed": "1"})
    second = open_app("uniform", {"ws_seed": "2"})
    x1, x2 = (a.session_state["_ws_current"].x for a in (first, second))
    assert x1.shape == x2.shape and not np.array_equal(x1, x2)
    assert np.array_equal(x1, ql.generate("normal", (64, 256), seed=1))
