"""A Linear layer for the lessons that multiply: seeded weights, and how close a
quantized product comes to the float one.

>>> w = weights(4, 16)
>>> w.shape, w.flags.writeable
((4, 16), False)
>>> m = measure(np.array([3.0, 4.0]), np.array([3.0, 4.5]))
>>> round(m.rel_error, 3), round(m.sqnr_db, 2)  # ||y_hat - y|| / ||y|| = 0.5 / 5
(0.1, 20.0)
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from quantlib._validate import ParameterError
from quantlib.metrics import metrics
from quantlib.tensors import generate
from quantlib.uniform import as_float_array

#: The seeded weights: normal, 1/sqrt(features), as a Linear layer is initialised.
W_SEED = 7


@functools.lru_cache(maxsize=2)
def weights(out_features: int, features: int) -> np.ndarray:
    """Seeded weights (out_features x features, torch.nn.Linear's layout), normal at
    1/sqrt(features). Read-only: one array serves every caller and every page (16M
    values take a third of a second to draw)."""
    w = generate("normal", (out_features, features), seed=W_SEED,
                 scale=1.0 / math.sqrt(features))
    w.flags.writeable = False
    return w


def as_rows(a, name: str = "x") -> np.ndarray:
    """A tensor as float32 rows of the features on its last axis: a vector is one row,
    more axes are folded into rows. An empty tensor is refused."""
    a = as_float_array(a, name=name).astype(np.float32, copy=False)
    if a.size == 0:
        raise ParameterError("empty_tensor")
    return a.reshape(1, -1) if a.ndim < 2 else a.reshape(-1, a.shape[-1])


@dataclass(frozen=True)
class Measure:
    """A quantized result against the float one."""

    max_error: float
    rel_error: float  # ||y_hat - y|| / ||y||
    sqnr_db: float
    cosine: float


def measure(y, y_hat) -> Measure:
    """quantlib's metrics of ``y_hat`` against ``y``, with the relative error, which is
    the SQNR in other units: ||y_hat - y|| / ||y|| = 10^(-SQNR/20)."""
    m = metrics(y, y_hat)
    sqnr = m["sqnr_db"]
    rel = 0.0 if sqnr == math.inf else 10.0 ** (-sqnr / 20.0)
    return Measure(m["max_abs_error"], rel, sqnr, m["cosine"])
