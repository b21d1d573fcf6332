"""Tests for quantlib.observers: running ranges over several calibration batches.

The one-shot ``ql.calibrate`` is the oracle for one batch; for several batches, min-max
of the concatenation and the moving-average formula written out by hand here.
"""

from __future__ import annotations

import numpy as np
import pytest

import quantlib as ql
from quantlib.observers import DEFAULT_AVERAGING_CONSTANT

SYMMETRY = pytest.mark.parametrize("symmetric", [False, True], ids=["affine", "symmetric"])


def every_observer():
    return [ql.MinMaxObserver(), ql.MovingAverageMinMaxObserver(),
            ql.HistogramObserver("entropy"), ql.HistogramObserver("mse"),
            ql.HistogramObserver("percentile"), ql.HistogramObserver("minmax")]


OBSERVER_IDS = ["minmax", "moving-average", "hist-entropy", "hist-mse", "hist-percentile",
                "hist-minmax"]


def batches(seed: int, n: int = 4, size: int = 500) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.laplace(rng.normal(), rng.uniform(0.2, 3.0), size) for _ in range(n)]


# --- not fitted ---------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(6), ids=OBSERVER_IDS)
def test_compute_range_before_any_batch_raises(index):
    obs = every_observer()[index]
    name = type(obs).__name__
    with pytest.raises(ql.ParameterError, match=rf"{name} has seen no batch yet"):
        obs.compute_range()
    assert obs.n_batches_ == 0 and obs.n_values_ == 0


@pytest.mark.parametrize("index", range(6), ids=OBSERVER_IDS)
def test_reset_forgets_every_batch_and_keeps_the_settings(index):
    obs = every_observer()[index]
    settings = {k: v for k, v in vars(obs).items() if not k.endswith("_")}
    assert obs.update([1.0, -2.0, 3.0]) is obs
    assert obs.n_batches_ == 1 and obs.n_values_ == 3
    assert obs.reset() is obs
    with pytest.raises(ql.ParameterError, match="no batch yet"):
        obs.compute_range()
    assert {k: v for k, v in vars(obs).items() if not k.endswith("_")} == settings
    assert obs.n_batches_ == 0 and obs.n_values_ == 0
    # After a reset the observer is as new: one batch gives that batch's range.
    x = batches(9)[0]
    fresh = every_observer()[index].update(x).compute_range()
    assert obs.update(x).compute_range() == fresh


@pytest.mark.parametrize("index", range(6), ids=OBSERVER_IDS)
def test_update_changes_only_learned_state_whose_names_end_in_an_underscore(index):
    obs = every_observer()[index]
    before = state(obs)
    obs.update(batches(1)[0])
    after = state(obs)
    changed = {k for k in after if k not in before or after[k] != before[k]}
    assert {"n_batches_", "n_values_", "min_", "max_"} <= changed
    assert all(k.endswith("_") for k in changed), changed


# --- one batch == the one-shot method ---------------------------------------------------------

ONE_BATCH = {
    "laplace": lambda: np.random.default_rng(0).laplace(0.2, 1.5, 4000),
    "with-outliers": lambda: np.concatenate(
        (np.random.default_rng(1).normal(size=3000), [40.0, -60.0])),
    "non-negative": lambda: np.abs(np.random.default_rng(2).normal(size=3000)),
    "non-positive": lambda: -np.random.default_rng(3).exponential(size=2000),
    "float32-2d": lambda: np.random.default_rng(4).standard_t(3, (40, 50)).astype(np.float32),
    "constant": lambda: np.full(100, 1.25),
    "zeros": lambda: np.zeros(64),
    "int": lambda: np.random.default_rng(5).integers(-9, 30, 300),
}


@pytest.mark.parametrize("name", list(ONE_BATCH))
@SYMMETRY
def test_minmax_observers_after_one_batch_equal_calibrate(name, symmetric):
    x = ONE_BATCH[name]()
    expected = ql.calibrate(x, "minmax", symmetric=symmetric)
    assert ql.MinMaxObserver(symmetric=symmetric).update(x).compute_range() == expected
    for c in (DEFAULT_AVERAGING_CONSTANT, 0.5, 1.0):
        avg = ql.MovingAverageMinMaxObserver(averaging_constant=c, symmetric=symmetric)
        assert avg.update(x).compute_range() == expected


