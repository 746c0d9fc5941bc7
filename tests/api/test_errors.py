"""Errors: problem+json, the parameter named, 4xx never 5xx for bad input, generic 500s."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import ERROR_TABLE, status_for
from api.settings import Settings
from geo.errors import BiomapError, DataFileError, InsufficientDataError, UnknownZoneLayerError
from geo.stats import ChainOptionError, DistrictBasisError, StatisticOptionError

from .conftest import assert_problem


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/collections/platforms/items?bbox=a,b,c,d", "bbox"),
        ("/collections/platforms/items?bbox=113.5,23,113.2,23.2", "bbox"),
        ("/collections/platforms/items?bbox=113,23,114", "bbox"),
        ("/collections/platforms/items?bbox=113,23,114,95", "bbox"),
        ("/collections/platforms/items?bbox=nan,23,114,24", "bbox"),
        ("/collections/platforms/items?limit=0", "limit"),
        ("/collections/platforms/items?limit=ten", "limit"),
        ("/collections/platforms/items?offset=-1", "offset"),
        ("/collections/platforms/items?crs=EPSG:3857", "crs"),
        ("/collections/platforms/items?colour=red", "colour"),
        ("/locate?lon=113.3&lat=91", "lat"),
        ("/locate?lon=abc&lat=23", "lon"),
        ("/locate?lon=113.3&lat=23.1&crs=mars", "crs"),
        ("/locate?lat=23.1", "lon"),
        ("/platforms/nearest?lon=113.3&lat=23.1&k=0", "k"),
        ("/stats/density?layer=districts&f=xlsx", "f"),
        ("/stats/density?established_max=1800", "established_max"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, url, param):
    assert_problem(client.get(url), 400, param)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/stats/density?layer=parks", ["parks", "districts"]),
        ("/collections/platforms/items?type=hospital", ["hospital", "public_technology"]),
        ("/collections/platforms/items?zone=atlantis", ["atlantis"]),
        ("/platforms/nearest?lon=-0.1&lat=51.5", ["outside"]),
    ],
)
def test_library_errors_map_to_400_with_a_useful_message(client, url, words):
    body = assert_problem(client.get(url), 400)
    for word in words:
        assert word in body["detail"]


def test_unknown_paths_are_problem_404(client):
    assert_problem(client.get("/nowhere"), 404)
    assert_problem(client.get("/collections/nowhere"), 404)


def test_unknown_params_can_be_ignored_by_policy():
    with TestClient(create_app(Settings(unknown_params="ignore"))) as c:
        assert c.get("/collections/platforms/items?colour=red").status_code == 200
        # a repeated parameter stays ambiguous whatever the policy
        assert_problem(c.get("/collections/platforms/items?limit=1&limit=2"), 400, "limit")


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/collections/platforms/items?limit=1&limit=2", "limit"),
        ("/collections/platforms/items?type=park&offset=0&type=incubator", "type"),
        ("/stats/density?layer=districts&layer=zones363", "layer"),
        ("/locate?lon=113.3&lat=23.1&lon=113.4", "lon"),
    ],
)
def test_a_single_valued_parameter_given_twice_is_400(client, url, param):
    body = assert_problem(client.get(url), 400, param)
    assert "2 times" in body["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/healthz",
        "/conformance",
        "/collections",
        "/collections/platforms/schema",
        "/collections/platforms/items?limit=3",
        "/stats/density?layer=districts",
        "/locate?lon=113.3&lat=23.1",
    ],
)
def test_head_answers_every_get_route_with_the_get_headers(client, url):
    got, head = client.get(url), client.head(url)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    for name in ("content-type", "content-length", "etag", "cache-control"):
        assert head.headers.get(name) == got.headers.get(name), name


def test_a_genuine_500_is_generic_and_carries_the_request_id(caplog):
    app = create_app(Settings())

    async def boom() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c, caplog.at_level(logging.ERROR):
        r = c.get("/boom", headers={"X-Request-ID": "abc-123"})
    body = assert_problem(r, 500)
    assert body["request_id"] == "abc-123"
    assert "secret" not in r.text
    assert "RuntimeError" not in r.text
    assert "abc-123" in caplog.text
    assert "secret internal detail" in caplog.text


def test_error_table_looks_up_the_class_hierarchy():
    assert status_for(UnknownZoneLayerError("x"))[0] == 400
    assert status_for(DataFileError("x"))[:3:2] == (503, False)
    assert status_for(KeyError("x"))[0] == 500
    assert all(400 <= status < 600 for status, _, _ in ERROR_TABLE.values())


# -- every library error has its status ---------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "title"),
    [
        (ChainOptionError("unknown dimension 'colour'"), 400, "Invalid chain option"),
        (DistrictBasisError("unknown district_basis 'tax'"), 400, "Invalid district basis"),
        (StatisticOptionError("unknown method(s) ['tea leaves']"), 400, "Invalid statistic"),
        (InsufficientDataError("ann needs at least 2 points, got 1"), 422, "Too few points"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else None,
)
def test_statistics_errors_are_problems_with_their_status(error, status, title):
    app = create_app(Settings())

    async def fail() -> None:
        raise error

    app.add_api_route("/fail", fail)
    with TestClient(app, raise_server_exceptions=False) as c:
        body = assert_problem(c.get("/fail"), status)
    assert body["title"] == title
    assert body["detail"] == str(error)  # the library's message reaches the client


def test_too_few_points_for_one_statistic_is_a_422_from_the_route(client):
    none = {"q": "no platform is called this"}
    body = assert_problem(client.get("/stats/clustering", params={"method": "ann", **none}), 422)
    assert body["title"] == "Too few points"
    # With every method asked for, the same problem is listed, not raised.
    every = client.get("/stats/clustering", params={"simulations": 0, "permutations": 0, **none})
    assert every.status_code == 200
    assert every.json()["problems"]["ann"] == body["detail"]


def test_every_library_error_class_has_its_own_row():
    import geo.cities
    import geo.geocoding
    import geo.ingest
    import geo.maps
    import geo.snapshot
    import geo.store
    import geo.zones  # noqa: F401  (import every package so every error class exists)

    def subclasses(cls: type) -> list[type]:
        return [s for c in cls.__subclasses__() for s in (c, *subclasses(c))]

    unmapped = [
        f"{cls.__module__}.{cls.__name__}"
        for cls in subclasses(BiomapError)
        if next(c for c in cls.__mro__ if c in ERROR_TABLE) is BiomapError
    ]
    assert not unmapped, f"add these to api.errors.ERROR_TABLE: {unmapped}"
