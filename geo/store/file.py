"""The file store: the registry as one GeoJSON file, written atomically under a lock.

Beside ``platforms.geojson`` live ``platforms.geojson.lock`` (the writers' lock),
``platforms.history.jsonl`` (the append-only history, one change per line) and
``platforms.tokens.json`` (API token hashes). Every writer, ``biomap ingest`` and the API alike,
holds the lock from reading the registry to replacing it, so two concurrent writers never lose a
record; the replacement is a temporary file renamed over the old one, keeping its mode.

A write appends its history entries (durably) before it renames the new file into place, and
the new file records how long the history it goes with is (``"biomap:history_bytes"``, a
foreign member of the FeatureCollection, RFC 7946 §6.1). Entries past that length belong to a
write that was killed before its rename, a change that never happened: readers ignore them
and the next writer cuts them off. A file without the member (written by hand, or by an older
biomap) goes with all of its history.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filelock

from geo._io import atomic_temps, check_output_file, output_error, write_atomic
from geo.errors import (
    BiomapError,
    DataFileError,
    PreconditionFailedError,
    RecordExistsError,
    RecordNotFoundError,
    ValidationError,
)
from geo.store.base import (
    ANY,
    Change,
    Operation,
    TokenRecord,
    WriteCheck,
    diff_changes,
    etag,
)
from geo.store.schema import PlatformRecord, parse_geojson, to_geojson, validate_records

#: How long a writer waits for another writer before giving up (seconds).
LOCK_TIMEOUT_S = 60.0
#: The registry file's record of its history's length (on its first line).
_HISTORY_BYTES = re.compile(rb'\{"type": "FeatureCollection", "biomap:history_bytes": (\d+), ')


class GeoJSONStore:
    """The registry as one GeoJSON file (``data/platforms.geojson`` by default)."""

    def __init__(self, path: Path | str, *, lock_timeout: float = LOCK_TIMEOUT_S) -> None:
        self.path = Path(path)
        stem = self.path.name.removesuffix(".geojson").removesuffix(".json")
        self.history_path = self.path.with_name(f"{stem}.history.jsonl")
        self.tokens_path = self.path.with_name(f"{stem}.tokens.json")
        self._lock = filelock.FileLock(f"{self.path}.lock", timeout=lock_timeout)
        self._threads = _thread_lock(f"{self.path}.lock")
        self._queue_lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._cache: tuple[tuple[int, int, int], list[PlatformRecord]] | None = None

    def __repr__(self) -> str:
        return f"GeoJSONStore({str(self.path)!r})"

    def __enter__(self) -> GeoJSONStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release (the file is opened per operation); here for the interface."""

    @property
    def location(self) -> str:
        """The file's path."""
        return str(self.path)

    def exists(self) -> bool:
        """True when the file exists."""
        return self.path.exists()

    # -- reading ------------------------------------------------------------------------------

    def read_raw(self) -> list[dict[str, Any]]:
        """Parse the file into raw record dicts without validating them."""
        if not self.path.exists():
            raise DataFileError(
                f"no registry at {str(self.path)!r}; run `biomap ingest` to make one"
            )
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataFileError(f"{str(self.path)!r} is not valid JSON: {exc}") from exc
        except OSError as exc:
            raise DataFileError(f"cannot read {str(self.path)!r}: {exc.strerror}") from exc
        return parse_geojson(data, where=str(self.path))

    def load(self) -> list[PlatformRecord]:
        """Every valid record; :class:`ValidationError` listing every problem otherwise.

        The parsed records are kept until the file changes (its inode, size or mtime).
        """
        signature = self._signature()
        if self._cache is not None and self._cache[0] == signature:
            return list(self._cache[1])
        valid, problems = validate_records(self.read_raw())
        if problems:
            raise ValidationError(f"{self.path.name}: {len(problems)} problem(s)", problems)
        if signature is not None:
            self._cache = (signature, valid)
        return list(valid)

    def get(self, record_id: str) -> PlatformRecord | None:
        """The current record ``record_id``, or ``None``."""
        return self.records([record_id]).get(record_id)

    def records(self, ids: list[str]) -> dict[str, PlatformRecord]:
        """The current records among ``ids`` by id."""
        if not self.exists():
            return {}
        wanted = set(ids)
        return {r.id: r for r in self.load() if r.id in wanted}

    def version(self) -> str:
        """The file's inode, mtime and size: any replacement changes it."""
        sig = self._signature()
        return "missing" if sig is None else "-".join(str(v) for v in sig)

    def _signature(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def history(self, record_id: str) -> list[Change]:
        """Every change of ``record_id`` recorded beside the file, oldest first."""
        return [c for c in self._read_history() if c.id == record_id]

    def _read_history(self) -> Iterator[Change]:
        end = self._history_end()
        if not end:
            return
        with self.history_path.open("rb") as fh:
            read = 0
            for line in fh:
                read += len(line)
                if read > end:
                    return  # past the history that goes with the file
                if line.strip():
                    try:
                        yield Change.from_dict(json.loads(line))
                    except (json.JSONDecodeError, TypeError, UnicodeDecodeError):
                        continue  # a line torn by a crash mid-append: never acknowledged

    def _history_end(self) -> int:
        """The length in bytes of the history that goes with the registry file: the file's
        ``biomap:history_bytes`` (entries past it are a killed write's), else all of it."""
        try:
            size = self.history_path.stat().st_size
        except FileNotFoundError:
            return 0
        try:
            with self.path.open("rb") as fh:
                head = fh.readline(4096)
        except FileNotFoundError:
            return size
        found = _HISTORY_BYTES.match(head)
        return size if found is None else min(size, int(found.group(1)))

    # -- writing ------------------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the writers' lock (``platforms.geojson.lock``); re-entrant in one thread.

        Threads of one process wait on a thread lock first (shared by every store object of the
        file), so only one of them at a time waits for the lock file.

        A lock file that cannot be created (no such folder, a read-only one) is an
        :class:`~geo.errors.OutputError` at once, not a wait for a writer that does not exist.
        """
        with self._threads, self._file_lock():  # threads queue on the first, not by polling
            yield

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        lock_file = Path(self._lock.lock_file)
        try:
            if not self._lock.is_locked and not lock_file.exists():
                lock_file.parent.mkdir(parents=True, exist_ok=True)  # a new registry's folder
                os.close(os.open(lock_file, os.O_WRONLY | os.O_CREAT, 0o666))
            self._lock.acquire()
        except filelock.Timeout as exc:
            raise DataFileError(
                f"another writer has held {str(lock_file)!r} for over "
                f"{self._lock.timeout:.0f} s; wait for it to finish, or remove the lock file if "
                "no biomap process is running"
            ) from exc
        except OSError as exc:
            raise output_error(lock_file, exc) from exc
        try:
            yield
        finally:
            self._lock.release()

    def check_writable(self) -> None:
        """Raise :class:`~geo.errors.OutputError` unless the registry file can be replaced."""
        check_output_file(self.path)

    def save(self, records: list[PlatformRecord], *, actor: str = "biomap") -> list[Change]:
        """Replace every record; record one change per changed id in the history."""
        with self.locked():
            before = {r.id: r for r in self.load()} if self.exists() else {}
            changes = diff_changes(before, {r.id: r for r in records}, actor=actor)
            if changes or not self.exists():
                self._commit(records, changes)
                self._remember(list(records))
            return changes

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
        """Create, replace or delete one record (see :meth:`PlatformStore.write`).

        Group commit: writes that threads of this process ask for while another one holds the
        lock queue up, and the next holder makes all of them in one history append and one
        file replacement, checking each against the records as the ones before it left them.
        Each call returns (or raises) only after the commit that holds its change is durable.
        """
        pending = _Pending(record_id, record, actor, op, expect, check)
        with self._queue_lock:
            self._queue.append(pending)
        with self.locked():
            if not pending.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit_batch(batch)
        if pending.error is not None:
            raise pending.error
        assert pending.change is not None
        return pending.change

    def _commit_batch(self, batch: list[_Pending]) -> None:
        """Make the writes of ``batch`` in order, in one commit (called holding the lock)."""
        try:
            before = self.version()
            current = {r.id: r for r in self.load()} if self.exists() else {}
            made = []
            for item in batch:
                try:
                    item.change = _apply_one(current, item)
                    made.append(item)
                except BiomapError as exc:  # this write is refused; the others go on
                    item.error = exc
            if made:
                records = [current[k] for k in sorted(current)]
                self._commit(records, [item.change for item in made if item.change])
                self._remember(records)
                after = self.version()
                ids = tuple(item.record_id for item in made)
                for item in made:
                    assert item.change is not None
                    item.change.version_before, item.change.version = before, after
                    item.change.step_ids = ids
        except BaseException as exc:  # the commit failed: none of the batch happened
            for item in batch:
                if item.error is None:
                    item.change, item.error = None, exc
            if not isinstance(exc, Exception):
                raise
        finally:
            for item in batch:
                item.done = True

    def _remember(self, records: list[PlatformRecord]) -> None:
        """Keep the records just written as the parsed file (called holding the lock, right
        after the rename: no other writer can have replaced the file since)."""
        signature = self._signature()
        if signature is not None:
            self._cache = (signature, records)

    def _commit(self, records: list[PlatformRecord], changes: list[Change]) -> None:
        """Append the history, then replace the file; if either fails, undo the append."""
        self._clean_stale_temps()
        size = self._history_end()
        if self.history_path.exists() and self.history_path.stat().st_size > size:
            os.truncate(self.history_path, size)  # a killed write's entries: it never happened
        end = size
        try:
            if changes:
                seq = self._last_seq()
                lines = []
                for change in changes:
                    seq += 1
                    change.seq = seq
                    lines.append(json.dumps(change.to_dict(), ensure_ascii=False))
                entries = ("\n".join(lines) + "\n").encode("utf-8")
                _append_durably(self.history_path, entries)
                end += len(entries)
            write_atomic(self.path, geojson_bytes(records, history_bytes=end))
        except BaseException:
            if changes and self.history_path.exists():
                os.truncate(self.history_path, size)  # the change did not happen
            raise

    def _last_seq(self) -> int:
        """The sequence number of the history's last entry (0 for none)."""
        if not self.history_path.exists():
            return 0
        end = self._history_end()
        with self.history_path.open("rb") as fh:
            fh.seek(max(0, end - 65536))
            for line in reversed(fh.read(end - max(0, end - 65536)).splitlines()):
                try:
                    return int(json.loads(line)["seq"])
                except (ValueError, KeyError, TypeError):
                    continue
        return sum(1 for _ in self._read_history())

    def _clean_stale_temps(self) -> None:
        """Remove the temp files a killed writer left beside the registry and the token file.

        Called holding the writers' lock: every writer of both files holds it, so no write is
        in flight and every temp file there is stale.
        """
        for tmp in [*atomic_temps(self.path), *atomic_temps(self.tokens_path)]:
            tmp.unlink(missing_ok=True)

    def tokens(self) -> FileTokenStore:
        """The token hashes in ``platforms.tokens.json``."""
        return FileTokenStore(self.tokens_path, self)


_THREAD_LOCKS: dict[str, threading.RLock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def _thread_lock(lock_file: str) -> threading.RLock:
    """The one in-process lock of a lock file (by its absolute path)."""
    key = os.path.abspath(lock_file)
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(key, threading.RLock())


def geojson_bytes(records: list[PlatformRecord], *, history_bytes: int | None = None) -> bytes:
    """The registry file's content: a FeatureCollection with one Feature per line (UTF-8);
    with ``history_bytes``, the length of the history it goes with (the store's own file)."""
    feats = [json.dumps(f, ensure_ascii=False) for f in to_geojson(records)["features"]]
    member = "" if history_bytes is None else f'"biomap:history_bytes": {history_bytes}, '
    head = '{"type": "FeatureCollection", ' + member + '"features": [\n'
    return (head + ",\n".join(feats) + "\n]}\n").encode()


@dataclass
class _Pending:
    """One write waiting for a commit, and what came of it."""

    record_id: str
    record: PlatformRecord | None
    actor: str
    op: Operation
    expect: Any
    check: WriteCheck | None
    done: bool = False
    change: Change | None = None
    error: BaseException | None = None


def _apply_one(current: dict[str, PlatformRecord], item: _Pending) -> Change:
    """Check one write against ``current`` and make it there; the change it makes."""
    old = current.get(item.record_id)
    if item.check is not None and item.record is not None:
        item.check(same_name(current.values(), item.record))
    check_expectation(item.record_id, old, item.expect)
    if old is None and item.record is None:
        raise RecordNotFoundError(f"no platform {item.record_id!r} to delete")
    change = Change(
        item.record_id,
        item.op,
        item.actor,
        before=old.model_dump() if old else None,
        after=item.record.model_dump() if item.record else None,
    )
    if item.record is None:
        del current[item.record_id]
    else:
        current[item.record_id] = item.record
    return change


def same_name(records: Iterable[PlatformRecord], record: PlatformRecord) -> list[PlatformRecord]:
    """The records other than ``record`` (by id) with its ``name_zh`` (a write check's input)."""
    return [r for r in records if r.name_zh == record.name_zh and r.id != record.id]


def check_expectation(record_id: str, current: PlatformRecord | None, expect: Any) -> None:
    """Raise unless ``current`` matches the writer's precondition (shared by every store)."""
    if expect is ANY:
        return
    if expect is None:
        if current is not None:
            raise RecordExistsError(
                f"platform {record_id!r} already exists; replace it with PUT, or choose another id"
            )
        return
    if current is None:
        raise RecordNotFoundError(f"no platform {record_id!r}")
    if expect != etag(current) and expect != "*":
        raise PreconditionFailedError(
            f"platform {record_id!r} changed since you read it (ETag {expect} is stale; the "
            f"current one is {etag(current)}): read it again and redo your edit"
        )


def _append_durably(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` and fsync it (new files follow the umask)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


class FileTokenStore:
    """Token hashes in a JSON file (mode 0600), written under the registry's lock."""

    def __init__(self, path: Path, registry: GeoJSONStore) -> None:
        self.path = path
        self._registry = registry

    def all(self) -> list[TokenRecord]:
        """Every token, oldest first."""
        if not self.path.exists():
            return []
        try:
            rows = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise DataFileError(f"cannot read tokens from {str(self.path)!r}: {exc}") from exc
        return [TokenRecord(**row) for row in rows]

    def find(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash, or ``None``."""
        return next((t for t in self.all() if t.hash == token_hash), None)

    def stamp(self) -> tuple[int, int, int, int] | str:
        """The token file's inode, mtime, ctime and size (every write replaces the file and
        changes its size: a new token, or a revocation's date)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return "missing"
        return (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)

    def add(self, token: TokenRecord) -> None:
        """Keep a new token."""
        with self._registry.locked():
            tokens = self.all()
            if any(t.id == token.id or t.hash == token.hash for t in tokens):
                raise RecordExistsError(f"token {token.id!r} already exists")
            self._write([*tokens, token])

    def revoke(self, id_or_name: str) -> TokenRecord:
        """Mark the token with this id (or the one unrevoked token with this name) revoked."""
        with self._registry.locked():
            tokens = self.all()
            hit = find_token(tokens, id_or_name)
            hit.revoked = hit.revoked or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            self._write(tokens)
            return hit

    def _write(self, tokens: list[TokenRecord]) -> None:
        self._registry._clean_stale_temps()  # callers hold the registry's lock
        data = json.dumps([t.to_dict() for t in tokens], ensure_ascii=False, indent=1)
        write_atomic(self.path, data.encode("utf-8"), mode=0o600)


def find_token(tokens: list[TokenRecord], id_or_name: str) -> TokenRecord:
    """The token with id ``id_or_name``, else the one live token of that name."""
    by_id = [t for t in tokens if t.id == id_or_name]
    if by_id:
        return by_id[0]
    live = [t for t in tokens if t.name == id_or_name and not t.revoked]
    if len(live) == 1:
        return live[0]
    if len(live) > 1:
        ids = ", ".join(t.id for t in live)
        raise RecordExistsError(
            f"{len(live)} live tokens are named {id_or_name!r}: give an id ({ids})"
        )
    raise RecordNotFoundError(f"no token with id or name {id_or_name!r} (see `biomap token list`)")
