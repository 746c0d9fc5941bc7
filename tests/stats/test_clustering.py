"""Point-pattern statistics against small cases computed by hand (metres, EPSG:4547)."""

from __future__ import annotations

import math

import geopandas as gpd
import h3
import numpy as np
import pytest
import shapely

from geo.errors import InsufficientDataError
from geo.stats.clustering import (
    clark_evans,
    hex_hotspots,
    kernel_density,
    l_function,
    random_points_in,
    ripley_l,
    silverman_bandwidth,
    study_window,
)

# The hand-computed cases are in metres in the shipped city's metric CRS (its profile says so:
# test_the_cases_use_the_shipped_metric_crs).
METRIC_CRS = "EPSG:4547"
X0, Y0 = 500_000.0, 2_550_000.0  # inside Guangzhou in EPSG:4547
WINDOW = gpd.GeoSeries([shapely.box(X0, Y0, X0 + 10_000, Y0 + 10_000)], crs=METRIC_CRS)  # 100 km²


def metric_points(xy: list[tuple[float, float]]) -> gpd.GeoSeries:
    geoms = [shapely.Point(X0 + x, Y0 + y) for x, y in xy]
    return gpd.GeoSeries(geoms, crs=METRIC_CRS)


SQUARE = metric_points([(3000, 3000), (4000, 3000), (3000, 4000), (4000, 4000)])  # 1 km square


def test_the_cases_use_the_shipped_metric_crs(city):
    assert city.metric_crs == METRIC_CRS
    win = study_window(city=city)
    assert win.metric_crs == city.metric_crs
    assert win.equal_area_crs == city.equal_area_crs
    assert win.name.startswith(city.name("en"))


def test_clark_evans_by_hand(city):
    r = clark_evans(SQUARE, window=WINDOW, city=city)
    # observed mean NND 1000 m; expected 0.5 * sqrt(1e8 / 4) = 2500 m; SE 0.26136 * 1e4 / 4
    assert r.mean_nnd_m == pytest.approx(1000.0)
    assert r.expected_nnd_m == pytest.approx(2500.0)
    assert r.ratio == pytest.approx(0.4)
    assert r.z_score == pytest.approx((1000 - 2500) / (0.26136 * 1e4 / 4))
    assert r.p_value == pytest.approx(math.erfc(abs(r.z_score) / math.sqrt(2)))
    assert r.pattern == "clustered"
    assert r.area_km2 == pytest.approx(100.0)
    assert r.caution  # 4 points: flagged as indicative only


def test_ripley_l_by_hand(city):
    # 4 corners of a 1 km square: 8 ordered pairs at 1000 m, 4 at 1414 m; A = 1e8 m²
    lvals = l_function(
        shapely.get_coordinates(SQUARE.to_numpy()), np.array([900.0, 1000.0, 1500.0]), 1e8
    )
    assert lvals[0] == 0.0
    assert lvals[1] == pytest.approx(math.sqrt(1e8 * 8 / 12 / math.pi))  # d_ij <= d counts
    assert lvals[2] == pytest.approx(math.sqrt(1e8 * 12 / 12 / math.pi))
    r = ripley_l(
        SQUARE, window=WINDOW, distances_m=[900, 1000, 1500], n_simulations=5, seed=1, city=city
    )
    assert r.l_observed == pytest.approx(lvals.tolist())
    assert all(lo <= hi for lo, hi in zip(r.l_low, r.l_high, strict=True))


