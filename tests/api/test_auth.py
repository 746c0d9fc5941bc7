"""Tokens on the API: 401/403/429 on real read routes, roles on write dependencies, no leaks.

Every app here serves a temporary copy of the shipped registry, with real tokens made by
``geo.auth.create_token`` in the file store beside it. ``require_editor``/``require_admin`` are
mounted on small routes added to the test's own app (the write routes do not exist yet).
"""

from __future__ import annotations

import logging
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import FailureLimiter, TokenCache, require_admin, require_editor
from api.rawcache import ResponseCacheMiddleware
from api.settings import Settings
from geo.auth import create_token, hash_token
from geo.store import DEFAULT_REGISTRY, open_store
from geo.store.base import TokenRecord

from .conftest import assert_problem

ITEMS = "/collections/platforms/items?limit=2"
READS = [ITEMS, "/collections", "/collections/platforms", "/stats/density", "/"]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("auth") / "platforms.geojson"
    shutil.copy(DEFAULT_REGISTRY, path)
    return path


@pytest.fixture(scope="module")
def tokens(store_path: Path) -> dict[str, str]:
    """Plaintext tokens by role, plus one revoked viewer token."""
    store = open_store(store_path).tokens()
    out = {role: create_token(store, name=f"{role}-bot", role=role)[0] for role in _ROLES}
    out["revoked"], record = create_token(store, name="old-bot", role="admin")
    store.revoke(record.id)
    return out


_ROLES = ("viewer", "editor", "admin")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _unknown() -> str:
    return "bm_" + secrets.token_urlsafe(32)


def _add_write_routes(app: FastAPI) -> None:
    """A route behind each write dependency, answering with the actor it would record."""

    def edit(token: Annotated[TokenRecord, Depends(require_editor)]) -> dict[str, str]:
        return {"actor": token.name}

    def administer(token: Annotated[TokenRecord, Depends(require_admin)]) -> dict[str, str]:
        return {"actor": token.name}

    def boom(token: Annotated[TokenRecord, Depends(require_editor)]) -> None:
        raise RuntimeError(f"a failure after authenticating {token.id}")

    app.add_api_route("/_test/edit", edit, methods=["POST"])
    app.add_api_route("/_test/admin", administer, methods=["POST"])
    app.add_api_route("/_test/boom", boom, methods=["POST"])


def _app(store_path: Path, **settings: object) -> FastAPI:
    app = create_app(Settings(store=str(store_path), **settings))
    _add_write_routes(app)
    return app


@pytest.fixture(scope="module")
def locked(store_path: Path, tokens: dict[str, str]) -> Iterator[TestClient]:
    """Reads need a token; 3 failures per client per minute."""
    app = _app(store_path, read_token_required=True, auth_max_failures=3)
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def open_reads(store_path: Path, tokens: dict[str, str]) -> Iterator[TestClient]:
    """The default: reads are open, the write dependencies still need tokens."""
    with TestClient(_app(store_path)) as client:
        yield client


def _from(client: TestClient, address: str) -> TestClient:
    """A client of the same (started) app, calling from another IP address."""
    return TestClient(client.app, client=(address, 50000))


# --- reads -------------------------------------------------------------------------------------


def test_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("BIOMAP_READ_TOKEN_REQUIRED", "true")
    monkeypatch.setenv("BIOMAP_AUTH_MAX_FAILURES", "7")
    settings = Settings()
    assert settings.read_token_required is True
    assert settings.auth_max_failures == 7
    assert Settings().auth_failure_window == 60


@pytest.mark.parametrize("url", READS)
def test_reads_are_open_by_default(open_reads, url):
    response = open_reads.get(url)
    assert response.status_code == 200, response.text
    assert "private" not in response.headers.get("cache-control", "")


@pytest.mark.parametrize("url", READS)
def test_reads_need_a_token_when_required(locked, url):
    response = _from(locked, "10.1.0.1").get(url)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer realm="biomap"'


