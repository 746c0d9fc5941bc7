"""`BIOMAP_CITY=prd biomap serve`: the 50 PRD units and the nine cities as collections, read by
GDAL (pyogrio's and Debian's ogrinfo) through OGC API - Features, with density on them.

The registry is a file store made by `ingest` of one test platform per city (points inside a
unit of each city, read from the city's own units file), so every city has exactly one.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import httpx
import pyogrio
import pytest

from geo import DATA_DIR
from geo.cities import open_city
from geo.ingest.pipeline import ingest_file
from tests.servers import Server, serving

UNITS = {
    "440100": "districts.geojson",
    "440300": "shenzhen/units.geojson",
    "440400": "zhuhai/units.geojson",
    "440600": "foshan/units.geojson",
    "440700": "jiangmen/units.geojson",
    "441200": "zhaoqing/units.geojson",
    "441300": "huizhou/units.geojson",
    "441900": "dongguan/units.geojson",
    "442000": "zhongshan/units.geojson",
}


def _registry(folder: Path) -> tuple[Path, dict[str, str]]:
    rows, unit_of = [], {}
    for code, rel in UNITS.items():
        unit = gpd.read_file(DATA_DIR / "boundaries" / rel).iloc[0]
        p = unit.geometry.representative_point()
        rows.append(
            {
                "id": f"t-{code}",
                "name_zh": f"测试平台{code}",
                "type": "public_technology",
                "sub_kind": "professional_rnd",
                "fields": "drug_rnd",
                "supporting_unit": "research_institute",
                "lon": round(p.x, 6),
                "lat": round(p.y, 6),
                "coord_crs": "wgs84",
                "source": "test fixture (a point inside the unit's polygon, not a real platform)",
                "source_date": "2026-12-04",
                "verification": "unverified",
            }
        )
        unit_of[str(unit["adcode"])] = code
    path = folder / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    store = folder / "prd.geojson"
    report = ingest_file(path, store, city=open_city("prd"))
    assert len(report.added) == len(UNITS)
    return store, unit_of


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("prd-serve")
    store, unit_of = _registry(folder)
    env = {"BIOMAP_CITY": "prd", "BIOMAP_STORE": str(store), "BIOMAP_MAX_LIMIT": "25"}
    with serving(folder, env=env) as running:
        yield running, unit_of


def test_gdal_reads_the_50_units_with_city_names_and_counts(served):
    server, unit_of = served
    gdf = pyogrio.read_dataframe(f"OAPIF:{server.url}", layer="districts")
    assert len(gdf) == 50  # BIOMAP_MAX_LIMIT=25: GDAL followed the next link
    units = open_city("prd").units.set_index("adcode")
    gdf = gdf.set_index("zone_id")
    assert sorted(gdf.index) == sorted(units.index)
    assert (gdf["city_adcode"] == units["city_adcode"][gdf.index]).all()
    assert (gdf["city_zh"] == units["city_zh"][gdf.index]).all()
    assert gdf["count"].sum() == len(UNITS)
    for unit, _ in unit_of.items():
        assert gdf.loc[unit, "count"] == 1


def test_gdal_reads_the_cities_with_one_platform_each(served):
    server, _ = served
    gdf = pyogrio.read_dataframe(f"OAPIF:{server.url}", layer="cities")
    assert sorted(gdf["zone_id"]) == sorted(UNITS)
    assert (gdf["count"] == 1).all()
    assert {"per_km2", "per_100k", "lq_population"} <= set(gdf.columns)


def test_ogrinfo_lists_the_prd_collections(served):
    server, _ = served
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.fail("ogrinfo is not installed (Debian's gdal-bin): run scripts/setup.sh")
    out = subprocess.run(
        [ogrinfo, "-ro", "-so", f"OAPIF:{server.url}", "cities"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "Feature Count: 9" in out, out


def test_density_on_units_and_cities(served):
    server, unit_of = served
    with httpx.Client(base_url=server.url) as http:
        cities = http.get("/stats/density", params={"layer": "cities"}).json()
        units = http.get("/stats/density").json()
        located = http.get("/locate", params={"lon": 114.06, "lat": 22.54}).json()
    assert [z["count"] for z in cities["zones"]] == [1] * len(UNITS)
    assert cities["totals"]["in_zones"] == len(UNITS)
    assert len(units["zones"]) == 50
    assert {z["zone_id"] for z in units["zones"] if z["count"]} == set(unit_of)
    assert located["inside_city"] is True


def test_prd_maps_are_served(served):
    server, _ = served
    with httpx.Client(base_url=server.url, timeout=120) as http:
        png = http.get("/maps/snapshot.png", params={"dpi": 50, "lang": "en"})
        page = http.get("/maps/interactive", params={"lang": "en"})
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert page.status_code == 200
    assert "City boundaries" in page.text
