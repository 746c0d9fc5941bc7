"""Fixtures: one app on the shipped data per session, the expectations computed from geo."""

from __future__ import annotations

from collections.abc import Iterator

import geopandas as gpd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geo.store import load_registry
from geo.zones.assign import assign_platforms

#: The shipped city's zone layers, for parametrising tests (the `shipped_layers` fixture has them).
SHIPPED_LAYERS = ["districts", "zones363", "value_parks", "gba_pharma_zone"]


def make_client(**settings: object) -> Iterator[TestClient]:
    """A TestClient with the lifespan run (data loaded)."""
    with TestClient(create_app(Settings(**settings))) as client:
        yield client


@pytest.fixture(scope="session", params=["file", "postgis"])
def client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """The service on the shipped registry: as a file (the default), and in PostGIS."""
    if request.param == "file":
        yield from make_client()
    else:
        yield from make_client(store=request.getfixturevalue("pg_shipped_url"))


@pytest.fixture(scope="session")
def small_pages() -> Iterator[TestClient]:
    """An app whose maximum page size is 3, to exercise clamping and paging."""
    yield from make_client(max_limit=3, default_limit=2)


@pytest.fixture(scope="session")
def app(client: TestClient) -> FastAPI:
    return client.app  # type: ignore[return-value]


@pytest.fixture(scope="session")
def registry(city) -> gpd.GeoDataFrame:
    """The shipped registry assigned like the service does, for expected values."""
    assigned, _ = assign_platforms(load_registry(), city)
    return assigned.reset_index(drop=True)


def assert_problem(response, status: int, param: str | None = None) -> dict:
    """Check an RFC 9457 problem response; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    if param is not None:
        assert param in [p["name"] for p in body["invalid-params"]], body
    return body