@pytest.mark.parametrize("role", _ROLES)
def test_any_live_role_may_read(locked, tokens, role):
    response = locked.get(ITEMS, headers=_bearer(tokens[role]))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    assert len(response.json()["features"]) == 2
    assert response.headers["cache-control"].startswith("private")  # not for shared caches


@pytest.mark.parametrize(
    ("address", "header"),
    [
        ("10.2.0.1", "Basic dXNlcjpwYXNz"),
        ("10.2.0.2", "Bearer"),
        ("10.2.0.3", "Bearer bm_short"),
        ("10.2.0.4", "bm_" + "a" * 43),
        ("10.2.0.5", "Bearer unknown"),
    ],
)
def test_malformed_or_unknown_tokens_are_401(locked, address, header):
    response = _from(locked, address).get(ITEMS, headers={"Authorization": header})
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer realm="biomap", error="invalid_token"'
    assert "biomap token create" in body["detail"]


def test_an_unknown_well_formed_token_is_401(locked):
    response = _from(locked, "10.3.0.1").get(ITEMS, headers=_bearer(_unknown()))
    assert_problem(response, 401)
    assert "invalid_token" in response.headers["www-authenticate"]


def test_a_revoked_token_is_403(locked, tokens):
    body = assert_problem(
        _from(locked, "10.4.0.1").get(ITEMS, headers=_bearer(tokens["revoked"])), 403
    )
    assert "revoked" in body["detail"]


def test_revoking_takes_effect_on_a_running_server(locked, store_path):
    store = open_store(store_path).tokens()
    plaintext, record = create_token(store, name="short-lived", role="viewer")
    client = _from(locked, "10.5.0.1")
    assert client.get(ITEMS, headers=_bearer(plaintext)).status_code == 200
    store.revoke(record.id)
    assert_problem(client.get(ITEMS, headers=_bearer(plaintext)), 403)


@pytest.mark.parametrize("url", ["/healthz", "/openapi.json"])
def test_liveness_and_the_api_description_stay_open(locked, url):
    assert _from(locked, "10.6.0.1").get(url).status_code == 200


def test_cached_answers_are_not_replayed_to_callers_without_a_token(locked, tokens):
    url = "/stats/density?layer=districts"
    for _ in range(2):
        assert locked.get(url, headers=_bearer(tokens["viewer"])).status_code == 200
    assert_problem(_from(locked, "10.7.0.1").get(url), 401)
    stack = locked.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(stack, ResponseCacheMiddleware):
        stack = stack.app
    assert stack.hits == 0


# --- failed attempts ---------------------------------------------------------------------------


def test_repeated_failures_are_answered_429_even_with_a_valid_token(locked, tokens):
    client = _from(locked, "10.8.0.1")
    for _ in range(3):
        assert client.get(ITEMS, headers=_bearer(_unknown())).status_code == 401
    response = client.get(ITEMS, headers=_bearer(tokens["viewer"]))
    body = assert_problem(response, 429)
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert "retry in" in body["detail"]
    assert (
        _from(locked, "10.8.0.2").get(ITEMS, headers=_bearer(tokens["viewer"])).status_code == 200
    )


def test_successes_reset_no_counter(locked, tokens):
    attacker, other = _from(locked, "10.9.0.1"), _from(locked, "10.9.0.2")
    assert attacker.get(ITEMS, headers=_bearer(_unknown())).status_code == 401
    assert other.get(ITEMS, headers=_bearer(tokens["viewer"])).status_code == 200
    assert attacker.get(ITEMS, headers=_bearer(tokens["viewer"])).status_code == 200
    assert attacker.get(ITEMS, headers=_bearer(tokens["revoked"])).status_code == 403
    assert attacker.get(ITEMS, headers=_bearer(_unknown())).status_code == 401
    assert_problem(attacker.get(ITEMS, headers=_bearer(tokens["viewer"])), 429)


