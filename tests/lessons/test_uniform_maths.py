"""The maths behind the Uniform page: its snippets run and reproduce quantlib exactly."""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import string

import numpy as np
import pytest

import quantlib as ql
from lessons import uniform, uniform_maths
from lessons.text import num
from lessons.uniform import Settings
from quantlib import Layout
from ui.i18n import LANGUAGES, catalogue


def say(key, **values):
    return catalogue("en")[f"snippet.{key}"].format(**values)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


TENSORS = {
    "laplace-8x96": ql.generate("laplace", (8, 96), seed=3),
    "3d-5x3x9": ql.generate("normal", (5, 3, 9), seed=2),
    "all-zero-4x6": np.zeros((4, 6), np.float32),
    "seed003-vector": ql.seed_tensor("seed003_vector"),
}
SCHEMES = {
    "affine-signed": dict(),
    "symmetric-narrow": dict(symmetric=True, narrow_range=True),
    "affine-unsigned": dict(signed=False),
    "affine-as-given": dict(include_zero=False),
    "symmetric-unsigned": dict(symmetric=True, signed=False),
}
METHODS = {
    "minmax": dict(),
    "percentile99": dict(method="percentile", percentile=99.0),
    "manual": dict(method="manual", manual_range=(-1.0, 2.0)),
}
# Groups of 7 along the last axis and of 3 along axis 0 leave a partial last group in
# every tensor above (96, 9, 6 and 5 values; 8, 5, 4 and 5 values).
LAYOUTS = {
    "per-tensor": Layout.tensor(),
    "channel-axis0": Layout.channel(0),
    "channel-last": Layout.channel(-1),
    "group7-last": Layout.group(7, axis=-1),
    "group3-axis0": Layout.group(3, axis=0),
}


def _grid():
    """{(tensor id, scheme id): {case id: Settings}} over every combination Settings takes."""
    cases = {}
    for (t, _), (sch, scheme), (m, method), (lay, layout), rounding in itertools.product(
            TENSORS.items(), SCHEMES.items(), METHODS.items(), LAYOUTS.items(),
            ql.ROUNDING_MODES):
        if m == "manual" and layout.granularity != "tensor":
            continue  # Settings refuses it: a typed range applies to the whole tensor
        s = Settings(rounding=rounding, seed=7, layout=layout, **scheme, **method)
        cases.setdefault((t, sch), {})[f"{t}-{sch}-{m}-{lay}-{rounding}"] = s
    return cases


GRID_BY_TENSOR_SCHEME = _grid()
GRID = {name: (t, s) for (t, _), group in GRID_BY_TENSOR_SCHEME.items()
        for name, s in group.items()}


@functools.cache
def case(tensor_id: str, s: Settings):
    """The report, the expected codes and reconstruction of one grid case (computed once)."""
    x = TENSORS[tensor_id]
    r = uniform.report(x, s)
    qp = uniform.qparams_for(x, s)
    q = ql.quantize(x, qp, rounding=s.rounding, seed=s.seed)
    return r, qp, q, ql.dequantize(q, qp)


def run_snippet(dialect, tensor_id, s):
    x = TENSORS[tensor_id]
    r = case(tensor_id, s)[0]
    scope = {"x": x.copy()}
    exec(uniform_maths.code(dialect, s, r, x.shape, r.degenerate, say), scope)  # noqa: S102
    return scope


def test_the_grid_covers_every_combination_the_library_accepts():
    assert len(GRID) == len(TENSORS) * len(SCHEMES) * len(ql.ROUNDING_MODES) * (
        (len(METHODS) - 1) * len(LAYOUTS) + 1)
    # The all-zero tensor and the manual ranges make some rows degenerate, others not.
    degenerate = {case(t, s)[0].degenerate for t, s in GRID.values()}
    assert degenerate == {True, False}


@pytest.mark.parametrize(("tensor_id", "s"), GRID.values(), ids=GRID.keys())
def test_numpy_snippet_gives_exactly_quantlibs_codes(tensor_id, s):
    _, _, q, x_hat = case(tensor_id, s)
    scope = run_snippet(uniform_maths.NUMPY, tensor_id, s)
    assert scope["q"].dtype == q.dtype and np.array_equal(scope["q"], q)
    assert scope["x_hat"].dtype == np.float32 and np.array_equal(scope["x_hat"], x_hat)
    assert np.array_equal(scope["x"], TENSORS[tensor_id])  # the snippet leaves x alone


def grid_of(tensor_id, scheme_id):
    """The grid cases of one tensor and scheme: {id: settings}."""
    return GRID_BY_TENSOR_SCHEME[tensor_id, scheme_id]


TENSOR_SCHEMES = list(GRID_BY_TENSOR_SCHEME)
TENSOR_SCHEME_IDS = [f"{t}-{sch}" for t, sch in TENSOR_SCHEMES]


