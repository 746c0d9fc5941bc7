"""Places planners write in addresses (issue 15): streets, areas, stations, campuses, parks.

Each kind: an address naming the place resolves to that entry, in its district, with the
precision the gazetteer states; every new entry says where its point came from.
"""

import pytest

from geo.cities import open_city
from geo.geocoding.gazetteer import read_gazetteer
from geo.geocoding.geocoder import Geocoder

CITY = open_city()
CODER = Geocoder(CITY)

CASES = [
    # (kind of place, address, gazetteer id, district, precision)
    ("pedestrian street", "广州市越秀区北京路步行街188号", "p-ps-beijinglu", "440104", "landmark"),
    ("pedestrian street", "荔湾区恩宁路永庆坊", "p-ps-yongqingfang", "440103", "landmark"),
    ("commercial area", "广州市天河区天河路商圈", "p-ca-tianhelu", "440106", "landmark"),
    ("commercial area", "越秀区环市东商圈", "p-ca-huanshidong", "440104", "landmark"),
    ("commercial area", "番禺区万博商务区", "p-ca-wanbo", "440113", "landmark"),
    ("metro station", "广州市海珠区南洲站C出口", "p-mt-nanzhou", "440105", "landmark"),
    ("metro station", "天河区东圃站附近", "p-mt-dongpu", "440106", "landmark"),
    ("metro station", "公园前站", "p-mt-gongyuanqian", "440104", "landmark"),
    (
        "hospital campus",
        "广州市黄埔区中山大学附属第一医院东院",
        "p-hp-sysu1-east",
        "440112",
        "campus",
    ),
    ("hospital campus", "白云区南方医院白云分院", "p-hp-nanfang-baiyun", "440111", "campus"),
    (
        "hospital campus",
        "广州市花都区新华街新华路 广州市花都区人民医院",
        "p-hp-huadu-people",
        "440114",
        "campus",
    ),
    ("hospital campus", "荔湾区广东省中医院芳村医院", "p-hp-gdhcm-fangcun", "440103", "campus"),
    ("hospital campus", "广医一院大坦沙院区", "p-hp-gz-resp", "440103", "campus"),
    ("industry park", "广州市南沙区南沙经济技术开发区", "p-ip-nansha-edz", "440115", "landmark"),
    ("industry park", "从化明珠工业园", "p-ip-conghua-edz", "440117", "landmark"),
    ("industry park", "花都经济开发区", "p-ip-huadu-edz", "440114", "landmark"),
    ("industry park", "广州国际生物岛螺旋大道", "p-ip-bio-island", "440105", "landmark"),
    ("industry park", "中新广州知识城", "p-ip-knowledge-city", "440112", "landmark"),
    ("industry park", "广州科学城", "p-ip-science-city", "440112", "landmark"),
]


@pytest.mark.parametrize(("kind", "address", "entry", "district", "precision"), CASES)
def test_address_naming_the_place_resolves_to_it(kind, address, entry, district, precision):
    r = CODER.geocode(address)
    assert r.source == f"gazetteer:{entry}", (kind, r.to_dict())
    assert r.district_adcode == district
    assert CITY.unit_of(r.lon, r.lat) == district
    assert r.precision == precision
    assert not r.conflict


def test_a_longer_place_name_beats_the_road_or_hospital_inside_it():
    # 北京路 is a road and 中山大学附属第一医院 the main campus in Yuexiu: the longer names win
    assert CODER.geocode("广州北京路步行街").source == "gazetteer:p-ps-beijinglu"
    assert CODER.geocode("中山大学附属第一医院东院").district_adcode == "440112"
    assert CODER.geocode("中山大学附属第一医院").district_adcode == "440104"


def test_every_new_entry_has_provenance_and_an_honest_radius():
    gaz = read_gazetteer(CITY.profile.gazetteer.files).set_index("id")
    for _, _, entry, _, _ in CASES:
        row = gaz.loc[entry]
        assert row["source"].strip(), entry
        assert row["coord_crs"] == "wgs84"
        assert float(row["uncertainty_m"]) >= 300, entry  # none of these is surveyed
    # metro stations taken from Wikipedia say so, and keep a radius covering a GCJ-02 copy
    for station in ("p-mt-nanzhou", "p-mt-dongpu", "p-mt-gongyuanqian"):
        assert "wikipedia" in gaz.loc[station, "source"].lower()
        assert float(gaz.loc[station, "uncertainty_m"]) >= 600


def test_bare_beijing_road_is_not_taken_for_beijing():
    assert CODER.geocode("北京路步行街").source == "gazetteer:p-ps-beijinglu"
    assert CODER.geocode("北京路123号").district_adcode == "440104"
    assert CODER.geocode("北京市海淀区中关村大街1号").lon is None  # Beijing itself stays refused
