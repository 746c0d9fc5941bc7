"""The shipped boundaries: WGS84, complete, attributed, a valid coverage."""

import json

import pytest
import shapely

from geo.cities.boundaries import read_units as load_districts
from geo.errors import CRSMismatchError, DataFileError, ValidationError

#: Guangzhou's 11 districts (facts.md §3.1), written out independently of the data.
DISTRICTS = {
    "440103": ("荔湾区", "Liwan"),
    "440104": ("越秀区", "Yuexiu"),
    "440105": ("海珠区", "Haizhu"),
    "440106": ("天河区", "Tianhe"),
    "440111": ("白云区", "Baiyun"),
    "440112": ("黄埔区", "Huangpu"),
    "440113": ("番禺区", "Panyu"),
    "440114": ("花都区", "Huadu"),
    "440115": ("南沙区", "Nansha"),
    "440117": ("从化区", "Conghua"),
    "440118": ("增城区", "Zengcheng"),
}


@pytest.fixture(scope="module")
def districts(city):
    return city.units


@pytest.fixture(scope="module")
def EQUAL_AREA_CRS(city):  # noqa: N802 - reads like the constant it replaced
    return city.equal_area_crs


def test_eleven_districts_in_wgs84(districts, city):
    assert city.unit_names == DISTRICTS
    assert districts.crs.to_epsg() == 4326
    assert sorted(districts["adcode"]) == sorted(DISTRICTS)
    assert list(districts["name_zh"]) == [DISTRICTS[c][0] for c in districts["adcode"]]


@pytest.mark.parametrize("web", [False, True])
def test_districts_form_a_valid_coverage(web, city):
    gdf = city.units_web if web else city.units
    assert gdf.is_valid.all()
    assert shapely.coverage_is_valid(gdf.geometry.values)


def test_web_version_is_smaller_but_close(districts, city, EQUAL_AREA_CRS):  # noqa: N803
    web = city.units_web
    n_full = shapely.get_num_coordinates(districts.geometry.values).sum()
    n_web = shapely.get_num_coordinates(web.geometry.values).sum()
    assert n_web < n_full / 2
    full_area = districts.to_crs(EQUAL_AREA_CRS).area.sum()
    assert web.to_crs(EQUAL_AREA_CRS).area.sum() == pytest.approx(full_area, rel=0.01)


def test_city_area_is_the_documented_7399_8_km2(districts, city, EQUAL_AREA_CRS):  # noqa: N803
    area = districts.to_crs(EQUAL_AREA_CRS).area.sum() / 1e6
    assert area == pytest.approx(7399.8, abs=0.1)
    outline = city.outline
    assert outline["area_official_km2"].iloc[0] == 7434.4
    assert outline.to_crs(EQUAL_AREA_CRS).area.iloc[0] / 1e6 == pytest.approx(area, rel=1e-6)


def test_area_column_is_computed_not_copied(districts, EQUAL_AREA_CRS):  # noqa: N803
    computed = districts.to_crs(EQUAL_AREA_CRS).area / 1e6
    assert (computed - districts["area_km2"]).abs().max() < 0.01


def test_statuses_carry_over_from_the_facts(districts):
    row = districts.set_index("adcode")
    assert row.loc["440103", "area_official_status"] == "sourced_weak"  # a copy of Liwan's site
    assert row.loc["440115", "area_official_status"] == "unverified"
    # Liwan (a Chinese Wikipedia copy and a secondary page) and Conghua (English Wikipedia)
    assert row.loc["440103", "population_2020"] == 1238305
    assert row.loc["440103", "population_status"] == "sourced_weak"
    assert row.loc["440117", "population_2020"] == 717684
    assert row.loc["440117", "population_status"] == "sourced"
    assert row.loc["440111", "population_2020"] == 3742991


def test_every_district_has_provenance(districts):
    for col in ("source", "licence", "coord_crs_in", "coord_conversion", "source_version"):
        assert districts[col].notna().all(), col
    assert (districts["coord_crs_in"] == "gcj02").all()


def test_known_points_fall_in_their_districts(districts):
    # Wikipedia infobox points (facts.md §3.1): Tianhe, Conghua, Huadu.
    for lon, lat, code in [
        (113.3561, 23.1271, "440106"),
        (113.667, 23.650, "440117"),
        (113.217, 23.400, "440114"),
    ]:
        hit = districts[districts.contains(shapely.Point(lon, lat))]["adcode"].tolist()
        assert hit == [code]


def test_bio_island_is_haizhu_administered_huangpu_managed(city):
    mgmt = city.management
    row = mgmt.iloc[0]
    assert (row["admin_adcode"], row["managing_adcode"]) == ("440105", "440112")
    assert row["geometry_quality"] == "circle_of_published_area"
    # The one managing rule: on the island Huangpu manages; elsewhere in Haizhu Haizhu does,
    # and a point of another district inside the area's box keeps its own.
    centre = row.geometry.representative_point()
    got = city.managing_adcodes(
        [centre.x, 113.30, centre.x], [centre.y, 23.09, centre.y], ["440105", "440105", "440106"]
    )
    assert list(got) == ["440112", "440105", "440106"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("广州市天河区五山路381号", "440106"),
        ("广州市萝岗区科学城", "440112"),
        ("广东省从化市街口镇", "440117"),
        ("东山区农林下路", "440104"),
        ("广州市黄埔大道西601号", None),  # a road, not Huangpu District
        ("", None),
        (None, None),
    ],
)
def test_district_named_in(text, code, city):
    assert city.unit_named_in(text) == code


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        load_districts(tmp_path / "nope.geojson")


def test_malformed_geojson_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(DataFileError, match="cannot read"):
        load_districts(bad)


def test_missing_columns_and_bad_geometry_are_all_reported(tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"adcode": "1"}, "geometry": bowtie},
            {"type": "Feature", "properties": {"adcode": "1"}, "geometry": None},
        ],
    }
    path = tmp_path / "d.geojson"
    path.write_text(json.dumps(fc))
    with pytest.raises(ValidationError) as info:
        load_districts(path)
    text = str(info.value)
    for expected in (
        "missing column 'name_zh'",
        "duplicate adcode",
        "invalid geometry",
        "missing or empty",
    ):
        assert expected in text


def test_projected_crs_file_is_refused(tmp_path, districts):
    path = tmp_path / "metric.geojson"
    districts.to_crs(3857).to_file(path, driver="GeoJSON")
    with pytest.raises(CRSMismatchError, match="EPSG:4326"):
        load_districts(path)
