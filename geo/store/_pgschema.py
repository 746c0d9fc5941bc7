"""The PostGIS store's schema: numbered migrations, applied in order and recorded.

``geo/store/migrations/NNNN_name.sql`` are applied by :func:`migrate` in one transaction under
an advisory lock (two ``biomap store init`` at once are safe), each recorded in
``biomap_schema_version``; applying them again does nothing. :func:`check_schema` refuses a
database whose schema is missing, older or newer than this biomap's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import psycopg

from geo.errors import StoreSchemaError

#: Advisory lock held while migrating (the registry's writers use another key).
MIGRATION_LOCK_KEY = 0x62696F6D6170_01
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One schema step: ``version`` (the file's number), its ``name`` and its SQL."""

    version: int
    name: str
    sql: str


@cache
def migrations() -> tuple[Migration, ...]:
    """Every migration shipped with biomap, in version order."""
    found = []
    for entry in resources.files("geo.store").joinpath("migrations").iterdir():
        if m := _NAME.match(entry.name):
            found.append(Migration(int(m[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda mig: mig.version)
    if [mig.version for mig in found] != list(range(1, len(found) + 1)):
        raise StoreSchemaError(f"migrations are not numbered 1..n: {[m.name for m in found]}")
    return tuple(found)


def latest() -> int:
    """The schema version this biomap expects."""
    return migrations()[-1].version


def migrate(conn: psycopg.Connection[Any], *, location: str) -> list[str]:
    """Bring the schema up to date; return the names of the migrations applied (oldest first).

    Raises
    ------
    geo.errors.StoreSchemaError
        When the database refuses (no PostGIS installed, too few privileges), saying what to do.
    """
    applied = []
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS biomap_schema_version ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {v for (v,) in conn.execute("SELECT version FROM biomap_schema_version")}
            for mig in migrations():
                if mig.version in done:
                    continue
                conn.execute(mig.sql.encode("utf-8"))
                conn.execute(
                    "INSERT INTO biomap_schema_version (version, name) VALUES (%s, %s)",
                    (mig.version, mig.name),
                )
                applied.append(mig.name)
    except psycopg.errors.UndefinedFile as exc:
        raise StoreSchemaError(
            f"the database server of {location} has no PostGIS ({exc.diag.message_primary}); "
            "install it there (Debian: postgresql-15-postgis-3, see scripts/setup.sh), then run "
            "`biomap store init` again"
        ) from exc
    except psycopg.errors.InsufficientPrivilege as exc:
        raise StoreSchemaError(
            f"{location}: {exc.diag.message_primary}; connect as the database's owner, or ask "
            "a superuser to run CREATE EXTENSION postgis there and grant you CREATE on the "
            "schema, then run `biomap store init` again"
        ) from exc
    return applied


def check_schema(conn: psycopg.Connection[Any], *, location: str) -> None:
    """Raise :class:`StoreSchemaError` unless the schema is exactly this biomap's version."""
    row = conn.execute("SELECT to_regclass('biomap_schema_version') IS NOT NULL").fetchone()
    if not (row and row[0]):
        raise StoreSchemaError(
            f"{location} has no biomap schema; run `biomap store init` with the same --store "
            "URL to create it"
        )
    row = conn.execute("SELECT coalesce(max(version), 0) FROM biomap_schema_version").fetchone()
    current, expected = (row[0] if row else 0), latest()
    if current < expected:
        raise StoreSchemaError(
            f"{location} has biomap schema version {current}, older than this biomap's "
            f"{expected}; run `biomap store init` with the same --store URL to upgrade it"
        )
    if current > expected:
        raise StoreSchemaError(
            f"{location} has biomap schema version {current}, newer than this biomap's "
            f"{expected}; upgrade biomap"
        )
