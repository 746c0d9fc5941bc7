"""The resolver chain: supplied coordinates, gazetteer, district fallback, conflicts."""

import numpy as np
import pytest

from geo.cities import open_city
from geo.crs import from_wgs84, wgs84_to_gcj02
from geo.geocoding.geocoder import Geocoder

CITY = open_city()
CODER = Geocoder(CITY)
DISTRICTS = CITY.unit_names


def geocode(address, **kwargs):
    return CODER.geocode(address, **kwargs)


def district_of(lon, lat):
    return CITY.unit_of(lon, lat)


# The failures the issue measured for off-the-shelf parsers (cpca, jionlp), plus basics.
HARD_CASES = [
    ("广州国际生物岛螺旋大道", "440105"),  # landmark; administratively Haizhu
    ("中新广州知识城", "440112"),
    ("番禺区大学城", "440113"),
    ("大学城外环西路", "440113"),
    ("科学城开源大道", "440112"),
    ("萝岗区科学城", "440112"),  # pre-2014 district
    ("从化市街口", "440117"),
    ("增城市荔城", "440118"),
    ("东山区农林下路", "440104"),  # 2005 names
    ("芳村区花地大道", "440103"),
    ("白云区", "440111"),  # without 广州: must stay in Guangzhou, not Guiyang
    ("中山大学附属第一医院", "440104"),  # not Zhongshan City
    ("广州市天河区五山路381号", "440106"),
    ("广东省广州市越秀区中山二路７４号", "440104"),  # full-width digits
    ("廣州市海珠區新港西路135號", "440105"),  # traditional characters
]


@pytest.mark.parametrize(("address", "district"), HARD_CASES)
def test_hard_addresses_land_in_the_right_district(address, district):
    r = geocode(address)
    assert r.resolved, r.to_dict()
    assert r.district_adcode == district, r.to_dict()
    assert r.source
    assert r.precision


def test_every_result_has_its_point_in_its_district():
    for address, _ in HARD_CASES:
        r = geocode(address)
        assert district_of(r.lon, r.lat) == r.district_adcode


def test_historic_name_is_noted():
    r = geocode("芳村")
    assert r.district_adcode == "440103"
    assert "historic" in r.to_dict()["note"]


def test_district_fallback_is_labelled_never_silent():
    r = geocode("天河区某某路999号")
    assert r.precision == "district"
    assert r.source == "district:440106"
    assert "district-level fallback" in r.to_dict()["note"]
    assert r.confidence < 0.5


def test_nothing_recognised_is_unresolved_not_the_city_centre():
    r = geocode("某某大厦")
    assert not r.resolved
    assert r.lon is None
    assert r.to_dict()["note"]


@pytest.mark.parametrize("address", ["", "   ", None])
def test_empty_address(address):
    r = geocode(address)
    assert not r.resolved
    assert "empty" in r.to_dict()["note"]


@pytest.mark.parametrize(
    "address", ["深圳市南山区科技园", "广东省佛山市南海区桂城", "北京市海淀区"]
)
def test_addresses_outside_guangzhou_are_refused(address):
    r = geocode(address)
    assert not r.resolved
    assert "outside Guangzhou" in r.to_dict()["note"]


def test_html_is_just_text():
    r = geocode("<img src=x onerror=alert(1)>天河区")
    assert r.input.startswith("<img")
    assert r.district_adcode == "440106"


def test_conflict_between_named_district_and_place_is_reported():
    r = geocode("广州市天河区中山大学北校园")
    assert r.conflict
    assert "address names 天河区" in r.to_dict()["note"]


def test_bio_island_written_as_huangpu_is_not_a_conflict():
    r = geocode("广州市黄埔区生物岛螺旋大道")
    assert r.district_adcode == "440105"
    assert not r.conflict
    assert "managing district" in r.to_dict()["note"]


def test_host_hint_gives_campus_precision():
    plain = geocode("广州市越秀区中山二路")
    hinted = geocode("广州市越秀区中山二路", host="中山大学附属第一医院")
    assert plain.precision == "road"
    assert hinted.precision == "campus"


@pytest.mark.parametrize("crs", ["wgs84", "gcj02", "bd09"])
def test_supplied_coordinates_are_converted_to_wgs84(crs):
    lon, lat = 113.3245, 23.1065  # Tianhe/Haizhu area, WGS84
    x, y = (float(v) for v in from_wgs84(lon, lat, crs))
    r = geocode("", lon=x, lat=y, crs=crs)
    assert r.source == f"supplied:{crs}"
    assert r.lon == pytest.approx(lon, abs=1e-6)
    assert r.lat == pytest.approx(lat, abs=1e-6)


def test_swapped_coordinates_are_detected():
    r = geocode("", lon=23.13, lat=113.32)
    assert r.lon == pytest.approx(113.32)
    assert "swapped" in r.to_dict()["note"]


def test_coordinates_outside_the_city_are_refused():
    r = geocode("", lon=116.4, lat=39.9)
    assert not r.resolved
    assert "outside Guangzhou" in r.to_dict()["note"]


def test_unknown_crs_is_a_clear_note():
    r = geocode("", lon=113.3, lat=23.1, crs="utm50")
    assert not r.resolved
    assert "unknown coordinate system" in r.to_dict()["note"]


def _border_point_that_moves():
    """A WGS84 point in district A whose GCJ-02 coordinates fall in district B."""
    rng = np.random.default_rng(5)
    x = rng.uniform(113.2, 113.5, 20_000)
    y = rng.uniform(23.0, 23.2, 20_000)
    gx, gy = wgs84_to_gcj02(x, y)
    for i in range(len(x)):
        a, b = district_of(x[i], y[i]), district_of(float(gx[i]), float(gy[i]))
        if a and b and a != b:
            return float(x[i]), float(y[i]), float(gx[i]), float(gy[i]), a
    raise AssertionError("no border point found")


def test_gcj02_declared_as_wgs84_is_detected():

    _, _, gx, gy, true_district = _border_point_that_moves()
    r = geocode(f"广州市{DISTRICTS[true_district][0]}", lon=gx, lat=gy, crs="wgs84")
    assert r.conflict
    assert "GCJ-02" in r.to_dict()["note"]


def test_fuzzy_match_when_nothing_matches_exactly():
    coder = Geocoder(CITY)
    r = coder.geocode("广州中医药大学大学城校")  # truncated campus name
    assert r.resolved
    assert r.district_adcode == "440113"


def test_geocode_many_reports_progress():
    seen = []
    out = Geocoder(CITY).geocode_many(["天河区", "越秀区"], progress=seen.append)
    assert len(out) == 2
    assert seen == [1, 1]
