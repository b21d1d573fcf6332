"""The generator constraints quantlib.tensors exposes agree with what ``generate`` accepts.

The app's widgets build their bounds from ``GENERATOR_PARAMS``, ``SCALE``, ``LOC``,
``OUTLIERS``, ``OUTLIER_SCALE`` and ``SEED``, so each bound must be exactly where
``generate`` draws the line: a value at the bound is accepted, one step beyond is refused.
"""

from __future__ import annotations

import importlib
import math
from types import MappingProxyType

import numpy as np
import pytest

from quantlib._validate import MESSAGES as PARAMETER_MESSAGES
from quantlib._validate import SEED, Interval, ParameterError
from quantlib.tensors import (
    GENERATOR_PARAMS,
    GENERATORS,
    LOC,
    MAX_ELEMENTS,
    MAX_NDIM,
    OUTLIER_SCALE,
    OUTLIERS,
    SCALE,
    generate,
)

# ``quantlib.tensors.generate`` is the function; the module that holds it is this one.
GENERATE_MODULE = importlib.import_module("quantlib.tensors.generate")
COMMON = {"seed": SEED, "scale": SCALE, "loc": LOC, "outliers": OUTLIERS,
          "outlier_scale": OUTLIER_SCALE}
SMALL = (4, 8)
SMALL_SIZE = math.prod(SMALL)


def _step(interval: Interval, bound: float, direction: int) -> int | float:
    """The nearest value beyond ``bound`` (direction -1 below, +1 above)."""
    if interval.integer:
        return int(bound) + direction
    return float(np.nextafter(bound, direction * math.inf))


def _bounds(interval: Interval, name: str) -> list[tuple[str, int | float]]:
    """``(side, value)`` at each end, where a small tensor caps the counts at its size."""
    high = interval.high
    if name == "outliers":
        high = SMALL_SIZE
    elif name == "outlier_channels":
        high = SMALL[-1]
    return [("low", interval.low), ("high", high)]


CASES = [
    pytest.param(kind, name, interval, side, value, id=f"{kind}-{name}-{side}")
    for kind in GENERATORS
    for name, interval in {**COMMON, **GENERATOR_PARAMS[kind]}.items()
    for side, value in _bounds(interval, name)
]


def _generate(kind: str, name: str, value, shape=SMALL) -> np.ndarray:
    return generate(kind, shape, **{name: value})


# --- the exposed objects -----------------------------------------------------------


def test_the_kinds_and_parameters_are_those_of_generators():
    assert isinstance(GENERATOR_PARAMS, MappingProxyType)
    assert list(GENERATOR_PARAMS) == list(GENERATORS)
    for kind, params in GENERATOR_PARAMS.items():
        assert isinstance(params, MappingProxyType)
        assert list(params) == list(GENERATORS[kind])


# Sorted: a set's order differs between processes (the test workers must agree).
GENERATOR_PARAM_NAMES = sorted({n for p in GENERATOR_PARAMS.values() for n in p})


@pytest.mark.parametrize("name", [*COMMON, *GENERATOR_PARAM_NAMES])
def test_every_interval_is_closed(name):
    intervals = [COMMON[name]] if name in COMMON else [
        p[name] for p in GENERATOR_PARAMS.values() if name in p]
    for interval in intervals:
        assert isinstance(interval, Interval)
        assert interval.low is not None and interval.high is not None
        assert interval.low < interval.high


@pytest.mark.parametrize("kind", list(GENERATORS))
def test_defaults_lie_inside_their_intervals_and_have_their_type(kind):
    for name, default in GENERATORS[kind].items():
        interval = GENERATOR_PARAMS[kind][name]
        assert interval.contains(default)
        assert type(default) is interval.kind
    assert generate(kind, SMALL).shape == SMALL  # every default accepted


