"""Who may call: bearer tokens checked against the store's token hashes, by role.

``read_access`` guards every read (it does nothing unless ``BIOMAP_READ_TOKEN_REQUIRED``);
``require_editor`` and ``require_admin`` guard writes and return the caller's
:class:`~geo.store.base.TokenRecord`, whose ``name`` is the history's actor.

Rules: no token, a malformed or an unknown one is 401 with ``WWW-Authenticate: Bearer``; a
revoked token or too low a role is 403. A client (IP address) that fails
``auth_max_failures`` times within ``auth_failure_window`` seconds is answered 429 with
``Retry-After`` until that window ends, whatever token it sends: its attempts are not even
checked. Successes reset no counter, so a valid viewer token does not buy more guesses at an
admin one. Counters live in memory, per worker process, for at most ``auth_tracked_clients``
clients. Behind a proxy, run uvicorn with ``--proxy-headers`` so the client is the real one.

The dependencies are plain functions: FastAPI runs them in its threadpool, so the token
lookup (a file read or a query) never blocks the event loop. Nothing here logs a token, its
hash or the ``Authorization`` header; failures are logged with the client and the token id.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ForbiddenError, TooManyAttemptsError, UnauthorizedError
from geo.auth import Role, authenticate, has_role
from geo.store.base import TokenRecord, TokenStore

log = logging.getLogger("biomap.api.auth")

#: Route paths that ``read_access`` leaves open even when reads need a token (liveness probes).
OPEN_PATHS = frozenset({"/healthz"})

#: Documents the bearer scheme in OpenAPI on the routes that need a token (it checks nothing).
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A biomap API token (`biomap token create`): `Authorization: Bearer bm_...`.",
)

_HOW = "send 'Authorization: Bearer <token>' (an admin creates one with `biomap token create`)"


@dataclass
class _Failures:
    start: float
    count: int


class FailureLimiter:
    """Failed attempts per client in fixed windows; thread-safe and bounded.

    Parameters
    ----------
    max_failures
        Failures within one window after which the client is refused.
    window
        Seconds a window lasts, from the client's first failure in it.
    max_clients
        Clients remembered; the one that failed least recently is forgotten first.
    clock
        Monotonic seconds (tests pass a fake one).
    """

    def __init__(
        self,
        *,
        max_failures: int,
        window: float,
        max_clients: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_clients = max_clients
        self._clock = clock
        self._clients: OrderedDict[str, _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._clients)

    def retry_after(self, client: str) -> int:
        """Whole seconds until ``client`` may try again; ``0`` when it may now."""
        with self._lock:
            entry = self._clients.get(client)
            if entry is None:
                return 0
            left = entry.start + self.window - self._clock()
            if left <= 0:
                del self._clients[client]
                return 0
            return math.ceil(left) if entry.count >= self.max_failures else 0

    def fail(self, client: str) -> None:
        """Count one failed attempt of ``client``."""
        with self._lock:
            now = self._clock()
            entry = self._clients.get(client)
            if entry is None or now - entry.start >= self.window:
                entry = self._clients[client] = _Failures(now, 0)
            entry.count += 1
            self._clients.move_to_end(client)
            while len(self._clients) > self.max_clients:
                self._clients.popitem(last=False)


_LIMITER_LOCK = threading.Lock()


class TokenCache:
    """Tokens found in the store, kept while its :meth:`~geo.store.base.TokenStore.stamp`
    stays the same (a new or revoked token anywhere changes it; ``None`` keeps nothing).

    Only tokens that exist are kept (unknown hashes are asked again, so guesses cannot fill
    it), at most ``max_entries``. Thread-safe.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._stamp: Hashable | None = None
        self._found: dict[str, TokenRecord] = {}

    def find(self, tokens: TokenStore, token_hash: str) -> TokenRecord | None:
        """``tokens.find(token_hash)``, from what is kept when the stamp allows."""
        stamp = tokens.stamp()
        if stamp is None:
            return tokens.find(token_hash)
        with self._lock:
            if stamp != self._stamp:
                self._found.clear()
                self._stamp = stamp
            elif (hit := self._found.get(token_hash)) is not None:
                return hit
        record = tokens.find(token_hash)
        if record is not None:
            with self._lock:
                if self._stamp == stamp and len(self._found) < self.max_entries:
                    self._found[token_hash] = record
        return record