def test_a_missing_token_or_a_low_role_is_no_failed_attempt(open_reads, tokens):
    client = _from(open_reads, "10.10.0.1")
    for _ in range(6):
        assert client.post("/_test/edit").status_code == 401
        assert client.post("/_test/edit", headers=_bearer(tokens["viewer"])).status_code == 403
    assert client.post("/_test/edit", headers=_bearer(tokens["editor"])).status_code == 200


def test_the_block_ends_with_the_window(store_path, tokens):
    app = _app(store_path, read_token_required=True, auth_max_failures=1, auth_failure_window=1)
    with TestClient(app) as client:
        assert client.get(ITEMS, headers=_bearer(_unknown())).status_code == 401
        blocked = client.get(ITEMS, headers=_bearer(tokens["viewer"]))
        assert blocked.status_code == 429
        assert blocked.headers["retry-after"] == "1"
        time.sleep(1.05)
        assert client.get(ITEMS, headers=_bearer(tokens["viewer"])).status_code == 200


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_windows_and_retry_after():
    clock = _Clock()
    limiter = FailureLimiter(max_failures=2, window=60, max_clients=10, clock=clock)
    limiter.fail("a")
    assert limiter.retry_after("a") == 0
    clock.now += 10.5
    limiter.fail("a")
    assert limiter.retry_after("a") == 50  # the window started at the first failure
    assert limiter.retry_after("b") == 0
    clock.now += 49.6
    assert limiter.retry_after("a") == 0
    limiter.fail("a")  # a new window: one failure in it
    assert limiter.retry_after("a") == 0


def test_limiter_memory_is_bounded():
    limiter = FailureLimiter(max_failures=1, window=60, max_clients=3, clock=_Clock())
    for i in range(100):
        limiter.fail(f"10.0.0.{i}")
    assert len(limiter) == 3
    assert limiter.retry_after("10.0.0.99") > 0
    assert limiter.retry_after("10.0.0.0") == 0  # forgotten, the oldest first


# --- write dependencies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "role", "status"),
    [
        ("/_test/edit", "viewer", 403),
        ("/_test/edit", "editor", 200),
        ("/_test/edit", "admin", 200),
        ("/_test/edit", "revoked", 403),
        ("/_test/admin", "viewer", 403),
        ("/_test/admin", "editor", 403),
        ("/_test/admin", "admin", 200),
    ],
)
def test_write_dependencies_check_roles(open_reads, tokens, route, role, status):
    response = _from(open_reads, "10.11.0.1").post(route, headers=_bearer(tokens[role]))
    if status == 200:
        assert response.json() == {"actor": f"{role}-bot"}
    else:
        body = assert_problem(response, status)
        assert ("revoked" if role == "revoked" else "needs") in body["detail"]


@pytest.mark.parametrize("route", ["/_test/edit", "/_test/admin"])
def test_write_dependencies_need_a_token_even_when_reads_are_open(open_reads, route):
    response = _from(open_reads, "10.12.0.1").post(route)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_write_dependencies_document_the_bearer_scheme(open_reads):
    schema = open_reads.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert schema["paths"]["/_test/edit"]["post"]["security"] == [{"token": []}]
    assert "security" not in schema["paths"]["/collections/{collectionId}/items"]["get"]


# --- logs --------------------------------------------------------------------------------------


def _leaks(text: str, tokens: dict[str, str], extra: list[str]) -> list[str]:
    """The secrets (plaintexts, their hashes, bearer headers) that occur in ``text``."""
    from geo.auth import hash_token

    secrets_ = [*tokens.values(), *extra]
    return [s for s in [*secrets_, *map(hash_token, secrets_), "Bearer bm_"] if s in text]


LOG_FAILURES = 8  # the failed attempts _exercise makes before its last loop, plus one


