"""Parameter constraints shared by quantlib's functions and the app's widgets.

In the spirit of scikit-learn's ``_parameter_constraints``: every bounded parameter is a
named constraint here, written once. Library functions check their arguments with it,
and the app builds its widget bounds and clamps lesson-link values from the same object,
so a bound is never typed twice.

Errors have one shape: a stable ``code``, an English ``template`` with ``{placeholders}``
and the ``params`` that fill them, so that a UI can show them translated.

>>> BITS.check("bits", 8)
8
>>> BITS.nearest(64), BITS.nearest(1.6)
(16, 2)
>>> try:
...     BITS.check("bits", 1)
... except ParameterError as err:
...     print(err.code, err.params["allowed"])
...     print(err)
param_range an integer from 2 to 16
bits must be an integer from 2 to 16, got 1
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from functools import partial
from numbers import Integral, Real
from types import MappingProxyType

import numpy as np

__all__ = [
    "BITS", "DIM", "GROUP_SIZE", "PERCENTILE", "SEED", "CodedError", "Interval", "Options",
    "ParameterError", "ParameterTypeError",
]


#: code -> English template of every ParameterError and ParameterTypeError. The app
#: translates each from its catalogue key ``err.<code>`` with the same params.
MESSAGES: MappingProxyType[str, str] = MappingProxyType({
    "bin_range": "the range must be finite with lo < hi, got [{lo}, {hi}]; use padded_range for "
                 "constant data",
    "codebook_needs_x": "the {kind} codebook is fitted to data: pass x",
    "display_range": "need a finite range with lo <= hi, got [{lo}, {hi}]",
    "empty_metrics": "metrics need at least one value, got an empty tensor",
    "empty_tensor": "cannot calibrate an empty tensor: it has no values to take a range from",
    "format_bits": "a {fmt} value has {width} bits: give a string of {width} 0s and 1s or an "
                   "integer code from 0 to 2^{width} - 1, got {value}",
    "format_no_nan": "{fmt} has no NaN: no bit pattern stands for it",
    "generate_overflow": "These parameters overflow float32 for the generator '{kind}': some "
                         "values would be beyond ±{limit}. Use a smaller scale, loc, "
                         "outlier_scale or tail parameter.",
    "index_missing": "{granularity} qparams hold {count} pairs; pass index to pick one",
    "index_range": "index {index} is out of range: there are {count} {granularity} parameter "
                   "pairs",
    "layout_axis": "a per-{granularity} layout needs an integer axis, got {value}",
    "layout_axis_range": "axis {axis} is out of range for a {ndim}-D tensor (allowed: {low} to "
                         "{high})",
    "layout_channel": "a per-channel layout has no group size",
    "layout_scalar": "per-{granularity} quantization needs at least a 1-D tensor",
    "layout_tensor": "a per-tensor layout has no axis or group size",
    "manual_range_layout": "a manual range applies to the whole tensor: give manual_range and a "
                           "per-tensor layout",
    "nan_input": "x contains NaN, which has no integer code; drop or replace NaN values before "
                 "quantizing",
    "nonfinite_input": "x contains NaN or Inf; drop or replace them before calibrating (a range "
                       "with Inf in it has no finite scale)",
    "nonfinite_metrics": "{name} contains NaN or Inf, so the error metrics are undefined; drop or"
                         " replace those values first",
    "not_codes": "q must hold integer codes, got dtype {dtype}",
    "not_real": "{name} must hold real numbers; got dtype {dtype} (complex, object and string "
                "arrays cannot be quantized)",
    "observer_empty": "{name} has seen no batch yet: call update(batch) before compute_range()",
    "param_option": "{name} must be {allowed}, got {value}",
    "param_range": "{name} must be {allowed}, got {value}",
    "param_type": "{name} must be {allowed}, got {value}",
    "qparams_channel": "per-channel QParams need 1-D scale and zero_point arrays",
    "qparams_layout": "layout must be a Layout, got {value}",
    "qparams_mismatch": "these qparams hold {granularity} parameters of shape {have}, but a "
                        "tensor of shape {shape} needs shape {need}; compute qparams on this "
                        "tensor (choose_qparams) first",
    "qparams_scalar": "per-tensor QParams need a scalar scale and zero_point; per-channel and "
                      "per-group ones need arrays",
    "qparams_shapes": "scale and zero_point must have the same shape, got {scale} and {zero}",
    "range_not_finite": "the range must be finite, got lo={lo}, hi={hi}; drop or replace NaN/Inf "
                        "values before calibrating",
    "range_reversed": "the range needs lo <= hi, got lo={lo}, hi={hi}",
    "range_shapes": "lo and hi must have the same shape, got {lo} and {hi}",
    "range_too_small": "the range [{lo}, {hi}] is too narrow: its step is below the smallest "
                       "positive float64",
    "shape_mismatch": "x and x_hat must have the same shape, got {a} and {b}",
    "shape_too_large": "shape {shape} has {count} elements, more than the cap of {cap}",
    "shape_type": "shape must be an int or a tuple of 1 to {max_ndim} ints, got {value}",
    "stochastic_rng": "stochastic rounding needs a seeded rng",
    "symmetric_unsigned_narrow": "symmetric unsigned quantization cannot use narrow_range: code 0"
                                 " (the real zero) would be dropped",
    "unknown_options": "unknown options for method {method}: {names}",
})


class CodedError(Exception):
    """An error with a stable ``code``, an English ``template`` and its ``params``.

    ``str(err)`` is the English message. A UI looks ``code`` up in its own catalogue and
    fills in the same ``params`` (display strings, or a nested object with ``code`` and
    ``params`` for a part that is translated on its own). Params the template does not
    name are dropped, so one call can raise any message of a table.

    >>> err = ParameterError("param_range", name="bits", allowed="2 to 16", value="1", unused="x")
    >>> err.params
    {'name': 'bits', 'allowed': '2 to 16', 'value': '1'}
    """

    def __init__(self, code: str, template: str, /, **params) -> None:
        named = {field for _, field, _, _ in string.Formatter().parse(template) if field}
        params = {name: value for name, value in params.items() if name in named}
        super().__init__(template.format_map(params))
        self.code, self.template, self.params = code, template, params

    def __reduce__(self):
        # Keyword params cannot go through the default pickling of exceptions.
        return partial(type(self), self.code, self.template, **self.params), ()


class _TableError(CodedError):
    """A CodedError whose template is ``MESSAGES[code]``: raise sites name only the code."""

    def __init__(self, code: str, /, **params) -> None:
        super().__init__(code, MESSAGES[code], **params)

    def __reduce__(self):
        return partial(type(self), self.code, **self.params), ()


class ParameterError(_TableError, ValueError):
    """A parameter of the right type with a value that is not allowed."""


class ParameterTypeError(_TableError, TypeError):
    """A parameter of the wrong type."""


def _show(value) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _is_number(value, integer: bool) -> bool:
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, Integral if integer else Real)


@dataclass(frozen=True)
class Interval:
    """A closed range of ints or floats, ``[low, high]``; ``None`` means unbounded.

    >>> Interval(float, 0.0, 1.0).check("p", 0.25)
    0.25
    >>> Interval(int, 1, None).describe()
    'an integer >= 1'
    """

    kind: type
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in (int, float):
            raise TypeError(f"Interval kind must be int or float, got {self.kind!r}")

    @property
    def integer(self) -> bool:
        return self.kind is int

    def _bound(self, value: float) -> str:
        return str(int(value)) if self.integer else f"{value:g}"

    def describe(self) -> str:
        """The allowed values in words, for messages: 'an integer from 2 to 16'."""
        what = "an integer" if self.integer else "a finite number"
        if self.low is not None and self.high is not None:
            return f"{what} from {self._bound(self.low)} to {self._bound(self.high)}"
        if self.low is not None:
            return f"{what} >= {self._bound(self.low)}"
        if self.high is not None:
            return f"{what} <= {self._bound(self.high)}"
        return what

    def contains(self, value) -> bool:
        """Whether ``value`` (of any type) is allowed."""
        if not _is_number(value, self.integer) or not math.isfinite(value):
            return False
        return ((self.low is None or value >= self.low)
                and (self.high is None or value <= self.high))

    def check(self, name: str, value) -> int | float:
        """``value`` as a Python int/float, or a ParameterError/ParameterTypeError."""
        if not _is_number(value, self.integer):
            raise ParameterTypeError("param_type",
                                     name=name, allowed=self.describe(), value=_show(value))
        if not self.contains(value):
            raise ParameterError("param_range",
                                 name=name, allowed=self.describe(), value=_show(value))
        return self.kind(value)

    def nearest(self, value) -> int | float | None:
        """The allowed value nearest to a number (infinities go to the bounds); None for
        NaN and for anything that is not a number.

        Integers round half away from zero first, as a person reading '2.5 bits' would.
        """
        if not _is_number(value, integer=False):
            return None
        if self.integer and isinstance(value, Integral):
            value = int(value)  # exact: no detour through float for huge integers
        elif math.isnan(value):
            return None
        if self.low is not None and value < self.low:
            return self.kind(self.low)
        if self.high is not None and value > self.high:
            return self.kind(self.high)
        if isinstance(value, float) and math.isinf(value):
            return None  # unbounded on that side: no nearest finite value
        if self.integer:
            return value if isinstance(value, int) else int(
                math.copysign(math.floor(abs(value) + 0.5), value))
        return float(value)

    def within(self, low: float | None = None, high: float | None = None) -> Interval:
        """A narrower interval (a page that teaches with fewer bits, say); never wider.

        >>> BITS.within(high=8)
        Interval(kind=<class 'int'>, low=2, high=8)
        """
        new_low = self.low if low is None else low
        new_high = self.high if high is None else high
        finite = all(bound is None or (_is_number(bound, integer=False) and math.isfinite(bound))
                     for bound in (new_low, new_high))
        if not finite or (self.low is not None and new_low < self.low) or (
                self.high is not None and new_high > self.high) or (
                new_low is not None and new_high is not None and new_low > new_high):
            raise ValueError(f"[{new_low}, {new_high}] is not inside {self.describe()}")
        return Interval(self.kind, new_low, new_high)


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values (strings, usually).

    >>> Options(("tensor", "channel")).check("granularity", "channel")
    'channel'
    """

    values: tuple

    def describe(self) -> str:
        return "one of " + ", ".join(_show(v) for v in self.values)

    def contains(self, value) -> bool:
        return any(value == v and type(value) is type(v) for v in self.values)

    def check(self, name: str, value):
        if not self.contains(value):
            raise ParameterError("param_option",
                                 name=name, allowed=self.describe(), value=_show(value))
        return value