def limiter_of(request: Request) -> FailureLimiter:
    """The app's :class:`FailureLimiter`, made from its settings on first use."""
    state = request.app.state
    limiter = getattr(state, "auth_limiter", None)
    if limiter is None:
        with _LIMITER_LOCK:
            limiter = getattr(state, "auth_limiter", None)
            if limiter is None:
                settings = state.settings
                limiter = state.auth_limiter = FailureLimiter(
                    max_failures=settings.auth_max_failures,
                    window=settings.auth_failure_window,
                    max_clients=settings.auth_tracked_clients,
                )
    return limiter


def read_access(request: Request) -> TokenRecord | None:
    """Reads: any live token when ``read_token_required`` is set, else nothing (``None``).

    Routes in :data:`OPEN_PATHS` stay open either way.
    """
    if not request.app.state.settings.read_token_required:
        return None
    if getattr(request.scope.get("route"), "path", None) in OPEN_PATHS:
        return None
    return check_token(request, "viewer")


def require_editor(
    request: Request,
    _credentials: HTTPAuthorizationCredentials | None = Security(bearer_scheme),  # noqa: B008
) -> TokenRecord:
    """Writes: a live editor or admin token (401/403/429 otherwise)."""
    return check_token(request, "editor")


def require_admin(
    request: Request,
    _credentials: HTTPAuthorizationCredentials | None = Security(bearer_scheme),  # noqa: B008
) -> TokenRecord:
    """Administration: a live admin token (401/403/429 otherwise)."""
    return check_token(request, "admin")


def check_token(request: Request, needed: Role) -> TokenRecord:
    """The live token of this request with role ``needed`` or higher.

    Raises
    ------
    api.errors.TooManyAttemptsError
        While the client is blocked for failed attempts (429).
    api.errors.UnauthorizedError
        For a missing, malformed or unknown token (401).
    api.errors.ForbiddenError
        For a revoked token or too low a role (403).
    """
    limiter = limiter_of(request)
    client = request.client.host if request.client else "unknown"
    wait = limiter.retry_after(client)
    if wait:
        log.warning("auth: %s blocked for %d s after failed attempts", client, wait)
        raise TooManyAttemptsError(wait)
    header = request.headers.get("authorization")
    if header is None:
        raise UnauthorizedError(f"this needs a token: {_HOW}")
    scheme, _, plaintext = header.partition(" ")
    record = None
    if scheme.lower() == "bearer":
        cache: TokenCache | None = getattr(request.app.state, "token_cache", None)
        tokens = request.app.state.data.store.tokens()
        record = authenticate(tokens, plaintext.strip(), find=cache and cache.find)
    if record is None:
        limiter.fail(client)
        log.warning("auth: unknown or malformed token from %s", client)
        raise UnauthorizedError(f"the token is malformed or unknown: {_HOW}", error="invalid_token")
    if record.revoked:
        limiter.fail(client)
        log.warning("auth: revoked token %s (%s) from %s", record.id, record.name, client)
        raise ForbiddenError(
            f"token {record.name!r} ({record.id}) was revoked on {record.revoked}; "
            "ask an admin for a new one"
        )
    if not has_role(record, needed):
        log.info("auth: token %s (%s) lacks role %s", record.id, record.role, needed)
        raise ForbiddenError(
            f"token {record.name!r} has role {record.role!r}; this needs {needed!r} or higher"
        )
    log.debug("auth: token %s (%s) from %s", record.id, record.name, client)
    return record
