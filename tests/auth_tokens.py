"""Issue API tokens for tests through geo.auth, as `biomap token create` does."""

from __future__ import annotations

from geo.auth import create_token


def issue_token(store, *, role: str, name: str) -> str:
    """A new token's plaintext (its hash is kept in ``store``)."""
    plain, _ = create_token(store.tokens(), name=name, role=role)
    return plain
