"""Small synthetic registries and layers for the statistics tests."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo.crs import WGS84
from geo.zones import ZoneLayer

# Two lat/lon boxes near Guangzhou with the same latitude range; B is twice as wide as A, so
# its area is exactly twice A's on the ellipsoid. C has no geometry (location unknown).
BOX_A = shapely.box(113.0, 23.0, 113.1, 23.1)
BOX_B = shapely.box(113.1, 23.0, 113.3, 23.1)


def make_platforms(rows: list[dict]) -> gpd.GeoDataFrame:
    """A registry-like frame from dicts with lon, lat and taxonomy columns."""
    defaults = {
        "type": "public_technology",
        "sub_kind": "key_laboratory",
        "fields": ["biotechnology"],
        "level": "national",
        "supporting_unit": "university",
        "chain_stages": ["basic_research"],
        "established": 2010,
    }
    recs = [{**defaults, "id": f"p{i}", **r} for i, r in enumerate(rows)]
    geom = [shapely.Point(r["lon"], r["lat"]) for r in recs]
    return gpd.GeoDataFrame(recs, geometry=geom, crs=WGS84)


@pytest.fixture
def ab_layer() -> ZoneLayer:
    """Zones A (pop 100,000), B (pop 300,000) and C (no geometry, no population)."""
    gdf = gpd.GeoDataFrame(
        {
            "zone_id": ["A", "B", "C"],
            "name_zh": ["甲", "乙", "丙"],
            "name_en": ["A", "B", "C"],
            "population_2020": [100_000, 300_000, None],
        },
        geometry=[BOX_A, BOX_B, None],
        crs=WGS84,
    )
    return ZoneLayer(name="ab", zones=gdf, title_zh="测试", title_en="test")
