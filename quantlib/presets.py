"""The source documents' worked examples, as data: tensors and uniform-quantization settings.

``SEED_TENSORS`` holds every vector and matrix the seeds quantize. ``SEED_EXAMPLES`` pairs
a tensor with the settings a seed used and, where the seed prints them, the integer
codes it reports, so that the app (and the tests) can show that quantlib reproduces them.

>>> import quantlib as ql
>>> ex = SEED_EXAMPLES["seed002_symmetric"]
>>> qp = ql.choose_qparams(ex.tensor(), **ex.qparams_kwargs())
>>> ql.quantize(ex.tensor(), qp).tolist() == list(ex.expected_q)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ._validate import Options
from .qtypes import Layout

_SEED002 = (0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -0.8, 0.2)
# Seed 003's percentile example clips to its 1st and 99th percentiles, [-0.2, 0.3], but
# does not print its vector. This one has those percentiles exactly: with 101 values,
# numpy's 1st and 99th percentiles are the second smallest and second largest value.
_PERCENTILE_LOW, _PERCENTILE_HIGH, _PERCENTILE_INNER = -0.2, 0.3, 99
_SEED003_PERCENTILE = (-4.0, *np.linspace(_PERCENTILE_LOW, _PERCENTILE_HIGH,
                                          _PERCENTILE_INNER).tolist(), 5.0)

SEED_TENSORS = MappingProxyType({
    "seed000_vector": (-1.8, -1.0, 0.0, 0.5),
    "seed002_vector": _SEED002,
    "seed002_outlier": _SEED002[:6] + (-99.0,) + _SEED002[7:],
    "seed003_vector": (-2.5, -1.0, 0.0, 1.0, 3.5),
    "seed003_groups": ((30.0, 10.0, 20.0, 30.0), (0.0, 2.0, 2.0, 0.0)),
    "seed003_kl": (0.1, 0.15, 0.2, 5.0),
    "seed003_percentile": _SEED003_PERCENTILE,
    "seed001_matrix_4x4": (
        (2.158, 19.568, 20.41, 44.25),
        (0.142, 0.45, 2.158, 0.37),
        (99.14, 18.56, 45.25, 0.25),
        (10.2, 9.45, 6.57, 7.85),
    ),
    "seed001_matrix_2x10": (
        (43.91, -44.93, 0.0, 22.99, -43.93, -11.35, 38.48, -20.49, -38.61, -28.02),
        (56.45, 0.0, 125.0, 22.0, 154.0, 0.15, -125.0, 256.0, 36.0, -365.0),
    ),
})


def seed_tensor(name: str) -> np.ndarray:
    """A seed's tensor as a float32 array.

    >>> seed_tensor("seed003_vector")
    array([-2.5, -1. ,  0. ,  1. ,  3.5], dtype=float32)
    """
    Options(tuple(SEED_TENSORS)).check("name", name)
    return np.array(SEED_TENSORS[name], dtype=np.float32)


@dataclass(frozen=True)
class SeedExample:
    """One worked example: which tensor, which settings, and the codes the seed printed."""

    tensor_name: str
    seed: str
    symmetric: bool
    signed: bool = True
    narrow_range: bool = False
    bits: int = 8
    rounding: str = "half_even"
    layout: Layout = Layout()
    include_zero: bool = True
    expected_q: tuple[int, ...] | None = None
    expected_zero_point: int | None = None

    def tensor(self) -> np.ndarray:
        return seed_tensor(self.tensor_name)

    def matches(self, q) -> bool | None:
        """Whether codes ``q`` (flat order) start with the seed's printed codes; None if none."""
        if self.expected_q is None:
            return None
        head = np.asarray(q).reshape(-1)[: len(self.expected_q)]
        return head.tolist() == list(self.expected_q)

    def qparams_kwargs(self) -> dict:
        """Keyword arguments for ``choose_qparams`` (min-max calibration)."""
        return dict(bits=self.bits, symmetric=self.symmetric, signed=self.signed,
                    narrow_range=self.narrow_range, layout=self.layout,
                    include_zero=self.include_zero, method="minmax")


SEED_EXAMPLES = MappingProxyType({
    "seed000_affine": SeedExample(
        "seed000_vector", "000", symmetric=False, expected_q=(-128, -39, 72, 127),
        expected_zero_point=72),
    "seed002_symmetric": SeedExample(
        "seed002_vector", "002", symmetric=True, narrow_range=True,
        expected_q=(48, 95, -48, -79, 0, 111, -127, 32), expected_zero_point=0),
    "seed002_affine": SeedExample(
        "seed002_vector", "002", symmetric=False,
        expected_q=(59, 110, -43, -77, 8, 127, -128, 42), expected_zero_point=8),
    "seed002_outlier": SeedExample(
        "seed002_outlier", "002", symmetric=True, narrow_range=True,
        expected_q=(0, 1, 0, -1, 0, 1, -127, 0), expected_zero_point=0),
    "seed003_symmetric": SeedExample(
        "seed003_vector", "003", symmetric=True, narrow_range=True,
        expected_q=(-91, -36, 0, 36, 127), expected_zero_point=0),
    "seed003_affine_half_away": SeedExample(
        "seed003_vector", "003", symmetric=False, signed=False, rounding="half_away",
        expected_q=(0, 63, 106, 149, 255), expected_zero_point=106),
    "seed003_affine_half_even": SeedExample(
        "seed003_vector", "003", symmetric=False, signed=False, rounding="half_even",
        expected_q=(0, 64, 106, 148, 255), expected_zero_point=106),
    "seed003_groups": SeedExample(
        "seed003_groups", "003", symmetric=True, bits=4, narrow_range=True,
        layout=Layout.channel(0)),
    "seed001_asymmetric_rows": SeedExample(
        "seed001_matrix_4x4", "001", symmetric=False, signed=False, layout=Layout.channel(0),
        include_zero=False),
    "seed001_symmetric_rows": SeedExample(
        "seed001_matrix_2x10", "001", symmetric=True, narrow_range=True,
        layout=Layout.channel(0)),
})



@dataclass(frozen=True)
class CalibrationExample:
    """A seed's calibration example: its tensor, settings, and what it printed.

    ``expected_q`` maps a method to the codes the seed printed for it (8-bit, signed, not
    narrow: the slides' percentile row uses -128); ``expected_range`` to its range.
    """

    tensor_name: str
    seed: str
    symmetric: bool
    percentile: float = 99.99
    bits: int = 8
    expected_q: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    expected_range: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def tensor(self) -> np.ndarray:
        return seed_tensor(self.tensor_name)


CALIBRATION_EXAMPLES = MappingProxyType({
    # Slides 40-42: min-max collapses every value to 0 or ±1; a percentile range keeps
    # them. The printed codes pin the range: |x|'s 70th percentile, 0.59.
    "seed002_outlier": CalibrationExample(
        "seed002_outlier", "002", symmetric=True, percentile=70.0,
        expected_q=MappingProxyType({"minmax": (0, 1, 0, -1, 0, 1, -127, 0),
                                     "percentile": (65, 127, -65, -108, 0, 127, -128, 43)})),
    "seed003_percentile": CalibrationExample(
        "seed003_percentile", "003", symmetric=False, percentile=99.0,
        expected_range=MappingProxyType({"percentile": (-0.2, 0.3)})),
    # Seed 003 names this vector for KL calibration but prints no result.
    "seed003_kl": CalibrationExample("seed003_kl", "003", symmetric=False),
})
