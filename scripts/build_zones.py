"""Build data/boundaries/zones_363.geojson and management.geojson from zones_363.csv.

The "363 layout" composition was not found in any available source (facts.md §1). The CSV holds
the best-supported reconstruction with its confidence and basis. A zone whose centre and area
are known (from general knowledge, marked [K]) is drawn as a circle of that area, measured in an
equal-area CRS and clipped to the district polygons: ``geometry_quality = approximate``. A zone
whose location was not found gets no geometry (``location_unknown``); nothing is invented.

Usage: ``python scripts/build_zones.py``
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo._io import write_atomic  # noqa: E402
from geo.cities import open_city  # noqa: E402
from geo.crs import WGS84  # noqa: E402

CITY = open_city()
EQUAL_AREA_CRS = CITY.equal_area_crs

OUT = ROOT / "data" / "boundaries"
COMPILED = "2026-11-27"


def _circle(lon: float, lat: float, area_km2: float, clip) -> shapely.Geometry:
    centre = gpd.GeoSeries([shapely.Point(lon, lat)], crs=WGS84).to_crs(EQUAL_AREA_CRS)
    radius = math.sqrt(area_km2 * 1e6 / math.pi)
    disc = centre.buffer(radius, quad_segs=16).to_crs(WGS84).iloc[0]
    return shapely.set_precision(disc.intersection(clip), 1e-7)


def build() -> gpd.GeoDataFrame:
    """Read the CSV and write the zone and management layers."""
    src = pd.read_csv(OUT / "zones_363.csv", dtype={"district_adcode": str, "managing_adcode": str})
    districts = CITY.units
    city = shapely.union_all(districts.geometry.values)
    by_code = dict(zip(districts["adcode"], districts.geometry, strict=True))
    geoms, quality = [], []
    for row in src.itertuples():
        if pd.isna(row.lon):
            geoms.append(None)
            quality.append("location_unknown")
            continue
        clip = by_code.get(row.district_adcode, city)
        geoms.append(_circle(row.lon, row.lat, row.area_km2, clip))
        quality.append("approximate")
    zones = gpd.GeoDataFrame(src.drop(columns=["lon", "lat"]), geometry=geoms, crs=WGS84)
    zones["area_stated_km2"] = zones.pop("area_km2")
    zones["geometry_quality"] = quality
    zones["provisional"] = True
    zones["source"] = "biomap reconstruction, shared/reference/facts.md §1.3 (hypotheses)"
    zones["licence"] = "CC0 (biomap compilation)"
    zones["compiled"] = COMPILED
    zones["coord_crs_in"] = "wgs84"
    zones["coord_precision"] = [
        "circle of the stated area around a remembered centre [K]; edges are not real boundaries"
        if q == "approximate"
        else "none"
        for q in quality
    ]
    write_atomic(OUT / "zones_363.geojson", zones.to_json(drop_id=True, to_wgs84=True).encode())

    bio = zones[zones["zone_id"] == "core-bio-island"].copy()
    mgmt = gpd.GeoDataFrame(
        {
            "area_id": ["bio-island"],
            "name_zh": ["广州国际生物岛(官洲岛)"],
            "name_en": ["Guangzhou International Bio-Island (Guanzhou Island)"],
            "admin_adcode": ["440105"],
            "managing_adcode": ["440112"],
            "basis": [
                "GDD Administrative Committee runs the island since 2001 [S] "
                "http://bio-island.com/en/Park.aspx?c=0204; 'Bio Island in Huangpu' [S] "
                "http://eng.gdd.gov.cn/2023-10/08/c_927068.htm; formal division unclear, read as "
                "administratively Haizhu (facts.md §3.3)"
            ],
            "geometry_quality": ["approximate"],
            "coord_precision": [bio["coord_precision"].iloc[0]],
            "source": ["biomap compilation"],
            "licence": ["CC0 (biomap compilation)"],
            "compiled": [COMPILED],
        },
        geometry=list(bio.geometry),
        crs=WGS84,
    )
    write_atomic(OUT / "management.geojson", mgmt.to_json(drop_id=True).encode())
    print(
        f"wrote zones_363.geojson ({len(zones)} zones, {sum(q == 'approximate' for q in quality)} drawn)"
    )
    print("wrote management.geojson (1 area)")
    return zones


if __name__ == "__main__":
    build()
