"""Shared fixtures: tiny hand-built layers and the shipped data."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo.crs import WGS84
from geo.zones import ZoneLayer


def make_layer(zones: dict[str, shapely.Geometry | None], name: str = "test") -> ZoneLayer:
    """A zone layer from ``zone_id -> polygon``."""
    gdf = gpd.GeoDataFrame(
        {
            "zone_id": list(zones),
            "name_zh": [f"区{z}" for z in zones],
            "name_en": [f"Zone {z}" for z in zones],
        },
        geometry=list(zones.values()),
        crs=WGS84,
    )
    return ZoneLayer(name=name, zones=gdf, title_zh=name, title_en=name)


@pytest.fixture
def two_squares() -> ZoneLayer:
    """Two unit squares sharing the edge x = 1 (A: 0..1, B: 1..2), plus a zone with no geometry."""
    return make_layer({"A": shapely.box(0, 0, 1, 1), "B": shapely.box(1, 0, 2, 1), "C": None})


@pytest.fixture(scope="session")
def city():
    """The shipped default city (Guangzhou), opened once for the test session."""
    from geo.cities import open_city

    return open_city()


@pytest.fixture(scope="session")
def shipped_layers(city):
    return city.zone_layers()
