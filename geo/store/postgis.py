"""The PostGIS store: the registry in PostgreSQL, for several servers and large tables.

``open_store("postgresql://user@host/db")`` (or ``postgres://``) gives a :class:`PostGISStore`.
Run ``biomap store init`` once to create the schema (``geo/store/migrations/``): ``platforms``
(one row per record: the record as ``jsonb``, its point with a GiST index, its ETag),
``platform_history`` (append-only: a trigger refuses UPDATE, DELETE and TRUNCATE),
``api_tokens`` and a one-row version counter.

Consistency. Every write is one transaction that takes the registry's advisory lock, locks the
record's row (``SELECT ... FOR UPDATE``), checks the writer's ETag
(:func:`geo.store.file.check_expectation`), writes the row and its history entry, bumps the
version and sends ``NOTIFY biomap_registry`` with the new version and the changed ids
(:func:`notice`), so a server can fetch just those rows. :meth:`PostGISStore.locked` holds the
same lock on a dedicated session, so ``biomap ingest``'s read-modify-write excludes every other
writer in every process, as the file store's lock file does.

Large tables. The API pages through the registry without loading it:

- :meth:`PostGISStore.page` returns up to ``limit`` GeoJSON Features built in SQL
  (``json_build_object`` and ``ST_AsGeoJSON``), in id order, after ``after_id`` (keyset
  pagination: ``WHERE id > %s ORDER BY id LIMIT n`` walks the primary key, so page 1,000 costs what
  page 1 does), inside ``bbox`` (``geom && ST_MakeEnvelope(...)`` uses the GiST index), and the id
  to pass as ``after_id`` for the next page (``None`` on the last page). ``raw=True`` gives each
  Feature as JSON bytes, ready to be joined into a response without parsing.
- :meth:`PostGISStore.estimate_count` is the planner's row estimate (``EXPLAIN``, which scales
  ``pg_class.reltuples`` to the table's current size), never a full ``COUNT(*)`` on a big table;
  below :data:`EXACT_COUNT_BELOW` rows it counts exactly, which is then cheap.
- :meth:`PostGISStore.version` reads the counter (one row), and :meth:`PostGISStore.listen`
  calls back on every change, so servers can cache pages and drop them when the registry changes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal, overload

import orjson
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from geo.errors import (
    CoordinateError,
    RecordExistsError,
    RecordInvalidError,
    RecordNotFoundError,
    StoreUnavailableError,
    ValidationError,
)
from geo.store._pgconn import Connector
from geo.store._pgschema import check_schema, migrate
from geo.store._pgtokens import PgTokenStore
from geo.store.base import ANY, Change, Operation, WriteCheck, etag
from geo.store.file import LOCK_TIMEOUT_S, check_expectation
from geo.store.schema import PlatformRecord, validate_records

log = logging.getLogger("biomap.store")

#: The advisory lock every writer takes (``locked()`` on a session, ``write()`` per transaction).
LOCK_KEY = 0x62696F6D6170_00
#: The channel :meth:`PostGISStore.listen` listens on; the payload is :func:`notice`.
CHANNEL = "biomap_registry"
#: The channel a trigger on ``api_tokens`` notifies on every change of the tokens.
TOKENS_CHANNEL = "biomap_tokens"
#: A notification lists the changed ids only below this size (PostgreSQL stops at 8,000 bytes).
NOTICE_MAX_BYTES = 7000
#: What :meth:`PostGISStore.listen` calls: ``callback(version, changed ids or None)``.
Listener = Callable[[str, list[str] | None], None]
#: Below this many (estimated) rows :meth:`PostGISStore.estimate_count` counts exactly.
EXACT_COUNT_BELOW = 10_000
#: The largest page :meth:`PostGISStore.page` returns.
MAX_PAGE = 10_000

BBox = tuple[float, float, float, float]
_FIELDS = list(PlatformRecord.model_fields)
_FEATURE = sql.SQL(
    "json_build_object('type', 'Feature', 'id', id, 'geometry', ST_AsGeoJSON(geom, 7)::json,"
    " 'properties', record - 'lon' - 'lat')::text"
)
_UPSERT = (
    "INSERT INTO platforms (id, record, geom, etag, updated_at)"
    " VALUES (%s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s)"
    " ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record, geom = EXCLUDED.geom,"
    " etag = EXCLUDED.etag, updated_at = EXCLUDED.updated_at"
)
_LOCK = "SELECT set_config('lock_timeout', %s, true), pg_advisory_xact_lock(%s)"
#: The written record's row and the rows sharing its name (for the write's check), locked.
_ROWS = "SELECT id, record FROM platforms WHERE id = %s OR record->>'name_zh' = %s FOR UPDATE"
_DELETE = "DELETE FROM platforms WHERE id = %s"
#: A write's row, history, version and notification (payload as :func:`notice` makes it).
_WRITE = (
    "WITH w AS ({row}),"
    " h AS (INSERT INTO platform_history (id, op, actor, at, before, after)"
    " VALUES (%s, %s, %s, %s, %s, %s) RETURNING seq),"
    " v AS (UPDATE biomap_registry_version SET version = version + 1 RETURNING version)"
    " SELECT h.seq, v.version, pg_notify(%s, json_build_object("
    "'version', v.version::text, 'ids', json_build_array(%s::text))::text) FROM h, v"
)
_HISTORY = (
    "INSERT INTO platform_history (id, op, actor, at, before, after)"
    " VALUES (%s, %s, %s, %s, %s, %s) RETURNING seq"
)


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _jsonb(data: dict[str, Any] | None) -> Jsonb | None:
    return None if data is None else Jsonb(data, dumps=_dumps)


def _ordered(raw: dict[str, Any]) -> dict[str, Any]:
    """A stored record with its keys in the schema's order (jsonb keeps its own)."""
    return {**{k: raw[k] for k in _FIELDS if k in raw}, **raw}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PostGISStore:
    """The registry in a PostgreSQL + PostGIS database.

    Parameters
    ----------
    url
        A libpq URL, ``postgresql://user:password@host:port/dbname`` (``postgres://`` and
        ``postgresql+psycopg://`` too; ``?host=/run/postgresql`` for a unix socket).
    timeout
        Seconds to wait for a connection before :class:`~geo.errors.StoreUnavailableError`.
    lock_timeout
        Seconds a writer waits for another writer's lock before giving up.

    Examples
    --------
    >>> from geo.store import open_store
    >>> store = open_store("postgresql://biomap:secret@db.example/biomap")
    >>> store.location
    'postgresql://biomap:***@db.example/biomap'
    """

    def __init__(
        self, url: str, *, timeout: float = 10.0, lock_timeout: float = LOCK_TIMEOUT_S
    ) -> None:
        self._db = Connector(url, timeout=timeout)
        self._lock_timeout = lock_timeout
        self._schema_ok = False
        self._cache: tuple[str, list[PlatformRecord]] | None = None
        #: Bumped on every token notification and (re)connection of :meth:`listen`; ``None``
        #: while no listener is connected (token changes would go unseen).
        self._token_stamp: int | None = None
        self._token_stamps = itertools.count(1)

    def __repr__(self) -> str:
        return f"PostGISStore({self.location!r})"

    def __enter__(self) -> PostGISStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def location(self) -> str:
        """The URL without its password."""
        return self._db.location

    def close(self) -> None:
        """Close the connection pool (using the store again opens a new one)."""
        self._db.close()

    # -- schema -------------------------------------------------------------------------------

    def init(self) -> list[str]:
        """Create or upgrade the schema; return the migrations applied (``[]``: up to date).

        Raises
        ------
        geo.errors.StoreSchemaError
            When the server has no PostGIS or the user may not create the schema.
        """
        with self._db.connection() as conn:
            applied = migrate(conn, location=self.location)
        self._schema_ok = False
        return applied

    def check_writable(self) -> None:
        """Nothing to check up front: the database answers a write it refuses with an error."""

    def exists(self) -> bool:
        """True when the database has the biomap schema (its registry may be empty)."""
        with self._db.connection() as conn:
            row = conn.execute("SELECT to_regclass('platforms') IS NOT NULL").fetchone()
        return bool(row and row[0])

    @contextmanager
    def _cursor(self, *, write: bool = False) -> Iterator[psycopg.Cursor[Any]]:
        """A cursor on a checked schema; ``write``: in a transaction holding the writers' lock."""
        with self._db.connection() as conn:
            self._check_schema(conn)
            if not write:
                with conn.cursor() as cur:
                    yield cur
                return
            with conn.transaction(), conn.cursor() as cur:
                ms = f"{round(self._lock_timeout * 1000)}ms"
                cur.execute("SELECT set_config('lock_timeout', %s, true)", (ms,))
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                yield cur

    # -- reading ------------------------------------------------------------------------------

    def read_raw(self) -> list[dict[str, Any]]:
        """Every stored record as a plain dict, in id order, unvalidated."""
        with self._cursor() as cur:
            cur.execute("SELECT record FROM platforms ORDER BY id")
            return [_ordered(r) for (r,) in cur]

    def load(self) -> list[PlatformRecord]:
        """Every valid record in id order; :class:`ValidationError` listing every problem.

        The records are kept until :meth:`version` changes.
        """
        current = self.version()
        if self._cache is not None and self._cache[0] == current:
            return list(self._cache[1])
        valid, problems = validate_records(self.read_raw())
        if problems:
            raise ValidationError(f"{self.location}: {len(problems)} problem(s)", problems)
        self._cache = (current, valid)
        return list(valid)

    def get(self, record_id: str) -> PlatformRecord | None:
        """The current record ``record_id``, or ``None``."""
        with self._cursor() as cur:
            cur.execute("SELECT record FROM platforms WHERE id = %s", (record_id,))
            row = cur.fetchone()
        return PlatformRecord.model_validate(row[0]) if row else None

    def records(self, ids: list[str]) -> dict[str, PlatformRecord]:
        """The current records among ``ids`` by id (one query on the primary key)."""
        if not ids:
            return {}
        with self._cursor() as cur:
            cur.execute("SELECT id, record FROM platforms WHERE id = ANY(%s)", (list(ids),))
            return {rid: PlatformRecord.model_validate(rec) for rid, rec in cur}

    def version(self) -> str:
        """The registry's change counter (every write adds one)."""
        with self._cursor() as cur:
            cur.execute("SELECT version FROM biomap_registry_version")
            row = cur.fetchone()
        return str(row[0] if row else 0)

    def history(self, record_id: str) -> list[Change]:
        """Every change of ``record_id``, oldest first."""
        with self._cursor() as cur:
            cur.execute(
                "SELECT seq, id, op, actor, at, before, after FROM platform_history"
                " WHERE id = %s ORDER BY seq",
                (record_id,),
            )
            return [
                Change(
                    rid,
                    op,
                    actor,
                    at=at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
                    before=before,
                    after=after,
                    seq=seq,
                )
                for seq, rid, op, actor, at, before, after in cur
            ]

    # -- large tables -------------------------------------------------------------------------

    @overload
    def page(
        self,
        *,
        limit: int,
        after_id: str | None = ...,
        bbox: Sequence[float] | None = ...,
        raw: Literal[False] = ...,
    ) -> tuple[list[dict[str, Any]], str | None]: ...

    @overload
    def page(
        self,
        *,
        limit: int,
        after_id: str | None = ...,
        bbox: Sequence[float] | None = ...,
        raw: Literal[True],
    ) -> tuple[list[bytes], str | None]: ...

    def page(
        self,
        *,
        limit: int,
        after_id: str | None = None,
        bbox: Sequence[float] | None = None,
        raw: bool = False,
    ) -> tuple[list[Any], str | None]:
        """One page of GeoJSON Features in id order, and the ``after_id`` of the next page.

        Parameters
        ----------
        limit
            At most this many features (1 to :data:`MAX_PAGE`).
        after_id
            Only ids after this one (the previous page's ``next_after_id``).
        bbox
            ``(min_lon, min_lat, max_lon, max_lat)`` in WGS84; edges included.
        raw
            Features as JSON bytes (built by PostgreSQL) instead of dicts.

        Returns
        -------
        tuple
            The features, and the id to pass as ``after_id`` next (``None``: last page).

        Raises
        ------
        geo.errors.CoordinateError
            For a malformed ``bbox``.
        """
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be 1..{MAX_PAGE}, not {limit!r}")
        query, params = self._page_query(limit=limit, after_id=after_id, bbox=bbox)
        with self._cursor() as cur:
            cur.execute(query, params)
            rows = cur.fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        features = [f.encode() if raw else orjson.loads(f) for _, f in rows]
        return features, (rows[-1][0] if more else None)

    def _page_query(
        self, *, limit: int, after_id: str | None, bbox: Sequence[float] | None
    ) -> tuple[sql.Composed, list[Any]]:
        where, params = _where(after_id=after_id, bbox=bbox)
        query = sql.SQL("SELECT id, {} FROM platforms {} ORDER BY id LIMIT %s").format(
            _FEATURE, where
        )
        return query, [*params, limit + 1]

    def estimate_count(
        self, bbox: Sequence[float] | None = None, *, exact_below: int = EXACT_COUNT_BELOW
    ) -> int:
        """How many records (inside ``bbox``): the planner's estimate, exact when small.

        The estimate comes from ``EXPLAIN`` (table statistics, as of the last ``ANALYZE`` or
        autovacuum, scaled to the table's size); under ``exact_below`` rows a ``count(*)``
        replaces it.
        """
        where, params = _where(after_id=None, bbox=bbox)
        return self.count_where(where, params, exact_below=exact_below)[0]

    def count_where(
        self, where: sql.Composable, params: Sequence[Any], *, exact_below: int = EXACT_COUNT_BELOW
    ) -> tuple[int, bool]:
        """``(n, exact)`` of the rows ``where`` selects: the planner's estimate (``EXPLAIN``),
        replaced by a ``count(*)`` when it expects fewer than ``exact_below``."""
        with self._cursor() as cur:
            cur.execute(
                sql.SQL("EXPLAIN (FORMAT JSON) SELECT 1 FROM platforms {}").format(where), params
            )
            row = cur.fetchone()
            estimate = int(row[0][0]["Plan"]["Plan Rows"]) if row else 0
            if estimate >= exact_below:
                return estimate, False
            cur.execute(sql.SQL("SELECT count(*) FROM platforms {}").format(where), params)
            row = cur.fetchone()
        return (int(row[0]) if row else 0), True

    # -- writing ------------------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the writers' advisory lock on a dedicated session; re-entrant within a thread.

        Every other writer, in this process or another, waits until the block ends (at most
        ``lock_timeout`` seconds, then :class:`~geo.errors.DataFileError`).
        """
        with self._db.session_lock(LOCK_KEY, timeout=self._lock_timeout):
            yield

    def write(
        self,
        record_id: str,
        record: PlatformRecord | None,
        *,
        actor: str,
        op: Operation,
        expect: str | None = ANY,
        check: WriteCheck | None = None,
    ) -> Change:
        """Create, replace or delete one record in one transaction (see :class:`PlatformStore`).

        Nothing is loaded but the record's row (locked ``FOR UPDATE``) and, for ``check``, the
        rows named like it (an index on ``record->>'name_zh'``); the advisory lock makes the
        check and the write one step for every writer.
        """
        if record is not None and record.id != record_id:
            raise RecordInvalidError(
                f"cannot write record {record.id!r} as {record_id!r}",
                {"id": "must match the record's id"},
            )
        now = _now()
        name = record.name_zh if check is not None and record is not None else None
        try:
            with self._db.connection() as conn:
                self._check_schema(conn)
                with conn.pipeline(), conn.transaction():
                    # round trip 1: the lock, the record's row and the rows named like it
                    conn.execute(_LOCK, (f"{round(self._lock_timeout * 1000)}ms", LOCK_KEY))
                    rows = conn.execute(_ROWS, (record_id, name)).fetchall()
                    current = {rid: PlatformRecord.model_validate(rec) for rid, rec in rows}
                    old = current.pop(record_id, None)
                    if check is not None and record is not None:
                        check(list(current.values()))
                    check_expectation(record_id, old, expect)
                    if old is None and record is None:
                        raise RecordNotFoundError(f"no platform {record_id!r} to delete")
                    change = Change(
                        record_id,
                        op,
                        actor,
                        at=now.isoformat(timespec="microseconds"),
                        before=old.model_dump() if old else None,
                        after=record.model_dump() if record else None,
                    )
                    # round trip 2: row, history, version and notification in one statement,
                    # and the commit (its result is read once the pipeline has synced)
                    query, params = self._write_query(record_id, record, change, now)
                    written = conn.execute(query, params)
                seq, version, _ = written.fetchone() or (None, 0, None)
            change.seq = seq
            change.version_before, change.version = str(version - 1), str(version)
            change.step_ids = (record_id,)
        except psycopg.errors.UniqueViolation as exc:  # only if a writer bypassed the lock
            raise RecordExistsError(f"platform {record_id!r} already exists") from exc
        return change

    def _check_schema(self, conn: psycopg.Connection[Any]) -> None:
        if not self._schema_ok:
            check_schema(conn, location=self.location)
            self._schema_ok = True

    def _write_query(
        self,
        record_id: str,
        record: PlatformRecord | None,
        change: Change,
        now: dt.datetime,
    ) -> tuple[str, tuple[Any, ...]]:
        """One statement writing the row (or deleting it), its history entry, the version and
        the notification; it returns the entry's ``seq`` and the new version."""
        history = (
            change.id,
            change.op,
            change.actor,
            now,
            _jsonb(change.before),
            _jsonb(change.after),
        )
        if record is None:
            return _WRITE.format(row=_DELETE), (record_id, *history, CHANNEL, record_id)
        return _WRITE.format(row=_UPSERT), (*self._row(record, now), *history, CHANNEL, record_id)

    def save(self, records: list[PlatformRecord], *, actor: str = "biomap") -> list[Change]:
        """Make the registry exactly ``records`` in one transaction; history for the diff only."""
        now = _now()
        after = {r.id: r for r in records}
        tags = {rid: etag(r) for rid, r in after.items()}
        with self._cursor(write=True) as cur:
            cur.execute("SELECT id, etag FROM platforms")
            before: dict[str, str] = dict(cur.fetchall())
            changed = sorted(
                i for i in before.keys() | after.keys() if before.get(i) != tags.get(i)
            )
            if not changed:
                return []
            cur.execute(
                "SELECT id, record FROM platforms WHERE id = ANY(%s)",
                ([i for i in changed if i in before],),
            )
            old: dict[str, dict[str, Any]] = dict(cur.fetchall())
            changes = [
                Change(
                    rid,
                    "ingest" if rid in after else "delete",
                    actor,
                    at=now.isoformat(timespec="microseconds"),
                    before=_ordered(old[rid]) if rid in old else None,
                    after=after[rid].model_dump() if rid in after else None,
                )
                for rid in changed
            ]
            gone = [c.id for c in changes if c.after is None]
            if gone:
                cur.execute("DELETE FROM platforms WHERE id = ANY(%s)", (gone,))
            upserts = [self._row(after[c.id], now) for c in changes if c.after is not None]
            if upserts:
                cur.executemany(_UPSERT, upserts)
            self._log(cur, changes, now)
        return changes

    @staticmethod
    def _row(record: PlatformRecord, now: dt.datetime) -> tuple[Any, ...]:
        data = record.model_dump()
        return (record.id, _jsonb(data), record.lon, record.lat, etag(data), now)

    @staticmethod
    def _log(cur: psycopg.Cursor[Any], changes: list[Change], now: dt.datetime) -> int:
        """Append the history rows, bump the version and announce it with the changed ids (on
        commit); return the new version."""
        rows = [(c.id, c.op, c.actor, now, _jsonb(c.before), _jsonb(c.after)) for c in changes]
        cur.executemany(_HISTORY, rows, returning=True)
        for change in changes:
            seq = cur.fetchone()
            change.seq = seq[0] if seq else None
            cur.nextset()
        cur.execute("UPDATE biomap_registry_version SET version = version + 1 RETURNING version")
        row = cur.fetchone()
        version = int(row[0]) if row else 0
        cur.execute("SELECT pg_notify(%s, %s)", (CHANNEL, notice(version, [c.id for c in changes])))
        return version

    def tokens(self) -> PgTokenStore:
        """The token hashes in the ``api_tokens`` table."""
        return PgTokenStore(self._cursor, stamp=lambda: self._token_stamp)

    # -- change notifications -----------------------------------------------------------------

    def listen(
        self,
        callback: Listener,
        *,
        stop_event: threading.Event,
        max_backoff: float = 5.0,
    ) -> threading.Thread:
        """Call ``callback(version, ids)`` on every change of the registry, from any process.

        ``ids`` are the records the change touched (``None`` when not known). A daemon thread
        with its own session runs ``LISTEN biomap_registry``. It also calls back with the
        current version and ``None`` each time it (re)connects, because notifications sent
        while it was disconnected are lost; after losing the database it reconnects with
        backoff (up to ``max_backoff`` seconds). It ends soon after ``stop_event`` is set.
        """
        thread = threading.Thread(
            target=self._listen_loop,
            args=(callback, stop_event, max_backoff),
            name=f"biomap-listen {self.location}",
            daemon=True,
        )
        thread.start()
        return thread

    def _listen_loop(
        self, callback: Listener, stop_event: threading.Event, max_backoff: float
    ) -> None:
        delay = 0.1
        while not stop_event.is_set():
            try:
                self._listen_once(callback, stop_event)
                delay = 0.1
            except (StoreUnavailableError, psycopg.Error) as exc:
                log.warning("listening to %s: %s; retrying in %.1f s", self.location, exc, delay)
            if stop_event.wait(delay):
                return
            delay = min(delay * 2, max_backoff)

    def _listen_once(self, callback: Listener, stop_event: threading.Event) -> None:
        try:
            with self._db.connect() as conn:
                for channel in (CHANNEL, TOKENS_CHANNEL):
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                self._token_stamp = next(self._token_stamps)  # changes while away: unknown
                row = conn.execute("SELECT version FROM biomap_registry_version").fetchone()
                _call(callback, str(row[0] if row else 0), None)  # and the registry's too
                idle = 0.0
                while not stop_event.is_set():
                    got = False
                    for note in conn.notifies(timeout=0.5):
                        got = True
                        if note.channel == TOKENS_CHANNEL:
                            self._token_stamp = next(self._token_stamps)
                        else:
                            _call(callback, *parse_notice(note.payload))
                    idle = 0.0 if got else idle + 0.5
                    if idle >= 10.0:  # a silent network loses a session quietly: ask now and then
                        conn.execute("")
                        idle = 0.0
        finally:
            self._token_stamp = None


