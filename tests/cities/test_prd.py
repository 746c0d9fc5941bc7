"""The nine Pearl River Delta cities: profiles, boundaries, facts and the region's files.

Each city's units are a valid coverage without slivers, its outline is their union, every hole
in an outline is accounted for, areas are computed in the city's equal-area CRS, every figure
has a source, and where every unit's population was found they sum to the census total.
"""

from __future__ import annotations

import json
from functools import cache

import pandas as pd
import pyproj
import pytest
import shapely
from typer.testing import CliRunner

from geo import DATA_DIR
from geo.cities import City, available_cities, open_city
from geo.cities.boundaries import read_outline, read_units

#: Profile id -> (adcode, number of county-level units), written out independently of the data.
PRD = {
    "guangzhou": ("440100", 11),
    "shenzhen": ("440300", 9),
    "zhuhai": ("440400", 3),
    "foshan": ("440600", 5),
    "jiangmen": ("440700", 7),
    "zhaoqing": ("441200", 8),
    "huizhou": ("441300", 5),
    "dongguan": ("441900", 1),
    "zhongshan": ("442000", 1),
}
PRD_DIR = DATA_DIR / "boundaries" / "prd"
KINDS = {"district", "county-level city", "county", "whole city"}
FOUND = {"sourced", "sourced_weak", "unverified"}  # "unverified": Guangzhou's two areas
FIGURES = {"area_official_km2": "area_official", "population_2020": "population"}
#: Narrower gaps between units than this (degrees, about 10 m) would be slivers.
GAP_DEG = 1e-4
#: The University of Macau's Hengqin campus (about 1.09 km², Macau's since 2013): inside
#: Zhuhai's outer ring but in no unit (data/boundaries/README.md).
UM_CAMPUS = shapely.Point(113.545, 22.128)

cities = pytest.mark.parametrize("city_id", list(PRD))


@cache
def _city(city_id: str) -> City:
    return open_city(city_id)


@cache
def _prd_units():
    return read_units(PRD_DIR / "units.geojson")


def _facts_tables() -> list[tuple[str, pd.DataFrame]]:
    tables = [(c, _city(c).facts) for c in PRD]
    return [*tables, ("prd/cities.csv", pd.read_csv(PRD_DIR / "cities.csv", dtype={"adcode": str}))]


def test_every_prd_city_is_shipped():
    assert set(PRD) <= set(available_cities())


@cities
def test_profile_loads_with_its_units(city_id):
    city = _city(city_id)
    adcode, n = PRD[city_id]
    assert city.profile.adcode == adcode
    assert len(city.units) == len(city.units_web) == len(city.facts) == n
    assert sorted(city.units["adcode"]) == sorted(city.facts["adcode"])
    assert (city.units["city_adcode"] == adcode).all()
    assert all(a.startswith(adcode[:4]) for a in city.units["adcode"])
    assert city.units.crs.to_epsg() == 4326
    assert city.facts["name_zh"].tolist() == [city.unit_names[a][0] for a in city.facts["adcode"]]


@cities
def test_unit_kind_follows_the_name(city_id):
    units = _city(city_id).units
    assert set(units["kind"]) <= KINDS
    for adcode, name, kind in zip(units["adcode"], units["name_zh"], units["kind"], strict=True):
        expected = {"区": "district", "市": "county-level city", "县": "county"}[name[-1]]
        assert kind == ("whole city" if adcode.endswith("00") else expected), adcode


@cities
@pytest.mark.parametrize("web", [False, True])
def test_units_are_a_valid_coverage_without_slivers(city_id, web):
    city = _city(city_id)
    gdf = city.units_web if web else city.units
    assert gdf.is_valid.all()
    assert shapely.coverage_is_valid(gdf.geometry.values, gap_width=GAP_DEG)


@cities
def test_web_version_is_smaller_but_close(city_id):
    city = _city(city_id)
    n_full = shapely.get_num_coordinates(city.units.geometry.values).sum()
    n_web = shapely.get_num_coordinates(city.units_web.geometry.values).sum()
    assert n_web < 0.7 * n_full  # Amap draws some cities coarsely already (Zhaoqing: 0.59)
    full = city.units.to_crs(city.equal_area_crs).area.sum()
    assert city.units_web.to_crs(city.equal_area_crs).area.sum() == pytest.approx(full, rel=0.01)


@cities
def test_area_is_computed_in_the_city_equal_area_crs(city_id):
    city = _city(city_id)
    computed = city.units.to_crs(city.equal_area_crs).area / 1e6
    assert (computed - city.units["area_km2"]).abs().max() < 0.01
    method = pyproj.CRS(city.equal_area_crs).coordinate_operation.method_name
    assert method == "Lambert Azimuthal Equal Area"


