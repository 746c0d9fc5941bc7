"""Platform density by zone: counts, shares, rates per km² and per 100k residents, and LQs.

Denominators are stated with every result: areas are computed from the zone polygons in an
equal-area CRS; populations are the 2020 census figures carried by the layer (districts) where
known. A zone without a population figure, or without a geometry, gets ``None`` for the rates
that need it, with the reason in ``note``; nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.assign import assign_points
from geo.crs import EQUAL_AREA_CRS
from geo.filters import PlatformFilter
from geo.zones import ZoneLayer

DENSITY_COLUMNS = [
    "zone_id",
    "name_zh",
    "name_en",
    "count",
    "share",
    "area_km2",
    "per_km2",
    "population",
    "per_100k",
    "lq_area",
    "lq_population",
    "note",
]


@dataclass
class DensityResult:
    """A density table and what it was computed from."""

    layer: str
    table: pd.DataFrame
    totals: dict[str, Any]
    denominators: dict[str, str]
    filter: PlatformFilter = field(default_factory=PlatformFilter)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``zones`` (records with nulls), ``totals``, ``denominators``."""
        rows = self.table.astype(object).where(self.table.notna(), None).to_dict(orient="records")
        return {
            "layer": self.layer,
            "zones": rows,
            "totals": self.totals,
            "denominators": self.denominators,
        }


def zone_areas_km2(layer: ZoneLayer) -> pd.Series:
    """Area of each zone in km² (equal-area CRS); NaN for zones without a geometry."""
    geoms = layer.zones.geometry
    area = geoms.to_crs(EQUAL_AREA_CRS).area / 1e6
    return area.where(~(geoms.isna() | geoms.is_empty))


def density_table(
    platforms: gpd.GeoDataFrame,
    layer: ZoneLayer,
    *,
    filter: PlatformFilter | None = None,
) -> DensityResult:
    """Count platforms per zone of ``layer`` and derive rates and location quotients.

    Parameters
    ----------
    platforms
        Registry frame (WGS84 points). Zones are assigned from the geometry, so any layer works.
    layer
        The zone layer to count by.
    filter
        Which platforms to count; zero matches give zero counts, not an error.

    Returns
    -------
    DensityResult
        ``table`` has one row per zone (:data:`DENSITY_COLUMNS`).
    """
    flt = filter or PlatformFilter()
    kept = platforms[flt.mask(platforms)] if len(platforms) else platforms
    zones = layer.zones
    if len(kept):
        ids = assign_points(kept.geometry.x.to_numpy(), kept.geometry.y.to_numpy(), {"z": layer})[
            "z"
        ]
        counts = ids.value_counts()
    else:
        ids = pd.Series([], dtype=object)
        counts = pd.Series(dtype=int)
    table = pd.DataFrame(
        {"zone_id": zones["zone_id"], "name_zh": zones["name_zh"], "name_en": zones["name_en"]}
    )
    table["count"] = table["zone_id"].map(counts).fillna(0).astype(int)
    total = len(kept)
    table["share"] = table["count"] / total if total else 0.0
    area = zone_areas_km2(layer).to_numpy()
    table["area_km2"] = np.round(area, 3)
    table["per_km2"] = table["count"] / table["area_km2"]
    pop = (
        pd.to_numeric(zones["population_2020"], errors="coerce")
        if "population_2020" in zones
        else pd.Series(np.nan, index=zones.index)
    )
    table["population"] = pop.to_numpy()
    table["per_100k"] = table["count"] / table["population"] * 1e5
    located = table["area_km2"].notna()
    total_area = float(table.loc[located, "area_km2"].sum())
    in_zones = int(table.loc[located, "count"].sum())
    table["lq_area"] = (
        (table["count"] / in_zones) / (table["area_km2"] / total_area) if in_zones else np.nan
    )
    known_pop = table["population"].notna()
    pop_total = float(table.loc[known_pop, "population"].sum())
    in_pop = int(table.loc[known_pop, "count"].sum())
    table["lq_population"] = (
        (table["count"] / in_pop) / (table["population"] / pop_total) if in_pop else np.nan
    )
    table["note"] = _notes(table)
    table = table[DENSITY_COLUMNS]
    totals = {
        "count": total,
        "in_zones": in_zones,
        "outside_zones": total - int(table["count"].sum()),
        "area_km2": round(total_area, 3),
        "per_km2": in_zones / total_area if total_area else None,
        "population_known": int(pop_total) if pop_total else None,
        "zones_without_population": table.loc[~known_pop, "zone_id"].tolist(),
        "zones_without_geometry": table.loc[~located, "zone_id"].tolist(),
    }
    denominators = {
        "share": "count / all platforms matching the filter",
        "per_km2": "count / zone area in km², computed from the polygon in an equal-area CRS "
        "(Lambert azimuthal equal-area centred on Guangzhou)",
        "per_100k": "count / 2020 census population x 100,000 (per-zone figures and sources "
        "in the layer; null where no figure was found)",
        "lq_area": "(zone count / count in located zones) / (zone area / total located area)",
        "lq_population": "(zone count / count in zones with population) / "
        "(zone population / their total population)",
    }
    return DensityResult(layer.name, table.reset_index(drop=True), totals, denominators, flt)


def _notes(table: pd.DataFrame) -> list[str | None]:
    notes = []
    for area, pop in zip(table["area_km2"], table["population"], strict=True):
        parts = []
        if pd.isna(area):
            parts.append("no geometry (location unknown): not counted, no area")
        if pd.isna(pop):
            parts.append("no population figure for this zone: per-100k and LQ(population) null")
        notes.append("; ".join(parts) or None)
    return notes