def check_shape(shape, *, max_ndim: int, max_elements: int) -> tuple[int, ...]:
    """``shape`` (an int or a sequence of ints) as a tuple of positive dims within caps.

    >>> check_shape(5, max_ndim=4, max_elements=100)
    (5,)
    >>> check_shape((2, 3), max_ndim=4, max_elements=100)
    (2, 3)
    """
    dims = (shape,) if _is_number(shape, integer=True) else shape
    if not isinstance(dims, tuple | list) or not 1 <= len(dims) <= max_ndim or not all(
            _is_number(d, integer=True) for d in dims):
        raise ParameterTypeError("shape_type",
                                 max_ndim=str(max_ndim), value=_show(shape))
    dims = tuple(int(DIM.check("every dimension of shape", d)) for d in dims)
    count = math.prod(dims)
    if count > max_elements:
        raise ParameterError("shape_too_large", shape=str(dims), count=f"{count:,}",
                             cap=f"{max_elements:,}")
    return dims


#: Bit widths of integer codes (int2 to int16).
BITS = Interval(int, 2, 16)
#: The largest tensor the lab works on: 2**24 values (a 4096 x 4096 matrix).
MAX_ELEMENTS = 2**24
#: One dimension of a tensor.
DIM = Interval(int, 1, MAX_ELEMENTS)
#: Values per group of per-group quantization.
GROUP_SIZE = Interval(int, 1, MAX_ELEMENTS)
#: Percentile calibration: asymmetric clips 100 - p from the bottom, so p < 50 gives lo > hi.
PERCENTILE = Interval(float, 50.0, 100.0)
#: Random seeds: numpy takes any non-negative int; 32 bits are plenty and fit every widget.
SEED = Interval(int, 0, 2**32 - 1)