@cities
def test_outline_is_the_union_and_carries_the_city_facts(city_id):
    city = _city(city_id)
    outline = city.outline
    assert len(outline) == 1
    union = shapely.union_all(city.units.geometry.values)
    assert shapely.symmetric_difference(union, outline.geometry.iloc[0]).area < 1e-9
    row = outline.iloc[0]
    assert row["adcode"] == city.profile.adcode
    assert row["population_2020"] == city.profile.units.population_total
    assert row["area_official_status"] in FOUND
    assert row["area_km2"] == pytest.approx(city.units["area_km2"].sum(), abs=0.1)


@cities
def test_every_hole_in_an_outline_is_accounted_for(city_id):
    """A hole is another PRD city's enclave (Huadu's in Nanhai, Gaoyao's in Gaoming) or the
    University of Macau campus; anything else would be a gap between units."""
    others = _prd_units()[_prd_units()["city_adcode"] != _city(city_id).profile.adcode]
    outline = _city(city_id).outline.geometry.iloc[0]
    for polygon in getattr(outline, "geoms", [outline]):
        for ring in polygon.interiors:
            hole = shapely.Polygon(ring)
            if hole.contains(UM_CAMPUS):
                assert city_id == "zhuhai"
                continue
            covered = shapely.union_all(others.geometry[others.intersects(hole)].values)
            assert hole.difference(covered).area < 1e-9, (city_id, hole.representative_point())


@cities
def test_every_unit_has_provenance(city_id):
    units = _city(city_id).units
    for col in ("source", "source_version", "licence", "coord_conversion", "built"):
        assert units[col].notna().all(), col
    assert (units["coord_crs_in"] == "gcj02").all()
    assert (units["coord_precision_m"] == 0.01).all()


