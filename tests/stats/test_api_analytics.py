"""/stats/chain and /stats/clustering: status, content type, and numbers equal to geo's."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geo.stats.chain import chain_report
from geo.stats.clustering import clark_evans
from geo.store import load_registry


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as c:
        yield c


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


def test_chain_matches_the_library(client, city):
    r = client.get("/stats/chain", params={"rank_by": "count"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    expected = chain_report(
        load_registry(), city.zone_layers()["districts"], rank_by="count", city=city
    )
    assert body["city"] == expected["city"]
    assert [(g["zone_id"], g["missing"]) for g in body["gaps"]] == [
        (g["zone_id"], g["missing"]) for g in expected["gaps"]
    ]
    assert {c["key"] for c in body["columns"]} >= {"basic_research", "transformation"}


def test_chain_on_363_lists_unlocated_zones_not_gaps(client, city):
    body = client.get("/stats/chain", params={"layer": "zones363", "dimension": "type"}).json()
    zones = city.zone_layers()["zones363"].zones
    unlocated = zones.loc[zones.geometry.isna() | zones.geometry.is_empty, "zone_id"].tolist()
    assert sorted(body["unlocated_zones"]) == sorted(unlocated)
    assert not {g["zone_id"] for g in body["gaps"]} & set(unlocated)


def test_chain_managing_basis_and_filter(client):
    body = client.get(
        "/stats/chain", params={"district_basis": "managing", "type": "transformation_cluster"}
    ).json()
    assert body["district_basis"] == "managing"
    assert body["filter"] == {"type": "transformation_cluster"}
    assert body["total"] == int((load_registry()["type"] == "transformation_cluster").sum())


@pytest.mark.parametrize(
    "params",
    [{"type": "bogus"}, {"dimension": "stages"}, {"layer": "nope"}, {"rank_by": "people"}],
)
def test_chain_bad_input_is_400(client, params):
    _problem(client.get("/stats/chain", params=params), 400)


def test_clustering_ann_matches_the_library(client, city):
    body = client.get("/stats/clustering", params={"method": "ann"}).json()
    expected = clark_evans(load_registry(), city=city)
    assert body["ann"]["ratio"] == pytest.approx(expected.ratio)
    assert body["ann"]["z_score"] == pytest.approx(expected.z_score)
    assert body["problems"] == {}
    assert set(body["ann"]["interpretation"]) == {"zh", "en"}


def test_clustering_all_with_geometry(client):
    body = client.get(
        "/stats/clustering", params={"simulations": 9, "permutations": 99, "geometry": "true"}
    ).json()
    assert {"ann", "ripley", "kde", "hotspots", "problems"} <= set(body)
    assert body["hotspots"]["bins"]["type"] == "FeatureCollection"
    assert body["kde"]["grid"]["features"][0]["geometry"]["type"] == "Polygon"
    assert len(body["ripley"]["l_observed"]) == len(body["ripley"]["distances_m"])


def test_clustering_with_too_few_points(client):
    none = {"q": "no-platform-has-this-name-xyz"}
    body = _problem(client.get("/stats/clustering", params={"method": "ann", **none}), 422)
    assert "at least 2 points" in body["detail"]
    all_body = client.get("/stats/clustering", params=none).json()
    assert set(all_body["problems"]) == {"ann", "ripley", "kde", "hotspots"}


@pytest.mark.parametrize(
    "params", [{"simulations": 5000}, {"method": "moran"}, {"resolution": 12}, {"cell_m": 1}]
)
def test_clustering_bad_input_is_400(client, params):
    _problem(client.get("/stats/clustering", params=params), 400)


@pytest.mark.parametrize(
    ("params", "bound"),
    [
        ({"method": "kde", "cell_m": 250, "geometry": "true"}, "kde cells"),
        ({"method": "hotspots", "resolution": 9}, "hexagons"),
        ({"method": "hotspots", "resolution": 8, "permutations": 999, "seed": 1}, None),
        (
            {"method": "all", "simulations": 999, "permutations": 999, "resolution": 9,
             "cell_m": 250, "geometry": "true"},
            "kde cells",
        ),
    ],
)  # fmt: skip
def test_clustering_beyond_the_work_bounds_is_a_400_naming_the_bound(client, params, bound):
    if bound is None:  # at the bound (Guangzhou at H3 resolution 8, 999 permutations): served
        assert client.get("/stats/clustering", params=params).status_code == 200
        return
    body = _problem(client.get("/stats/clustering", params=params), 400)
    assert body["title"] == "Beyond the server's work bounds"
    assert bound in body["detail"]


def test_the_response_cache_is_bounded_by_bytes():
    """Twelve seeds of a 12 MB KDE answer stay out of a 4 MB cache; small answers stay in it."""
    settings = Settings(cache_bytes=4 * 2**20, response_cache_bytes=4 * 2**20)
    with TestClient(create_app(settings)) as c:
        cache = c.app.state.data.cache
        for seed in range(3):
            params = {"method": "kde", "cell_m": 500, "geometry": "true", "seed": seed}
            r = c.get("/stats/clustering", params=params)
            assert r.status_code == 200
            assert len(r.content) > 10 * 2**20
        for seed in range(12):
            assert c.get("/stats/clustering", params={"method": "ann", "seed": seed}).is_success
        assert 0 < cache.bytes <= settings.cache_bytes
        kept = [k for k in cache._items if k[0] == "stats-clustering"]
        assert [k[2] for k in kept] == [("ann",)] * 12  # none of the KDE grids was kept


def test_heavy_requests_beyond_the_queue_get_503_with_retry_after():
    settings = Settings(heavy_workers=1, heavy_queue=1, cache_entries=0, response_cache_entries=0)
    with TestClient(create_app(settings)) as c, ThreadPoolExecutor(3) as pool:
        params = {"method": "kde", "cell_m": 500, "geometry": "true"}
        answers = list(
            pool.map(lambda s: c.get("/stats/clustering", params=params | {"seed": s}), range(3))
        )
        statuses = sorted(r.status_code for r in answers)
        assert statuses[0] == 200
        assert 503 in statuses
        busy = next(r for r in answers if r.status_code == 503)
        assert busy.headers["Retry-After"] == "5"
        assert busy.headers["content-type"] == "application/problem+json"
        assert c.get("/healthz").status_code == 200


def test_clustering_reports_coincident_points_and_offers_distinct_sites(client):
    platforms = client.get("/stats/clustering", params={"method": "ann"}).json()
    sites = client.get("/stats/clustering", params={"method": "ann", "sites": "true"}).json()
    assert platforms["points"]["basis"] == "platforms"
    assert sites["points"]["basis"] == "distinct sites"
    assert "share a site" in platforms["ann"]["caution"]
    assert sites["ann"]["n"] + sites["ann"]["n_outside"] == platforms["points"]["distinct_sites"]
