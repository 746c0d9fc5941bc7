"""Issue API tokens for tests (until geo.auth lands: a TokenRecord with a SHA-256 hash)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from geo.store import TokenRecord


def issue_token(store, *, role: str, name: str) -> str:
    plain = "bm_" + secrets.token_urlsafe(32)
    store.tokens().add(
        TokenRecord(
            id=secrets.token_hex(4),
            name=name,
            role=role,  # type: ignore[arg-type]
            hash=hashlib.sha256(plain.encode()).hexdigest(),
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
    )
    return plain