def test_the_bounds_the_brief_asks_for():
    assert (SCALE.low, SCALE.high, LOC.low, LOC.high) == (1e-6, 1e6, -1e6, 1e6)
    assert (OUTLIER_SCALE.low, OUTLIER_SCALE.high) == (0.0, 1e6)
    assert (OUTLIERS.kind, OUTLIERS.low, OUTLIERS.high) == (int, 0, MAX_ELEMENTS)
    expected = {
        ("student_t", "df"): (float, 1.0, 1e6), ("lognormal", "sigma"): (float, 0.01, 4.0),
        ("bimodal", "separation"): (float, 0.0, 1e6), ("bimodal", "spread"): (float, 1e-6, 1e6),
        ("llm_activations", "outlier_channels"): (int, 0, MAX_ELEMENTS),
        ("llm_activations", "channel_scale"): (float, 1e-6, 1e6),
        ("constant", "value"): (float, -1e18, 1e18),
    }
    got = {(kind, name): (i.kind, i.low, i.high)
           for kind, params in GENERATOR_PARAMS.items() for name, i in params.items()}
    assert got == expected
    assert MAX_NDIM == 4


# --- the bounds agree with generate -----------------------------------------------------


@pytest.mark.parametrize(("kind", "name", "interval", "side", "value"), CASES)
def test_a_value_at_the_bound_is_accepted(kind, name, interval, side, value):
    x = _generate(kind, name, value)
    assert x.shape == SMALL and x.dtype == np.float32
    assert np.isfinite(x).all()


@pytest.mark.parametrize(("kind", "name", "interval", "side", "value"), CASES)
def test_one_step_beyond_the_bound_is_refused(kind, name, interval, side, value):
    beyond = _step(interval, value, -1 if side == "low" else 1)
    with pytest.raises(ParameterError, match=f"^{name} must be .*, got ") as info:
        _generate(kind, name, beyond)
    assert info.value.code == "param_range"


def test_outliers_reach_their_cap_on_a_full_size_tensor():
    x = generate("constant", MAX_ELEMENTS, outliers=OUTLIERS.high, outlier_scale=2.0)
    assert (np.abs(x - 0.0) == 2.0).all()
    with pytest.raises(ParameterError, match="outliers"):
        generate("constant", MAX_ELEMENTS, outliers=OUTLIERS.high + 1)


def test_outlier_channels_reach_their_cap_on_a_full_size_tensor():
    cap = GENERATOR_PARAMS["llm_activations"]["outlier_channels"].high
    x = generate("llm_activations", MAX_ELEMENTS, outlier_channels=cap, channel_scale=1e6)
    assert np.isfinite(x).all()
    with pytest.raises(ParameterError, match="outlier_channels"):
        generate("llm_activations", MAX_ELEMENTS, outlier_channels=cap + 1)


def test_every_bound_at_once_stays_finite():
    for kind, params in GENERATOR_PARAMS.items():
        extreme = {name: interval.high for name, interval in params.items()
                   if name != "outlier_channels"}
        x = generate(kind, SMALL, seed=SEED.high, scale=SCALE.high, loc=LOC.low,
                     outliers=SMALL_SIZE // 2, outlier_scale=OUTLIER_SCALE.high, **extreme)
        assert np.isfinite(x).all(), kind


# --- an overflow is a ParameterError with a message that says what to change ----------


def test_an_overflowing_result_is_a_parameter_error(monkeypatch):
    # No allowed value overflows float32; widen the scale to see the guard at work.
    monkeypatch.setattr(GENERATE_MODULE, "SCALE", Interval(float, 1e-6, 1e39))
    with pytest.raises(ParameterError) as info:
        generate("normal", 100, scale=3e38)
    err = info.value
    assert err.code == "generate_overflow"
    assert err.params == {"kind": "normal", "limit": "3.4e38"}
    assert err.template == PARAMETER_MESSAGES["generate_overflow"]
    text = str(err)
    assert "'normal'" in text and "±3.4e38" in text and "smaller scale" in text
    assert text[0].isupper() and text.endswith("."), "a full sentence that says what to change"
