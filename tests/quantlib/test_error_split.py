"""Tests for quantlib.metrics.error_split: the MSE split into clipping and rounding.

Oracle written here: a value is clipped when it lies more than half a step beyond the
outermost levels, ``x < (qmin - 1/2 - z) * s`` or ``x > (qmax + 1/2 - z) * s`` with its own
(s, z); clip_mse sums the squared errors of those values, round_mse of all others, both
divided by the number of values.
"""

from __future__ import annotations

import numpy as np
import pytest

import quantlib as ql
from quantlib import Layout

SYMMETRY = pytest.mark.parametrize("symmetric", [False, True], ids=["affine", "symmetric"])

# (shape, layout): per tensor, per channel on several axes, per group with ragged groups.
LAYOUTS = [
    ((400,), Layout.tensor()),
    ((6, 50), Layout.tensor()),
    ((6, 50), Layout.channel(0)),
    ((6, 50), Layout.channel(1)),
    ((3, 4, 10), Layout.channel(1)),
    ((6, 50), Layout.group(16, axis=1)),
    ((50, 6), Layout.group(16, axis=0)),
    ((3, 4, 10), Layout.group(3, axis=2)),
    ((37,), Layout.group(64)),
]
LAYOUT_IDS = ["tensor-1d", "tensor-2d", "channel0", "channel1", "channel-3d",
              "group-rows-ragged", "group-cols-ragged", "group-3d-ragged", "group-oversized"]


def per_value_params(qp, shape):
    """The scale and zero point of every value of a tensor of ``shape``, in its shape."""
    layout = qp.layout.resolve(shape)
    scale = np.asarray(qp.scale, np.float64)
    zero = np.asarray(qp.zero_point, np.float64)
    if layout.granularity == "tensor":
        return np.full(shape, float(scale)), np.full(shape, float(zero))
    axis = layout.axis
    if layout.granularity == "channel":
        view = [1] * len(shape)
        view[axis] = shape[axis]
        return (np.broadcast_to(scale.reshape(view), shape),
                np.broadcast_to(zero.reshape(view), shape))
    group_of = np.arange(shape[axis]) // layout.group_size  # group index along the axis
    return np.take(scale, group_of, axis=axis), np.take(zero, group_of, axis=axis)


def oracle_split(x, x_hat, qp):
    x = np.asarray(x, np.float64)
    scale, zero = per_value_params(qp, x.shape)
    clipped = (x < (qp.qmin - 0.5 - zero) * scale) | (x > (qp.qmax + 0.5 - zero) * scale)
    sq = (np.asarray(x_hat, np.float64) - x) ** 2
    return clipped, sq[clipped].sum() / x.size, sq[~clipped].sum() / x.size


