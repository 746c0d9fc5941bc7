"""The shipped zone layers as data: every zone sourced, every geometry valid, inside the city,
built in metres to its published area, and the density counts per zone on the shipped registry."""

import csv
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geo.stats.density import density_table
from geo.store import load_registry
from geo.zones.assign import assign_platforms

BOUNDARIES = Path(__file__).resolve().parents[2] / "data" / "boundaries"
ZONE_LAYERS = ("zones363", "value_parks", "gba_pharma_zone")
QUALITIES = {
    "none",
    "circle_of_published_area",
    "host_district_outline",
    "proxy_union_of_sites",
}


def _rows(name):
    with open(BOUNDARIES / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def assigned(city):
    out, _ = assign_platforms(load_registry(), city)
    return out


@pytest.mark.parametrize("name", ZONE_LAYERS)
def test_every_zone_has_basis_source_and_geometry_quality(shipped_layers, name):
    zones = shipped_layers[name].zones
    assert shipped_layers[name].provisional
    for col in ("basis", "source", "geometry_quality", "confidence", "licence", "compiled"):
        assert zones[col].notna().all(), col
        assert (zones[col].astype(str).str.len() > 0).all(), col
    assert set(zones["geometry_quality"]) <= QUALITIES
    assert zones["source"].str.contains("http").all()
    unlocated = zones.geometry.isna() | zones.geometry.is_empty
    assert ((zones["geometry_quality"] == "none") == unlocated).all()
    # a zone that could not be placed says where we looked
    assert zones.loc[unlocated, "note"].str.len().gt(20).all()
    # a drawn zone says how it was drawn and where its numbers come from
    drawn = zones[~unlocated]
    assert drawn["geometry_basis"].notna().all()
    assert drawn["area_source"].str.contains("http|districts.geojson").all()
    assert drawn["coord_precision"].notna().all()
    assert drawn["coord_crs_in"].notna().all()


@pytest.mark.parametrize("name", ZONE_LAYERS)
def test_geometries_valid_polygons_inside_the_city(shipped_layers, city, name):
    outline = shapely.union_all(city.outline.geometry.values)
    zones = shipped_layers[name].zones
    for zid, geom in zip(zones["zone_id"], zones.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        assert geom.is_valid, zid
        assert geom.geom_type in ("Polygon", "MultiPolygon"), zid
        # inside the city up to the 1e-7° storage grid
        assert outline.buffer(1e-6).covers(geom), zid


def test_circles_have_the_published_area_before_clipping(city):
    """Discs are built in the equal-area CRS and clipped; clipping only removes area."""
    import scripts.build_zones as bz

    anchors = bz.load_anchors()
    sites, geoms = bz.build_sites(anchors)
    for site_id, row in sites.iterrows():
        if row["method"] != "circle":
            continue
        ids = row["anchors"].split(";")
        pts = gpd.GeoSeries(
            gpd.points_from_xy(anchors.loc[ids, "lon_wgs84"], anchors.loc[ids, "lat_wgs84"]),
            crs="EPSG:4326",
        ).to_crs(city.equal_area_crs)
        disc = bz._disc((pts.x.mean(), pts.y.mean()), float(row["area_km2"]))
        assert disc.area / 1e6 == pytest.approx(float(row["area_km2"]), rel=1e-9), site_id
        clipped = gpd.GeoSeries([geoms[site_id]], crs="EPSG:4326").to_crs(city.equal_area_crs)
        assert 0.5 * disc.area < clipped.area.iloc[0] <= disc.area * (1 + 1e-6), site_id
        # the anchors lie in the site's district
        for a in ids:
            lon, lat = anchors.at[a, "lon_wgs84"], anchors.at[a, "lat_wgs84"]
            assert city.unit_of(lon, lat) == row["district_adcode"], (site_id, a)


def test_anchor_and_site_tables_are_sourced():
    for row in _rows("zone_anchors.csv"):
        assert row["source"]
        assert row["coord_crs_in"]
        assert float(row["coord_precision_m"]) > 0
    for row in _rows("zone_sites.csv"):
        assert row["area_source"], row["site_id"]
        if row["method"] == "circle":
            assert row["anchors"]
            assert float(row["area_km2"]) > 0
            assert row["centre_basis"]


def test_shipped_geojson_is_what_the_script_builds(tmp_path, monkeypatch):
    """The GeoJSON files are generated: rebuilding them changes nothing."""
    import scripts.build_zones as bz

    monkeypatch.setattr(bz, "OUT", tmp_path)
    for name in ["zone_anchors.csv", "zone_sites.csv", *(s.csv for s in bz.LAYERS)]:
        (tmp_path / name).write_bytes((BOUNDARIES / name).read_bytes())
    bz.build()
    for name in [*(s.geojson for s in bz.LAYERS), "management.geojson"]:
        assert (tmp_path / name).read_bytes() == (BOUNDARIES / name).read_bytes(), name


def test_zones363_density_on_the_shipped_registry(shipped_layers, city, assigned):
    """Counts per 363 zone: drawn zones get their platforms, the rest are documented gaps.

    Expected today (registry of 2026-12, 161 platforms): Science City 18, Bio-Island 14, Baiyun
    base 1; the nine others have no geometry and a note listing the searches (see
    data/boundaries/README.md).
    """
    layer = shipped_layers["zones363"]
    res = density_table(assigned, layer, city=city)
    counts = res.table.set_index("zone_id")["count"]
    zones = layer.zones.set_index("zone_id")
    nonzero = counts[counts > 0].index
    documented = zones.index[zones["geometry_quality"].eq("none") & zones["note"].notna()]
    assert len(set(nonzero) | set(documented)) >= 10
    assert counts["core-science-city"] > 0
    assert counts["core-bio-island"] > 0
    assert counts[list(documented)].sum() == 0
    assert counts.sum() == assigned["zone_zones363"].notna().sum()


@pytest.mark.parametrize("name", ZONE_LAYERS)
def test_density_areas_are_measured_in_metres(shipped_layers, city, assigned, name):
    layer = shipped_layers[name]
    res = density_table(assigned, layer, city=city).table.set_index("zone_id")
    areas = gpd.GeoSeries(layer.zones.geometry.values, crs="EPSG:4326").to_crs(city.equal_area_crs)
    expected = (areas.area / 1e6).to_numpy()
    got = res.loc[layer.zones["zone_id"], "area_km2"].to_numpy(dtype=float)
    located = ~np.isnan(got)
    assert np.allclose(got[located], expected[located], rtol=1e-3)


def _drawn(layer):
    zones = layer.zones
    return zones[zones.geometry.notna() & ~zones.geometry.is_empty]


@pytest.mark.parametrize("name", ZONE_LAYERS)
def test_drawn_zones_lie_in_their_district(shipped_layers, city, name):
    """A zone that names a district lies in it, or in an area that district manages (Huangpu's
    value park takes in Bio-Island, administratively Haizhu), up to the 1e-7° storage grid."""
    units = dict(zip(city.units["adcode"], city.units.geometry, strict=True))
    for code, area in zip(
        city.management["managing_adcode"], city.management.geometry, strict=True
    ):
        units[code] = units[code].union(area)
    drawn = _drawn(shipped_layers[name])
    rows = zip(drawn["zone_id"], drawn["district_adcode"], drawn.geometry, strict=True)
    for zid, code, geom in rows:
        if code is None or pd.isna(code):
            continue
        assert units[code].buffer(1e-6).covers(geom), (zid, code)


#: Published area and the area left inside the district after clipping (km², as documented in
#: data/boundaries/README.md): the clip only removes the part of the disc across the border.
DRAWN_363 = {
    "core-science-city": (37.47, 32.3),
    "core-bio-island": (1.83, 1.66),
    "park-baiyun-health": (10.2, 10.16),
}


def test_zones363_drawn_areas_match_the_published_figures(shipped_layers, city):
    drawn = _drawn(shipped_layers["zones363"]).set_index("zone_id")
    assert set(drawn.index) == set(DRAWN_363)
    measured = drawn.geometry.set_crs("EPSG:4326", allow_override=True)
    measured = measured.to_crs(city.equal_area_crs).area / 1e6
    for zid, (published, documented) in DRAWN_363.items():
        assert drawn.at[zid, "area_stated_km2"] == pytest.approx(published)
        assert str(published) in drawn.at[zid, "area_source"]
        assert measured[zid] <= published * (1 + 1e-6), zid  # clipping never adds area
        assert measured[zid] == pytest.approx(documented, abs=0.01), zid
        assert drawn.at[zid, "geometry_quality"] == "circle_of_published_area"
        for col in ("geometry_basis", "anchor_source", "coord_crs_in", "coord_precision"):
            assert isinstance(drawn.at[zid, col], str), (zid, col)
            assert drawn.at[zid, col], (zid, col)


def test_zones363_undrawn_notes_list_queries_and_pages(shipped_layers):
    """Every zone without a geometry says what was searched, where, and that nothing was found."""
    zones = shipped_layers["zones363"].zones
    undrawn = zones[zones["geometry_quality"] == "none"]
    assert len(undrawn) == 12 - len(DRAWN_363)
    for zid, note in zip(undrawn["zone_id"], undrawn["note"], strict=True):
        assert re.search(r"[Qq]ueries|[Qq]uery", note), zid
        assert "Pages" in note or "pages" in note or "page" in note, zid
        assert "Second search (2026-12-04" in note, zid
        assert note.rstrip().endswith("No geometry."), zid
        assert re.search(r"[\u4e00-\u9fff]", note), zid  # the Chinese queries themselves


def _inside_counts(registry, layer) -> dict[str, int]:
    """Platforms per zone by plain point-in-polygon (shapely), independent of the grid index."""
    counts = {}
    for zid, geom in zip(layer.zones["zone_id"], layer.zones.geometry, strict=True):
        if geom is None or geom.is_empty:
            counts[zid] = 0
            continue
        counts[zid] = int(shapely.covers(geom, registry.geometry.values).sum())
    return counts


def test_stats_density_counts_the_platforms_in_each_363_zone(shipped_layers):
    """/stats/density?layer=zones363 on the shipped registry: every drawn zone has platforms,
    the counts agree with a plain point-in-polygon test, and the other zones are documented."""
    with TestClient(create_app(Settings())) as client:
        body = client.get("/stats/density", params={"layer": "zones363"}).json()
    zones = {z["zone_id"]: z for z in body["zones"]}
    assert len(zones) == 12
    expected = _inside_counts(load_registry(), shipped_layers["zones363"])
    assert {zid: z["count"] for zid, z in zones.items()} == expected
    with_platforms = {zid for zid, z in zones.items() if z["count"] > 0}
    assert with_platforms == set(DRAWN_363)
    layer = shipped_layers["zones363"].zones
    noted = layer.loc[layer["geometry_quality"].eq("none") & layer["note"].str.len().gt(200)]
    documented = set(noted["zone_id"])
    assert documented == set(zones) - set(DRAWN_363)
    for zid in documented:  # not drawn, so not counted and given no area
        assert zones[zid]["area_km2"] is None
        assert "no geometry" in zones[zid]["note"]
    assert len(with_platforms | documented) >= 10
