"""TensorLoadError's stable codes and params, and their ``load.<code>`` texts in the UI.

Every message of ``load_tensors`` is written once, in ``quantlib.tensors.MESSAGES``, as an
English template with ``{placeholders}``; the catalogues repeat it (en) or translate it
(vi) under ``load.<code>``. These tests keep the three in step: every code is raised by
some malformed upload below, with exactly the params its template names, so that a new
or changed message cannot be forgotten.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
import zlib
from copy import copy, deepcopy
from types import MappingProxyType

import numpy as np
import pytest

from quantlib import tensors
from quantlib._validate import CodedError
from quantlib.tensors import (
    MESSAGES,
    LoadText,
    TensorLoadError,
    load_error,
    load_tensors,
    load_text,
)
from quantlib.tensors._arrays import to_float
from quantlib.tensors.npz import read_member
from tests.helpers import (
    ONE_F32,
    npy_bytes,
    npz_bytes,
    placeholders,
    raw_zip,
    render,
    safetensors_bytes,
    safetensors_file,
    source_texts,
    zip_bytes,
)
from tests.quantlib.test_tensors import BAD_NPY, BAD_NPZ, BAD_SAFETENSORS, BAD_TEXT
from ui.i18n import LANGUAGES, catalogue

CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
LABELS = sorted(code for code in MESSAGES if code.startswith("label_"))


# --- the table: one template per code, snake_case codes, read-only -------------------


def test_the_table_holds_every_message_and_label():
    assert isinstance(MESSAGES, MappingProxyType)
    assert len(MESSAGES) >= 64
    assert LABELS == ["label_npy", "label_npz_array", "label_tensor", "label_text"]
    assert source_texts() == dict(MESSAGES)


@pytest.mark.parametrize("code", list(MESSAGES))
def test_each_code_is_snake_case_and_its_template_a_sentence(code):
    assert CODE.fullmatch(code)
    template = MESSAGES[code]
    assert template == template.strip() and "  " not in template
    if code not in LABELS:
        assert template.endswith((".", ")")), "a message ends its last sentence"


def test_labels_name_no_other_label():
    assert all(placeholders(MESSAGES[code]) <= {"name"} for code in LABELS)


def test_load_error_takes_its_template_from_the_table():
    err = load_error("npz_duplicate_name", name="w", unused="dropped")
    assert (err.code, err.template, err.params) == (
        "npz_duplicate_name", MESSAGES["npz_duplicate_name"], {"name": "w"})
    with pytest.raises(KeyError):
        load_error("no_such_code")
    with pytest.raises(KeyError, match="name"):
        load_error("npz_duplicate_name")  # a placeholder left unfilled


def test_the_error_has_the_shape_of_every_quantlib_error():
    err = load_error("empty_file")
    assert isinstance(err, CodedError) and isinstance(err, ValueError)
    assert err.args == (str(err),)


# --- the catalogues ------------------------------------------------------------------


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_code_has_a_text_and_no_text_lacks_a_code(lang):
    keys = {key for key in catalogue(lang) if key.startswith("load.")}
    assert keys == {f"load.{code}" for code in source_texts()}


def test_the_english_catalogue_repeats_the_table_exactly():
    en = catalogue("en")
    assert {code: en[f"load.{code}"] for code in source_texts()} == source_texts()


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_placeholders_agree_with_the_table(lang):
    texts = catalogue(lang)
    wrong = {code: (placeholders(template), placeholders(texts[f"load.{code}"]))
             for code, template in source_texts().items()
             if placeholders(template) != placeholders(texts[f"load.{code}"])}
    assert wrong == {}


# --- the errors that malformed uploads raise ------------------------------------------


def _bad(name: str, filename: str, build, marks=(), **patch) -> pytest.param:
    """One malformed upload; ``patch`` maps "module.NAME" (in quantlib.tensors) to a value."""
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


def _deflate(payload: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(payload) + compressor.flush()


def _npz_bad_crc() -> bytes:
    payload = npy_bytes(np.ones(2))
    return raw_zip("w.npy", _deflate(payload), declared_size=len(payload), crc=0)


def _npz_understated() -> bytes:
    payload = npy_bytes(np.ones(2))
    return raw_zip("w.npy", _deflate(payload + bytes(8)), declared_size=len(payload),
                   crc=zlib.crc32(payload + bytes(8)))


def _npz_bzip2() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_BZIP2) as archive:
        archive.writestr("w.npy", npy_bytes(np.ones(2)))
    return buf.getvalue()


MALFORMED = [
    *[_bad(f"npy-{c[0]}", "bad.npy", c[1]) for c in BAD_NPY],
    *[_bad(f"npz-{c[0]}", "bad.npz", c[1]) for c in BAD_NPZ],
    *[_bad(f"safetensors-{c[0]}", "bad.safetensors", c[1]) for c in BAD_SAFETENSORS],
    *[_bad(f"text-{c[0]}", "bad.csv", lambda data=c[1]: data) for c in BAD_TEXT],
    _bad("text-long-token", "bad.csv", lambda: b"1,2\n3," + b"z" * 80 + b"\n"),
    _bad("text-unreadable", "bad.csv", lambda: "1,2\n\uff13,4\n".encode()),
    _bad("pickle", "model.pt", lambda: b"\x80\x04anything"),
    _bad("no-extension", "README", lambda: b"data"),
    _bad("unknown-extension", "/secret/x.h5", lambda: b"data"),
    _bad("empty", "x.safetensors", lambda: b""),
    _bad("npz-duplicate-name", "d.npz", _npz_twice),
    _bad("npz-bad-crc", "c.npz", _npz_bad_crc),
    _bad("npz-understated-size", "u.npz", _npz_understated),
    _bad("npz-bzip2", "b.npz", _npz_bzip2),
    _bad("long-double", "ld.npy", lambda: npy_bytes(np.ones(2, np.longdouble)),
         marks=pytest.mark.skipif(np.dtype(np.longdouble).itemsize == 8,
                                  reason="long double is float64 here")),
    _bad("time-spans", "t.npy", lambda: npy_bytes(np.array([1], dtype="m8[s]"))),
    _bad("npz-member-complex", "c.npz", lambda: _npz_member(np.array([1j]))),
    _bad("npz-member-too-many-dims", "d.npz", lambda: _npz_member(np.ones((1,) * 33))),
    _bad("npz-member-beyond-float32", "f.npz", lambda: _npz_member(np.array([1e39]))),
    _bad("npy-beyond-float32", "f.npy", lambda: npy_bytes(np.array([-1e300, 1.0]))),
    _bad("text-beyond-float32", "f.csv", lambda: b"a,b\n1e300,-1e300\n5e299,0\n"),
    _bad("safetensors-beyond-float32", "f.safetensors",
         lambda: safetensors_bytes({"w": ("F64", np.array([1.7e308]))})),
    _bad("safetensors-odd-name", "n.safetensors",
         lambda: safetensors_file({"a\nb": {**ONE_F32, "shape": [-1]}}, bytes(8))),
    _bad("upload-cap", "big.npy", lambda: bytes(2 * 10**6), **{"load.MAX_UPLOAD_BYTES": 10**6}),
    _bad("npz-too-many", "m.npz",
         lambda: npz_bytes(a=np.ones(1), b=np.ones(1), c=np.ones(1)),
         **{"npz.MAX_TENSORS_PER_FILE": 2}),
    _bad("safetensors-too-many", "m.safetensors",
         lambda: safetensors_bytes({k: ("F32", np.ones(1, np.float32)) for k in "abc"}),
         **{"safetensors.MAX_TENSORS_PER_FILE": 2}),
    _bad("npz-budget", "two.npz", lambda: npz_bytes(a=np.zeros(1000), b=np.zeros(1000)),
         **{"npz.MAX_NPZ_UNCOMPRESSED": 12_000}),
    _bad("npy-element-cap", "big.npy", lambda: npy_bytes(np.ones((4, 5))),
         **{"_arrays.MAX_ELEMENTS": 19}),
    _bad("text-element-cap", "t.csv", lambda: b"1,2,3\n4,5,6\n7,8,9\n",
         **{"text.MAX_ELEMENTS": 8}),
]


def _refusal(filename: str, build, patch: dict, monkeypatch) -> TensorLoadError:
    for target, value in patch.items():
        monkeypatch.setattr(f"quantlib.tensors.{target}", value)
    with pytest.raises(TensorLoadError) as info:
        load_tensors(build(), filename)
    return info.value


def _not_real_numbers() -> TensorLoadError:
    # Every reader refuses other dtypes first; to_float keeps its own guard.
    with pytest.raises(TensorLoadError) as info:
        to_float(np.array([True]), load_text("label_npy"))
    return info.value


def _member_past_the_budget() -> TensorLoadError:
    # Unreachable through load_tensors, which checks the declared total first; the
    # bounded read still refuses a member that outgrows the budget it is given.
    archive = zipfile.ZipFile(io.BytesIO(npz_bytes(a=np.zeros(1000))))
    with pytest.raises(TensorLoadError) as info:
        read_member(archive, archive.infolist()[0], 10)
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


def test_every_code_is_raised_by_some_upload_with_every_placeholder_filled(monkeypatch):
    raised: dict[str, set[str]] = {}
    errors = [_member_past_the_budget(), _not_real_numbers()]
    for case in MALFORMED:
        if any(mark.args and mark.args[0] for mark in case.marks):  # a skipif that applies
            continue
        with monkeypatch.context() as patched:
            errors.append(_refusal(*case.values, patched))
    for err in errors:
        raised.setdefault(err.code, set()).update(err.params)
        raised.update({v.code: set(v.params) for v in err.params.values()
                       if isinstance(v, LoadText)})
    # A fallback no dtype numpy can write reaches today (every kind has its own message).
    defensive = {"npy_unknown_dtype"}
    if np.dtype(np.longdouble).itemsize == 8:
        defensive.add("npy_extended_float")  # long double is float64 on this machine
    assert set(MESSAGES) - set(raised) == defensive
    assert {code: names for code, names in raised.items()
            if names != placeholders(MESSAGES[code])} == {}


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
    text = _refusal("x.csv", lambda: b"1e39\n", {}, None)
    assert {e.code for e in (npy, npz, st)} == {"zero_dim"}
    labels = [e.params["label"] for e in (npy, npz, st, text)]
    assert [(label.code, label.params) for label in labels] == [
        ("label_npy", {}), ("label_npz_array", {"name": "odd name"}),
        ("label_tensor", {"name": "w"}), ("label_text", {})]
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
    err = _refusal("big.npy", lambda: bytes(2 * 10**6), {"load.MAX_UPLOAD_BYTES": 10**6},
                   monkeypatch)
    assert err.params == {"size": "2.0 MB", "limit": "1.0 MB"}
    absurd = _refusal("a.safetensors",
                      lambda: safetensors_file({"w": {**ONE_F32, "shape": [2**20, 2**5]}},
                                               bytes(8)),
                      {}, None)
    assert absurd.params["count"] == "33,554,432"
    huge = _refusal("h.npy", lambda: npy_bytes(np.array([1.5e300, np.inf])), {}, None)
    assert (huge.params["largest"], huge.params["limit"]) == ("1.5e300", "3.4e38")


@pytest.mark.parametrize("copier", [deepcopy, copy], ids=["deepcopy", "copy"])
def test_the_error_survives_copying(copier):
    # Both rebuild the error through __reduce__, as pickling does (Streamlit's caches).
    err = _refusal("x.npz", lambda: _npz_member(np.array([1j])), {}, None)
    twin = copier(err)
    assert type(twin) is TensorLoadError
    assert (twin.code, twin.template, twin.params, str(twin)) == (
        err.code, err.template, err.params, str(err))


def test_a_member_inflating_past_the_budget_has_a_code():
    err = _member_past_the_budget()
    assert err.code == "npz_entry_too_large"
    assert render("en", err.code, err.params) == str(err)


def test_the_package_still_exposes_its_limits():
    assert tensors.MAX_ELEMENTS == 2**24
    assert tensors.MAX_NPZ_UNCOMPRESSED == 2 * tensors.MAX_ELEMENTS * 8