def test_ripley_is_seeded_and_flags_clustering(city):
    rng = np.random.default_rng(3)
    cluster = metric_points([(5000 + dx, 5000 + dy) for dx, dy in rng.normal(0, 150, (30, 2))])
    a = ripley_l(cluster, window=WINDOW, n_simulations=19, seed=7, city=city)
    b = ripley_l(cluster, window=WINDOW, n_simulations=19, seed=7, city=city)
    assert a.l_low == b.l_low
    assert a.l_high == b.l_high
    assert a.clustered_at()  # a tight cluster lies above the CSR envelope at short distances
    assert "clustered" in a.interpretation("en")
    calls = []
    ripley_l(
        cluster,
        window=WINDOW,
        n_simulations=3,
        progress=lambda i, n: calls.append((i, n)),
        city=city,
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_simulated_points_stay_inside_the_polygon_not_its_bbox(city):
    # an L-shaped window: its bounding box has an empty 5 km x 5 km corner
    ell = shapely.union_all([shapely.box(X0, Y0, X0 + 10_000, Y0 + 5_000),
                             shapely.box(X0, Y0, X0 + 5_000, Y0 + 10_000)])  # fmt: skip
    win = study_window(gpd.GeoSeries([ell], crs=METRIC_CRS), city=city)
    pts = random_points_in(win, 2000, np.random.default_rng(0))
    assert len(pts) == 2000
    assert shapely.contains_xy(ell, pts[:, 0], pts[:, 1]).all()
    # roughly a third of the L's area lies in each 5 km arm beyond the shared square
    in_corner = (pts[:, 0] < X0 + 5000) & (pts[:, 1] < Y0 + 5000)
    assert 0.28 < in_corner.mean() < 0.39


def test_kernel_density_single_point_by_hand(city):
    one = metric_points([(5500, 5500)])  # exactly at a 1 km cell centre
    k = kernel_density(one, window=WINDOW, bandwidth_m=1000, cell_m=1000, city=city)
    assert len(k.grid) == 100
    # peak = 1 / (2 pi h²) per m² = 1e6 / (2 pi 1e6) per km²
    assert k.grid["density_per_km2"].max() == pytest.approx(1 / (2 * math.pi))
    # the surface integrates to the one point (cells are 1 km²; 4.5 h from every edge)
    assert k.grid["density_per_km2"].sum() == pytest.approx(1.0, abs=1e-5)
    assert k.bandwidth_rule == "given"
    peak = k.peak()
    assert peak["density_per_km2"] == pytest.approx(1 / (2 * math.pi))


def test_silverman_bandwidth_by_hand():
    xy = shapely.get_coordinates(SQUARE.to_numpy())
    # every point is 500 * sqrt(2) m from the mean centre: SD = Dm = 707.1 m
    assert silverman_bandwidth(xy) == pytest.approx(0.9 * 500 * math.sqrt(2) * 4**-0.2)


def test_gi_star_by_hand(city):
    centre = h3.latlng_to_cell(23.1, 113.3, 7)
    disk = h3.grid_disk(centre, 2)  # 19 hexagons
    window = shapely.union_all(
        [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in disk]
    )
    lat, lng = h3.cell_to_latlng(centre)
    pts = gpd.GeoSeries(shapely.points([(lng, lat)] * 10), crs="EPSG:4326")
    r = hex_hotspots(pts, window=window, permutations=0, fdr=False, city=city)
    assert len(r.bins) == 19
    row = r.bins.set_index("h3").loc[centre]
    assert row["count"] == 10
    # x = 10 at the centre, 0 elsewhere; n = 19; W_i = S1_i = 7 (itself + 6 neighbours):
    # Gi* = (10 - 7 * 10/19) / (S * sqrt((19 * 7 - 49) / 18)), S = (10/19) sqrt(18) = 12/sqrt(84)
    assert row["gi_z"] == pytest.approx(12 / math.sqrt(84))
    assert row["gi_bin"] == 0  # z = 1.31 < 1.645: not significant at 90%
    # clipped hexagon areas add up to the window's equal-area area
    window_km2 = (
        gpd.GeoSeries([window], crs="EPSG:4326").to_crs(city.equal_area_crs).area.iloc[0] / 1e6
    )
    assert r.bins["area_km2"].sum() == pytest.approx(window_km2, rel=1e-6)


@pytest.mark.parametrize(
    ("func", "n"),
    [(clark_evans, 1), (ripley_l, 2), (kernel_density, 0), (hex_hotspots, 2)],
)
def test_too_few_points_is_a_clear_error(func, n, city):
    pts = metric_points([(1000 * i + 500, 5000) for i in range(n)])
    with pytest.raises(InsufficientDataError, match="at least"):
        func(pts, window=WINDOW, city=city)


def test_points_outside_the_window_are_dropped_and_counted(city):
    pts = metric_points([(3000, 3000), (4000, 3000), (3000, 4000), (50_000, 50_000)])
    r = clark_evans(pts, window=WINDOW, city=city)
    assert (r.n, r.n_outside) == (3, 1)


def test_hotspots_without_variation_and_kde_bandwidth_errors(city):
    with pytest.raises(InsufficientDataError, match="bandwidth"):
        kernel_density(metric_points([(5000, 5000)]), window=WINDOW, city=city)
    same = metric_points([(5000, 5000)] * 3)
    with pytest.raises(InsufficientDataError, match="bandwidth"):
        kernel_density(same, window=WINDOW, city=city)


def test_shipped_registry_statistics_run_in_the_city_window(city):
    from geo.store import load_registry

    platforms = load_registry()
    outline = shapely.union_all(city.outline.geometry.to_numpy())
    inside = int(shapely.intersects_xy(outline, platforms.geometry.x, platforms.geometry.y).sum())
    r = clark_evans(platforms, city=city)
    assert r.n == inside
    assert r.area_km2 == pytest.approx(7400, rel=0.01)  # the city polygon, not its bbox
    win = study_window(city=city)
    x0, y0, x1, y1 = win.metric.bounds
    assert r.area_km2 * 1e6 < 0.6 * (x1 - x0) * (y1 - y0)
