"""A response cache in front of the routes, keyed by the raw request (ASGI middleware).

Between two registry snapshots (``app.state.generation``, see :mod:`api.live`) a successful
``GET`` answer depends only on its URL, the host it was asked on (links embed it) and the
``Accept``/``Accept-Encoding`` headers. Replaying such an answer skips routing, parameter
validation and serialisation, which dominate the cost of small requests. Only complete ``200``
responses up to ``max_body`` bytes are kept, at most ``max_entries`` of them (least recently
used first out) and at most ``max_bytes`` in all; conditional requests (``If-None-Match``) and everything else pass through.
Requests with an ``Authorization`` header pass through too, neither stored nor answered from
the cache: a replay would skip the token check (its answer is the caller's alone, RFC 9111
§3.5), and a request without one that needs a token is never a 200 to store.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_VARY = (b"host", b"accept", b"accept-encoding")


class ResponseCacheMiddleware:
    """Cache whole ``GET`` responses for the given path prefixes.

    Parameters
    ----------
    app
        The wrapped ASGI app.
    prefixes
        Paths to cache (e.g. ``("/stats/", "/collections/")``).
    max_entries
        Responses kept; ``0`` turns the cache off.
    max_body
        Largest body (bytes) worth keeping.
    max_bytes
        Bytes of bodies kept in all (the least recently used go first).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        prefixes: tuple[str, ...],
        max_entries: int = 1024,
        max_body: int = 2_000_000,
        max_bytes: int = 64 * 2**20,
    ) -> None:
        self.app = app
        self.prefixes = prefixes
        self.max_entries = max_entries
        self.max_body = max_body
        self.max_bytes = max_bytes
        self.bytes = 0
        self._store: OrderedDict[tuple, tuple[Message, bytes]] = OrderedDict()
        self._lock = Lock()
        self.hits = 0

    def _key(self, scope: Scope) -> tuple | None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not self.max_entries
            or not scope["path"].startswith(self.prefixes)
        ):
            return None
        headers = dict(scope.get("headers", []))
        if b"if-none-match" in headers or b"authorization" in headers:
            return None
        app = scope.get("app")
        generation = getattr(getattr(app, "state", None), "generation", 0)
        return (
            generation,  # a new registry snapshot: nothing cached before it is replayed
            scope["path"],
            scope.get("query_string", b""),
            scope.get("scheme"),
            *(headers.get(h, b"") for h in _VARY),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        with self._lock:
            cached = self._store.get(key)
            if cached is not None:
                self._store.move_to_end(key)
                self.hits += 1
        if cached is not None:
            start, body = cached
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        await self._fill(key, scope, receive, send)

    async def _fill(self, key: tuple, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start, size, keep
            if message["type"] == "http.response.start":
                start = dict(message)
                start["headers"] = list(message.get("headers", []))
                keep = message["status"] == 200
            elif message["type"] == "http.response.body" and keep:
                size += len(message.get("body", b""))
                keep = size <= self.max_body
                chunks.append(message.get("body", b""))
                if keep and not message.get("more_body", False) and start is not None:
                    self._put(key, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    def _put(self, key: tuple, start: Message, body: bytes) -> None:
        with self._lock:
            old = self._store.pop(key, None)
            if old is not None:
                self.bytes -= len(old[1])
            self._store[key] = (start, body)
            self.bytes += len(body)
            while len(self._store) > self.max_entries or self.bytes > self.max_bytes:
                _, (_, dropped) = self._store.popitem(last=False)
                self.bytes -= len(dropped)
