"""Integer formats, the Layout of quantization parameters, and the QParams record."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validate import BITS, GROUP_SIZE, Options, ParameterError, ParameterTypeError

GRANULARITIES = ("tensor", "channel", "group")
GRANULARITY = Options(GRANULARITIES)
#: Groups take consecutive values along the last axis unless told otherwise, as GPTQ/AWQ
#: group the input features of a weight.
DEFAULT_GROUP_AXIS = -1
DEFAULT_GROUP_SIZE = 64


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
    bits = BITS.check("bits", bits)
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


def _is_int(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


@dataclass(frozen=True)
class Layout:
    """Which values share one (scale, zero_point): like torchao's PerTensor/PerAxis/PerGroup.

    - per tensor: one pair for the whole tensor;
    - per channel: one pair per index of ``axis`` (the output channels of a weight are
      axis 0 in torch.nn.Linear's (out, in) layout);
    - per group: one pair per run of ``group_size`` consecutive values along ``axis``
      (the last group may be partial), for every index of the other axes.

    >>> Layout.channel(0)
    Layout(granularity='channel', axis=0, group_size=None)
    >>> Layout.group(64).param_shape((4, 200))
    (4, 4)
    """

    granularity: str = "tensor"
    axis: int | None = None
    group_size: int | None = None

    def __post_init__(self) -> None:
        GRANULARITY.check("granularity", self.granularity)
        if self.granularity == "tensor":
            if self.axis is not None or self.group_size is not None:
                raise ParameterError("layout_tensor")
            return
        if not _is_int(self.axis):
            raise ParameterTypeError("layout_axis",
                                     granularity=self.granularity, value=repr(self.axis))
        object.__setattr__(self, "axis", int(self.axis))
        if self.granularity == "channel":
            if self.group_size is not None:
                raise ParameterError("layout_channel")
        else:
            object.__setattr__(self, "group_size",
                               GROUP_SIZE.check("group_size", self.group_size))

    @classmethod
    def tensor(cls) -> Layout:
        return cls()

    @classmethod
    def channel(cls, axis: int = 0) -> Layout:
        return cls("channel", axis)

    @classmethod
    def group(cls, size: int = DEFAULT_GROUP_SIZE, axis: int = DEFAULT_GROUP_AXIS) -> Layout:
        return cls("group", axis, size)

    @classmethod
    def of(cls, granularity: str = "tensor", *, axis: int = 0,
           group_size: int = DEFAULT_GROUP_SIZE) -> Layout:
        """A layout from loose keywords; ``axis``/``group_size`` are ignored where unused.

        >>> Layout.of("group", axis=1, group_size=32)
        Layout(granularity='group', axis=1, group_size=32)
        """
        GRANULARITY.check("granularity", granularity)
        if granularity == "tensor":
            return cls()
        if granularity == "channel":
            return cls("channel", axis)
        return cls("group", axis, group_size)

    def resolve(self, shape: tuple[int, ...]) -> Layout:
        """This layout for a tensor of ``shape``, with a non-negative axis; checks it fits.

        >>> Layout.group(4, axis=-1).resolve((2, 10)).axis
        1
        """
        if self.granularity == "tensor":
            return self
        ndim = len(shape)
        if ndim == 0:
            raise ParameterError("layout_scalar", granularity=self.granularity)
        if not -ndim <= self.axis < ndim:
            raise ParameterError("layout_axis_range",
                                 axis=str(self.axis), ndim=str(ndim), low=str(-ndim),
                                 high=str(ndim - 1))
        axis = self.axis % ndim
        return self if axis == self.axis else Layout(self.granularity, axis, self.group_size)

    def param_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of ``scale`` and ``zero_point`` for a tensor of ``shape``.

        >>> Layout.channel(0).param_shape((4, 10)), Layout.group(4, axis=1).param_shape((4, 10))
        ((4,), (4, 3))
        """
        layout = self.resolve(shape)
        if layout.granularity == "tensor":
            return ()
        if layout.granularity == "channel":
            return (shape[layout.axis],)
        dims = list(shape)
        dims[layout.axis] = num_groups(shape[layout.axis], layout.group_size)
        return tuple(dims)

    def num_params(self, shape: tuple[int, ...]) -> int:
        """How many (scale, zero_point) pairs a tensor of ``shape`` needs.

        >>> Layout.group(64).num_params((64, 256))
        256
        """
        return int(np.prod(self.param_shape(shape), dtype=np.int64))


def num_groups(n: int, group_size: int) -> int:
    """How many groups of ``group_size`` cover ``n`` values (the last may be partial).

    >>> num_groups(10, 4)
    3
    """
    return -(-n // group_size)


@dataclass(frozen=True, eq=False)
class QParams:
    """Quantization parameters: ``q = clip(round(x / scale) + zero_point, qmin, qmax)``.

    ``scale`` and ``zero_point`` are scalars for a per-tensor ``layout``, and arrays of
    ``layout.param_shape(x.shape)`` otherwise: one entry per channel, or the tensor's
    shape with ``layout.axis`` replaced by the number of groups.

    >>> qp = QParams(scale=0.5, zero_point=3, qmin=-128, qmax=127, bits=8, symmetric=False)
    >>> qp.layout.granularity, qp.num_params
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
    layout: Layout = field(default_factory=Layout)

    def __post_init__(self) -> None:
        if not isinstance(self.layout, Layout):
            raise ParameterTypeError("qparams_layout",
                                     value=repr(self.layout))
        if np.shape(self.scale) != np.shape(self.zero_point):
            raise ParameterError("qparams_shapes",
                                 scale=str(np.shape(self.scale)),
                                 zero=str(np.shape(self.zero_point)))
        per_tensor = self.layout.granularity == "tensor"
        if per_tensor != (np.ndim(self.scale) == 0):
            raise ParameterError("qparams_scalar")
        if self.layout.granularity == "channel" and np.ndim(self.scale) != 1:
            raise ParameterError("qparams_channel")
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
            for f in ("qmin", "qmax", "bits", "symmetric", "signed", "narrow_range", "layout")
        )
        return (
            same_meta
            and np.array_equal(self.scale, other.scale)
            and np.array_equal(self.zero_point, other.zero_point)
        )

    __hash__ = None  # arrays inside: equal records are not hashable
