"""A second, synthetic city runs end to end from its profile alone: no code change.

"Testville" (测试市) is four square units on the 35th parallel, far from Guangzhou, with its own
metric CRS (UTM 51N), equal-area CRS, gazetteer, zone layer, population table and figure. The
test geocodes its unit names, ingests and assigns platforms, computes density, draws an
interactive map and a PNG snapshot, and serves it over the API.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geo.cities import open_city
from geo.crs import WGS84
from geo.geocoding.gazetteer import GAZETTEER_COLUMNS

UNITS = {  # adcode -> (name_zh, name_en, lon0, lat0): 0.1-degree squares
    "990101": ("东区", "East", 120.1, 35.0),
    "990102": ("西区", "West", 120.0, 35.0),
    "990103": ("南湖区", "Nanhu", 120.0, 34.9),
    "990104": ("北山区", "Beishan", 120.1, 34.9),
}
POPULATION = {"990101": 100_000, "990102": 250_000, "990103": 50_000, "990104": 80_000}
GAZ_COLUMNS = list(GAZETTEER_COLUMNS)


def _write_city(root: Path) -> Path:
    (root / "boundaries").mkdir()
    (root / "gazetteer").mkdir()
    rows = [
        {"adcode": a, "name_zh": zh, "name_en": en, "source": "synthetic", "licence": "CC0"}
        for a, (zh, en, _, _) in UNITS.items()
    ]
    geoms = [shapely.box(x, y, x + 0.1, y + 0.1) for _, _, x, y in UNITS.values()]
    units = gpd.GeoDataFrame(rows, geometry=geoms, crs=WGS84)
    units["area_km2"] = units.to_crs("EPSG:32651").area / 1e6
    units["population_2020"] = [POPULATION[a] for a in units["adcode"]]
    units.to_file(root / "boundaries/units.geojson", driver="GeoJSON")
    outline = gpd.GeoDataFrame(
        {"name_zh": ["测试市"]}, geometry=[shapely.union_all(geoms)], crs=WGS84
    )
    outline.to_file(root / "boundaries/outline.geojson", driver="GeoJSON")
    park = gpd.GeoDataFrame(
        {"zone_id": ["lake-park"], "name_zh": ["湖滨园"], "name_en": ["Lakeside Park"]},
        geometry=[shapely.box(120.02, 34.92, 120.06, 34.96)],
        crs=WGS84,
    )
    park.to_file(root / "boundaries/parks.geojson", driver="GeoJSON")
    with open(root / "gazetteer/units.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, GAZ_COLUMNS)
        w.writeheader()
        for a, (zh, en, x, y) in UNITS.items():
            w.writerow(
                {"id": f"d-{a}", "name_zh": zh, "name_en": en, "kind": "district",
                 "aliases": "", "district_adcode": a, "lon": x + 0.05, "lat": y + 0.05,
                 "coord_crs": "wgs84", "precision": "district", "uncertainty_m": 5000,
                 "source": "synthetic", "confidence": "high", "status": "current",
                 "successor": "", "note": ""}
            )  # fmt: skip
        w.writerow(
            {"id": "p-lake", "name_zh": "湖滨大学", "name_en": "Lakeside University",
             "kind": "campus", "aliases": "湖大", "district_adcode": "990103", "lon": 120.04,
             "lat": 34.94, "coord_crs": "wgs84", "precision": "campus", "uncertainty_m": 500,
             "source": "synthetic", "confidence": "high", "status": "current",
             "successor": "", "note": ""}
        )  # fmt: skip
    profile = root / "cities" / "testville.toml"
    profile.parent.mkdir()
    profile.write_text(
        """
