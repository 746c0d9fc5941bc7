"""Bearer-token checks for the write routes: 401 without a known token, 403 when revoked or too low.

Tokens are made with ``biomap token create`` (:mod:`geo.auth`); the store keeps only their hashes.
"""

from __future__ import annotations

from fastapi import Request

from api.errors import ApiError
from geo.auth import authenticate, has_role
from geo.store import TokenRecord


class UnauthorizedError(ApiError):
    """No token, or one the store does not know."""

    status = 401
    title = "Unauthorized"


class ForbiddenError(ApiError):
    """A revoked token, or a role too low for the operation."""

    status = 403
    title = "Forbidden"


def _token(request: Request, needed: str) -> TokenRecord:
    header = request.headers.get("authorization", "")
    scheme, _, plain = header.partition(" ")
    if scheme.lower() != "bearer" or not plain.strip():
        raise UnauthorizedError("send Authorization: Bearer <token> (see `biomap token create`)")
    token = authenticate(request.app.state.data.store.tokens(), plain.strip())
    if token is None:
        raise UnauthorizedError("the token is not known here; ask an admin for one")
    if token.revoked:
        raise ForbiddenError(f"token {token.id!r} was revoked on {token.revoked}")
    if not has_role(token, needed):
        raise ForbiddenError(f"this needs the {needed} role; token {token.id!r} is {token.role}")
    return token


def require_editor(request: Request) -> TokenRecord:
    """The caller's token, which must be an editor's or an admin's."""
    return _token(request, "editor")


def require_admin(request: Request) -> TokenRecord:
    """The caller's token, which must be an admin's."""
    return _token(request, "admin")
