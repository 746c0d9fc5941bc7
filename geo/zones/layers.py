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
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._io import read_layer
from geo.errors import UnknownZoneLayerError
from geo.zones._index import ZoneIndex

if TYPE_CHECKING:
    from geo.cities.city import City
    from geo.cities.profile import ZoneLayerSpec

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
    equal_area_crs
        The CRS areas are measured in; ``None`` centres a Lambert azimuthal equal-area
        projection on the layer (any equal-area projection gives the same areas).
    """

    name: str
    zones: gpd.GeoDataFrame
    title_zh: str
    title_en: str
    provisional: bool = False
    provenance: dict[str, str] = field(default_factory=dict)
    equal_area_crs: str | None = None

    @cached_property
    def area_km2(self) -> pd.Series:
        """Area of each zone in km², measured in an equal-area CRS; NaN without a geometry."""
        geoms = self.zones.geometry
        area = geoms.to_crs(self.equal_area_crs or _centred_laea(self.zones)).area / 1e6
        return area.where(~(geoms.isna() | geoms.is_empty))

    @cached_property
    def zone_ids(self) -> np.ndarray:
        """``zones["zone_id"]`` as an object array (what :attr:`index` positions point into)."""
        return self.zones["zone_id"].to_numpy(dtype=object)

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


def _centred_laea(zones: gpd.GeoDataFrame) -> str:
    located = zones.geometry[~(zones.geometry.isna() | zones.geometry.is_empty)]
    x0, y0, x1, y1 = located.total_bounds if len(located) else (0.0, 0.0, 0.0, 0.0)
    return (
        f"+proj=laea +lat_0={(y0 + y1) / 2:.4f} +lon_0={(x0 + x1) / 2:.4f} "
        "+x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
    )


def units_layer(city: City) -> ZoneLayer:
    """A city's administrative units as the ``districts`` zone layer (``zone_id`` = adcode)."""
    gdf = city.units.copy()
    gdf.insert(0, "zone_id", gdf["adcode"])
    spec = city.profile.units
    return ZoneLayer(
        name="districts",
        zones=gdf,
        title_zh=spec.label_zh,
        title_en=spec.label_en,
        provenance={
            "source": str(gdf["source"].iloc[0]) if "source" in gdf and len(gdf) else "",
            "licence": str(gdf["licence"].iloc[0]) if "licence" in gdf and len(gdf) else "",
        },
        equal_area_crs=city.equal_area_crs,
    )


def cities_layer(region: City) -> ZoneLayer:
    """A region's member cities as the ``cities`` zone layer (``zone_id`` = the city adcode).

    Each zone is the member's outline with its attributes (official area, 2020 census
    population, each with source and status); a member whose outline has several rows is
    dissolved into one zone.
    """
    rows = []
    for member in region.members:
        outline = member.outline
        if len(outline) != 1:
            outline = outline.dissolve().assign(adcode=member.profile.adcode)
        row = outline.iloc[[0]].copy()
        row["adcode"] = member.profile.adcode
        row["name_zh"], row["name_en"] = member.profile.name_zh, member.profile.name_en
        rows.append(row)
    gdf = gpd.GeoDataFrame(pd.concat(rows, ignore_index=True), crs=region.units.crs)
    gdf.insert(0, "zone_id", gdf["adcode"])
    return ZoneLayer(
        name="cities",
        zones=gdf,
        title_zh="城市",
        title_en="Cities",
        provenance={
            "source": "the member cities' outlines (union of their units): "
            + (str(gdf["source"].iloc[0]).split(";")[0] if "source" in gdf else ""),
            "licence": str(gdf["licence"].iloc[0]) if "licence" in gdf else "",
        },
        equal_area_crs=region.equal_area_crs,
    )


def profile_layer(spec: ZoneLayerSpec, *, equal_area_crs: str | None = None) -> ZoneLayer:
    """A zone layer declared in a city profile (title, provenance, provisional flag)."""
    layer = load_zone_layer(spec.path, name=spec.name, equal_area_crs=equal_area_crs)
    return ZoneLayer(
        name=spec.name,
        zones=layer.zones,
        title_zh=spec.title_zh,
        title_en=spec.title_en,
        provisional=spec.provisional or layer.provisional,
        provenance={"source": spec.source, "licence": spec.licence},
        equal_area_crs=equal_area_crs,
    )


def load_zone_layer(
    path: Path | str,
    *,
    name: str | None = None,
    title_zh: str = "",
    title_en: str = "",
    equal_area_crs: str | None = None,
) -> ZoneLayer:
    """Load any GeoJSON polygon file as a zone layer.

    Parameters
    ----------
    path
        A WGS84 GeoJSON file with ``zone_id``, ``name_zh`` and ``name_en`` properties.
    name
        The layer's name; the file stem by default.
    equal_area_crs
        The CRS to measure areas in (the city's); see :class:`ZoneLayer`.

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
        equal_area_crs=equal_area_crs,
    )


def get_layer(layers: dict[str, ZoneLayer], name: str) -> ZoneLayer:
    """Look a layer up by name, raising :class:`UnknownZoneLayerError` with the known names."""
    try:
        return layers[name]
    except KeyError:
        known = ", ".join(sorted(layers))
        raise UnknownZoneLayerError(f"unknown zone layer {name!r}; known layers: {known}") from None


def resolve_layer(
    layers: dict[str, ZoneLayer], name_or_file: str, *, equal_area_crs: str | None = None
) -> ZoneLayer:
    """A layer by name, or a GeoJSON file loaded as one (``--layer districts|zones363|FILE``).

    A known name wins over a file of the same name. Raises :class:`UnknownZoneLayerError` naming
    the known layers when ``name_or_file`` is neither.
    """
    if name_or_file in layers:
        return layers[name_or_file]
    path = Path(name_or_file)
    if name_or_file.endswith((".geojson", ".json")) or path.exists():
        return load_zone_layer(path, equal_area_crs=equal_area_crs)
    return get_layer(layers, name_or_file)
