"""API token hashes in the PostGIS store's ``api_tokens`` table (see :class:`TokenStore`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import psycopg

from geo.errors import RecordExistsError
from geo.store.base import TokenRecord
from geo.store.file import find_token

CursorFactory = Callable[..., AbstractContextManager[psycopg.Cursor[Any]]]
_COLUMNS = "id, name, role, hash, created, revoked"


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat()


def _row(row: tuple[Any, ...]) -> TokenRecord:
    tid, name, role, token_hash, created, revoked = row
    return TokenRecord(tid, name, role, token_hash, _iso(created) or "", _iso(revoked))


class PgTokenStore:
    """Token hashes in ``api_tokens`` (timestamps come back as UTC ISO 8601)."""

    def __init__(self, cursor: CursorFactory, *, stamp: Callable[[], int | None]) -> None:
        self._cursor = cursor
        self._stamp = stamp

    def stamp(self) -> int | None:
        """Changes on every ``biomap_tokens`` notification (a trigger sends one on every change
        of the table) while the store's :meth:`~geo.store.postgis.PostGISStore.listen` is
        connected; ``None`` otherwise."""
        return self._stamp()

    def all(self) -> list[TokenRecord]:
        """Every token, oldest (first added) first."""
        with self._cursor() as cur:
            cur.execute(f"SELECT {_COLUMNS} FROM api_tokens ORDER BY seq")
            return [_row(r) for r in cur.fetchall()]

    def find(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash, or ``None``."""
        with self._cursor() as cur:
            cur.execute(f"SELECT {_COLUMNS} FROM api_tokens WHERE hash = %s", (token_hash,))
            row = cur.fetchone()
        return _row(row) if row else None

    def add(self, token: TokenRecord) -> None:
        """Keep a new token (its id and hash must be new)."""
        try:
            with self._cursor(write=True) as cur:
                cur.execute(
                    f"INSERT INTO api_tokens ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",
                    (
                        token.id,
                        token.name,
                        token.role,
                        token.hash,
                        dt.datetime.fromisoformat(token.created),
                        dt.datetime.fromisoformat(token.revoked) if token.revoked else None,
                    ),
                )
        except psycopg.errors.UniqueViolation as exc:
            raise RecordExistsError(f"token {token.id!r} already exists") from exc

    def revoke(self, id_or_name: str) -> TokenRecord:
        """Mark the token with this id (or the one live token of this name) revoked."""
        with self._cursor(write=True) as cur:
            cur.execute(f"SELECT {_COLUMNS} FROM api_tokens ORDER BY seq FOR UPDATE")
            hit = find_token([_row(r) for r in cur.fetchall()], id_or_name)
            cur.execute(
                "UPDATE api_tokens SET revoked = coalesce(revoked, date_trunc('second', now()))"
                f" WHERE id = %s RETURNING {_COLUMNS}",
                (hit.id,),
            )
            row = cur.fetchone()
        assert row is not None  # locked above
        return _row(row)
