"""Keep the served snapshot in step with the store while other writers change it.

The routes read ``app.state.data``, an immutable :class:`~api.data.ServiceData` snapshot. A
:class:`LiveRegistry` thread replaces it when the store's :meth:`version` changes: at once after
a write through this server, on a database notification (``LISTEN``, from any server), and by
polling every ``poll_s`` seconds (the file store, and a safety net for missed notifications).
Each replacement bumps ``app.state.generation``, which keys the response cache, so no cached
answer outlives the data it was computed from. Reloads are coalesced: a burst of writes costs one
or two reloads, never one per write.

If the store cannot be read (a database that went away), the old snapshot keeps serving reads,
writes fail with 503, and the thread keeps retrying until the store returns.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from api.data import ServiceData
from api.routes import health

log = logging.getLogger("biomap.api")


class LiveRegistry:
    """Reloads ``app.state.data`` when the store changes.

    Parameters
    ----------
    app
        The FastAPI app whose ``state.data`` is replaced.
    poll_s
        How often the store's version is checked without a notification.
    """

    def __init__(self, app: Any, *, poll_s: float = 0.5) -> None:
        self.app = app
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._reload_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._listener: threading.Thread | None = None
        self.reloads = 0
        self.last_error: str | None = None

    @property
    def data(self) -> ServiceData:
        """The snapshot being served."""
        return self.app.state.data

    def start(self) -> None:
        """Start the reload thread (and the store's change listener, where it has one)."""
        self._thread = threading.Thread(target=self._run, name="biomap-live", daemon=True)
        self._thread.start()
        listen = getattr(self.data.store, "listen", None)
        if callable(listen):
            self._listener = listen(lambda _version: self._wake.set(), stop_event=self._stop)

    def stop(self) -> None:
        """Stop the threads (at shutdown)."""
        self._stop.set()
        self._wake.set()
        for thread in (self._thread, self._listener):
            if thread is not None:
                thread.join(timeout=5)

    def changed(self) -> None:
        """Tell the thread the store changed (after a write through this server).

        The response cache is invalidated at once, so this server never replays an answer from
        before its own write (lists catch up when the snapshot is reloaded, a moment later).
        """
        self.app.state.generation += 1
        self._wake.set()

    def refresh(self) -> bool:
        """Reload now if the store's version moved; True when a new snapshot was installed."""
        with self._reload_lock:
            current = self.data
            if current.version == "fixed" or current.store.version() == current.version:
                return False
            fresh = ServiceData(current.settings, reuse=current)
            self.app.state.health = health.health_body(
                len(fresh.platforms), list(fresh.collections), fresh.loaded_at
            )
            self.app.state.data = fresh
            self.app.state.generation += 1
            self.reloads += 1
            return True

    def _run(self) -> None:
        backoff = self.poll_s
        while not self._stop.is_set():
            self._wake.wait(backoff)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.refresh()
                self.last_error, backoff = None, self.poll_s
            except Exception as exc:  # the store is away: keep serving the old snapshot
                if self.last_error is None:
                    log.warning("cannot reload the registry (%s); retrying", exc)
                self.last_error = str(exc)
                backoff = min(5.0, backoff * 2)
