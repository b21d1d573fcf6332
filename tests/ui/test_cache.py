"""ui.cache: byte-bounded LRU caches shared by every session, with a TTL and one
computation per key however many sessions ask at once."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

import ui.cache
from lessons.binned import LevelHistogram, nbytes
from ui.cache import MB, ByteCache, byte_cache, lesson

ARRAY_BYTES = 1000
ENTRY_BYTES = ARRAY_BYTES + ui.cache._OVERHEAD_BYTES
TTL = 60.0
THREADS = 8


def _array(nbytes_: int = ARRAY_BYTES) -> np.ndarray:
    return np.zeros(nbytes_ // np.dtype(np.float64).itemsize, dtype=np.float64)


class _Absent(Exception):
    """Raised by a probe: the key was not in the cache."""


def _absent():
    raise _Absent


def _holds(cache: ByteCache, key) -> bool:
    """Whether ``key`` is cached (a hit refreshes its recency, so probe last)."""
    try:
        cache.get_or_compute(key, _absent)
    except _Absent:
        return False
    return True


class _Counter:
    """A compute function that counts its calls and returns a fresh value each time."""

    def __init__(self, make=_array):
        self.calls, self.make = 0, make

    def __call__(self):
        self.calls += 1
        return self.make()


def _expected_bytes(values) -> int:
    return sum(nbytes(v) + ui.cache._OVERHEAD_BYTES for v in values)


@pytest.fixture
def clock(monkeypatch):
    """A fake monotonic clock for ui.cache only; advance it with ``clock.now += s``."""
    fake = SimpleNamespace(now=1000.0)
    fake.monotonic = lambda: fake.now
    monkeypatch.setattr(ui.cache, "time", fake)
    return fake


# --- LRU by bytes -----------------------------------------------------------------------


def test_entry_size_counts_array_bytes():
    assert _array().nbytes == ARRAY_BYTES
    cache = ByteCache(max_bytes=10 * ENTRY_BYTES, ttl_seconds=TTL)
    value = cache.get_or_compute("a", _array)
    assert cache.size_bytes == ENTRY_BYTES == _expected_bytes([value])
    assert len(cache) == 1


def test_hit_returns_same_object_without_computing():
    cache = ByteCache(max_bytes=10 * ENTRY_BYTES, ttl_seconds=TTL)
    compute = _Counter()
    first = cache.get_or_compute("a", compute)
    assert cache.get_or_compute("a", compute) is first
    assert compute.calls == 1


def test_evicts_least_recently_used_beyond_budget():
    cache = ByteCache(max_bytes=3 * ENTRY_BYTES, ttl_seconds=TTL)
    for key in "abc":
        cache.get_or_compute(key, _array)
    assert cache.size_bytes == 3 * ENTRY_BYTES  # exactly the budget: nothing evicted
    cache.get_or_compute("a", _absent)  # a hit: "a" is now the most recent
    cache.get_or_compute("d", _array)
    assert len(cache) == 3 and cache.size_bytes == 3 * ENTRY_BYTES
    assert [key for key in "abcd" if _holds(cache, key)] == ["a", "c", "d"]


def test_large_entry_evicts_as_many_as_needed():
    cache = ByteCache(max_bytes=4 * ENTRY_BYTES, ttl_seconds=TTL)
    for key in "abcd":
        cache.get_or_compute(key, _array)
    # Three entries' worth of array: "a", "b" and "c" must go to make room.
    big = cache.get_or_compute("big", lambda: _array(3 * ENTRY_BYTES - ui.cache._OVERHEAD_BYTES))
    assert [key for key in ("a", "b", "c", "d") if _holds(cache, key)] == ["d"]
    assert cache.size_bytes == _expected_bytes([big, _array()]) <= cache.max_bytes


def test_value_larger_than_budget_is_returned_not_kept():
    cache = ByteCache(max_bytes=2 * ENTRY_BYTES, ttl_seconds=TTL)
    kept = cache.get_or_compute("small", _array)
    compute = _Counter(lambda: _array(4 * ENTRY_BYTES))
    huge = cache.get_or_compute("huge", compute)
    assert huge.nbytes == 4 * ENTRY_BYTES
    assert len(cache) == 1 and cache.size_bytes == _expected_bytes([kept])
    assert _holds(cache, "small")  # it did not push anything out either
    cache.get_or_compute("huge", compute)
    assert compute.calls == 2


def test_nested_values_are_counted():
    histogram = LevelHistogram(edges=_array(), counts=_array(), counts_hat=None, levels=None,
                               clip=(0.0, 1.0))
    value = {"hist": histogram, "pair": (_array(), _array()), "note": "text"}
    cache = ByteCache(max_bytes=100 * ENTRY_BYTES, ttl_seconds=TTL)
    cache.get_or_compute("k", lambda: value)
    assert cache.size_bytes == 4 * ARRAY_BYTES + ui.cache._OVERHEAD_BYTES


@pytest.mark.parametrize("budget_entries", [1, 2, 5])
def test_size_bytes_stays_consistent(budget_entries):
    cache = ByteCache(max_bytes=budget_entries * ENTRY_BYTES, ttl_seconds=TTL)
    sizes = [ARRAY_BYTES, 2 * ARRAY_BYTES, 8, ARRAY_BYTES // 2, 3 * ARRAY_BYTES]
    held = {}
    for i in range(40):
        key = f"k{i % 7}"
        held[key] = cache.get_or_compute(key, lambda i=i: _array(sizes[i % len(sizes)]))
        assert 0 <= cache.size_bytes <= cache.max_bytes
    present = [v for k, v in held.items() if _holds(cache, k)]
    assert len(present) == len(cache)
    assert cache.size_bytes == _expected_bytes(present)
    cache.clear()
    assert cache.size_bytes == 0 and len(cache) == 0


# --- TTL --------------------------------------------------------------------------------


def test_entry_expires_after_ttl(clock):
    cache = ByteCache(max_bytes=10 * ENTRY_BYTES, ttl_seconds=TTL)
    compute = _Counter()
    cache.get_or_compute("a", compute)
    clock.now += TTL
    cache.get_or_compute("a", compute)
    assert compute.calls == 1  # exactly TTL old: still fresh
    clock.now += 1
    cache.get_or_compute("a", compute)
    assert compute.calls == 2
    assert len(cache) == 1 and cache.size_bytes == ENTRY_BYTES


def test_expired_entries_are_dropped_when_storing(clock):
    cache = ByteCache(max_bytes=10 * ENTRY_BYTES, ttl_seconds=TTL)
    for key in "abc":
        cache.get_or_compute(key, _array)
    clock.now += TTL + 1
    cache.get_or_compute("d", _array)
    assert len(cache) == 1 and cache.size_bytes == ENTRY_BYTES
    assert not _holds(cache, "a")


def test_ttl_counts_from_store_not_from_last_hit(clock):
    cache = ByteCache(max_bytes=10 * ENTRY_BYTES, ttl_seconds=TTL)
    compute = _Counter()
    cache.get_or_compute("a", compute)
    for _ in range(3):
        clock.now += TTL / 2
        cache.get_or_compute("a", compute)
    assert compute.calls == 2  # refreshed once, after it expired


# --- concurrency and failures -------------------------------------------------------------


def _run_together(target, n: int = THREADS) -> list:
    """Run ``target()`` in n threads released at once; their results (or exceptions)."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        barrier.wait()
        try:
            results[i] = target()
        except Exception as err:  # noqa: BLE001 - the test inspects it
            results[i] = err

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def test_concurrent_misses_compute_once():
    cache = ByteCache(max_bytes=10 * ENTRY_BYTES, ttl_seconds=TTL)
    calls = []

    def slow():
        calls.append(threading.get_ident())
        time.sleep(0.05)  # long enough for every thread to be waiting on this key
        return _array()

    results = _run_together(lambda: cache.get_or_compute("same", slow))
    assert len(calls) == 1
    assert all(r is results[0] for r in results)
    assert isinstance(results[0], np.ndarray)
    assert len(cache) == 1