@pytest.mark.parametrize("name", list(ONE_BATCH))
@pytest.mark.parametrize("method", ["entropy", "mse", "minmax"])
@pytest.mark.parametrize("bits", [4, 8])
@SYMMETRY
def test_histogram_observer_after_one_batch_equals_calibrate(name, method, bits, symmetric):
    x = ONE_BATCH[name]()
    obs = ql.HistogramObserver(method, bits=bits, symmetric=symmetric).update(x)
    assert obs.compute_range() == ql.calibrate(x, method, bits=bits, symmetric=symmetric)


@pytest.mark.parametrize(("method", "options"), [("entropy", {"bins": 512}),
                                                 ("mse", {"bins": 300, "candidates": 150})],
                         ids=["entropy-512", "mse-300-150"])
@SYMMETRY
def test_histogram_observer_passes_its_options_on(method, options, symmetric):
    x = ONE_BATCH["with-outliers"]()
    obs = ql.HistogramObserver(method, symmetric=symmetric, **options).update(x)
    assert obs.bins == options["bins"]
    assert obs.compute_range() == ql.calibrate(x, method, symmetric=symmetric, **options)


@pytest.mark.parametrize("p", [50.0, 90.0, 99.0, 99.9], ids=["p50", "p90", "p99", "p99.9"])
@SYMMETRY
def test_histogram_percentile_is_within_one_bin_of_numpys_on_dense_data(p, symmetric):
    x = np.random.default_rng(6).normal(0.3, 2.0, 100_000)
    obs = ql.HistogramObserver("percentile", symmetric=symmetric, percentile=p).update(x)
    lo, hi = obs.compute_range()
    exact = ql.calibrate(x, "percentile", symmetric=symmetric, percentile=p)
    if symmetric:
        width = float(np.abs(x).max()) / obs.bins
        assert lo == -hi
    else:
        width = float(x.max() - x.min()) / obs.bins
    assert abs(lo - exact[0]) <= width and abs(hi - exact[1]) <= width


def test_histogram_percentile_is_within_one_bin_of_numpys_on_a_small_batch():
    x = np.random.default_rng(0).normal(size=1000)
    obs = ql.HistogramObserver("percentile", percentile=99.0).update(x)
    width = float(x.max() - x.min()) / obs.bins
    lo, hi = obs.compute_range()
    exact_lo, exact_hi = ql.calibrate(x, "percentile", percentile=99.0)
    assert abs(lo - exact_lo) <= width and abs(hi - exact_hi) <= width


# --- several batches -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@SYMMETRY
def test_minmax_over_batches_is_minmax_of_their_concatenation(seed, symmetric):
    parts = batches(seed)
    obs = ql.MinMaxObserver(symmetric=symmetric)
    for part in parts:
        obs.update(part)
    assert obs.compute_range() == ql.calibrate(np.concatenate(parts), "minmax",
                                               symmetric=symmetric)
    assert obs.n_batches_ == len(parts)
    assert obs.n_values_ == sum(p.size for p in parts)


def moving_average_by_hand(parts, c):
    """PyTorch's MovingAverageMinMaxObserver: min_ = min_ + c * (batch_min - min_),
    starting from the first batch's own min (and the same for max)."""
    lo = hi = None
    for part in parts:
        b_lo, b_hi = float(np.min(part)), float(np.max(part))
        if lo is None:
            lo, hi = b_lo, b_hi
        else:
            lo = lo + c * (b_lo - lo)
            hi = hi + c * (b_hi - hi)
    return lo, hi


@pytest.mark.parametrize("c", [DEFAULT_AVERAGING_CONSTANT, 0.3, 0.5, 0.0],
                         ids=["default", "0.3", "0.5", "0"])
