"""/locate and /platforms/nearest."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from geo.crs import from_wgs84
from geo.filters import PlatformFilter
from tests.api.conftest import assert_problem

BIO_ISLAND = (113.366, 23.066)  # WGS84, on Guangzhou International Bio-Island
_GEOD = Geod(ellps="WGS84")


def geodesic_m(lon1, lat1, lon2, lat2):
    """Ellipsoidal distance (the truth the planar EPSG:4547 distance must approximate)."""
    lon1, lat1 = np.broadcast_arrays(np.asarray(lon1, float), np.asarray(lat1, float))
    return _GEOD.inv(lon1, lat1, np.full(lon1.shape, lon2), np.full(lon1.shape, lat2))[2]


@pytest.mark.parametrize("system", ["wgs84", "gcj02", "bd09"])
def test_locate_bio_island_in_every_input_system(client, system):
    x, y = from_wgs84(*BIO_ISLAND, system)
    r = client.get("/locate", params={"lon": float(x), "lat": float(y), "crs": system})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["wgs84"]["lon"] == pytest.approx(BIO_ISLAND[0], abs=1e-6)
    assert body["wgs84"]["lat"] == pytest.approx(BIO_ISLAND[1], abs=1e-6)
    assert body["district"]["zone_id"] == "440105"  # Haizhu administers it
    assert body["managing_district"]["zone_id"] == "440112"  # Huangpu manages it
    assert body["zones"]["zones363"]["zone_id"] == "core-bio-island"
    assert any("provisional" in note for note in body["notes"])


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"lon": -180, "lat": -90, "crs": "bd09"}, "lon"),  # once answered lat -90.0055
        ({"lon": 113.3, "lat": -45, "crs": "gcj02"}, "lat"),
        ({"lon": 150, "lat": 23.1, "crs": "gcj02"}, "lon"),
    ],
)
def test_locate_refuses_points_outside_their_systems_range(client, params, param):
    body = assert_problem(client.get("/locate", params=params), 400, param)
    assert params["crs"] in body["detail"]
    assert "China" in body["detail"]


def test_locate_outside_the_city(client):
    body = client.get("/locate?lon=114.5&lat=22.6").json()
    assert body["inside_city"] is False
    assert body["district"] is None
    assert body["zones"]["zones363"] is None


@pytest.mark.parametrize("params", [{}, {"type": "transformation_cluster"}, {"field": "drug_rnd"}])
def test_nearest_matches_brute_force(client, registry, params):
    lon, lat = 113.30, 23.12
    keep = PlatformFilter.from_params(**params).mask(registry)
    sub = registry[keep]
    dist = geodesic_m(sub.geometry.x.to_numpy(), sub.geometry.y.to_numpy(), lon, lat)
    k = 4
    r = client.get("/platforms/nearest", params={"lon": lon, "lat": lat, "k": k, **params})
    assert r.status_code == 200
    got = r.json()["platforms"]
    assert len(got) == min(k, len(sub))
    ds = [p["distance_m"] for p in got]
    assert ds == sorted(ds)
    expected = np.sort(dist)[: len(got)]
    assert np.allclose(ds, expected, rtol=2e-4, atol=0.1)  # planar EPSG:4547 vs ellipsoid


def test_nearest_with_max_distance_and_gcj02_input(client):
    gx, gy = from_wgs84(*BIO_ISLAND, "gcj02")
    body = client.get(
        "/platforms/nearest",
        params={
            "lon": float(gx),
            "lat": float(gy),
            "crs": "gcj02",
            "k": 100,
            "max_distance_m": 3000,
        },
    ).json()
    assert all(p["distance_m"] <= 3000 for p in body["platforms"])
    for p in body["platforms"]:
        d = geodesic_m(p["lon"], p["lat"], *BIO_ISLAND)
        assert float(d) == pytest.approx(p["distance_m"], rel=2e-4, abs=0.1)