@pytest.mark.parametrize(
    ("name", "facts"), _facts_tables(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_figure_has_a_source_and_every_gap_a_reason(name, facts):
    for col, prefix in FIGURES.items():
        status, source = facts[f"{prefix}_status"], facts[f"{prefix}_source"]
        found = facts[col].notna()
        assert status[found].isin(FOUND).all(), (name, col)
        assert (status[~found] == "not_found").all(), (name, col)
        assert source.notna().all(), (name, col)
        assert (source.str.len() > 8).all(), (name, col)


@cities
def test_populations_sum_to_the_census_total_where_all_were_found(city_id):
    city = _city(city_id)
    pops = city.units["population_2020"]
    total = city.profile.units.population_total
    assert city.profile.units.population_total_source
    if pops.notna().all():
        assert int(pops.sum()) == total
    else:  # nothing to add up; what was found must still fit inside the total
        assert pops.sum() < total


def test_census_totals_agree_between_profiles_and_the_city_table():
    table = pd.read_csv(PRD_DIR / "cities.csv", dtype={"adcode": str}).set_index("adcode")
    for city_id in PRD:
        profile = _city(city_id).profile
        assert table.loc[profile.adcode, "population_2020"] == profile.units.population_total
        assert table.loc[profile.adcode, "name_zh"] == profile.name_zh


@cities
def test_bbox_holds_the_outline_with_a_margin(city_id):
    city = _city(city_id)
    x0, y0, x1, y1 = city.outline.total_bounds
    bx0, by0, bx1, by1 = city.bbox
    margin = 0.0 if city_id == "guangzhou" else 0.05  # Guangzhou's bbox predates the rule
    assert min(x0 - bx0, y0 - by0, bx1 - x1, by1 - y1) >= margin


@cities
def test_metric_crs_is_the_gauss_kruger_zone_of_most_of_the_city(city_id):
    city = _city(city_id)
    crs = pyproj.CRS(city.metric_crs)
    assert crs.to_epsg() in {4546, 4547}  # CGCS2000 3-degree Gauss-Kruger, CM 111E / 114E
    west, _, east, _ = crs.area_of_use.bounds
    zone = shapely.box(west, -90, east, 90)
    area = city.units.to_crs(city.equal_area_crs).area.sum()
    inside = city.units.geometry.intersection(zone).to_crs(city.equal_area_crs).area.sum()
    assert inside / area > 0.5


@cities
def test_map_centre_is_inside_the_bbox(city_id):
    city = _city(city_id)
    lat, lon = city.profile.map.center
    assert bool(city.in_bbox([lon], [lat])[0])


def test_prd_units_are_the_cities_units():
    prd = _prd_units()
    assert len(prd) == sum(n for _, n in PRD.values()) == 50
    assert prd["adcode"].is_unique
    assert shapely.coverage_is_valid(prd.geometry.values, gap_width=GAP_DEG)
    for city_id in PRD:
        city = _city(city_id)
        mine = prd[prd["city_adcode"] == city.profile.adcode].set_index("adcode")
        units = city.units.set_index("adcode")
        assert mine.index.sort_values().tolist() == units.index.sort_values().tolist()
        assert (mine.loc[units.index, "area_km2"] == units["area_km2"]).all()
        assert mine.loc[units.index].geometry.geom_equals_exact(units.geometry, 0).all()


def test_prd_web_units_are_the_cities_web_units():
    """Simplified once over the region, so two cities' web files share their common edge."""
    web = read_units(PRD_DIR / "units_web.geojson")
    assert shapely.coverage_is_valid(web.geometry.values)
    n_full = shapely.get_num_coordinates(_prd_units().geometry.values).sum()
    assert shapely.get_num_coordinates(web.geometry.values).sum() < n_full / 2
    for city_id in PRD:
        city = _city(city_id)
        mine = web[web["city_adcode"] == city.profile.adcode].set_index("adcode")
        units = city.units_web.set_index("adcode")
        assert mine.loc[units.index].geometry.geom_equals_exact(units.geometry, 0).all()


def test_prd_outline_is_the_union_with_only_the_macau_campus_inside():
    outline = read_outline(PRD_DIR / "outline.geojson").geometry.iloc[0]
    union = shapely.union_all(_prd_units().geometry.values)
    assert shapely.symmetric_difference(union, outline).area < 1e-9
    holes = [shapely.Polygon(r) for p in getattr(outline, "geoms", [outline]) for r in p.interiors]
    assert len(holes) == 1
    assert holes[0].contains(UM_CAMPUS)
    assert _prd_units().intersects(UM_CAMPUS).sum() == 0


@pytest.mark.parametrize(
    ("lon", "lat", "city_id", "adcode"),
    [
        (114.0596, 22.5415, "shenzhen", "440304"),  # Shenzhen Civic Center (Futian)
        (113.0815, 22.5789, "jiangmen", "440703"),  # Jiangmen municipal government (Pengjiang)
        (112.467, 23.050, "zhaoqing", "441202"),  # Zhaoqing government (Duanzhou)
        (113.752, 23.021, "dongguan", "441900"),  # Dongguan government
        (114.48, 22.59, "shenzhen", "440307"),  # Dapeng New District lies inside Longgang
    ],
)
def test_known_points_fall_in_their_units(lon, lat, city_id, adcode):
    # Points: the Wikipedia infoboxes' government coordinates; Dapeng: facts.csv note.
    assert _city(city_id).unit_of(lon, lat) == adcode


@pytest.mark.parametrize(
    ("city_id", "text", "adcode"),
    [
        ("shenzhen", "深圳市龙华新区观澜街道", "440309"),
        ("shenzhen", "深圳市大鹏新区葵涌街道", "440307"),
        ("foshan", "广东省南海市桂城", "440605"),
        ("jiangmen", "江门市新会市会城镇", "440705"),
        ("zhaoqing", "肇庆市高要市南岸", "441204"),
        ("jiangmen", "台山市台城街道", "440781"),
    ],
)
def test_unit_named_in_knows_historic_names(city_id, text, adcode):
    assert _city(city_id).unit_named_in(text) == adcode


def test_density_of_a_small_synthetic_set():
    """Two shipped platforms moved to Futian and Dapeng: counted in Futian and Longgang; rates
    per 100k only where the unit's population is known (Longhua's)."""
    from geo.stats.density import density_table
    from geo.store import load_registry
    from geo.zones.assign import assign_platforms

    city = _city("shenzhen")
    rows = load_registry().head(3).copy()
    rows["geometry"] = [
        shapely.Point(114.0596, 22.5415),
        shapely.Point(114.48, 22.59),
        shapely.Point(114.03, 22.66),  # Longhua
    ]
    rows = rows.drop(columns=["district_adcode", "managing_adcode"], errors="ignore")
    platforms, report = assign_platforms(rows, city)
    assert platforms["district_adcode"].tolist() == ["440304", "440307", "440309"]
    assert report.outside_city == []
    table = density_table(platforms, city.units_layer, city=city).table.set_index("zone_id")
    assert table.loc[["440304", "440307", "440309"], "count"].tolist() == [1, 1, 1]
    assert table.loc["440309", "per_100k"] == pytest.approx(1 / 2528872 * 1e5)
    assert pd.isna(table.loc["440304", "per_100k"])


@pytest.mark.parametrize("city_id", ["shenzhen", "zhaoqing", "dongguan"])
def test_cli_density_runs_for_the_city_with_no_platforms(city_id, tmp_path):
    from geo.cli import app

    empty = tmp_path / "empty.geojson"
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    args = ["stats", "density", "--city", city_id, "--store", str(empty), "--format", "json"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert len(body["zones"]) == PRD[city_id][1]
    assert body["totals"]["count"] == 0
