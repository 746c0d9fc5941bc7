"""Fixtures for the map tests: the shipped registry plus a hostile record."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

XSS_NAME = "<img src=x onerror=alert(1)>"
SCRIPT_NAME = "</script><script>window.__pwned=1</script>"


@pytest.fixture(scope="session")
def registry() -> gpd.GeoDataFrame:
    from geo.store import load_registry

    return load_registry()


@pytest.fixture(scope="session")
def hostile(registry: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The registry plus two platforms whose names and hosts try to inject HTML/script."""
    first = registry.iloc[[0]].copy()
    first["id"] = "xss-1"
    first["name_zh"] = XSS_NAME
    first["name_en"] = XSS_NAME
    first["host_zh"] = "<b onmouseover=alert(2)>host</b>"
    second = registry.iloc[[1]].copy()
    second["id"] = "xss-2"
    second["name_zh"] = SCRIPT_NAME
    second["name_en"] = None
    return gpd.GeoDataFrame(
        pd.concat([registry, first, second], ignore_index=True), crs=registry.crs
    )


@pytest.fixture(scope="session")
def layers(shipped_layers):
    return shipped_layers
