"""Geocoding over the nine Pearl River Delta cities: gazetteer data, each city, the splits,
the 中山 ambiguity, refusals, supplied points and the CLI's JSON fields."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo import DATA_DIR
from geo.cities import open_city
from geo.cli import app
from geo.geocoding.gazetteer import read_gazetteer
from geo.geocoding.geocoder import Geocoder
from geo.geocoding.region import member_cities

PRD = open_city("prd")
CODER = Geocoder(PRD)
MEMBERS = member_cities(PRD)
OTHER_CITIES = [m.id for m in MEMBERS if m.id != "guangzhou"]


def geocode(address, **kwargs):
    return CODER.geocode(address, **kwargs)


def test_the_region_has_the_nine_cities():
    assert len(MEMBERS) == 9
    assert {m.profile.adcode for m in MEMBERS} == {
        "440100", "440300", "440400", "440600", "440700", "441200", "441300", "441900", "442000"
    }  # fmt: skip
    assert len(CODER.units.names) == 50


# -- the gazetteer data ------------------------------------------------------------------------


@pytest.fixture(scope="module", params=OTHER_CITIES)
def member_gazetteer(request):
    city = open_city(request.param)
    return city, read_gazetteer(city.profile.gazetteer.files)


def test_every_point_lies_in_its_units_polygon(member_gazetteer):
    city, gaz = member_gazetteer
    got = [city.unit_of(x, y) for x, y in zip(gaz["lon"], gaz["lat"], strict=True)]
    wrong = gaz.loc[[g != a for g, a in zip(got, gaz["district_adcode"], strict=True)], ["id"]]
    assert wrong.empty, wrong.to_string()


def test_every_entry_has_provenance_crs_and_precision(member_gazetteer):
    _, gaz = member_gazetteer
    for col in ("source", "precision", "uncertainty_m", "confidence", "coord_crs"):
        assert (gaz[col].astype(str).str.len() > 0).all(), col
    assert (gaz["coord_crs"] == "wgs84").all()
    hand = gaz[gaz["kind"].isin(["street", "town", "landmark", "campus", "park"])]
    assert hand["source"].str.startswith("general knowledge").all()  # labelled approximate
    units = gaz[gaz["kind"] == "district"]
    assert units["source"].str.contains("point_on_surface").all()


def test_every_unit_has_a_row_and_most_have_towns(member_gazetteer):
    city, gaz = member_gazetteer
    assert set(gaz.loc[gaz["kind"] == "district", "district_adcode"]) == set(city.unit_names)
    towns = gaz[gaz["kind"].isin(["street", "town"]) & (gaz["status"] == "current")]
    assert len(towns) >= len(city.unit_names)


def test_ids_are_unique_across_the_nine_cities():
    assert CODER.gazetteer.frame["id"].is_unique


# -- each city, its units, towns and landmarks -------------------------------------------------

CITY_CASES = [
    ("广州市天河区五山路381号", "440106", "440100"),
    ("深圳市南山区粤海街道科技园", "440305", "440300"),
    ("广东省珠海市斗门区井岸镇", "440403", "440400"),
    ("佛山市顺德区大良街道", "440606", "440600"),
    ("江门市台山市台城街道", "440781", "440700"),
    ("肇庆市端州区城东街道", "441202", "441200"),
    ("惠州市惠城区江北街道", "441302", "441300"),
    ("东莞市长安镇", "441900", "441900"),
    ("中山市小榄镇", "442000", "442000"),
]


@pytest.mark.parametrize(("address", "district", "city"), CITY_CASES)
def test_each_city(address, district, city):
    r = geocode(address)
    assert (r.district_adcode, r.city_adcode) == (district, city), r.to_dict()
    assert r.precision in ("road", "street", "town")
    assert CODER.units.unit_of(r.lon, r.lat) == district


@pytest.mark.parametrize(("address", "district", "city"), CITY_CASES)
def test_each_city_alone_gives_the_same_answer(address, district, city):
    member = next(m for m in MEMBERS if m.profile.adcode == city)
    r = Geocoder(member).geocode(address)
    assert (r.district_adcode, r.city_adcode) == (district, city), r.to_dict()


@pytest.mark.parametrize(
    ("name", "adcode"),
    [
        ("台山市", "440781"), ("开平市", "440783"), ("鹤山市", "440784"), ("恩平市", "440785"),
        ("四会市", "441284"), ("博罗县", "441322"), ("惠东县", "441323"), ("龙门县", "441324"),
        ("广宁县", "441223"), ("怀集县", "441224"), ("封开县", "441225"), ("德庆县", "441226"),
    ],
)  # fmt: skip
def test_county_level_units_are_units(name, adcode):
    r = geocode(f"广东省{name}某某路8号")
    assert (r.district_adcode, r.precision, r.source) == (adcode, "district", f"district:{adcode}")
    assert "district-level fallback" in r.to_dict()["note"]


@pytest.mark.parametrize(
    ("address", "town"),
    [
        ("东莞市松山湖", "松山湖"), ("东莞长安镇", "长安镇"), ("虎门镇", "虎门镇"),
        ("东莞市南城街道", "南城街道"), ("中山市火炬开发区", "火炬开发区"),
        ("中山市石岐街道", "石岐街道"), ("小榄镇", "小榄镇"),
    ],
)  # fmt: skip
def test_dongguan_and_zhongshan_towns_are_points_in_the_whole_city(address, town):
    r = geocode(address)
    assert r.district_adcode == r.city_adcode
    assert r.district_adcode in ("441900", "442000")
    assert r.matched == town
    assert r.precision in ("town", "street", "landmark")


@pytest.mark.parametrize(
    ("address", "district"),
    [
        ("深圳湾", "440305"), ("松山湖", "441900"), ("坪山生物医药产业基地", "440310"),
        ("南方科技大学", "440305"), ("香港中文大学(深圳)", "440307"), ("深圳大学", "440305"),
        ("中山大学深圳校区", "440311"), ("珠海横琴", "440402"), ("佛山三龙湾", "440606"),
        ("北京大学深圳医院", "440304"),
    ],
)  # fmt: skip
def test_landmarks_and_institutions(address, district):
    r = geocode(address)
    assert r.district_adcode == district, r.to_dict()
    assert r.precision in ("landmark", "campus")
    assert r.uncertainty_m
    assert r.uncertainty_m >= 700


# -- former names and splits -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "district"),
    [
        ("深圳市宝安区观澜街道", "440309"),  # Bao'an before Longhua was carved out
        ("宝安区公明街道", "440311"),  # ... and Guangming
        ("宝安区西乡街道", "440306"),
        ("龙岗区坪山街道", "440310"),  # Longgang before Pingshan
        ("新会市荷塘镇", "440703"),  # Xinhui's towns that went to Pengjiang
        ("新会市会城街道", "440705"),
    ],
)
def test_a_split_name_is_resolved_by_the_rest_of_the_address(address, district):
    r = geocode(address)
    assert r.district_adcode == district, r.to_dict()
    assert not r.conflict
    assert r.precision in ("street", "town")


@pytest.mark.parametrize(("address", "city"), [("新会市", "440700"), ("宝安县", "440300")])
def test_a_split_name_alone_is_city_level_never_guessed(address, city):
    r = geocode(address)
    assert not r.resolved
    assert r.district_adcode is None
    assert (r.city_adcode, r.precision) == (city, "city")
    note = r.to_dict()["note"]
    assert "historic name" in note
    assert "city-level only" in note


def test_a_current_name_that_was_split_keeps_its_unit():
    r = geocode("宝安区")
    assert (r.district_adcode, r.precision) == ("440306", "district")
    assert "龙华区" in r.to_dict()["note"]


@pytest.mark.parametrize(
    ("address", "district"),
    [
        ("顺德市大良", "440606"), ("南海市", "440605"), ("三水市", "440607"),
        ("高明市", "440608"), ("新会市棠下镇", "440703"), ("高要市", "441204"),
        ("惠阳市", "441303"), ("斗门县", "440403"), ("龙华新区", "440309"),
    ],
)  # fmt: skip
def test_former_names_map_to_today(address, district):
    r = geocode(address)
    assert r.district_adcode == district, r.to_dict()


def test_dapeng_new_area_is_longgang_not_a_unit():
    r = geocode("深圳市大鹏新区葵涌街道")
    assert r.district_adcode == "440307"
    assert "大鹏新区" not in {zh for zh, _ in CODER.units.names.values()}  # not a unit


# -- ambiguity by context ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "district"),
    [
        ("中山市东区中山四路", "442000"),
        ("广东省中山市石岐区", "442000"),
        ("中山一路", "440104"),  # Guangzhou's Zhongshan Road
        ("中山大学附属第一医院", "440104"),
        ("广州市越秀区中山二路74号", "440104"),
        ("中山公园", "440305"),  # Shenzhen's (Nantou), the only one in the gazetteer
        ("中山大学珠海校区", "440402"),
    ],
)
def test_zhongshan_the_city_and_zhongshan_the_name(address, district):
    r = geocode(address)
    assert r.district_adcode == district, r.to_dict()


def test_zhongshan_road_is_never_zhongshan_city():
    for address in ("中山路", "中山大学", "中山大道", "中山纪念堂"):
        assert geocode(address).city_adcode != "442000", address


@pytest.mark.parametrize(
    ("address", "district"),
    [
        ("南山区", "440305"),
        ("南山镇", "440607"),  # Sanshui, Foshan
        ("佛山市三水区南山镇", "440607"),
        ("广州开发区东区", "440112"),
        ("中山市西区", "442000"),
        ("惠州市沙田镇", "441303"),
        ("东莞市沙田镇", "441900"),
        ("肇庆市鼎湖区桂城街道", "441203"),
        ("佛山市南海区桂城街道", "440605"),
    ],
)
def test_same_names_in_different_cities(address, district):
    r = geocode(address)
    assert r.district_adcode == district, r.to_dict()


@pytest.mark.parametrize(
    ("address", "district"),
    [
        ("中山小榄镇", "442000"),  # a bare city name followed by one of its places
        ("惠州 沙田镇", "441303"),
        ("深圳 沙河街道", "440305"),
        ("广州沙河街道", "440106"),
        ("中山医学院", "440104"),  # a Guangzhou name of its own, not Zhongshan City
    ],
)
def test_a_bare_city_name_is_context_only_before_one_of_its_places(address, district):
    r = geocode(address)
    assert r.district_adcode == district, r.to_dict()


def test_a_tie_between_cities_prefers_the_first_member_and_says_so():
    r = geocode("沙河街道")  # Tianhe (Guangzhou) and Nanshan (Shenzhen)
    assert r.district_adcode == "440106"
    assert "add the district" in r.to_dict()["note"]


def test_a_name_in_two_cities_without_context_says_so():
    r = geocode("沙田镇")
    assert "matches places in 2 districts" in r.to_dict()["note"]


def test_a_unit_of_another_city_than_the_one_named_is_not_used():
    r = geocode("深圳市天河区")
    assert not r.resolved
    assert r.city_adcode == "440300"
    assert "not in the city it starts with" in r.to_dict()["note"]


@pytest.mark.parametrize(
    ("address", "place"),
    [("北京市海淀区", "北京"), ("湖南省长沙市岳麓区", "湖南省"), ("广东省汕头市金平区", "汕头市")],
)
def test_addresses_outside_the_nine_cities_are_refused(address, place):
    r = geocode(address)
    assert not r.resolved
    assert r.city_adcode is None
    assert f"outside Pearl River Delta ({place})" in r.to_dict()["note"]


def test_a_place_named_after_a_foreign_city_is_not_refused():
    for address in ("香港中文大学(深圳)", "北京大学深圳医院"):
        assert geocode(address).resolved, address


# -- supplied coordinates ----------------------------------------------------------------------


def test_supplied_points_find_their_city_and_unit():
    r = geocode("", lon=113.94, lat=22.53)  # Nanshan, Shenzhen
    assert (r.district_adcode, r.city_adcode, r.source) == ("440305", "440300", "supplied:wgs84")
    swapped = geocode("", lon=22.53, lat=113.94)
    assert swapped.district_adcode == "440305"
    outside = geocode("", lon=116.4, lat=39.9)
    assert not outside.resolved
    assert "outside Pearl River Delta" in outside.to_dict()["note"]


# -- Guangzhou unchanged -----------------------------------------------------------------------


def test_the_region_agrees_with_guangzhou_alone_on_every_registry_address(city):
    alone = Geocoder(city)
    df = pd.read_csv(DATA_DIR / "sources" / "platforms.csv", dtype=str, keep_default_na=False)
    for row in df.itertuples():
        for hints in ({}, {"name": row.name_zh, "host": row.host_zh}):
            a, b = alone.geocode(row.address_zh, **hints), geocode(row.address_zh, **hints)
            assert (a.lon, a.lat, a.district_adcode, a.source, a.notes) == (
                b.lon, b.lat, b.district_adcode, b.source, b.notes
            ), row.address_zh  # fmt: skip
            assert a.city_adcode == b.city_adcode == ("440100" if a.district_adcode else None)


# -- the CLI ------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.mark.parametrize(
    ("city", "address", "district", "city_adcode"),
    [
        ("guangzhou", "广州市天河区五山路381号", "440106", "440100"),
        ("shenzhen", "深圳市南山区粤海街道", "440305", "440300"),
        ("dongguan", "东莞市长安镇", "441900", "441900"),
        ("zhongshan", "中山市小榄镇", "442000", "442000"),
    ],
)
def test_cli_json_has_city_adcode(city, address, district, city_adcode):
    result = runner.invoke(app, ["geocode", "--city", city, address, "--format", "json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert (row["district_adcode"], row["city_adcode"]) == (district, city_adcode)
    for key in ("input", "lon", "lat", "district_zh", "precision", "source", "confidence", "note"):
        assert key in row


def test_cli_geocodes_the_region():
    result = runner.invoke(
        app,
        ["geocode", "--city", "prd", "深圳市南山区粤海街道", "中山市小榄镇", "北京市海淀区",
         "--format", "json"],
    )  # fmt: skip
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["district_adcode"], r["city_adcode"]) for r in rows] == [
        ("440305", "440300"), ("442000", "442000"), (None, None)
    ]  # fmt: skip
    assert result.exit_code == 1  # one refused


def test_names_keep_a_fixed_order_whatever_the_hash_seed():
    """Fuzzy ties are broken by name order: it must not depend on PYTHONHASHSEED."""
    code = (
        "from geo.cities import open_city\n"
        "from geo.geocoding.geocoder import Geocoder\n"
        "print('|'.join(Geocoder(open_city('prd')).gazetteer.names))\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1]
    assert "|中山大道|中山大道西|中山大道中|" in runs[0]  # a name, then its aliases as written
