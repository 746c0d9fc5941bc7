"""The raw response cache: replays identical GETs, never errors or conditional requests."""

from fastapi.testclient import TestClient

from api.app import create_app
from api.rawcache import ResponseCacheMiddleware
from api.settings import Settings


def _cache(app) -> ResponseCacheMiddleware:
    stack = app.middleware_stack
    while not isinstance(stack, ResponseCacheMiddleware):
        stack = stack.app
    return stack


def test_identical_gets_are_replayed_with_fresh_request_ids():
    app = create_app(Settings())
    with TestClient(app) as client:
        first = client.get("/stats/density?layer=districts")
        second = client.get("/stats/density?layer=districts")
        cache = _cache(app)
        assert cache.hits == 1
        assert first.content == second.content
        assert first.headers["etag"] == second.headers["etag"]
        assert first.headers["x-request-id"] != second.headers["x-request-id"]
        other = client.get("/stats/density?layer=zones363")
        assert other.json()["layer"] == "zones363"
        assert cache.hits == 1


def test_errors_and_conditional_requests_pass_through():
    app = create_app(Settings())
    with TestClient(app) as client:
        for _ in range(2):
            assert client.get("/stats/density?layer=nope").status_code == 400
        etag = client.get("/collections/platforms/items?limit=5").headers["etag"]
        assert (
            client.get(
                "/collections/platforms/items?limit=5", headers={"If-None-Match": etag}
            ).status_code
            == 304
        )
        assert _cache(app).hits == 0


def test_host_is_part_of_the_key_because_links_embed_it():
    app = create_app(Settings())
    with TestClient(app) as client:
        a = client.get("/collections/platforms/items?limit=1", headers={"Host": "a.example"})
        b = client.get("/collections/platforms/items?limit=1", headers={"Host": "b.example"})
        assert "a.example" in a.text
        assert "b.example" in b.text


def test_cache_can_be_turned_off():
    app = create_app(Settings(response_cache_entries=0))
    with TestClient(app) as client:
        client.get("/stats/density")
        client.get("/stats/density")
        assert _cache(app).hits == 0


def test_requests_with_a_token_are_neither_replayed_nor_stored():
    app = create_app(Settings())
    with TestClient(app) as client:
        auth = {"Authorization": "Bearer anything"}
        for _ in range(2):
            assert client.get("/stats/density", headers=auth).status_code == 200
        assert _cache(app).hits == 0
        client.get("/stats/density")
        client.get("/stats/density")
        assert _cache(app).hits == 1
        assert client.get("/stats/density", headers=auth).status_code == 200
        assert _cache(app).hits == 1
