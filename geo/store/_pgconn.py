"""Connections for the PostGIS store: a lazily opened pool, dedicated sessions, clear errors.

The pool (psycopg_pool, 1 to 8 connections) opens on first use, after a direct connection has
shown the server answers, so a store whose database is down fails at once with libpq's reason
instead of waiting for the pool. A pooled connection is checked before use; when it turns out
dead (the server restarted) the whole pool is dropped and the next use builds a new one, so the
store recovers by itself when the database comes back. Messages show the URL without its
password.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import set_json_loads
from psycopg_pool import ConnectionPool, PoolTimeout

from geo.errors import DataFileError, StoreUnavailableError

APP_NAME = "biomap"
POOL_MIN, POOL_MAX = 1, 8


def normalise_url(url: str) -> str:
    """``url`` as libpq takes it (``postgresql+psycopg://`` and the like lose the driver)."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme.startswith(("postgresql+", "postgres+")):
        return f"postgresql://{rest}"
    return url


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (in the user part or a query parameter)."""
    if "://" not in url:  # a key=value conninfo string
        params = conninfo_to_dict(url)
        return " ".join(f"{k}={'***' if k == 'password' else v}" for k, v in params.items())
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, has_password, _ = userinfo.partition(":")
        netloc = f"{user}:***@{hostport}" if has_password else f"{user}@{hostport}"
    query = urlencode(
        [
            (k, "***" if k == "password" else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="/*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _configure(conn: psycopg.Connection[Any]) -> None:
    set_json_loads(orjson.loads, conn)


def _close_pool(pool: ConnectionPool[Any]) -> None:
    """Close ``pool``; from one of its own worker threads (a garbage collection that ran there),
    hand the closing to a new thread, since a worker cannot wait for itself to stop."""
    if threading.current_thread().name.startswith(pool.name):
        threading.Thread(target=pool.close, kwargs={"timeout": 1.0}, daemon=True).start()
    else:
        pool.close(timeout=1.0)


class Connector:
    """Sessions to one database: pooled ones for statements, dedicated ones for locks/LISTEN."""

    def __init__(self, url: str, *, timeout: float) -> None:
        self.conninfo = normalise_url(url)
        self.location = mask_url(self.conninfo)
        self.timeout = timeout
        given = conninfo_to_dict(self.conninfo)
        self._password = str(given.get("password") or "")
        self._defaults: dict[str, Any] = {
            k: v
            for k, v in (
                ("application_name", APP_NAME),
                ("connect_timeout", max(2, math.ceil(timeout))),
            )
            if k not in given
        }
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        #: Closes the pool when a store is dropped without ``close()`` (never from its worker).
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._pool_lock = threading.Lock()
        self._writer = threading.Lock()  # one writer per process holds the advisory lock
        self._writer_conn: psycopg.Connection[Any] | None = None
        self._writer_finalizer: weakref.finalize[Any, Any] | None = None
        self._local = threading.local()

    # -- errors -------------------------------------------------------------------------------

    def unavailable(self, reason: object, *, lost: bool = False) -> StoreUnavailableError:
        """The error for a database that cannot be reached, saying what to check."""
        text = " ".join(str(reason).split()) or type(reason).__name__
        if self._password:
            text = text.replace(self._password, "***")
        what = "lost the connection to" if lost else "cannot reach"
        return StoreUnavailableError(
            f"{what} the PostGIS store {self.location}: {text}; check that PostgreSQL is "
            "running and accepts connections, and that the URL's host, port, database, user "
            "and password are right (biomap retries by itself on the next request)"
        )

    @contextmanager
    def errors(self, conn: psycopg.Connection[Any]) -> Iterator[None]:
        """Turn a lost connection into :class:`StoreUnavailableError` (and drop the pool)."""
        try:
            yield
        except psycopg.errors.LockNotAvailable as exc:
            raise DataFileError(
                f"another writer has held the registry lock of {self.location} for too long "
                f"({exc.diag.message_primary}); wait for it to finish and try again (the "
                "holder shows in pg_locks as an advisory lock)"
            ) from exc
        except psycopg.OperationalError as exc:
            if not (conn.broken or conn.closed):
                raise
            self.discard_pool()
            raise self.unavailable(exc, lost=True) from exc

    # -- sessions -----------------------------------------------------------------------------

    def connect(self) -> psycopg.Connection[Any]:
        """A new autocommit session outside the pool (the caller closes it)."""
        try:
            conn = psycopg.connect(self.conninfo, autocommit=True, **self._defaults)
        except psycopg.OperationalError as exc:
            raise self.unavailable(exc) from exc
        _configure(conn)
        return conn

    @property
    def held(self) -> psycopg.Connection[Any] | None:
        """This thread's dedicated session while it holds :meth:`session_lock`, else ``None``."""
        return getattr(self._local, "conn", None)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """An autocommit session: this thread's locked one if it holds the lock, else pooled."""
        held = self.held
        if held is not None:
            with self.errors(held):
                yield held
            return
        pool, conn = self._checkout()
        try:
            with self.errors(conn):
                yield conn
        finally:
            pool.putconn(conn)

    def _checkout(self) -> tuple[ConnectionPool[psycopg.Connection[Any]], psycopg.Connection[Any]]:
        for _ in range(2):
            pool = self._open_pool()
            try:
                conn = pool.getconn()
            except PoolTimeout as exc:
                self.discard_pool()
                raise self.unavailable(f"no connection within {self.timeout:g} s") from exc
            try:
                conn.execute("")  # pooled sessions die with a server restart: find out now
            except psycopg.OperationalError:
                conn.close()
                self.discard_pool()  # its siblings are dead too: start afresh
                continue
            return pool, conn
        raise self.unavailable("the server keeps closing new connections")

    def _open_pool(self) -> ConnectionPool[psycopg.Connection[Any]]:
        with self._pool_lock:
            if self._pool is None:
                self.connect().close()  # fails fast, with libpq's reason, when the server is down
                pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
                    self.conninfo,
                    min_size=POOL_MIN,
                    max_size=POOL_MAX,
                    timeout=self.timeout,
                    kwargs={"autocommit": True, **self._defaults},
                    configure=_configure,
                    name=f"biomap {self.location}",
                    open=False,
                )
                pool.open(wait=False)
                self._pool = pool
                self._finalizer = weakref.finalize(self, _close_pool, pool)
            return self._pool

    def discard_pool(self) -> None:
        """Close the pool; the next statement opens a new one (after the database is back)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
            finalizer, self._finalizer = self._finalizer, None
        if finalizer is not None:
            finalizer.detach()
        if pool is not None:
            _close_pool(pool)

    @contextmanager
    def session_lock(self, key: int, *, timeout: float) -> Iterator[None]:
        """Hold advisory lock ``key`` on this store's writer session; re-entrant within a thread.

        Writers of one process queue on a thread lock first, then take the advisory lock (which
        serialises them with other processes) on one long-lived session: no new connection,
        and a PostGIS already loaded, per write. While held, :meth:`connection` gives this thread
        that session, so its statements run under the lock.
        """
        if self.held is not None:
            yield
            return
        if not self._writer.acquire(timeout=timeout):
            raise DataFileError(
                f"another writer in this process has held the registry lock of {self.location} "
                f"for over {timeout:g} s; wait for it to finish and try again"
            )
        try:
            conn = self._writer_session()
            try:
                with self.errors(conn):
                    conn.execute(
                        "SELECT set_config('lock_timeout', %s, false)",
                        (f"{round(timeout * 1000)}ms",),
                    )
                    conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            except BaseException:
                self._drop_writer_session()
                raise
            self._local.conn = conn
            try:
                yield
            finally:
                self._local.conn = None
                try:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
                except psycopg.Error:  # a lost session has released it already
                    self._drop_writer_session()
        finally:
            self._writer.release()

    def _writer_session(self) -> psycopg.Connection[Any]:
        conn = self._writer_conn
        if conn is not None:
            try:
                conn.execute("")  # a server restart kills idle sessions: find out now
            except psycopg.Error:
                conn = None
        if conn is None or conn.closed or conn.broken:
            self._drop_writer_session()
            conn = self._writer_conn = self.connect()
            # a store dropped without close() still closes its session
            self._writer_finalizer = weakref.finalize(self, conn.close)
        return conn

    def _drop_writer_session(self) -> None:
        conn, self._writer_conn = self._writer_conn, None
        if self._writer_finalizer is not None:
            self._writer_finalizer.detach()
            self._writer_finalizer = None
        if conn is not None:
            conn.close()

    def close(self) -> None:
        """Close the pool and the writer session (later statements open new ones)."""
        self.discard_pool()
        with self._writer:
            self._drop_writer_session()
