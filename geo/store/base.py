"""The store interface: every read and write of the registry goes through a :class:`PlatformStore`.

:func:`open_store` turns a location into a store: a path (or ``file:`` URL) is the GeoJSON file
store, the embedded default. Other stores (PostGIS) register a URL scheme in :data:`SCHEMES`.

Writes are single-record (:meth:`PlatformStore.write`, checked against the record's ETag) or
whole-registry (:meth:`PlatformStore.save`, as ingest does); both record a :class:`Change` per
changed record in the store's append-only history. A writer that reads, decides and writes holds
:meth:`PlatformStore.locked` around all three, so concurrent writers never lose a record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import geopandas as gpd
import orjson

from geo import DATA_DIR
from geo.errors import DataFileError
from geo.store.schema import PlatformRecord, records_to_frame

#: The shipped registry, the file store's default location.
DEFAULT_REGISTRY: Path = DATA_DIR / "platforms.geojson"

Operation = Literal["create", "replace", "update", "delete", "restore", "ingest"]
#: A writer's last check, run under the lock before a write with the records (other ids)
#: that share the new record's ``name_zh``; raising aborts the write.
WriteCheck = Callable[[list[PlatformRecord]], None]


class _Any:
    """The "any version" precondition (the writer does not care what is stored)."""

    def __repr__(self) -> str:
        return "ANY"


#: ``expect=ANY``: write whatever is stored; ``expect=None``: the record must not exist.
ANY: Any = _Any()


def etag(record: PlatformRecord | dict[str, Any] | None) -> str | None:
    """A strong ETag for one record's content (the same in every store and on every server)."""
    if record is None:
        return None
    data = record.model_dump() if isinstance(record, PlatformRecord) else record
    digest = hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f'"{digest[:32]}"'


@dataclass
class Change:
    """One entry of a record's history: who changed it, when, how, and the values around it."""

    id: str
    op: Operation
    actor: str
    at: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    )
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    seq: int | None = None
    #: The store's :meth:`~PlatformStore.version` just before and just after the write that
    #: made this change (set by :meth:`PlatformStore.write`; not part of the history).
    version_before: str | None = field(default=None, compare=False, repr=False)
    version: str | None = field(default=None, compare=False, repr=False)
    #: Every id changed from ``version_before`` to ``version``: this one, and the others a
    #: group commit made in the same step.
    step_ids: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data (``seq`` first)."""
        return {
            "seq": self.seq,
            "id": self.id,
            "op": self.op,
            "actor": self.actor,
            "at": self.at,
            "before": self.before,
            "after": self.after,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Change:
        """The inverse of :meth:`to_dict`."""
        return cls(
            **{k: data.get(k) for k in ("id", "op", "actor", "at", "before", "after", "seq")}
        )


def history_document(record_id: str, changes: list[Change]) -> dict[str, Any]:
    """A record's history as JSON: ``{"id": ..., "history": [changes, oldest first]}``.

    The API's ``.../items/{id}/history`` and ``biomap history ID --format json`` both give it.
    """
    return {"id": record_id, "history": [c.to_dict() for c in changes]}


def diff_changes(
    before: dict[str, PlatformRecord], after: dict[str, PlatformRecord], *, actor: str
) -> list[Change]:
    """The changes that turn the registry ``before`` into ``after`` (by id, sorted)."""
    out = []
    for rid in sorted(set(before) | set(after)):
        old, new = before.get(rid), after.get(rid)
        if old == new:
            continue
        op: Operation = "ingest" if new is not None else "delete"
        out.append(
            Change(
                rid,
                op,
                actor,
                before=old.model_dump() if old else None,
                after=new.model_dump() if new else None,
            )
        )
    return out


@runtime_checkable
class PlatformStore(Protocol):
    """Read/write access to the registry; the one interface the rest of biomap uses."""

    @property
    def location(self) -> str:
        """Where the records live, for messages (a path or a URL without credentials)."""
        ...

    def exists(self) -> bool:
        """True when the store holds a registry (possibly empty)."""
        ...

    def close(self) -> None:
        """Release connections (PostGIS); the store opens new ones if used again."""
        ...

    def read_raw(self) -> list[dict[str, Any]]:
        """Every stored record as a plain dict, unvalidated (for ``biomap validate``)."""
        ...

    def load(self) -> list[PlatformRecord]:
        """Every valid record; raise :class:`geo.errors.ValidationError` listing all problems."""
        ...

    def save(self, records: list[PlatformRecord], *, actor: str = "biomap") -> list[Change]:
        """Replace the stored records atomically; record and return one change per changed id."""
        ...

    def get(self, record_id: str) -> PlatformRecord | None:
        """The current record ``record_id``, or ``None``."""
        ...

    def records(self, ids: list[str]) -> dict[str, PlatformRecord]:
        """The current records among ``ids`` by id (ids the store does not hold are absent)."""
        ...

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
        """Create, replace or (``record=None``) delete one record, atomically.

        ``expect`` is the ETag the current record must have (``None``: it must not exist;
        :data:`ANY`: no check). ``check`` runs first, under the lock, on the stored records
        named like ``record`` (e.g. :func:`geo.ingest.edit.check_duplicates`), so no other
        writer can slip a duplicate in between the check and the write. The returned change
        carries the store's version before and after the write.

        Raises
        ------
        geo.errors.RecordNotFoundError
            Replacing or deleting an id the store does not hold.
        geo.errors.RecordExistsError
            Creating (``expect=None``) an id it holds.
        geo.errors.PreconditionFailedError
            When the current record's ETag is not ``expect``.
        """
        ...

    def history(self, record_id: str) -> list[Change]:
        """Every change of ``record_id``, oldest first (empty if it never existed)."""
        ...

    def locked(self) -> AbstractContextManager[None]:
        """Exclusive write access across processes (re-entrant within one store object)."""
        ...

    def check_writable(self) -> None:
        """Raise :class:`geo.errors.OutputError` when a write could not even start (checked
        before a command changes anything; a file store: its folder, a database: nothing)."""
        ...

    def version(self) -> str:
        """An opaque value that changes whenever the registry changes (cheap to ask)."""
        ...

    def tokens(self) -> TokenStore:
        """Where API tokens (their hashes) are kept, beside the registry."""
        ...


@dataclass
class TokenRecord:
    """One API token: only its SHA-256 hash is kept, never the token itself."""

    id: str
    name: str
    role: Literal["viewer", "editor", "admin"]
    hash: str
    created: str
    revoked: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return dict(self.__dict__)


class TokenStore(Protocol):
    """Token hashes beside the registry (a JSON file, or a table)."""

    def add(self, token: TokenRecord) -> None:
        """Keep a new token (its id and hash must be new)."""
        ...

    def all(self) -> list[TokenRecord]:
        """Every token, revoked ones included, oldest first."""
        ...

    def find(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash, or ``None``."""
        ...

    def revoke(self, id_or_name: str) -> TokenRecord:
        """Mark a token revoked (raise :class:`geo.errors.RecordNotFoundError` if unknown)."""
        ...

    def stamp(self) -> Hashable | None:
        """A value that changes whenever any token is added or revoked, by any process; ``None``
        when that cannot be known at the moment (then no answer may be reused)."""
        ...