def tensor(shape, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_t(3, shape) * rng.uniform(0.5, 3.0)


def clipping_qparams(x, layout, symmetric, bits=4):
    """Percentile-90 ranges: some values in every row are clipped, most are not."""
    return ql.choose_qparams(x, bits=bits, symmetric=symmetric, method="percentile",
                             percentile=90.0, layout=layout)


@pytest.mark.parametrize(("shape", "layout"), LAYOUTS, ids=LAYOUT_IDS)
@SYMMETRY
@pytest.mark.parametrize("seed", [0, 1])
def test_parts_add_up_to_the_mse_and_match_the_oracle(shape, layout, symmetric, seed):
    x = tensor(shape, seed)
    qp = clipping_qparams(x, layout, symmetric)
    x_hat = ql.fake_quantize(x, qp)
    split = ql.error_split(x, x_hat, qp)
    assert set(split) == {"mse", "clip_mse", "round_mse", "clipped_fraction"}
    assert split["clipped_fraction"] == ql.clipped_fraction(x, qp)
    assert all(type(v) is float for v in split.values())
    assert split["clip_mse"] + split["round_mse"] == pytest.approx(split["mse"], rel=1e-12)
    assert split["mse"] == pytest.approx(ql.metrics(x, x_hat)["mse"], rel=1e-12)
    assert split["mse"] == pytest.approx(np.mean((x_hat.astype(np.float64) - x) ** 2),
                                         rel=1e-12)
    clipped, clip_mse, round_mse = oracle_split(x, x_hat, qp)
    assert clipped.any() and (~clipped).any()  # both parts are exercised
    assert split["clip_mse"] == pytest.approx(clip_mse, rel=1e-12)
    assert split["round_mse"] == pytest.approx(round_mse, rel=1e-12)
    # The values counted as clipped are exactly the ones clipped_fraction counts.
    assert np.count_nonzero(clipped) / x.size == ql.clipped_fraction(x, qp)


@pytest.mark.parametrize(("shape", "layout"), LAYOUTS, ids=LAYOUT_IDS)
@SYMMETRY
@pytest.mark.parametrize("bits", [2, 4, 8])
def test_minmax_ranges_clip_nothing(shape, layout, symmetric, bits):
    x = tensor(shape, bits)
    qp = ql.choose_qparams(x, bits=bits, symmetric=symmetric, layout=layout)
    x_hat = ql.fake_quantize(x, qp)
    split = ql.error_split(x, x_hat, qp)
    assert ql.clipped_fraction(x, qp) == 0.0
    assert split["clip_mse"] == 0.0
    assert split["round_mse"] == pytest.approx(split["mse"], rel=1e-12)
    # Rounding alone moves no value by more than half a step (a little float32 slack).
    scale, _ = per_value_params(qp, x.shape)
    assert np.all(np.abs(x_hat - x) <= scale / 2 * (1 + 1e-6) + 1e-6 * np.abs(x))


@SYMMETRY
def test_a_value_exactly_half_a_step_beyond_the_end_is_not_clipped(symmetric):
    qp = ql.qparams_from_range(-1.0, 1.0, bits=4, symmetric=symmetric)
    top = (qp.qmax + 0.5 - qp.zero_point) * qp.scale
    x = np.array([0.1, top, np.nextafter(top, np.inf) * (1 + 1e-9)])
    split = ql.error_split(x, ql.fake_quantize(x, qp), qp)
    clipped, clip_mse, _ = oracle_split(x, ql.fake_quantize(x, qp), qp)
    assert clipped.tolist() == [False, False, True]
    assert split["clip_mse"] == pytest.approx(clip_mse, rel=1e-12)
    assert ql.clipped_fraction(x, qp) == pytest.approx(1 / 3)


def test_seed_002_outlier_is_all_clipping():
    x = np.array([0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -99.0, 0.2])
    qp = ql.qparams_from_range(-0.7, 0.7, symmetric=True)
    x_hat = ql.fake_quantize(x, qp)
    split = ql.error_split(x, x_hat, qp)
    # -99 becomes -0.7 * 128 / 127: that one error is the clipping part.
    outlier = (-0.7 * 128 / 127 + 99.0) ** 2 / 8
    assert split["clip_mse"] == pytest.approx(outlier, rel=1e-6)
    others = np.delete(np.arange(8), 6)
    rounding = np.sum((x_hat[others].astype(np.float64) - x[others]) ** 2) / 8
    assert 0.0 < split["round_mse"] == pytest.approx(rounding, rel=1e-12)
    assert split["mse"] == pytest.approx(ql.metrics(x, x_hat)["mse"], rel=1e-12)


def test_any_reconstruction_can_be_split():
    # x_hat need not come from fake_quantize: the split is by where x lies.
    x = np.array([0.0, 0.5, 3.0, -3.0])
    qp = ql.qparams_from_range(-1.0, 1.0, symmetric=True)
    x_hat = np.array([0.1, 0.5, 1.0, -2.0])
    split = ql.error_split(x, x_hat, qp)
    assert split["clip_mse"] == pytest.approx((4.0 + 1.0) / 4)
    assert split["round_mse"] == pytest.approx(0.01 / 4)
    assert split["mse"] == pytest.approx(5.01 / 4)


@pytest.mark.parametrize(("x", "x_hat", "match"), [
    ([1.0, 2.0], [1.0], r"x and x_hat must have the same shape"),
    ([], [], r"metrics need at least one value"),
], ids=["shape-mismatch", "empty"])
def test_bad_inputs_raise(x, x_hat, match):
    qp = ql.qparams_from_range(-1.0, 1.0)
    with pytest.raises(ql.ParameterError, match=match):
        ql.error_split(x, x_hat, qp)
