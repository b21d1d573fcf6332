"""TensorLoadError's stable codes and params, and their ``load.<code>`` texts in the UI.

Every message of ``load_tensors`` is written once, in tensors.py, as an English template
with ``{placeholders}``; the catalogues repeat it (en) or translate it (vi) under
``load.<code>``. These tests keep the three in step, reading the codes and templates
straight from the source, so that a new or changed message cannot be forgotten.
"""

from __future__ import annotations

import ast
import io
import re
import warnings
import zipfile
import zlib
from copy import deepcopy

import numpy as np
import pytest

from quantlib import tensors
from quantlib.tensors import LoadText, TensorLoadError, load_tensors
from tests.helpers import (
    ONE_F32,
    message_calls,
    message_table_entries,
    npy_bytes,
    npz_bytes,
    placeholders,
    raw_zip,
    render,
    safetensors_bytes,
    safetensors_file,
    source_texts,
    template_of,
    zip_bytes,
)
from tests.quantlib.test_tensors import BAD_NPY, BAD_NPZ, BAD_SAFETENSORS, BAD_TEXT
from ui.i18n import LANGUAGES, catalogue

CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
CALLS = message_calls()
# Calls with a literal code, and calls that take code and template from a table's entry.
LITERAL_CALLS = [call for call in CALLS if isinstance(call.args[0], ast.Constant)]
TABLE_CALLS = [call for call in CALLS if call not in LITERAL_CALLS]
ENTRIES = message_table_entries()
# Every message the source writes: (code, template) as nodes.
MESSAGES = [call.args[:2] for call in LITERAL_CALLS] + [entry.elts for entry in ENTRIES]


def _param_names(call: ast.Call) -> set[str]:
    if call.func.id == "LoadText":
        return {key.value for key in call.args[2].keys}
    return {keyword.arg for keyword in call.keywords}


# --- the source: literal codes, one template each, params matching the placeholders --


def test_the_source_makes_messages_in_many_places():
    assert len(MESSAGES) >= 48
    assert len(ENTRIES) >= 10 and len(TABLE_CALLS) == 1


@pytest.mark.parametrize("code", [code for code, _ in MESSAGES],
                         ids=[f"line{code.lineno}" for code, _ in MESSAGES])
def test_each_code_is_a_literal_snake_case_name(code):
    assert isinstance(code, ast.Constant) and isinstance(code.value, str)
    assert CODE.fullmatch(code.value)


@pytest.mark.parametrize("call", CALLS, ids=[f"line{c.lineno}" for c in CALLS])
def test_no_call_hides_its_param_names(call):
    assert not any(kw.arg is None for kw in call.keywords), "no **params: names must be visible"


@pytest.mark.parametrize("call", LITERAL_CALLS, ids=[f"line{c.lineno}" for c in LITERAL_CALLS])
def test_each_call_passes_exactly_the_placeholders_of_its_template(call):
    assert _param_names(call) == placeholders(template_of(call.args[1]))


@pytest.mark.parametrize("call", TABLE_CALLS, ids=[f"line{c.lineno}" for c in TABLE_CALLS])
def test_a_call_reading_the_table_passes_every_placeholder_its_templates_use(call):
    # TensorLoadError keeps only the params its template names, so one call serves them all.
    assert call.func.id == "TensorLoadError"
    used = set().union(*(placeholders(template_of(entry.elts[1])) for entry in ENTRIES))
    assert _param_names(call) == used


def test_a_code_always_has_the_same_template():
    texts: dict[str, set[str]] = {}
    for code, template in MESSAGES:
        texts.setdefault(code.value, set()).add(template_of(template))
    assert {code: t for code, t in texts.items() if len(t) > 1} == {}


# --- the catalogues ------------------------------------------------------------------


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_code_has_a_text_and_no_text_lacks_a_code(lang):
    keys = {key for key in catalogue(lang) if key.startswith("load.")}
    assert keys == {f"load.{code}" for code in source_texts()}


def test_the_english_catalogue_repeats_the_source_exactly():
    en = catalogue("en")
    assert {code: en[f"load.{code}"] for code in source_texts()} == source_texts()


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_placeholders_agree_with_the_source(lang):
    texts = catalogue(lang)
    wrong = {code: (placeholders(template), placeholders(texts[f"load.{code}"]))
             for code, template in source_texts().items()
             if placeholders(template) != placeholders(texts[f"load.{code}"])}
    assert wrong == {}


