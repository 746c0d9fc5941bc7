"""Prepared responses: bytes serialised once, sent with an ETag and Cache-Control."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from cachetools import LRUCache
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html; charset=utf-8"
CSV = "text/csv; charset=utf-8"
SCHEMA_JSON = "application/schema+json"

_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _default(obj: Any) -> Any:
    if isinstance(obj, dt.datetime):  # pandas Timestamps too; dates read from GeoJSON
        return obj.date().isoformat() if obj.time() == dt.time(0) else obj.isoformat()
    if isinstance(obj, (dt.date, np.generic)):
        return obj.isoformat() if isinstance(obj, dt.date) else obj.item()
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def dumps(obj: Any) -> bytes:
    """Serialise to JSON bytes (numpy values and dates allowed; NaN becomes null)."""
    return orjson.dumps(obj, default=_default, option=_OPTS)


@dataclass(frozen=True)
class Prepared:
    """A response body with its media type and a strong ETag, ready to send many times."""

    body: bytes
    media_type: str
    etag: str

    @classmethod
    def of(cls, body: bytes | str, media_type: str) -> Prepared:
        """Wrap ``body`` (str is UTF-8 encoded) and compute its ETag."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        return cls(data, media_type, '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"')

    @classmethod
    def json(cls, obj: Any, media_type: str = JSON) -> Prepared:
        """Serialise ``obj`` once."""
        return cls.of(dumps(obj), media_type)


def send(
    request: Request,
    prepared: Prepared,
    *,
    max_age: int,
    headers: dict[str, str] | None = None,
) -> Response:
    """Send ``prepared``, or 304 Not Modified when the client already holds this ETag.

    An answer to a request with a token is ``private``: shared caches must not hand it to others.
    ``max_age`` 0 means ``no-cache``: clients revalidate with the ETag (and get a 304).
    """
    scope = "private" if "authorization" in request.headers else "public"
    cache = f"{scope}, max-age={max_age}" if max_age else f"{scope}, no-cache"
    head = {"ETag": prepared.etag, "Cache-Control": cache, "Vary": "Accept"}
    head |= headers or {}
    inm = request.headers.get("if-none-match")
    if inm and prepared.etag in {t.strip().removeprefix("W/") for t in inm.split(",")}:
        return Response(status_code=304, headers=head)
    return Response(prepared.body, media_type=prepared.media_type, headers=head)


class LruCache:
    """A thread-safe least-recently-used cache of prepared responses (``size=0`` disables it).

    Routes fill it from worker threads (``run_in_threadpool``) and the event loop alike, so
    every access holds the lock (``cachetools.LRUCache`` itself is not thread-safe).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: LRUCache[Any, Any] | None = LRUCache(maxsize=size) if size else None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items) if self._items is not None else 0

    def get(self, key: Any) -> Any:
        """The cached value or ``None`` (marks it recently used)."""
        if self._items is None:
            return None
        with self._lock:
            return self._items.get(key)

    def put(self, key: Any, value: Any) -> None:
        """Keep ``value`` under ``key`` (the least recently used entry goes when full)."""
        if self._items is not None:
            with self._lock:
                self._items[key] = value


class GeoJSONResponse(JSONResponse):
    """Documents GeoJSON bodies in OpenAPI (routes send prepared bytes)."""

    media_type = GEOJSON


class SchemaJSONResponse(JSONResponse):
    """Documents JSON Schema bodies (queryables) in OpenAPI."""

    media_type = SCHEMA_JSON
