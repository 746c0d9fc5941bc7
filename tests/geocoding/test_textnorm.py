"""Address normalisation and the outside-Guangzhou guard."""

import pytest

from geo.cities import open_city

CITY = open_city()
normalize = CITY.text.normalize
foreign_place = CITY.text.foreign_place


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("广东省广州市天河区五山路３８１号", "天河区五山路381号"),
        ("廣州市越秀區中山二路74號", "越秀区中山二路74号"),
        ("  广州市 黄埔区  开源大道 190号 ", "黄埔区开源大道190号"),
        ("中国广东省广州市番禺区大学城", "番禺区大学城"),
        ("广州医科大学附属第一医院", "广州医科大学附属第一医院"),
        ("广州大道中", "广州大道中"),
        ("ＡＢＣ大厦", "abc大厦"),
        ("", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "place"),
    [
        ("深圳市南山区科技园", "深圳市"),
        ("广东省佛山市南海区", "佛山市"),
        ("中山市石岐区", "中山市"),
        ("湖南省长沙市岳麓区", "湖南省"),
        ("北京市海淀区", "北京"),
        ("广州市番禺区市桥街", None),
        ("从化市街口镇", None),
        ("增城市荔城街", None),
        ("中山大学附属第一医院", None),
        ("白云区", None),
    ],
)
def test_foreign_place(raw, place):
    assert foreign_place(raw) == place