# --- the errors that malformed uploads raise ------------------------------------------


def _bad(name: str, filename: str, build, marks=(), **patch) -> pytest.param:
    return pytest.param(filename, build, patch, id=name, marks=marks)


def _npz_member(arr: np.ndarray) -> bytes:
    return zip_bytes({"odd name.npy": npy_bytes(arr)})


def _npz_twice() -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        with zipfile.ZipFile(buf, "w") as archive:
            for _ in range(2):
                archive.writestr("w.npy", npy_bytes(np.ones(2)))
    return buf.getvalue()


def _npz_bad_crc() -> bytes:
    payload = npy_bytes(np.ones(2))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = compressor.compress(payload) + compressor.flush()
    return raw_zip("w.npy", deflated, declared_size=len(payload), crc=0)


MALFORMED = [
    *[_bad(f"npy-{c[0]}", "bad.npy", c[1]) for c in BAD_NPY],
    *[_bad(f"npz-{c[0]}", "bad.npz", c[1]) for c in BAD_NPZ],
    *[_bad(f"safetensors-{c[0]}", "bad.safetensors", c[1]) for c in BAD_SAFETENSORS],
    *[_bad(f"text-{c[0]}", "bad.csv", lambda data=c[1]: data) for c in BAD_TEXT],
    _bad("text-long-token", "bad.csv", lambda: b"1,2\n3," + b"z" * 80 + b"\n"),
    _bad("pickle", "model.pt", lambda: b"\x80\x04anything"),
    _bad("no-extension", "README", lambda: b"data"),
    _bad("unknown-extension", "/secret/x.h5", lambda: b"data"),
    _bad("empty", "x.safetensors", lambda: b""),
    _bad("npz-duplicate-name", "d.npz", _npz_twice),
    _bad("npz-bad-crc", "c.npz", _npz_bad_crc),
    _bad("long-double", "ld.npy", lambda: npy_bytes(np.ones(2, np.longdouble)),
         marks=pytest.mark.skipif(np.dtype(np.longdouble).itemsize == 8,
                                  reason="long double is float64 here")),
    _bad("time-spans", "t.npy", lambda: npy_bytes(np.array([1], dtype="m8[s]"))),
    _bad("npz-member-complex", "c.npz", lambda: _npz_member(np.array([1j]))),
    _bad("npz-member-too-many-dims", "d.npz", lambda: _npz_member(np.ones((1,) * 33))),
    _bad("safetensors-odd-name", "n.safetensors",
         lambda: safetensors_file({"a\nb": {**ONE_F32, "shape": [-1]}}, bytes(8))),
    _bad("upload-cap", "big.npy", lambda: bytes(2 * 2**20), MAX_UPLOAD_BYTES=2**20),
    _bad("npz-too-many", "m.npz",
         lambda: npz_bytes(a=np.ones(1), b=np.ones(1), c=np.ones(1)),
         MAX_TENSORS_PER_FILE=2),
    _bad("safetensors-too-many", "m.safetensors",
         lambda: safetensors_bytes({k: ("F32", np.ones(1, np.float32)) for k in "abc"}),
         MAX_TENSORS_PER_FILE=2),
    _bad("npz-budget", "two.npz", lambda: npz_bytes(a=np.zeros(1000), b=np.zeros(1000)),
         MAX_NPZ_UNCOMPRESSED=12_000),
    _bad("npy-element-cap", "big.npy", lambda: npy_bytes(np.ones((4, 5))),
         MAX_ELEMENTS=19),
    _bad("text-element-cap", "t.csv", lambda: b"1,2,3\n4,5,6\n7,8,9\n", MAX_ELEMENTS=8),
]


def _refusal(filename: str, build, patch: dict, monkeypatch) -> TensorLoadError:
    for name, value in patch.items():
        monkeypatch.setattr(tensors, name, value)
    with pytest.raises(TensorLoadError) as info:
        load_tensors(build(), filename)
    return info.value