def test_exception_propagates_and_is_not_cached():
    cache = ByteCache(max_bytes=10 * ENTRY_BYTES, ttl_seconds=TTL)

    def fail():
        raise ValueError("boom: bad tensor")

    with pytest.raises(ValueError, match="boom: bad tensor"):
        cache.get_or_compute("k", fail)
    assert len(cache) == 0 and cache.size_bytes == 0
    compute = _Counter()
    value = cache.get_or_compute("k", compute)
    assert compute.calls == 1 and cache.get_or_compute("k", compute) is value


def test_concurrent_failure_reaches_every_caller_and_nobody_hangs():
    cache = ByteCache(max_bytes=10 * ENTRY_BYTES, ttl_seconds=TTL)

    def fail():
        time.sleep(0.02)
        raise RuntimeError("compute failed")

    results = _run_together(lambda: cache.get_or_compute("k", fail))
    assert all(isinstance(r, RuntimeError) and "compute failed" in str(r) for r in results)
    assert len(cache) == 0


# --- the decorator and the lesson cache -------------------------------------------------------


def test_byte_cache_keys_on_first_argument_only():
    calls = []

    @byte_cache(max_mb=1, ttl_seconds=TTL)
    def square(key, x):
        calls.append(key)
        return np.asarray(x) ** 2

    first = square("k", np.arange(3))
    assert square("k", np.arange(100)) is first  # the key identifies the array
    assert square("other", np.arange(2)).tolist() == [0, 1]
    assert calls == ["k", "other"]
    assert square.cache.max_bytes == MB
    assert len(square.cache) == 2
    assert square.__name__ == "square"


@pytest.fixture
def reports(monkeypatch):
    fresh = ByteCache(ui.cache.REPORT_CACHE_MB * MB, ttl_seconds=TTL)
    monkeypatch.setattr(ui.cache, "_REPORTS", fresh)
    return fresh


def test_lesson_caches_by_function_tensor_key_and_settings(reports):
    calls = []

    def report(x, settings):
        calls.append(("report", settings))
        return np.asarray(x) * settings

    def other_report(x, settings):
        calls.append(("other", settings))
        return np.asarray(x) + settings

    x = np.arange(4.0)
    first = lesson(report, "tensor-1", x, 2)
    assert lesson(report, "tensor-1", x, 2) is first
    assert lesson(report, "tensor-1", x, 3).tolist() == [0, 3, 6, 9]
    assert lesson(report, "tensor-2", x, 2) is not first
    assert lesson(other_report, "tensor-1", x, 2).tolist() == [2, 3, 4, 5]
    assert calls == [("report", 2), ("report", 3), ("report", 2), ("other", 2)]
    assert len(reports) == 4
