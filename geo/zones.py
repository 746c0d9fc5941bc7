"""Zone layers: named polygon layers that platforms are assigned to and counted by.

A zone layer is a GeoDataFrame with one row per zone and the columns ``zone_id``, ``name_zh``,
``name_en`` (and any other attributes), plus a little metadata (title, provenance, whether it is
provisional). Districts are one layer; the study's "363 layout" is another; a user can drop in
more GeoJSON layers (e.g. the 2025 "value parks") with :func:`load_zone_layer`.

Zones may lack a geometry when their location is unknown (several 363 zones): such zones are
listed but receive no points, and say why in ``geometry_quality``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._io import read_layer
from geo._zoneindex import ZoneIndex
from geo.boundaries import BOUNDARY_DIR, load_districts
from geo.crs import EQUAL_AREA_CRS
from geo.errors import UnknownZoneLayerError

ZONE_COLUMNS = ("zone_id", "name_zh", "name_en")


@dataclass(frozen=True, eq=False)
class ZoneLayer:
    """A named polygon layer with per-zone attributes and provenance.

    Attributes
    ----------
    name
        Short identifier (``districts``, ``zones363``), used in URLs and column names.
    zones
        One row per zone, WGS84, with at least ``zone_id``, ``name_zh``, ``name_en``.
    title_zh, title_en
        Human titles.
    provisional
        True when the layer is a reconstruction, not an official boundary (draw it dashed).
    provenance
        Source, licence and date of the layer as a whole.
    """

    name: str
    zones: gpd.GeoDataFrame
    title_zh: str
    title_en: str
    provisional: bool = False
    provenance: dict[str, str] = field(default_factory=dict)

    @cached_property
    def area_km2(self) -> pd.Series:
        """Area of each zone in km², measured in an equal-area CRS; NaN without a geometry."""
        geoms = self.zones.geometry
        area = geoms.to_crs(EQUAL_AREA_CRS).area / 1e6
        return area.where(~(geoms.isna() | geoms.is_empty))

    @cached_property
    def index(self) -> ZoneIndex:
        """The point-in-zone index, built on first use.

        Tie rule: where several zones cover a point (nested zones, or a point exactly on an
        edge two zones share), the zone with the smallest area wins; equal areas fall back to
        the lower ``zone_id``. So a point on a district border gets exactly one district.
        """
        area = self.area_km2.fillna(np.inf).to_numpy()
        order = np.lexsort((self.zones["zone_id"].astype(str).to_numpy(), area))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return ZoneIndex(self.zones.geometry.values, rank)

    @property
    def located(self) -> gpd.GeoDataFrame:
        """Zones that have a geometry (the ones points can fall in)."""
        return self.zones[~(self.zones.geometry.is_empty | self.zones.geometry.isna())]


def districts_layer(path: Path | str | None = None) -> ZoneLayer:
    """The 11 districts as a zone layer (``zone_id`` is the adcode)."""
    gdf = load_districts(path)
    gdf.insert(0, "zone_id", gdf["adcode"])
    return ZoneLayer(
        name="districts",
        zones=gdf,
        title_zh="行政区",
        title_en="Districts",
        provenance={
            "source": str(gdf["source"].iloc[0]) if "source" in gdf else "",
            "licence": str(gdf["licence"].iloc[0]) if "licence" in gdf else "",
        },
    )


def zones363_layer(path: Path | str | None = None) -> ZoneLayer:
    """The study's "363 layout", a provisional reconstruction (see data/boundaries/README.md)."""
    layer = load_zone_layer(path or BOUNDARY_DIR / "zones_363.geojson", name="zones363")
    return ZoneLayer(
        name="zones363",
        zones=layer.zones,
        title_zh="“363”产业布局(暂定复原)",
        title_en='"363 layout" (provisional reconstruction)',
        provisional=True,
        provenance={
            "source": "biomap reconstruction from shared/reference/facts.md §1; not official",
            "licence": "CC0 (biomap compilation)",
        },
    )


def load_zone_layer(
    path: Path | str, *, name: str | None = None, title_zh: str = "", title_en: str = ""
) -> ZoneLayer:
    """Load any GeoJSON polygon file as a zone layer.

    Parameters
    ----------
    path
        A WGS84 GeoJSON file with ``zone_id``, ``name_zh`` and ``name_en`` properties.
    name
        The layer's name; the file stem by default.

    Raises
    ------
    geo.errors.ValidationError
        Listing every missing column, duplicate id and invalid geometry.
    """
    path = Path(path)
    gdf = read_layer(path, required=ZONE_COLUMNS, id_column="zone_id", allow_missing_geometry=True)
    provisional = bool(gdf.get("provisional", False).any()) if "provisional" in gdf else False
    return ZoneLayer(
        name=name or path.stem,
        zones=gdf,
        title_zh=title_zh or path.stem,
        title_en=title_en or path.stem,
        provisional=provisional,
    )


def builtin_layers(extra: dict[str, Path | str] | None = None) -> dict[str, ZoneLayer]:
    """The shipped zone layers (``districts``, ``zones363``) plus any extra ``name -> path``."""
    layers = {"districts": districts_layer(), "zones363": zones363_layer()}
    for name, path in (extra or {}).items():
        layers[name] = load_zone_layer(path, name=name)
    return layers


def get_layer(layers: dict[str, ZoneLayer], name: str) -> ZoneLayer:
    """Look a layer up by name, raising :class:`UnknownZoneLayerError` with the known names."""
    try:
        return layers[name]
    except KeyError:
        known = ", ".join(sorted(layers))
        raise UnknownZoneLayerError(f"unknown zone layer {name!r}; known layers: {known}") from None
