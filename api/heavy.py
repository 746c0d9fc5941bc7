"""Heavy analytics off the event loop: a small process pool with a bounded queue.

Clustering statistics run for seconds and hold the GIL in long numpy/numba stretches; in the
server's threads they would slow every other request. Here they run in separate processes
(``heavy_workers`` of them, started on first use), so ``/healthz``, ``/locate`` or
``/stats/density`` keep their latency while heavy requests run. At most ``heavy_queue`` heavy
requests are admitted at once (running or waiting); beyond that the server answers 503 with
``Retry-After`` rather than piling work up.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from api.errors import ApiError


class BusyError(ApiError):
    """Every heavy-work slot is taken (503 with ``Retry-After``)."""

    status = 503
    title = "Busy with heavy requests"

    def __init__(self, admitted: int) -> None:
        super().__init__(
            f"{admitted} heavy statistics requests are running or waiting, the most this "
            "server takes at once; retry in a few seconds (cheaper options finish sooner)",
            headers={"Retry-After": "5"},
        )


class HeavyWork:
    """Run picklable functions in worker processes, admitting at most ``queue`` at a time."""

    def __init__(self, *, workers: int, queue: int) -> None:
        self.workers = workers
        self.queue = max(queue, workers)
        self._admitted = 0
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    @property
    def admitted(self) -> int:
        """Heavy requests running or waiting now."""
        return self._admitted

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # forkserver: the server has threads (uvicorn, pools), which fork would copy mid-state
                context = multiprocessing.get_context("forkserver")
                self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
            return self._pool

    async def run(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` in a worker process; :class:`BusyError` when full."""
        with self._lock:
            if self._admitted >= self.queue:
                raise BusyError(self._admitted)
            self._admitted += 1
        try:
            future = self._executor().submit(fn, *args, **kwargs)
            return await asyncio.wrap_future(future)
        finally:
            with self._lock:
                self._admitted -= 1

    def close(self) -> None:
        """Stop the workers (at shutdown); running work is cancelled."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
