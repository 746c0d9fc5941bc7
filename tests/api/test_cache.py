"""The in-memory caches are written from worker threads: they must stay bounded and consistent."""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from api.rawcache import ResponseCacheMiddleware
from api.responses import LruCache

THREADS = 8
OPS = 20_000


@pytest.fixture
def eager_switching() -> Iterator[None]:
    """Switch threads as often as possible, so unlocked code would interleave (and fail)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_lru_cache_keeps_the_most_recently_used():
    cache = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent: b goes first
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


def test_lru_cache_of_size_zero_keeps_nothing():
    cache = LruCache(0)
    cache.put("a", 1)
    assert cache.get("a") is None
    assert len(cache) == 0


@pytest.mark.parametrize("size", [1, 16, 500])
def test_lru_cache_hammered_from_threads_stays_bounded_and_consistent(size, eager_switching):
    cache = LruCache(size)
    start = threading.Barrier(THREADS)

    def work(seed: int) -> int:
        rng = random.Random(seed)
        start.wait()  # every thread at once, for the most interleaving
        wrong = 0
        for _ in range(OPS):
            key = rng.randrange(1000)
            if rng.random() < 0.5:
                cache.put(key, ("value", key))
            else:
                got = cache.get(key)
                wrong += got is not None and got != ("value", key)
            assert len(cache) <= size
        return wrong

    with ThreadPoolExecutor(THREADS) as pool:
        wrong = sum(pool.map(work, range(THREADS)))  # re-raises any thread's exception
    assert wrong == 0  # a key never answers with another key's value
    assert 0 < len(cache) <= size


def test_response_cache_hammered_from_threads_stays_bounded(eager_switching):
    async def app(scope, receive, send):  # never called: only the store is exercised
        raise AssertionError

    middleware = ResponseCacheMiddleware(app, prefixes=("/stats/",), max_entries=32)
    start = threading.Barrier(THREADS)

    def work(seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        for _ in range(OPS // 4):
            key = ("/stats/density", str(rng.randrange(200)).encode())
            middleware._put(key, {"type": "http.response.start", "status": 200}, key[1])
            with middleware._lock:  # read between puts, not in the middle of another one
                assert len(middleware._store) <= 32

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(work, range(THREADS)))
    assert len(middleware._store) == 32
    assert all(body == key[1] for key, (_, body) in middleware._store.items())


def test_lru_cache_is_bounded_by_bytes_and_skips_oversized_values():
    cache = LruCache(100, max_bytes=10_000)  # entries over 1,250 bytes are not kept
    cache.put("big", b"x" * 5_000)
    assert cache.get("big") is None
    for n in range(50):
        cache.put(n, b"y" * 1_000)
    assert cache.bytes <= 10_000
    assert len(cache) < 10
    assert cache.get(49) is not None
    assert cache.get(0) is None
    cache.put(49, b"z" * 10)  # replacing a key frees its old bytes
    assert cache.bytes <= 10_000 - 900


def test_response_cache_is_bounded_by_bytes():
    async def app(scope, receive, send):
        raise AssertionError

    middleware = ResponseCacheMiddleware(app, prefixes=("/stats/",), max_bytes=50_000)
    start = {"type": "http.response.start", "status": 200, "headers": []}
    for n in range(40):
        middleware._put(("GET", f"/stats/{n}"), start, b"b" * 10_000)
    assert middleware.bytes <= 50_000
    assert len(middleware._store) == 5
