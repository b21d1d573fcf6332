"""Integer ranges and the QParams record shared by every uniform quantizer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_BITS = 2
MAX_BITS = 16
GRANULARITIES = ("tensor", "channel", "group")


def check_bits(bits: int) -> int:
    """Validate a bit width and return it as an int.

    >>> check_bits(8)
    8
    """
    if isinstance(bits, bool) or not isinstance(bits, int | np.integer):
        raise TypeError(f"bits must be an integer from {MIN_BITS} to {MAX_BITS}, got {bits!r}")
    if not MIN_BITS <= bits <= MAX_BITS:
        raise ValueError(f"bits must be from {MIN_BITS} to {MAX_BITS}, got {bits}")
    return int(bits)


def int_range(bits: int, *, signed: bool = True, narrow_range: bool = False) -> tuple[int, int]:
    """The integer range ``(qmin, qmax)`` of a b-bit integer.

    Narrow range drops the most negative code so that the range is symmetric
    (int8 becomes [-127, 127], as TensorRT and seed 001 do); for unsigned codes it
    drops 0, as TensorFlow's ``narrow_range`` does.

    >>> int_range(8)
    (-128, 127)
    >>> int_range(8, narrow_range=True)
    (-127, 127)
    >>> int_range(4, signed=False)
    (0, 15)
    """
    bits = check_bits(bits)
    if signed:
        qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    else:
        qmin, qmax = 0, 2**bits - 1
    return (qmin + 1 if narrow_range else qmin), qmax


def storage_dtype(qmin: int, qmax: int) -> np.dtype:
    """The smallest numpy integer dtype that holds ``[qmin, qmax]``.

    >>> storage_dtype(-128, 127), storage_dtype(0, 255), storage_dtype(-32768, 32767)
    (dtype('int8'), dtype('uint8'), dtype('int16'))
    """
    for dt in (np.int8, np.uint8, np.int16, np.uint16, np.int32):
        info = np.iinfo(dt)
        if info.min <= qmin and qmax <= info.max:
            return np.dtype(dt)
    return np.dtype(np.int64)


@dataclass(frozen=True, eq=False)
class QParams:
    """Quantization parameters: ``q = clip(round(x / scale) + zero_point, qmin, qmax)``.

    ``scale`` and ``zero_point`` are scalars for per-tensor quantization. For
    per-channel they are 1-D arrays with one entry per index of ``axis``; for per-group
    they have the tensor's shape with ``axis`` replaced by the number of groups
    (``ceil(n / group_size)``, the last group may be partial).

    >>> qp = QParams(scale=0.5, zero_point=3, qmin=-128, qmax=127, bits=8, symmetric=False)
    >>> qp.granularity, qp.num_params
    ('tensor', 1)
    """

    scale: float | np.ndarray
    zero_point: int | np.ndarray
    qmin: int
    qmax: int
    bits: int
    symmetric: bool
    signed: bool = True
    narrow_range: bool = False
    granularity: str = "tensor"
    axis: int | None = None
    group_size: int | None = None

    def __post_init__(self) -> None:
        if self.granularity not in GRANULARITIES:
            raise ValueError(
                f"granularity must be one of {GRANULARITIES}, got {self.granularity!r}"
            )
        if np.shape(self.scale) != np.shape(self.zero_point):
            raise ValueError(f"scale and zero_point must have the same shape, got "
                             f"{np.shape(self.scale)} and {np.shape(self.zero_point)}")
        if (self.granularity == "tensor") != (np.ndim(self.scale) == 0):
            raise ValueError("per-tensor QParams need a scalar scale and zero_point; "
                             "per-channel and per-group ones need arrays")
        if self.granularity == "channel" and np.ndim(self.scale) != 1:
            raise ValueError("per-channel QParams need 1-D scale and zero_point arrays")
        if self.granularity == "group" and not self.group_size:
            raise ValueError("per-group QParams need a group_size")
        # Arrays inside a frozen record must not change behind its back.
        for name in ("scale", "zero_point"):
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                value = value.copy()
                value.flags.writeable = False
                object.__setattr__(self, name, value)

    @property
    def num_params(self) -> int:
        """How many (scale, zero_point) pairs this record holds."""
        return int(np.size(self.scale))

    @property
    def dtype(self) -> np.dtype:
        """The integer dtype ``quantize`` returns for these parameters."""
        return storage_dtype(self.qmin, self.qmax)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QParams):
            return NotImplemented
        same_meta = all(
            getattr(self, f) == getattr(other, f)
            for f in ("qmin", "qmax", "bits", "symmetric", "signed", "narrow_range",
                      "granularity", "axis", "group_size")
        )
        return (
            same_meta
            and np.array_equal(self.scale, other.scale)
            and np.array_equal(self.zero_point, other.zero_point)
        )

    __hash__ = None  # arrays inside: equal records are not hashable
