"""Prepared responses: bytes serialised once, sent with an ETag and Cache-Control."""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
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


def nbytes(value: Any) -> int:
    """About how many bytes ``value`` holds (bodies, serialised features, arrays, containers)."""
    if isinstance(value, Prepared):
        return len(value.body) + 200
    if isinstance(value, bytes | bytearray | str):
        return sys.getsizeof(value)
    if isinstance(value, np.ndarray):
        return value.nbytes + 112
    if isinstance(value, list | tuple | set | frozenset):
        return sys.getsizeof(value) + sum(nbytes(v) for v in value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(nbytes(k) + nbytes(v) for k, v in value.items())
    return sys.getsizeof(value)


class LruCache:
    """A thread-safe least-recently-used cache bounded by entries *and* bytes (``size=0``: off).

    Routes fill it from worker threads (``run_in_threadpool``) and the event loop alike, so
    every access holds the lock. Sizes come from :func:`nbytes`; a value larger than
    ``max_entry_bytes`` (an eighth of ``max_bytes`` by default) is not kept, so one large answer
    cannot push out all the others.
    """

    def __init__(
        self, size: int, *, max_bytes: int | None = None, max_entry_bytes: int | None = None
    ) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.max_entry_bytes = (
            max_entry_bytes if max_entry_bytes is not None else (max_bytes or 0) // 8 or None
        )
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @property
    def bytes(self) -> int:
        """Bytes held now (by :func:`nbytes`)."""
        return self._bytes

    def get(self, key: Any) -> Any:
        """The cached value or ``None`` (marks it recently used)."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Any, value: Any) -> None:
        """Keep ``value`` under ``key``; the least recently used entries go to make room."""
        if not self.size:
            return
        cost = nbytes(value)
        if self.max_entry_bytes is not None and cost > self.max_entry_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, cost)
            self._bytes += cost
            while len(self._items) > self.size or (
                self.max_bytes is not None and self._bytes > self.max_bytes
            ):
                _, (_, freed) = self._items.popitem(last=False)
                self._bytes -= freed


class GeoJSONResponse(JSONResponse):
    """Documents GeoJSON bodies in OpenAPI (routes send prepared bytes)."""

    media_type = GEOJSON


class SchemaJSONResponse(JSONResponse):
    """Documents JSON Schema bodies (queryables) in OpenAPI."""

    media_type = SCHEMA_JSON