def _assert_display_params(params: dict, texts: dict[str, str]) -> None:
    for value in params.values():
        if isinstance(value, LoadText):
            assert texts[value.code] == value.template
            assert set(value.params) == placeholders(value.template)
            _assert_display_params(value.params, texts)
        else:
            assert type(value) is str


@pytest.mark.parametrize(("filename", "build", "patch"), MALFORMED)
def test_malformed_upload_has_a_code_and_display_params(filename, build, patch, monkeypatch):
    err = _refusal(filename, build, patch, monkeypatch)
    texts = source_texts()
    assert err.code in texts
    assert err.template == texts[err.code]
    assert set(err.params) == placeholders(err.template)
    _assert_display_params(err.params, texts)


@pytest.mark.parametrize(("filename", "build", "patch"), MALFORMED)
def test_english_catalogue_reproduces_the_message(filename, build, patch, monkeypatch):
    err = _refusal(filename, build, patch, monkeypatch)
    assert render("en", err.code, err.params) == str(err)
    assert err.template.format(**err.params) == str(err)


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
@pytest.mark.parametrize(("filename", "build", "patch"), MALFORMED)
def test_other_languages_translate_the_message_and_its_label(filename, build, patch, lang,
                                                             monkeypatch):
    err = _refusal(filename, build, patch, monkeypatch)
    text = render(lang, err.code, err.params)
    assert text != str(err)
    for value in err.params.values():
        if isinstance(value, LoadText):
            assert str(value) not in text, "the English label leaked into the translation"


def test_a_label_names_the_array_in_every_reader():
    npy = _refusal("x.npy", lambda: npy_bytes(np.float32(1)), {}, None)
    npz = _refusal("x.npz", lambda: _npz_member(np.float32(1)), {}, None)
    st = _refusal("x.safetensors",
                  lambda: safetensors_file({"w": {**ONE_F32, "shape": []}}, bytes(8)), {}, None)
    assert {e.code for e in (npy, npz, st)} == {"zero_dim"}
    labels = [e.params["label"] for e in (npy, npz, st)]
    assert [(label.code, label.params) for label in labels] == [
        ("label_npy", {}), ("label_npz_array", {"name": "odd name"}),
        ("label_tensor", {"name": "w"})]
    assert render("vi", "zero_dim", npz.params).startswith("Mảng 'odd name' trong file .npz")


def test_message_keeps_the_exact_english_text():
    err = _refusal("bad.npy", lambda: npy_bytes(np.ones(10, np.float32))[:-5], {}, None)
    assert err.code == "npy_truncated"
    assert err.params == {"label": LoadText("label_npy", "This .npy file", {}),
                          "count": "10", "want": "40", "have": "35"}
    assert str(err) == ("This .npy file is truncated: its header promises 10 values (40 bytes) "
                        "but only 35 bytes of data follow. Upload the complete file.")
    assert err.args == (str(err),)


def test_numbers_are_formatted_for_display(monkeypatch):
    err = _refusal("big.npy", lambda: bytes(2 * 2**20), {"MAX_UPLOAD_BYTES": 2**20},
                   monkeypatch)
    assert err.params == {"size": "2.0 MB", "limit": "1.0 MB"}
    absurd = _refusal("a.safetensors",
                      lambda: safetensors_file({"w": {**ONE_F32, "shape": [2**20, 2**5]}},
                                               bytes(8)),
                      {}, None)
    assert absurd.params["count"] == "33,554,432"


def test_the_error_survives_copying():
    # deepcopy rebuilds the error through __reduce__, as pickling our own objects would
    # (uploads themselves are never unpickled).
    err = _refusal("x.npz", lambda: _npz_member(np.array([1j])), {}, None)
    copy = deepcopy(err)
    assert type(copy) is TensorLoadError
    assert (copy.code, copy.template, copy.params, str(copy)) == (
        err.code, err.template, err.params, str(err))


def test_a_member_inflating_past_the_budget_has_a_code():
    archive = zipfile.ZipFile(io.BytesIO(npz_bytes(a=np.zeros(1000))))
    with pytest.raises(TensorLoadError) as info:
        tensors._read_member(archive, archive.infolist()[0], 10)
    err = info.value
    assert err.code == "npz_entry_too_large"
    assert render("en", err.code, err.params) == str(err)
