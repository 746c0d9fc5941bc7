"""The Pearl River Delta region at work: ingest assigns city and unit, density by unit and the
city comparison table agree with an independent computation (geopandas sjoin on the files read
directly, geodesic areas, populations from each city's facts CSV), chain gaps per city, CLI.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from typer.testing import CliRunner

from geo import DATA_DIR
from geo.cities import City, open_city
from geo.cli import app
from geo.crs import WGS84
from geo.ingest.pipeline import ingest_file
from geo.stats.chain import chain_gaps, chain_matrix
from geo.stats.cities import NotARegionError, city_table
from geo.stats.density import density_table
from geo.store import open_store

BOUNDARIES = DATA_DIR / "boundaries"
GEOD = pyproj.Geod(ellps="GRS80")
#: Directory of each city's files and its adcode, written out independently of the profiles.
CITY_DIRS = {
    "440100": None,  # Guangzhou: data/boundaries/districts.geojson and district_facts.csv
    "440300": "shenzhen",
    "440400": "zhuhai",
    "440600": "foshan",
    "440700": "jiangmen",
    "441200": "zhaoqing",
    "441300": "huizhou",
    "441900": "dongguan",
    "442000": "zhongshan",
}
TYPES = ["public_technology", "basic_condition"]
SUB_KINDS = {"public_technology": "professional_rnd", "basic_condition": "instrument_sharing"}


@cache
def _prd() -> City:
    return open_city("prd")


def _units_file(code: str) -> Path:
    d = CITY_DIRS[code]
    return BOUNDARIES / ("districts.geojson" if d is None else f"{d}/units.geojson")


def _facts_file(code: str) -> Path:
    d = CITY_DIRS[code]
    return BOUNDARIES / ("district_facts.csv" if d is None else f"{d}/facts.csv")


def _geodesic_km2(geom: shapely.Geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


# -- ingest ---------------------------------------------------------------------------------


def _row(pid: str, name: str, lon: float, lat: float, **extra: str) -> dict[str, object]:
    return {
        "id": pid,
        "name_zh": name,
        "type": "public_technology",
        "sub_kind": "professional_rnd",
        "fields": "drug_rnd",
        "supporting_unit": "research_institute",
        "lon": lon,
        "lat": lat,
        "coord_crs": "wgs84",
        "district_zh": extra.get("district_zh", ""),
        "source": "test fixture (a point inside the unit's polygon, not a real platform)",
        "source_date": "2026-12-04",
        "verification": "unverified",
    }


def test_ingest_assigns_unit_and_city_in_each_city_and_refuses_outside(tmp_path):
    rows, want = [], {}
    for code in CITY_DIRS:
        units = gpd.read_file(_units_file(code))
        unit = units.iloc[len(units) // 2]  # a unit of the city, read from its own file
        p = unit.geometry.representative_point()
        pid = f"t-{code}"
        rows.append(_row(pid, f"测试平台{code}", round(p.x, 6), round(p.y, 6)))
        want[pid] = (str(unit["adcode"]), code)
    rows.append(_row("t-shanwei", "汕尾测试", 115.37, 22.79))  # Shanwei city, east of Huizhou
    rows.append(_row("t-beijing", "北京测试", 116.40, 39.90))
    sz = gpd.read_file(_units_file("440300")).geometry.iloc[0].representative_point()
    rows.append(_row("t-conflict", "冲突测试", sz.x, sz.y, district_zh="天河区"))
    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    store = tmp_path / "prd.geojson"
    report = ingest_file(path, store, city=_prd())
    outcome = {o.id: o for o in report.rows}
    for pid in ("t-shanwei", "t-beijing"):
        assert outcome[pid].status == "rejected"
        assert any("outside" in r and "Pearl River Delta" in r for r in outcome[pid].reasons)
    assert outcome["t-conflict"].status == "rejected"
    assert any("天河区" in r for r in outcome["t-conflict"].reasons)
    records = {r.id: r for r in open_store(store).load()}
    assert set(records) == set(want)
    for pid, (unit, code) in want.items():
        assert records[pid].district_adcode == unit
        assert records[pid].zones["cities"] == code


# -- density and the city table -------------------------------------------------------------


@pytest.fixture(scope="module")
def platforms() -> gpd.GeoDataFrame:
    """3,000 synthetic platforms, uniform over the region's bounding box (many at sea)."""
    rng = np.random.default_rng(11)
    x0, y0, x1, y1 = _prd().outline.total_bounds
    n = 3000
    types = rng.choice(TYPES, n)
    frame = pd.DataFrame(
        {
            "id": [f"s{i}" for i in range(n)],
            "type": types,
            "sub_kind": [SUB_KINDS[t] for t in types],
            "fields": [["biotechnology"]] * n,
            "level": "national",
            "supporting_unit": "university",
            "chain_stages": [
                ["basic_research"] if t == TYPES[0] else ["pilot_production"] for t in types
            ],
            "established": 2010,
        }
    )
    geom = shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n))
    return gpd.GeoDataFrame(frame, geometry=geom, crs=WGS84)


def _independent_units() -> gpd.GeoDataFrame:
    """Every city's units file and facts CSV, read directly and joined by hand."""
    parts = []
    for code in CITY_DIRS:
        units = gpd.read_file(_units_file(code))[["adcode", "geometry"]]
        facts = pd.read_csv(_facts_file(code), dtype={"adcode": str})
        parts.append(units.merge(facts[["adcode", "population_2020"]], on="adcode"))
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=WGS84)


