"""Caches bounded by bytes, shared by every session of the server process.

A room of students mostly looks at the same few tensors and settings, so one computation
serves them all. Streamlit's own caches bound the number of entries, not their size:
with 16M-element tensors, a handful of entries is gigabytes. These caches count the
bytes of what they hold (numpy arrays inside dataclasses, dicts and tuples) and evict
the least recently used entries beyond their budget, and entries older than their TTL.

Keys are explicit: the caller passes what identifies the result (the workspace key and
the settings), never an array to hash. Values are shared, so they must be immutable:
frozen dataclasses and read-only arrays.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import wraps

from lessons.binned import nbytes

MB = 10**6
# A Python object's own overhead, charged on top of its arrays' bytes, so that a cache
# of many tiny values is bounded too.
_OVERHEAD_BYTES = 1024


@dataclass
class ByteCache:
    """A thread-safe LRU cache whose entries together hold at most ``max_bytes``."""

    max_bytes: int
    ttl_seconds: float
    _entries: OrderedDict = field(default_factory=OrderedDict)
    _bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pending: dict = field(default_factory=dict)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _lookup(self, key: Hashable):
        """The cached value or None; called with the lock held."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        value, size, stamp = entry
        if time.monotonic() - stamp > self.ttl_seconds:
            del self._entries[key]
            self._bytes -= size
            return None
        self._entries.move_to_end(key)
        return entry

    def _store(self, key: Hashable, value) -> None:
        size = nbytes(value) + _OVERHEAD_BYTES
        if size > self.max_bytes:
            return  # larger than the whole budget: computed, used once, not kept
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old[1]
        self._entries[key] = (value, size, time.monotonic())
        self._bytes += size
        now = time.monotonic()
        for stale in [k for k, (_, _, stamp) in self._entries.items()
                      if now - stamp > self.ttl_seconds]:
            self._bytes -= self._entries.pop(stale)[1]
        while self._bytes > self.max_bytes:
            _, (_, evicted, _) = self._entries.popitem(last=False)
            self._bytes -= evicted

    def __contains__(self, key: Hashable) -> bool:
        """Whether ``key`` holds a live value now (for a spinner only when there is work)."""
        with self._lock:
            return self._lookup(key) is not None

    def get_or_compute(self, key: Hashable, compute: Callable[[], object]):
        """The value for ``key``, computing it once even when sessions ask together."""
        with self._lock:
            entry = self._lookup(key)
            if entry is not None:
                return entry[0]
            event = self._pending.get(key)
            owner = event is None
            if owner:
                event = self._pending[key] = threading.Event()
        if not owner:
            event.wait()
            with self._lock:
                entry = self._lookup(key)
            if entry is not None:
                return entry[0]
            return compute()  # the owner failed or the value was too large to keep
        try:
            result = compute()
            with self._lock:
                self._store(key, result)
            return result
        finally:
            with self._lock:
                self._pending.pop(key, None)
            event.set()


def byte_cache(*, max_mb: float, ttl_seconds: float = 3600):
    """Decorate ``fn(key, *args)``: cache its result under ``key`` only (the other
    arguments, arrays usually, are identified by the key), within ``max_mb`` megabytes.

    The cache is ``fn.cache`` (for tests and the bench).
    """
    def decorate(fn):
        cache = ByteCache(int(max_mb * MB), ttl_seconds)

        @wraps(fn)
        def cached(key: Hashable, *args, **kwargs):
            return cache.get_or_compute(key, lambda: fn(key, *args, **kwargs))

        cached.cache = cache
        cached.has = lambda key: key in cache
        return cached
    return decorate


#: Lesson reports of every page: small binned results, so many settings fit.
REPORT_CACHE_MB = 64
_REPORTS = ByteCache(REPORT_CACHE_MB * MB, ttl_seconds=3600)


def _lesson_key(fn: Callable, tensor_key: str, settings) -> tuple:
    return fn.__module__, fn.__qualname__, tensor_key, settings


def lesson(fn: Callable, tensor_key: str, x, settings):
    """``fn(x, settings)`` (a lesson's report), cached under the tensor's key and the
    settings, shared by every session."""
    return _REPORTS.get_or_compute(_lesson_key(fn, tensor_key, settings),
                                   lambda: fn(x, settings))


def has_lesson(fn: Callable, tensor_key: str, settings) -> bool:
    """Whether ``lesson(fn, tensor_key, ..., settings)`` would answer from the cache."""
    return _lesson_key(fn, tensor_key, settings) in _REPORTS
