"""geo.nearest: planar EPSG:4547 distances, ordering, masks and limits."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo.crs import WGS84
from geo.errors import CoordinateError
from geo.nearest import NearestIndex, nearest_platforms


@pytest.fixture
def points() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(7)
    lon = rng.uniform(113.0, 114.0, 300)
    lat = rng.uniform(22.6, 23.9, 300)
    return gpd.GeoDataFrame(
        {"id": [f"p{i}" for i in range(300)], "type": ["a", "b", "c"] * 100},
        geometry=shapely.points(lon, lat),
        crs=WGS84,
    )


def test_distances_agree_with_the_ellipsoid(points, city):
    index = NearestIndex(points.geometry.x, points.geometry.y, metric_crs=city.metric_crs)
    pos, dist = index.query(113.3, 23.1, k=300)
    truth = Geod(ellps="WGS84").inv(
        points.geometry.x.to_numpy()[pos],
        points.geometry.y.to_numpy()[pos],
        np.full(len(pos), 113.3),
        np.full(len(pos), 23.1),
    )[2]
    assert np.all(np.diff(dist) >= 0)
    assert np.allclose(dist, truth, rtol=2e-4, atol=0.1)  # < 20 cm per km over ~150 km


def test_k_mask_and_max_distance(points, city):
    index = NearestIndex(points.geometry.x, points.geometry.y, metric_crs=city.metric_crs)
    mask = (points["type"] == "b").to_numpy()
    pos, dist = index.query(113.5, 23.2, k=5, mask=mask)
    assert len(pos) == 5
    assert mask[pos].all()
    _, all_dist = index.query(113.5, 23.2, k=300, mask=mask)
    assert np.allclose(dist, all_dist[:5])
    pos, dist = index.query(113.5, 23.2, k=300, max_distance_m=20_000)
    assert len(pos) > 0
    assert (dist <= 20_000).all()


def test_nearest_platforms_returns_rows_with_distance(points, city):
    from geo.filters import PlatformFilter

    out = nearest_platforms(
        points.assign(type="public_technology"),
        113.3,
        23.1,
        k=3,
        filter=PlatformFilter(),
        city=city,
    )
    assert len(out) == 3
    assert out["distance_m"].is_monotonic_increasing


def test_fewer_matches_than_k(points, city):
    index = NearestIndex(points.geometry.x, points.geometry.y, metric_crs=city.metric_crs)
    mask = np.zeros(len(points), dtype=bool)
    mask[[3, 9]] = True
    pos, _ = index.query(113.5, 23.2, k=10, mask=mask)
    assert sorted(pos.tolist()) == [3, 9]


@pytest.mark.parametrize(("lon", "lat"), [(-0.1, 51.5), (23.1, 113.3), (float("nan"), 23.0)])
def test_points_outside_the_measured_area_are_refused(points, lon, lat, city):
    index = NearestIndex(points.geometry.x, points.geometry.y, metric_crs=city.metric_crs)
    with pytest.raises(CoordinateError):
        index.query(lon, lat)


def test_bad_k_is_refused(points, city):
    with pytest.raises(ValueError, match="k must be"):
        NearestIndex(points.geometry.x, points.geometry.y, metric_crs=city.metric_crs).query(
            113.3, 23.1, k=0
        )


def test_query_area_is_the_metric_crs_area_of_use(points, city):
    from pyproj import CRS

    area = CRS.from_user_input(city.metric_crs).area_of_use
    index = NearestIndex(points.geometry.x, points.geometry.y, metric_crs=city.metric_crs)
    assert index.bounds == (area.west, area.south, area.east, area.north)
    assert index.bounds == pytest.approx((112.5, 21.52, 115.5, 45.45), abs=0.01)  # EPSG:4547
    index.query(area.east - 0.01, area.north - 0.01, k=1)  # far but inside: accepted
    with pytest.raises(CoordinateError, match="outside"):
        index.query(area.east + 0.01, 23.0)


def test_nearest_platforms_on_another_metric_crs(points, city):
    """The CRS comes from the argument, not a module constant: UTM 49N gives the same order."""
    utm = NearestIndex(points.geometry.x, points.geometry.y, metric_crs="EPSG:32649")
    gk = NearestIndex(points.geometry.x, points.geometry.y, metric_crs=city.metric_crs)
    pos_u, dist_u = utm.query(113.3, 23.1, k=5)
    pos_g, dist_g = gk.query(113.3, 23.1, k=5)
    assert pos_u.tolist() == pos_g.tolist()
    assert np.allclose(dist_u, dist_g, rtol=2e-3)
