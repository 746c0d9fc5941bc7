"""API tokens and roles: create a token, authenticate one, compare roles.

A token is ``bm_`` plus 256 random bits (:func:`secrets.token_urlsafe`); it is shown once, when
created, and only its SHA-256 hash is kept (in the store's :class:`~geo.store.base.TokenStore`).
A plain, unsalted hash is enough because the tokens are random, not chosen by people.
Roles are ordered ``viewer < editor < admin``: a role includes every lower one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from typing import Literal, get_args

from geo.errors import TokenError
from geo.store.base import TokenRecord, TokenStore

Role = Literal["viewer", "editor", "admin"]
#: Every role, lowest first.
ROLES: tuple[Role, ...] = get_args(Role)
PREFIX = "bm_"
MAX_NAME = 80
_TOKEN = re.compile(r"bm_[A-Za-z0-9_-]{43}")  # token_urlsafe(32): 43 base64url characters
_ID = re.compile(r"tk_[0-9a-f]{12}")


def hash_token(plaintext: str) -> str:
    """The SHA-256 hex digest under which ``plaintext`` is stored."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def well_formed(plaintext: str) -> bool:
    """True when ``plaintext`` has the shape of a biomap token (``bm_`` and 43 characters)."""
    return _TOKEN.fullmatch(plaintext) is not None


def create_token(store: TokenStore, *, name: str, role: str) -> tuple[str, TokenRecord]:
    """Make a new token, keep its hash in ``store`` and return the plaintext (only this once).

    Parameters
    ----------
    store
        Where the hash is kept (``open_store(...).tokens()``).
    name
        Who or what uses the token (1-80 printable characters); writes record it as the actor.
    role
        ``viewer``, ``editor`` or ``admin``.

    Returns
    -------
    tuple of (str, TokenRecord)
        The plaintext token and the stored record (which holds only its hash).

    Raises
    ------
    geo.errors.TokenError
        For an invalid name or role.

    Examples
    --------
    >>> plaintext, record = create_token(store.tokens(), name="ci", role="editor")  # doctest: +SKIP
    >>> authenticate(store.tokens(), plaintext) == record  # doctest: +SKIP
    True
    """
    _check_name(name)
    _check_role(role)
    plaintext = PREFIX + secrets.token_urlsafe(32)
    record = TokenRecord(
        id="tk_" + secrets.token_hex(6),
        name=name,
        role=role,  # type: ignore[arg-type]  # checked above
        hash=hash_token(plaintext),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    store.add(record)
    return plaintext, record


def authenticate(
    store: TokenStore,
    plaintext: str,
    *,
    find: Callable[[TokenStore, str], TokenRecord | None] | None = None,
) -> TokenRecord | None:
    """The record of token ``plaintext``, revoked or not; ``None`` if malformed or unknown.

    A revoked token is returned (check ``record.revoked``) so the caller can tell "revoked"
    (403) from "unknown" (401). ``find(store, hash)`` looks the hash up instead of
    ``store.find`` (the API's :class:`api.auth.TokenCache`).
    """
    if not well_formed(plaintext):
        return None
    digest = hash_token(plaintext)
    record = store.find(digest) if find is None else find(store, digest)
    if record is None or not hmac.compare_digest(record.hash, digest):
        return None
    return record


def has_role(token: TokenRecord, needed: str) -> bool:
    """True when ``token`` is live and its role is ``needed`` or higher.

    Raises
    ------
    geo.errors.TokenError
        If ``needed`` is not a role.
    """
    _check_role(needed)
    if token.revoked or token.role not in ROLES:
        return False
    return ROLES.index(token.role) >= ROLES.index(needed)  # type: ignore[arg-type]


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise TokenError("a token needs a name (who or what uses it), e.g. --name ci-deploy")
    if len(name) > MAX_NAME:
        raise TokenError(f"token name {name[:20]!r}... is {len(name)} characters; use at most 80")
    if not name.isprintable():
        raise TokenError(f"token name {name!r} has control characters; use printable text only")
    if name != name.strip():
        raise TokenError(f"token name {name!r} has leading or trailing spaces; remove them")
    if _ID.fullmatch(name):
        raise TokenError(f"token name {name!r} looks like a token id; choose another name")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise TokenError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
