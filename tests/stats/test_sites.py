"""Coincident points: counted, cautioned, and the statistics offered on distinct sites."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.stats import multivariate_normal

from geo.stats.clustering import clustering_report, kernel_density, study_window
from geo.stats.clustering.sites import coincidence, distinct_sites
from geo.store import load_registry


def _expected_sites(frame: gpd.GeoDataFrame) -> tuple[int, int]:
    keys = pd.DataFrame({"x": frame.geometry.x.round(6), "y": frame.geometry.y.round(6)})
    sizes = keys.groupby(["x", "y"]).size()
    return len(sizes), int(sizes[sizes > 1].sum())


def test_the_registry_coincidence_is_counted_and_the_statistics_cautioned(city):
    registry = load_registry()
    sites, coincident = _expected_sites(registry)
    assert coincident / len(registry) > 0.5  # the shipped registry: campus-level points
    report = clustering_report(registry, ("ann", "ripley", "kde"), city=city, n_simulations=9)
    assert report["points"] == {
        "points": len(registry), "distinct_sites": sites, "coincident": coincident,
        "share": round(coincident / len(registry), 4), "basis": "platforms",
    }  # fmt: skip
    for name in ("ann", "ripley"):
        assert f"{coincident} of {len(registry)} points share a site" in report[name]["caution"]
    assert "share a site" not in (report["kde"].get("caution") or "")


def test_statistics_on_distinct_sites_count_each_site_once(city):
    registry = load_registry()
    sites, _ = _expected_sites(registry)
    on_platforms = clustering_report(registry, ("ann",), city=city)
    on_sites = clustering_report(registry, ("ann",), city=city, sites=True)
    assert on_sites["points"]["basis"] == "distinct sites"
    assert on_sites["ann"]["n"] + on_sites["ann"]["n_outside"] == sites
    assert "share a site" not in (on_sites["ann"].get("caution") or "")
    # zero distances gone: the pattern is less clustered on sites than on platforms
    assert on_sites["ann"]["ratio"] > on_platforms["ann"]["ratio"]


def test_coincidence_of_a_small_case():
    pts = gpd.GeoSeries(shapely.points([(113.3, 23.1)] * 3 + [(113.4, 23.2), (113.5, 23.2)]))
    shared = coincidence(pts.set_crs(4326))
    assert (shared.points, shared.distinct_sites, shared.coincident) == (5, 3, 3)
    assert len(distinct_sites(pts.set_crs(4326))) == 3
    assert coincidence(gpd.GeoSeries([], crs=4326)).points == 0


def test_kde_states_a_gaussian_kernel_and_matches_a_direct_sum(city):
    registry = load_registry()
    result = kernel_density(registry, city=city, bandwidth_m=2_000, cell_m=5_000)
    assert "Gaussian" in result.tool
    assert result.bandwidth_rule == "given"
    default = kernel_density(registry, city=city, cell_m=5_000)
    assert "standard deviation" in default.bandwidth_rule
    assert "search radius" in default.bandwidth_rule  # says where the formula comes from
    win = study_window(None, city=city)
    xy = shapely.get_coordinates(registry.geometry.to_crs(win.metric_crs).to_numpy())
    xy = xy[shapely.intersects_xy(win.metric, xy[:, 0], xy[:, 1])]
    centres = shapely.get_coordinates(result.grid.geometry.to_crs(win.metric_crs).centroid)
    pick = np.linspace(0, len(centres) - 1, 25).astype(int)
    direct = np.array(
        [multivariate_normal(mean=c, cov=2_000.0**2).pdf(xy).sum() * 1e6 for c in centres[pick]]
    )
    got = result.grid["density_per_km2"].to_numpy()[pick]
    np.testing.assert_allclose(got, direct, rtol=1e-6, atol=1e-12)