#: URL scheme -> factory taking the location string.
SCHEMES: dict[str, Callable[[str], PlatformStore]] = {}


def open_store(location: str | Path | PlatformStore | None = None) -> PlatformStore:
    """The store at ``location``: a path or ``file:`` URL (GeoJSON), or a registered URL scheme.

    ``None`` is the shipped registry (``data/platforms.geojson``). A store passes through.

    Raises
    ------
    geo.errors.DataFileError
        For a URL scheme no store handles (the message lists the known ones).
    """
    from geo.store.file import GeoJSONStore

    if location is None:
        return GeoJSONStore(DEFAULT_REGISTRY)
    if isinstance(location, PlatformStore) and not isinstance(location, (str, Path)):
        return location
    text = str(location)
    scheme, sep, rest = text.partition("://")
    if not sep or len(scheme) < 2:  # a plain path (C:\\ has a one-letter "scheme")
        return GeoJSONStore(Path(text))
    if scheme == "file":
        return GeoJSONStore(Path(rest))
    factory = SCHEMES.get(scheme.split("+")[0])
    if factory is None:
        known = ", ".join(["file", *sorted(SCHEMES)])
        raise DataFileError(
            f"no store handles {scheme}:// URLs (known: {known}); give a GeoJSON path instead"
        )
    return factory(text)


@contextmanager
def opened_store(location: str | Path | PlatformStore | None = None) -> Iterator[PlatformStore]:
    """:func:`open_store` for one task: a store opened here is closed at the end.

    A store passed in stays open (its owner closes it).
    """
    store = open_store(location)
    try:
        yield store
    finally:
        if store is not location:
            store.close()


def load_registry(location: str | Path | PlatformStore | None = None) -> gpd.GeoDataFrame:
    """Load and validate the registry as a WGS84 GeoDataFrame (one row per platform).

    Raises
    ------
    geo.errors.DataFileError
        If the store is missing or unreadable.
    geo.errors.ValidationError
        Listing every invalid record and why.
    """
    with opened_store(location) as store:
        return records_to_frame(store.load())