@pytest.mark.parametrize(("tensor_id", "scheme_id"), TENSOR_SCHEMES, ids=TENSOR_SCHEME_IDS)
def test_torch_snippet_gives_exactly_quantlibs_codes(tensor_id, scheme_id):
    """The numpy test's grid, one test per tensor and scheme (methods, layouts and rounding
    modes inside): the ids of the cases that differ are in the failure message."""
    torch = pytest.importorskip("torch")
    wrong = []
    for name, s in grid_of(tensor_id, scheme_id).items():
        _, _, q, x_hat = case(tensor_id, s)
        scope = run_snippet(uniform_maths.TORCH, tensor_id, s)
        assert isinstance(scope["q"], torch.Tensor), name
        got_q, got_x_hat = scope["q"].numpy(), scope["x_hat"].numpy()
        if not (got_q.dtype == q.dtype and np.array_equal(got_q, q)):
            wrong.append(f"{name}: q")
        elif not (got_x_hat.dtype == np.float32 and np.array_equal(got_x_hat, x_hat)):
            wrong.append(f"{name}: x_hat")
    assert wrong == []


@pytest.mark.parametrize(("tensor_id", "scheme_id"), TENSOR_SCHEMES, ids=TENSOR_SCHEME_IDS)
def test_quantlib_snippet_gives_the_same_qparams_and_codes(tensor_id, scheme_id):
    x = TENSORS[tensor_id]
    wrong = []
    for name, s in grid_of(tensor_id, scheme_id).items():
        _, qp, q, x_hat = case(tensor_id, s)
        scope = {"x": x}
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(uniform_maths.quantlib_code(s), scope)  # noqa: S102
        if scope["qp"] != qp:
            wrong.append(f"{name}: qp")
        elif not (scope["q"].dtype == q.dtype and np.array_equal(scope["q"], q)
                  and np.array_equal(scope["x_hat"], x_hat)):
            wrong.append(f"{name}: q or x_hat")
        elif "sqnr_db" not in printed.getvalue():
            wrong.append(f"{name}: metrics not printed")
    assert wrong == []


LATEX_CASES = {
    "affine-tensor": ("laplace-8x96", Settings()),
    "affine-as-given": ("laplace-8x96", Settings(include_zero=False, bits=8)),
    "symmetric-channel": ("laplace-8x96", Settings(symmetric=True, narrow_range=True,
                                                   layout=Layout.channel(0), focus=3)),
    "unsigned-group": ("3d-5x3x9", Settings(signed=False, layout=Layout.group(7), focus=4)),
    "manual": ("seed003-vector", Settings(method="manual", manual_range=(-2.5, 3.5),
                                         bits=8)),
}


@pytest.mark.parametrize(("tensor_id", "s"), LATEX_CASES.values(), ids=LATEX_CASES.keys())
def test_latex_shows_the_live_numbers(tensor_id, s):
    r = case(tensor_id, s)[0]
    fq = r.focus_qparams
    text = "\n".join(uniform_maths.latex(s, r))
    assert f"q \\in [{fq.qmin}, {fq.qmax}]" in text
    assert f"= {num(fq.scale, 6)}" in text
    lo, hi = r.range_used
    assert num(hi, 6) in text
    if s.symmetric:
        assert "z = 0" in text
    else:
        assert f"= {fq.zero_point}" in text and num(lo, 6).lstrip("-") in text
        assert (r"\operatorname{clip}" in text.splitlines()[1]) == s.include_zero
    first = {k: v[0] for k, v in r.table.items()}
    assert f"x_0 = {num(first['x'], 6)}" in text
    assert f"q = {first['q']}" in text and f"= {num(first['x_hat'], 6)}" in text


def test_latex_follows_the_settings():
    a = "\n".join(uniform_maths.latex(Settings(bits=4), case("laplace-8x96", Settings(bits=4))[0]))
    s8 = Settings(bits=8)
    b = "\n".join(uniform_maths.latex(s8, case("laplace-8x96", s8)[0]))
    assert "[-8, 7]" in a and "[-128, 127]" in b


# --- the comments: every key in both catalogues, and every key used ---------------------


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("key", uniform_maths.COMMENTS)
def test_every_comment_is_in_every_catalogue_with_the_same_placeholders(key, lang):
    en = catalogue("en")[f"snippet.{key}"]
    text = catalogue(lang).get(f"snippet.{key}")
    assert text, f"snippet.{key} is missing in {lang}.json"
    assert placeholders(text) == placeholders(en)


def test_the_catalogues_have_no_other_snippet_comments():
    for lang in LANGUAGES:
        keys = {k.removeprefix("snippet.") for k in catalogue(lang) if k.startswith("snippet.")}
        assert keys == set(uniform_maths.COMMENTS), lang


def test_code_says_only_listed_comments_with_their_placeholders():
    used = set()

    def recording_say(key, **values):
        assert key in uniform_maths.COMMENTS, key
        assert set(values) == placeholders(catalogue("en")[f"snippet.{key}"]), key
        used.add(key)
        return say(key, **values)

    for dialect in (uniform_maths.NUMPY, uniform_maths.TORCH):
        for tensor_id, s in GRID.values():
            r = case(tensor_id, s)[0]
            shape = TENSORS[tensor_id].shape
            uniform_maths.code(dialect, s, r, shape, r.degenerate, recording_say)
    assert used == set(uniform_maths.COMMENTS)


def test_snippet_comments_are_in_the_students_language():
    def say_vi(key, **values):
        return catalogue("vi")[f"snippet.{key}"].format(**values)

    s = Settings(rounding="half_away")
    r = case("laplace-8x96", s)[0]
    code = uniform_maths.code(uniform_maths.NUMPY, s, r, (8, 96), r.degenerate, say_vi)
    assert say_vi("half_away") in code and say("half_away") not in code
    compile(code, "<numpy snippet>", "exec")