def _exercise(request, tokens: dict[str, str], unknown: str) -> None:
    """Requests that fail in every way and succeed, with tokens in their headers."""
    for token in (unknown, tokens["revoked"], tokens["viewer"], tokens["editor"]):
        request("GET", ITEMS, headers=_bearer(token))
        request("POST", "/_test/edit", headers=_bearer(token))
        request("POST", "/_test/boom", headers=_bearer(token))  # 500 with a traceback
    request("GET", ITEMS, headers={"Authorization": f"Basic {unknown}"})
    for _ in range(4):
        request("GET", ITEMS, headers=_bearer(unknown))  # ends in 429


def test_no_token_in_our_logs(store_path, tokens, caplog):
    caplog.set_level(logging.DEBUG)
    unknown = _unknown()
    app = _app(store_path, read_token_required=True, auth_max_failures=LOG_FAILURES)
    with TestClient(app, raise_server_exceptions=False) as client:
        _exercise(client.request, tokens, unknown)
        assert client.get(ITEMS, headers=_bearer(tokens["viewer"])).status_code == 429
    loggers = {r.name for r in caplog.records}
    assert {"biomap.api", "biomap.api.auth"} <= loggers  # tracebacks and auth failures logged
    assert any(r.exc_info for r in caplog.records)
    assert _leaks(caplog.text, tokens, [unknown]) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_token_in_uvicorn_logs(store_path, tokens, caplog):
    for name in ("", "uvicorn", "uvicorn.access", "uvicorn.error"):
        caplog.set_level(logging.DEBUG, logger=name)  # restored after the test
    unknown = _unknown()
    app = _app(store_path, read_token_required=True, auth_max_failures=LOG_FAILURES)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=True)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive(), "uvicorn stopped"
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"

        def request(method: str, url: str, **kwargs: object) -> httpx.Response:
            # A new connection each time: uvicorn closes one after an unhandled error.
            return httpx.request(method, base + url, trust_env=False, **kwargs)  # type: ignore[arg-type]

        _exercise(request, tokens, unknown)
        assert request("GET", ITEMS, headers=_bearer(tokens["viewer"])).status_code == 429
    finally:
        server.should_exit = True
        thread.join(timeout=20)
    access = [r for r in caplog.records if r.name == "uvicorn.access"]
    assert len(access) >= 17  # every request above, logged in uvicorn's access format
    assert any(r.name == "uvicorn.error" and r.exc_info for r in caplog.records)
    assert _leaks(caplog.text, tokens, [unknown]) == []


class _Counting:
    """A real token store, counting the lookups that reach it."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.finds = 0

    def find(self, token_hash: str) -> TokenRecord | None:
        self.finds += 1
        return self.inner.find(token_hash)

    def stamp(self):
        return self.inner.stamp()


def test_the_token_cache_keeps_found_tokens_until_any_token_changes(tmp_path):
    path = tmp_path / "platforms.geojson"
    shutil.copy(DEFAULT_REGISTRY, path)
    tokens = _Counting(open_store(path).tokens())
    plaintext, record = create_token(tokens.inner, name="cached", role="editor")
    cache = TokenCache()
    digest = hash_token(plaintext)
    assert cache.find(tokens, digest) == record
    assert cache.find(tokens, digest) == record
    assert tokens.finds == 1  # the second check was answered from the cache
    for _ in range(2):
        assert cache.find(tokens, hash_token("bm_" + "x" * 43)) is None
    assert tokens.finds == 3  # unknown hashes are asked every time (guesses cannot fill it)
    tokens.inner.revoke(record.id)  # any change of the tokens drops what was kept
    assert cache.find(tokens, digest).revoked
    assert tokens.finds == 4


def test_the_token_cache_keeps_nothing_while_the_store_cannot_tell_changes(pg_url):
    """A PostGIS store only tells changes while its listener is connected (a server's)."""
    with open_store(pg_url) as store:
        tokens = _Counting(store.tokens())
        plaintext, _ = create_token(tokens.inner, name="not-cached", role="viewer")
        assert tokens.stamp() is None
        cache = TokenCache()
        for _ in range(2):
            assert cache.find(tokens, hash_token(plaintext)) is not None
        assert tokens.finds == 2
