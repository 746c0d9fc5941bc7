"""PLACEHOLDER until the auth branch lands: bearer tokens checked against the store's hashes."""

from __future__ import annotations

import hashlib

from fastapi import Request

from api.errors import ApiError
from geo.store import TokenRecord


class _Unauthorized(ApiError):
    status = 401
    title = "Unauthorized"


class _Forbidden(ApiError):
    status = 403
    title = "Forbidden"


def _token(request: Request, needed: str) -> TokenRecord:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise _Unauthorized("send Authorization: Bearer <token>")
    digest = hashlib.sha256(header[7:].strip().encode()).hexdigest()
    token = request.app.state.data.store.tokens().find(digest)
    if token is None:
        raise _Unauthorized("unknown token")
    order = ["viewer", "editor", "admin"]
    if token.revoked or order.index(token.role) < order.index(needed):
        raise _Forbidden("token revoked or role too low")
    return token


def require_editor(request: Request) -> TokenRecord:
    return _token(request, "editor")


def require_admin(request: Request) -> TokenRecord:
    return _token(request, "admin")