id = "testville"
name_zh = "测试市"
name_en = "Testville"
adcode = "990100"
province_zh = "测试省"
title_zh = "测试市生物医药平台"
title_en = "Testville biomedical platforms"
bbox = [119.8, 34.7, 120.4, 35.2]
address_prefixes = ["中国", "测试省", "测试市"]
[units]
label_zh = "区"
label_en = "Units"
path = "../boundaries/units.geojson"
outline = "../boundaries/outline.geojson"
[crs]
metric = "EPSG:32651"
metric_name = "WGS 84 / UTM zone 51N"
equal_area = "+proj=laea +lat_0=35 +lon_0=120.1 +ellps=GRS80 +units=m +no_defs"
equal_area_name = "Lambert azimuthal equal-area centred on Testville"
[map]
center = [34.95, 120.05]
zoom = 11
[snapshot]
inset_units = ["990102"]
[gazetteer]
files = ["../gazetteer/units.csv"]
[[zone_layers]]
name = "parks"
path = "../boundaries/parks.geojson"
title_zh = "园区"
title_en = "Parks"
source = "synthetic"
licence = "CC0"
[[figures]]
number = 1
title_zh = "图1 测试平台"
title_en = "Figure 1. Test platforms"
points_by = "level"
""",
        encoding="utf-8",
    )
    return profile


@pytest.fixture(scope="module")
def testville(tmp_path_factory):
    return open_city(_write_city(tmp_path_factory.mktemp("testville")))


@pytest.fixture(scope="module")
def registry(testville, tmp_path_factory):
    """Four shipped platform rows moved to Testville addresses, ingested into a new store."""
    from geo.ingest import ingest_file

    root = tmp_path_factory.mktemp("registry")
    shipped = Path(__file__).resolve().parents[2] / "data/sources/platforms.csv"
    with open(shipped, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:4]
    addresses = ["测试市东区一路1号", "测试市西区二路2号", "南湖区湖滨大学", "测试省测试市北山区"]
    for row, address in zip(rows, addresses, strict=True):
        row.update(address_zh=address, district_zh="", lon="", lat="", coord_crs="")
    src = root / "in.csv"
    with open(src, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    store = root / "platforms.geojson"
    report = ingest_file(src, store, city=testville)
    assert len(report.added) == 4, report.to_markdown()
    return store


def test_profile_paths_and_crs(testville):
    assert testville.id == "testville"
    assert testville.metric_crs == "EPSG:32651"
    assert set(testville.zone_layers()) == {"districts", "parks"}
    assert testville.unit_named_in("测试市南湖区湖滨路") == "990103"
    assert testville.management.empty


def test_geocode_unit_names(testville):
    from geo.geocoding import Geocoder

    coder = Geocoder(testville)
    east = coder.geocode("测试省测试市东区某路8号")
    assert (east.district_adcode, east.precision) == ("990101", "district")
    assert east.district_zh == "东区"
    campus = coder.geocode("湖大")
    assert (campus.district_adcode, campus.precision) == ("990103", "campus")
    outside = coder.geocode("", lon=113.3, lat=23.1)  # a Guangzhou point
    assert not outside.resolved
    assert "outside Testville" in outside.notes[0]


def test_assign_and_density(testville, registry):
    from geo.stats.density import density_table
    from geo.store import load_registry
    from geo.zones.assign import assign_platforms

    platforms, report = assign_platforms(load_registry(registry), testville)
    assert sorted(platforms["district_adcode"]) == sorted(UNITS)
    assert report.outside_city == []
    assert platforms["zone_parks"].tolist().count("lake-park") == 1  # 湖滨大学 is in the park
    table = density_table(platforms, testville.units_layer, city=testville).table
    row = table.set_index("zone_id").loc["990102"]
    assert row["count"] == 1
    assert row["area_km2"] == pytest.approx(9.13 * 11.12, rel=0.02)  # 0.1 x 0.1 deg at 35 N
    assert row["per_100k"] == pytest.approx(1 / 250_000 * 1e5)


def test_interactive_map_and_snapshot(testville, registry):
    from geo.maps import build_map, render_html
    from geo.snapshot import render_snapshot
    from geo.store import load_registry
    from geo.zones.assign import assign_platforms

    platforms, _ = assign_platforms(load_registry(registry), testville)
    layers = testville.zone_layers()
    page = render_html(build_map(platforms, layers, city=testville, lang="zh"))
    assert "测试市生物医药平台" in page
    assert "广州市生物医药科技创新服务平台" not in page  # (platform names may say 广州)
    assert "[34.95, 120.05]" in page  # the profile's map centre
    png = render_snapshot(platforms, layers, city=testville, dpi=40, fmt="png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_api_serves_the_city(testville, registry):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    profile = testville.profile.source_path
    with TestClient(create_app(Settings(city=str(profile), store=str(registry)))) as client:
        assert client.get("/healthz").status_code == 200
        density = client.get("/stats/density", params={"layer": "districts"}).json()
        counts = {z["zone_id"]: z["count"] for z in density["zones"]}
        assert counts == dict.fromkeys(UNITS, 1)
        parks = client.get("/collections/parks/items").json()
        assert [f["id"] for f in parks["features"]] == ["lake-park"]
        located = client.get("/locate", params={"lon": 120.15, "lat": 35.05}).json()
        assert json.dumps(located, ensure_ascii=False).count("990101") >= 1