@pytest.mark.parametrize("seed", [0, 1])
@SYMMETRY
def test_moving_average_follows_the_formula(c, seed, symmetric):
    parts = batches(seed, n=6)
    obs = ql.MovingAverageMinMaxObserver(averaging_constant=c, symmetric=symmetric)
    ranges = []
    for part in parts:
        ranges.append(obs.update(part).compute_range())
    for k, got in enumerate(ranges):
        lo, hi = moving_average_by_hand(parts[:k + 1], c)
        if symmetric:
            amax = max(abs(lo), abs(hi))
            lo, hi = -amax, amax
        assert got == (lo, hi)
    assert obs.n_batches_ == 6 and obs.n_values_ == sum(p.size for p in parts)


def test_moving_average_default_constant_is_pytorchs():
    assert ql.MovingAverageMinMaxObserver().averaging_constant == 0.01


def test_moving_average_docstring_example_by_hand():
    obs = ql.MovingAverageMinMaxObserver(averaging_constant=0.5)
    # min: -1 + 0.5 * (2 - -1) = 0.5; max: 0.5 + 0.5 * (2 - 0.5) = 1.25.
    assert obs.update([0.5, -1.0]).update([2.0]).compute_range() == (0.5, 1.25)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_averaging_constant_1_gives_the_last_batchs_range(seed):
    parts = batches(seed)
    obs = ql.MovingAverageMinMaxObserver(averaging_constant=1.0)
    for part in parts:
        obs.update(part)
    lo, hi = obs.compute_range()
    # min_ + 1 * (b - min_) is b up to one rounding of the subtraction.
    assert lo == pytest.approx(float(parts[-1].min()), rel=1e-15, abs=1e-15)
    assert hi == pytest.approx(float(parts[-1].max()), rel=1e-15, abs=1e-15)


@pytest.mark.parametrize(("first", "later"), [
    (np.zeros(10), np.array([0.5, 1.0])),
    (np.full(4, 2.0), np.array([3.0, 5.0])),
], ids=["zeros-then-wider", "constant-min-then-wider"])
def test_a_constant_first_batch_is_kept_when_the_range_widens(first, later):
    obs = ql.HistogramObserver("percentile", percentile=50.0).update(first).update(later)
    n = first.size + later.size
    assert obs.n_values_ == n
    assert obs.magnitude_.total == pytest.approx(n)
    assert obs.values_.total == pytest.approx(n)


# --- bad batches leave the observer as it was --------------------------------------------------


def state(obs):
    out = {}
    for k, v in vars(obs).items():
        if hasattr(v, "counts"):  # a Histogram
            out[k] = (v.lo, v.hi, v.counts.tolist(),
                      None if v.sums is None else v.sums.tolist())
        else:
            out[k] = v
    return out


@pytest.mark.parametrize(("batch", "match"), [
    ([1.0, np.nan], "NaN or Inf"), ([np.inf, 0.0], "NaN or Inf"), ([-np.inf], "NaN or Inf"),
    ([], "empty tensor"), (np.zeros((2, 0)), "empty tensor"),
], ids=["nan", "inf", "minus-inf", "empty", "empty-2d"])
@pytest.mark.parametrize("index", range(6), ids=OBSERVER_IDS)
def test_bad_batch_raises_and_leaves_the_state_unchanged(index, batch, match):
    obs = every_observer()[index]
    with pytest.raises(ql.ParameterError, match=match):
        obs.update(batch)
    assert obs.n_batches_ == 0 and obs.n_values_ == 0
    obs.update([0.5, -1.0, 2.0]).update([3.0])
    before, expected = state(obs), obs.compute_range()
    with pytest.raises(ql.ParameterError, match=match):
        obs.update(batch)
    assert state(obs) == before
    assert obs.compute_range() == expected


@pytest.mark.parametrize("index", range(6), ids=OBSERVER_IDS)
def test_non_numeric_batch_raises_type_error(index):
    obs = every_observer()[index]
    with pytest.raises(ql.ParameterTypeError, match=r"batch must hold real numbers"):
        obs.update(np.array(["a", "b"]))
    assert obs.n_batches_ == 0
