"""The code shown under "the maths" runs and reproduces the numbers on the page."""

from __future__ import annotations

import numpy as np
import pytest

import quantlib as ql
from ui.controls import UniformSettings
from ui.snippets import numpy_code, quantlib_code, torch_code, uniform_latex

X = ql.generate("laplace", (8, 96), seed=3)


def settings(**changes) -> UniformSettings:
    base = dict(symmetric=False, signed=True, bits=4, narrow_range=False, include_zero=True,
                rounding="half_even", seed=0, granularity="tensor", axis=0, group_size=64,
                method="minmax", percentile=99.9, manual_range=None, focus=0)
    return UniformSettings(**{**base, **changes})


CASES = {
    "affine": settings(),
    "symmetric-narrow": settings(symmetric=True, narrow_range=True, bits=8),
    "unsigned": settings(signed=False, bits=3),
    "half-away": settings(rounding="half_away"),
    "floor": settings(rounding="floor"),
    "stochastic": settings(rounding="stochastic", seed=7),
    "percentile": settings(method="percentile", percentile=99.0),
    "manual": settings(method="manual", manual_range=(-1.0, 2.0)),
    "channel": settings(granularity="channel", axis=0),
    "group": settings(granularity="group", axis=1, group_size=32, symmetric=True),
    "no-zero": settings(include_zero=False),
}


@pytest.mark.parametrize("s", CASES.values(), ids=CASES.keys())
def test_quantlib_snippet_reproduces_the_report(s):
    report = ql.uniform_report(X, **s.report_kwargs())
    scope = {"x": X}
    exec(quantlib_code(s).replace("print(", "str("), scope)  # noqa: S102
    np.testing.assert_array_equal(scope["q"].reshape(-1)[:32], report.q_head)
    assert scope["qp"] == report.qparams


@pytest.mark.parametrize("s", [c for c in CASES.values() if c.granularity == "tensor"
                               and c.rounding != "stochastic"],
                         ids=[k for k, c in CASES.items() if c.granularity == "tensor"
                              and c.rounding != "stochastic"])
def test_numpy_snippet_reproduces_the_codes(s):
    report = ql.uniform_report(X, **s.report_kwargs())
    scope = {"x": X}
    exec(numpy_code(s, report), scope)  # noqa: S102
    expected = ql.quantize(X, report.qparams, rounding=s.rounding)
    # The snippet prints s with 8 significant digits: allow codes one step apart at ties.
    assert np.abs(scope["q"].astype(int) - expected).max() <= 1
    assert np.mean(scope["q"] == expected) > 0.999


@pytest.mark.parametrize("s", CASES.values(), ids=CASES.keys())
def test_latex_and_torch_snippets_show_the_live_numbers(s):
    report = ql.uniform_report(X, **s.report_kwargs())
    latex = "\n".join(uniform_latex(s, report))
    assert str(report.focus_qparams.qmax) in latex
    assert "q =" in latex and r"\hat{x}" in latex
    code = torch_code(s, report)
    assert "import torch" in code and "x_hat" in code
    compile(code, "<torch snippet>", "exec")
