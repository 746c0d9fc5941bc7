"""Coordinate systems: known pairs, round trips, the China guard, vectorisation."""

import numpy as np
import pytest

from geo import crs
from geo.errors import CoordinateError

# Pairs published with the public formula (geoChina docs, Beijing railway station example):
# WGS84 (116.3912, 39.9070) -> GCJ-02 about 6.0e-3 deg east, 1.3e-3 deg north.
GZ_BBOX = (112.95, 22.56, 114.06, 23.94)


def _random_gz(n=50_000, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(GZ_BBOX[0], GZ_BBOX[2], n), rng.uniform(GZ_BBOX[1], GZ_BBOX[3], n)


def test_gcj_offset_over_guangzhou_is_588_to_638_m():
    x, y = _random_gz()
    gx, gy = crs.wgs84_to_gcj02(x, y)
    d = crs.haversine_m(x, y, gx, gy)
    assert d.min() > 585
    assert d.max() < 640


@pytest.mark.parametrize(("iterations", "max_error_m"), [(1, 3.0), (2, 0.01), (3, 0.0001)])
def test_gcj_inverse_error(iterations, max_error_m):
    x, y = _random_gz()
    wx, wy = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(x, y), iterations=iterations)
    assert crs.haversine_m(x, y, wx, wy).max() <= max_error_m


def test_single_step_error_is_metres_not_centimetres():
    x, y = _random_gz()
    wx, wy = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(x, y), iterations=1)
    assert crs.haversine_m(x, y, wx, wy).mean() > 0.5  # the reason to iterate


def test_bd09_round_trip_within_1cm():
    x, y = _random_gz()
    bx, by = crs.from_wgs84(x, y, "bd09")
    wx, wy = crs.to_wgs84(bx, by, "bd09")
    assert crs.haversine_m(x, y, wx, wy).max() <= 0.01


def test_bd09_is_further_offset_than_gcj02():
    gx, gy = crs.wgs84_to_gcj02(113.3, 23.1)
    bx, by = crs.gcj02_to_bd09(gx, gy)
    assert bx - gx == pytest.approx(0.0065, abs=0.002)
    assert by - gy == pytest.approx(0.006, abs=0.002)


def test_outside_china_is_identity():
    x = np.array([2.35, -74.0, 151.2])
    y = np.array([48.85, 40.7, -33.9])
    gx, gy = crs.wgs84_to_gcj02(x, y)
    assert np.array_equal(gx, x)
    assert np.array_equal(gy, y)
    wx, _wy = crs.gcj02_to_wgs84(x, y)
    assert np.array_equal(wx, x)


def test_scalars_work():
    gx, _gy = crs.wgs84_to_gcj02(113.3, 23.1)
    assert float(gx) > 113.3


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("WGS84", "wgs84"),
        ("EPSG:4326", "wgs84"),
        ("GCJ-02", "gcj02"),
        ("amap", "gcj02"),
        ("bd09ll", "bd09"),
        (" Baidu ", "bd09"),
        ("CGCS2000", "wgs84"),
    ],
)
def test_normalize_coord_system(label, expected):
    assert crs.normalize_coord_system(label) == expected


def test_unknown_system_says_what_to_use():
    with pytest.raises(CoordinateError, match="wgs84, gcj02"):
        crs.to_wgs84(113.0, 23.0, "mercator")


def test_shape_mismatch_raises():
    with pytest.raises(CoordinateError, match="shape"):
        crs.wgs84_to_gcj02([1.0, 2.0], [1.0])


def test_shift_geometry_keeps_shared_vertices_shared():
    import shapely

    a = shapely.box(113.2, 23.0, 113.3, 23.1)
    b = shapely.box(113.3, 23.0, 113.4, 23.1)
    sa, sb = (crs.shift_geometry(g, "gcj02", inverse=True) for g in (a, b))
    assert shapely.coverage_is_valid(np.array([sa, sb]))
    assert sa.intersection(sb).length > 0  # still touching along the old edge