def notice(version: int, ids: list[str]) -> str:
    """A change notification's payload: ``{"version": "12", "ids": [...]}`` (the new version
    and the ids the transaction changed; without ``ids`` when too many to list)."""
    body = orjson.dumps({"version": str(version), "ids": ids})
    if len(body) > NOTICE_MAX_BYTES:
        body = orjson.dumps({"version": str(version)})
    return body.decode()


def parse_notice(payload: str) -> tuple[str, list[str] | None]:
    """The version and the changed ids (``None``: not known) of a notification's payload.

    A bare version (an older biomap's payload) has no ids.
    """
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload.strip(), None
    if not isinstance(data, dict):
        return str(data), None
    ids = data.get("ids")
    if not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
        ids = None
    return str(data.get("version", "")), ids


def _call(callback: Listener, version: str, ids: list[str] | None) -> None:
    try:
        callback(version, ids)
    except Exception:  # a failing callback must not stop the notifications
        log.exception("registry change callback failed for version %s", version)


def _where(
    *, after_id: str | None, bbox: Sequence[float] | None
) -> tuple[sql.Composable, list[Any]]:
    """The WHERE clause (keyset and bounding box) of :meth:`PostGISStore.page` and friends."""
    parts: list[sql.Composable] = []
    params: list[Any] = []
    if after_id is not None:
        parts.append(sql.SQL("id > %s"))
        params.append(after_id)
    if bbox is not None:
        parts.append(sql.SQL("geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"))
        params.extend(_check_bbox(bbox))
    if not parts:
        return sql.SQL(""), params
    return sql.SQL("WHERE ") + sql.SQL(" AND ").join(parts), params


def _check_bbox(bbox: Sequence[float]) -> BBox:
    try:
        values = [float(v) for v in bbox]
    except (TypeError, ValueError) as exc:
        raise CoordinateError(f"bbox {bbox!r} must be four numbers") from exc
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise CoordinateError(f"bbox {bbox!r} must be four finite numbers")
    west, south, east, north = values
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise CoordinateError(
            f"bbox {bbox!r} must be min_lon,min_lat,max_lon,max_lat in WGS84 degrees with "
            "min <= max (a box across the antimeridian is two requests)"
        )
    return west, south, east, north


def open_postgis(url: str) -> PostGISStore:
    """The factory :data:`geo.store.SCHEMES` calls for ``postgresql://`` and ``postgres://``."""
    return PostGISStore(url)
