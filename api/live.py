"""Keep the served snapshot in step with the store while other writers change it.

The routes read ``app.state.data``, an immutable :class:`~api.data.ServiceData` snapshot. A
:class:`LiveRegistry` thread replaces it when the store's :meth:`version` changes: at once after
a write through this server, on a database notification (``LISTEN``, from any server), and by
polling every ``poll_s`` seconds (the file store, and a safety net for missed notifications).
Each replacement bumps ``app.state.generation``, which keys the response cache, so no cached
answer outlives the data it was computed from.

Updates are incremental. Every write known here is a link ``version before -> version after:
these ids`` (this server's writes give theirs, a PostGIS notification names the ids its
transaction changed). When the links lead from the snapshot's version to the store's current
one, only those ids are fetched (:meth:`PlatformStore.records`, one query) and swapped into the
snapshot (:meth:`ServiceData.apply`); a gap (a missed notification, an ingest by another process
on the file store, a reconnect) that stays unexplained for :data:`GAP_GRACE_S` falls back to a
full reload. A burst of writes is applied in one step, and updates come at most every
``coalesce_s`` (a stream of writes is applied in batches).

If the store cannot be read (a database that went away), the old snapshot keeps serving reads,
writes fail with 503, and the thread keeps retrying until the store returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from api.data import ServiceData
from api.routes import health
from geo.store import Change

log = logging.getLogger("biomap.api")


#: Links kept at most (older ones are dropped; a snapshot that far behind reloads in full).
MAX_LINKS = 10_000
#: Seconds a version with no known link from the snapshot's is waited for before a full reload.
GAP_GRACE_S = 1.0
#: ... or up to this long while a write through this server is still under way.
GAP_MAX_S = 5.0
#: Seconds between looks while waiting for such a link.
RETRY_S = 0.05


class LiveRegistry:
    """Keeps ``app.state.data`` in step with the store (incrementally where it can).

    Parameters
    ----------
    app
        The FastAPI app whose ``state.data`` is replaced.
    poll_s
        How often the store's version is checked without a notification.
    coalesce_s
        Shortest time between two updates: a change that comes sooner waits for the rest of
        it, so a stream of writes is applied in batches (at most ``1 / coalesce_s`` updates
        a second) instead of one update per write.
    """

    def __init__(self, app: Any, *, poll_s: float = 0.5, coalesce_s: float = 0.05) -> None:
        self.app = app
        self.poll_s = poll_s
        self.coalesce_s = coalesce_s
        self._last_refresh = -float("inf")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._reload_lock = threading.Lock()
        self._links_lock = threading.Lock()
        #: version before -> (version after, the ids that write changed)
        self._links: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._inflight = 0
        self._gap_since: float | None = None
        self._retry = threading.Event()  # a gap is being waited for: look again soon
        self._thread: threading.Thread | None = None
        self._listener: threading.Thread | None = None
        self.reloads = 0
        self.updates = 0
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
            self._listener = listen(self._notified, stop_event=self._stop)

    def stop(self) -> None:
        """Stop the threads (at shutdown)."""
        self._stop.set()
        self._wake.set()
        for thread in (self._thread, self._listener):
            if thread is not None:
                thread.join(timeout=5)

    def changed(self, change: Change | None = None) -> None:
        """Tell the thread the store changed (after a write through this server).

        The response cache is invalidated at once, so this server never replays an answer from
        before its own write (lists catch up when the snapshot is updated, a moment later).
        """
        if change is not None and change.version_before and change.version:
            self._link(change.version_before, change.version, [*change.step_ids, change.id])
        self.app.state.generation += 1
        self._wake.set()

    def _notified(self, version: str, ids: list[str] | None) -> None:
        """A store notification: ``version`` is current; ``ids`` changed since the one before."""
        if ids is not None and version.isdigit() and int(version) > 0:
            self._link(str(int(version) - 1), version, ids)
        self._wake.set()

    def _link(self, before: str, after: str, ids: list[str]) -> None:
        with self._links_lock:
            known = self._links.get(before)
            if known is not None and known[0] == after:  # one commit of several writes
                ids = [*known[1], *(i for i in ids if i not in known[1])]
            self._links[before] = (after, tuple(ids))
            while len(self._links) > MAX_LINKS:
                del self._links[next(iter(self._links))]

    def _walk(self, start: str, target: str | None) -> tuple[str, list[str]]:
        """How far the known links lead from version ``start`` (up to ``target``, if given):
        the last version reached and the ids changed on the way."""
        ids: dict[str, None] = {}
        version, steps = start, 0
        with self._links_lock:
            while version != target and steps < len(self._links):
                step = self._links.get(version)
                if step is None:
                    break
                steps += 1
                version, changed = step
                ids.update(dict.fromkeys(changed))
        return version, list(ids)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Around a write through this server and its :meth:`changed`: until both are done
        (or :data:`GAP_MAX_S`) the snapshot is not reloaded in full for want of its link."""
        with self._links_lock:
            self._inflight += 1
        try:
            yield
        finally:
            with self._links_lock:
                self._inflight -= 1

    def refresh(self) -> bool:
        """Bring the snapshot to the store's version; True when a new snapshot was installed.

        Known links are applied as far as they reach (the rows they name, fetched anew); a
        version with no link from the snapshot's is waited for up to :data:`GAP_GRACE_S` (its
        notification, or the write's own :meth:`changed`, is usually a moment behind), then
        the snapshot is reloaded in full.
        """
        with self._reload_lock:
            current = self.data
            if current.version == "fixed":
                return False
            if current.direct:  # nothing loaded to update: only the caches follow the store
                target = current.store.version()
                if target == current.version:
                    return False
                self._install(current.advanced(target))
                return True
            reached, ids = self._walk(current.version, None)  # the known links need no query
            if reached == current.version:
                target = current.store.version()
                if target == current.version:
                    self._gap_since = None
                    return False
            if reached != current.version:
                found = current.store.records(ids)
                fresh = current.apply({i: found.get(i) for i in ids}, reached)
                self.updates += 1
                self._gap_since = None
            else:
                now = time.monotonic()
                if self._gap_since is None:
                    self._gap_since = now
                waited = now - self._gap_since
                if waited < GAP_GRACE_S or (self._inflight and waited < GAP_MAX_S):
                    self._retry.set()
                    return False
                fresh = ServiceData(current.settings, reuse=current)
                self.reloads += 1
                self._gap_since = None
            self._install(fresh)
            return True

    def _install(self, fresh: ServiceData) -> None:
        count = fresh.platform_count if fresh.direct else len(fresh.collections["platforms"].ids)
        self.app.state.health = health.health_body(count, list(fresh.collections), fresh.loaded_at)
        self.app.state.data = fresh
        self.app.state.generation += 1

    def _run(self) -> None:
        backoff = self.poll_s
        while not self._stop.is_set():
            wait = min(backoff, RETRY_S) if self._retry.is_set() else backoff
            self._retry.clear()
            self._wake.wait(wait)
            self._wake.clear()
            if self._stop.is_set():
                return
            early = self._last_refresh + self.coalesce_s - time.monotonic()
            if early > 0 and self._stop.wait(early):  # gather the writes of the next moment
                return
            self._last_refresh = time.monotonic()
            try:
                self.refresh()
                self.last_error, backoff = None, self.poll_s
            except Exception as exc:  # the store is away: keep serving the old snapshot
                if self.last_error is None:
                    log.warning("cannot reload the registry (%s); retrying", exc)
                self.last_error = str(exc)
                backoff = min(5.0, backoff * 2)