def test_density_by_unit_matches_an_independent_computation(platforms):
    got = density_table(platforms, _prd().units_layer, city=_prd()).table.set_index("zone_id")
    units = _independent_units()
    joined = gpd.sjoin(platforms, units, predicate="within", how="inner")
    count = joined["adcode"].value_counts().reindex(units["adcode"], fill_value=0)
    area = pd.Series([_geodesic_km2(g) for g in units.geometry], index=units["adcode"])
    pop = units.set_index("adcode")["population_2020"]
    assert len(got) == 50
    assert (got["count"] == count[got.index]).all()
    np.testing.assert_allclose(got["area_km2"], area[got.index], rtol=2e-4)
    np.testing.assert_allclose(got["per_km2"], (count / area)[got.index], rtol=2e-4)
    per_100k = count / pop * 1e5
    known = pop.notna()
    np.testing.assert_allclose(got.loc[known[known].index, "per_100k"], per_100k[known])
    assert got.loc[known[~known].index, "per_100k"].isna().all()
    assert got.loc[known[~known].index, "note"].str.contains("no population figure").all()
    lq = (count / count.sum()) / (area / area.sum())
    np.testing.assert_allclose(got["lq_area"], lq[got.index], rtol=5e-4)
    lq_pop = (count[known] / count[known].sum()) / (pop[known] / pop[known].sum())
    np.testing.assert_allclose(got.loc[lq_pop.index, "lq_population"], lq_pop)


def test_city_table_matches_an_independent_computation(platforms):
    got = city_table(platforms, _prd()).table.set_index("zone_id")
    cities = pd.read_csv(BOUNDARIES / "prd" / "cities.csv", dtype={"adcode": str})
    cities = cities.set_index("adcode")
    outlines = []
    for code, folder in CITY_DIRS.items():
        f = BOUNDARIES / ("city.geojson" if folder is None else f"{folder}/outline.geojson")
        outlines.append(gpd.read_file(f).assign(code=code)[["code", "geometry"]])
    outline = gpd.GeoDataFrame(pd.concat(outlines, ignore_index=True), crs=WGS84)
    joined = gpd.sjoin(platforms, outline, predicate="within", how="inner")
    count = joined["code"].value_counts().reindex(list(CITY_DIRS), fill_value=0)
    area = pd.Series([_geodesic_km2(g) for g in outline.geometry], index=outline["code"])
    pop = cities["population_2020"].astype(float)[list(CITY_DIRS)]
    n_units = {c: len(pd.read_csv(_facts_file(c))) for c in CITY_DIRS}
    assert list(got.index) == list(CITY_DIRS)
    assert got["units"].to_dict() == n_units
    assert got["count"].to_dict() == count.to_dict()
    np.testing.assert_allclose(got["area_km2"], area[got.index], rtol=2e-4)
    np.testing.assert_allclose(got["population"], pop)
    np.testing.assert_allclose(got["per_100k"], count / pop * 1e5)
    np.testing.assert_allclose(got["per_km2"], count / area, rtol=2e-4)
    np.testing.assert_allclose(got["lq_population"], (count / count.sum()) / (pop / pop.sum()))
    lq = (count / count.sum()) / (area / area.sum())
    np.testing.assert_allclose(got["lq_area"], lq, rtol=5e-4)
    assert (got["population_source"] == cities["population_source"][got.index]).all()
    assert "Shenzhen-Shanwei" in got.loc["440300", "note"]
    # the city table adds up to the unit table
    units = density_table(platforms, _prd().units_layer, city=_prd()).table
    by_city = units["zone_id"].map(_prd().unit_city)
    assert units.groupby(by_city)["count"].sum().to_dict() == got["count"].to_dict()


def test_city_table_of_a_plain_city_is_refused(platforms):
    with pytest.raises(NotARegionError, match="--city prd"):
        city_table(platforms, open_city("guangzhou"))


def test_chain_gaps_per_city(platforms):
    """Only basic-research platforms: every city lacks pilot production; a city with none
    lacks every stage; the most populous city is ranked first."""
    layer = _prd().zone_layers()["cities"]
    only_basic = platforms[platforms["type"] == TYPES[0]]
    m = chain_matrix(only_basic, layer, city=_prd())
    assert m.counts["basic_research"].sum() == city_table(only_basic, _prd()).totals["in_zones"]
    gaps = chain_gaps(m)
    pilot = gaps[gaps["missing"] == "pilot_production"]
    assert sorted(pilot["zone_id"]) == sorted(CITY_DIRS)
    has_basic = set(m.counts.index[m.counts["basic_research"] > 0])
    assert "basic_research" not in set(gaps[gaps["zone_id"].isin(has_basic)]["missing"])
    assert gaps.iloc[0]["zone_id"] == "440100"  # Guangzhou: the most populous (18.7 million)


# -- command line ---------------------------------------------------------------------------


def test_stats_cities_command(tmp_path):
    runner = CliRunner()
    out = runner.invoke(app, ["stats", "cities", "--city", "prd", "--format", "json"])
    assert out.exit_code == 0, out.output
    body = json.loads(out.output)
    assert [z["zone_id"] for z in body["zones"]] == list(CITY_DIRS)
    assert sum(z["count"] for z in body["zones"]) == body["totals"]["in_zones"]
    plain = runner.invoke(app, ["stats", "cities", "--city", "guangzhou"])
    assert plain.exit_code == 2
    dens = runner.invoke(
        app, ["stats", "density", "--city", "prd", "--layer", "cities", "--format", "csv"]
    )
    assert dens.exit_code == 0, dens.output
    assert len(dens.output.strip().splitlines()) == 1 + 9
