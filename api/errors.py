"""Errors as RFC 9457 problem+json: one table from error classes to HTTP statuses.

Policy: bad input is a 400 that names the parameter and says why (FastAPI's 422 becomes 400);
an unknown collection, feature or path is a 404; a genuine server error is a 500 whose body says
only that something failed and gives the request id, while the log gets the traceback.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.errors import (
    BiomapError,
    CoordinateError,
    CRSMismatchError,
    DataFileError,
    DirectModeError,
    FontNotFoundError,
    InsufficientDataError,
    InvalidGeometryError,
    MapOptionError,
    MissingAssetError,
    OutputError,
    PreconditionFailedError,
    RecordExistsError,
    RecordInvalidError,
    RecordNotFoundError,
    SnapshotError,
    StoreUnavailableError,
    TokenError,
    UnknownZoneLayerError,
    ValidationError,
)
from geo.filters import FilterError
from geo.geocoding.providers import ProviderError
from geo.stats import ChainOptionError, DistrictBasisError, StatisticOptionError
from geo.stats.cities import NotARegionError
from geo.stats.clustering import WorkLimitError

log = logging.getLogger("biomap.api")

PROBLEM_JSON = "application/problem+json"
REQUEST_ID_HEADER = "x-request-id"
_SCOPE_KEY = "biomap.request_id"


class ApiError(Exception):
    """An error the API raises itself; ``param`` names the offending query parameter."""

    status = 400
    title = "Bad request"

    def __init__(
        self, detail: str, *, param: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.param = param
        self.headers = dict(headers or {})


class BadParameterError(ApiError):
    """A query parameter is malformed or out of range."""

    title = "Invalid parameter"


class NotFoundError(ApiError):
    """No such collection, feature, layer or map."""

    status = 404
    title = "Not found"


class UnauthorizedError(ApiError):
    """No token, a malformed one or an unknown one (401 with ``WWW-Authenticate: Bearer``)."""

    status = 401
    title = "Unauthorized"

    def __init__(self, detail: str, *, error: str | None = None) -> None:
        challenge = 'Bearer realm="biomap"' + (f', error="{error}"' if error else "")
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class ForbiddenError(ApiError):
    """A known token that is revoked, or whose role is too low (403)."""

    status = 403
    title = "Forbidden"


class TooManyAttemptsError(ApiError):
    """Too many failed token attempts from one client (429 with ``Retry-After``)."""

    status = 429
    title = "Too many failed attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed token attempts from this address; retry in {retry_after} s "
            "with a valid token",
            headers={"Retry-After": str(retry_after)},
        )


#: geo error class -> (HTTP status, title, whether the message may be shown to the client).
#: Looked up along the class's MRO, so subclasses inherit their parent's row.
ERROR_TABLE: dict[type[BaseException], tuple[int, str, bool]] = {
    RecordInvalidError: (422, "Invalid platform", True),
    TokenError: (400, "Invalid token request", True),
    RecordNotFoundError: (404, "Not found", True),
    RecordExistsError: (409, "Platform exists", True),
    PreconditionFailedError: (412, "Precondition failed", True),
    StoreUnavailableError: (503, "Registry store unavailable", True),
    FilterError: (400, "Invalid filter", True),
    ChainOptionError: (400, "Invalid chain option", True),
    DistrictBasisError: (400, "Invalid district basis", True),
    NotARegionError: (400, "Not a region", True),
    WorkLimitError: (400, "Beyond the server's work bounds", True),
    StatisticOptionError: (400, "Invalid statistic", True),
    InsufficientDataError: (422, "Too few points", True),
    ProviderError: (502, "Online geocoder failed", True),
    CoordinateError: (400, "Invalid coordinates", True),
    UnknownZoneLayerError: (400, "Unknown zone layer", True),
    CRSMismatchError: (400, "Wrong coordinate system", True),
    InvalidGeometryError: (400, "Invalid geometry", True),
    MapOptionError: (400, "Invalid map option", True),
    SnapshotError: (400, "Invalid snapshot option", True),
    MissingAssetError: (503, "Map assets not installed", True),
    FontNotFoundError: (503, "CJK font not installed", True),
    OutputError: (503, "Service cannot write", False),
    DataFileError: (503, "Service data unavailable", False),
    DirectModeError: (501, "Not available for a very large registry", True),
    ValidationError: (503, "Service data invalid", False),
    BiomapError: (500, "Internal server error", False),
}


def status_for(exc: BaseException) -> tuple[int, str, bool]:
    """The (status, title, expose) row of :data:`ERROR_TABLE` for ``exc``."""
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return 500, "Internal server error", False


def problem(
    status: int,
    title: str,
    detail: str,
    request: Request,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem+json response (RFC 9457) carrying the request id (and any extra ``headers``)."""
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": request_id(request),
        **extra,
    }
    head = {**(headers or {}), REQUEST_ID_HEADER: request_id(request)}
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=head)


def request_id(request: Request) -> str:
    """The id of this request (set by :class:`RequestIdMiddleware`)."""
    rid = request.scope.get(_SCOPE_KEY)
    if rid is None:
        rid = request.scope[_SCOPE_KEY] = uuid.uuid4().hex
    return rid


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    extra = {"invalid-params": [{"name": exc.param, "reason": exc.detail}]} if exc.param else {}
    return problem(exc.status, exc.title, exc.detail, request, headers=exc.headers, **extra)


async def _biomap_error(request: Request, exc: Exception) -> Response:
    status, title, expose = status_for(exc)
    if not expose:
        log.error("request %s failed: %r", request_id(request), exc, exc_info=exc)
        return problem(status, title, _generic(status, request), request)
    extra: dict[str, Any] = {}
    if isinstance(exc, RecordInvalidError):
        extra["invalid-params"] = [{"name": k, "reason": v} for k, v in exc.fields.items()]
    response = problem(status, title, str(exc), request, **extra)
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    params = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body")]
        params.append({"name": ".".join(loc) or "request", "reason": err.get("msg", "invalid")})
    detail = "; ".join(f"{p['name']}: {p['reason']}" for p in params)
    return problem(400, "Invalid parameter", detail, request, **{"invalid-params": params})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Not found", 405: "Method not allowed"}
    detail = exc.detail if exc.status_code != 404 else f"no resource at {request.url.path!r}"
    return problem(exc.status_code, titles.get(exc.status_code, "Error"), str(detail), request)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("request %s failed", request_id(request), exc_info=exc)
    return problem(500, "Internal server error", _generic(500, request), request)


def _generic(status: int, request: Request) -> str:
    what = "the service's data could not be read" if status == 503 else "something went wrong"
    return f"{what}; quote request id {request_id(request)} when reporting it"


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler of this module on ``app``."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(BiomapError, _biomap_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)


class RequestIdMiddleware:
    """Give every request an id (the client's ``X-Request-ID`` if sane) and echo it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_id(scope) or uuid.uuid4().hex
        scope[_SCOPE_KEY] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k == b"x-request-id" for k, _ in headers):
                    headers.append((b"x-request-id", rid.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


def _incoming_id(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"x-request-id":
            text = value.decode("latin-1")
            ok = 0 < len(text) <= 64 and all(c.isalnum() or c in "-_." for c in text)
            return text if ok else None
    return None


class HeadMiddleware:
    """Answer ``HEAD`` like ``GET`` without the body: same status and headers (ETag,
    Content-Length, Cache-Control) on every GET route, ``/healthz`` included (RFC 9110 §9.3.2).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
