"""Platform density by zone: counts, shares, rates per km² and per 100k residents, and LQs.

Denominators are stated with every result: areas are computed from the zone polygons in an
equal-area CRS; populations are the 2020 census figures carried by the layer (districts) where
known. A zone without a population figure, or without a geometry, gets ``None`` for the rates
that need it, with the reason in ``note``; nothing is guessed.

Bio-Island lies inside Haizhu's polygon but is run by Huangpu (facts.md §3.3). On the districts
layer ``district_basis="administrative"`` (the default) counts its platforms under Haizhu, and
``"managing"`` counts them under Huangpu; the area and population denominators stay the
administrative ones in both cases (the island's 1.83 km² and its few residents are not moved).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._io import frame_records
from geo.errors import BiomapError
from geo.filters import PlatformFilter
from geo.zones import ZoneLayer
from geo.zones.assign import assign_points

if TYPE_CHECKING:
    from geo.cities import City

DistrictBasis = Literal["administrative", "managing"]
DISTRICT_BASES: tuple[str, ...] = ("administrative", "managing")

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


class DistrictBasisError(BiomapError, ValueError):
    """An unknown ``district_basis`` was asked for."""


@dataclass
class DensityResult:
    """A density table and what it was computed from."""

    layer: str
    table: pd.DataFrame
    totals: dict[str, Any]
    denominators: dict[str, str]
    filter: PlatformFilter = field(default_factory=PlatformFilter)
    district_basis: str = "administrative"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``zones`` (records with nulls), ``totals``, ``denominators``."""
        rows = frame_records(self.table)
        return {
            "layer": self.layer,
            "zones": rows,
            "totals": self.totals,
            "denominators": self.denominators,
            "filter": filter_dict(self.filter),
            "district_basis": self.district_basis,
        }


def filter_dict(flt: PlatformFilter) -> dict[str, Any]:
    """The set attributes of a filter as plain JSON values (lists, ints, strings)."""
    return {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in asdict(flt).items()
        if v not in ((), None)
    }


def zone_areas_km2(layer: ZoneLayer) -> pd.Series:
    """Area of each zone in km² (equal-area CRS); NaN for zones without a geometry.

    Measured once per layer (:attr:`ZoneLayer.area_km2`), not on every density call.
    """
    return layer.area_km2


def zone_populations(layer: ZoneLayer) -> pd.Series:
    """2020 census population per zone where the layer carries it; NaN elsewhere."""
    zones = layer.zones
    if "population_2020" not in zones:
        return pd.Series(np.nan, index=zones.index)
    return pd.to_numeric(zones["population_2020"], errors="coerce")


def assign_zone_ids(
    platforms: gpd.GeoDataFrame,
    layer: ZoneLayer,
    *,
    city: City,
    district_basis: DistrictBasis = "administrative",
) -> pd.Series:
    """Zone id of every platform in ``layer`` (``None`` outside every zone), index-aligned.

    Parameters
    ----------
    platforms
        WGS84 point frame.
    layer
        Zone layer to assign to.
    district_basis
        ``"managing"`` moves platforms inside a management area (Bio-Island) to its managing
        district; it only applies to the ``districts`` layer.
    city
        Gives the managing-district rule (:meth:`geo.cities.City.managing_adcodes`).

    Raises
    ------
    DistrictBasisError
        If ``district_basis`` is not one of :data:`DISTRICT_BASES`.
    """
    if district_basis not in DISTRICT_BASES:
        raise DistrictBasisError(
            f"unknown district_basis {district_basis!r}; use 'administrative' or 'managing'"
        )
    if not len(platforms):
        return pd.Series([], index=platforms.index, dtype=object)
    x = platforms.geometry.x.to_numpy()
    y = platforms.geometry.y.to_numpy()
    if city.is_region and layer.name == "cities":
        # a region's city is its unit's city: the city table always adds up to the unit table
        units = assign_points(x, y, {"u": city.units_layer})["u"]
        ids = pd.Series(units.map(city.unit_city).to_numpy(dtype=object), dtype=object)
        ids = ids.where(ids.notna(), None)
    else:
        ids = assign_points(x, y, {"z": layer})["z"]
    ids.index = platforms.index
    if district_basis == "managing" and layer.name == "districts":
        managing = city.managing_adcodes(x, y, ids.to_numpy(dtype=object))
        ids = pd.Series(managing, index=ids.index, dtype=object)
    return ids


def density_table(
    platforms: gpd.GeoDataFrame,
    layer: ZoneLayer,
    *,
    city: City,
    filter: PlatformFilter | None = None,
    district_basis: DistrictBasis = "administrative",
    zone_ids: pd.Series | None = None,
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
    district_basis
        On the districts layer, count Bio-Island under Haizhu (``"administrative"``) or under
        Huangpu (``"managing"``); ignored by other layers.
    city
        The city: its managing-district rule and the name of its equal-area CRS.
    zone_ids
        The zone id of every row of ``platforms`` in ``layer`` for ``district_basis``, when
        already known (what :func:`assign_zone_ids` gives, e.g. the ``district_adcode``,
        ``managing_adcode`` or ``zone_<layer>`` column of an assigned registry): the points are
        then not tested against the polygons again. Same length and order as ``platforms``.

    Returns
    -------
    DensityResult
        ``table`` has one row per zone (:data:`DENSITY_COLUMNS`).

    Raises
    ------
    DistrictBasisError
        For an unknown ``district_basis``.
    """
    flt = filter or PlatformFilter()
    if district_basis not in DISTRICT_BASES:
        raise DistrictBasisError(
            f"unknown district_basis {district_basis!r}; use 'administrative' or 'managing'"
        )
    if zone_ids is not None:
        if len(zone_ids) != len(platforms):
            raise ValueError(f"zone_ids has {len(zone_ids)} rows, platforms {len(platforms)}")
        known = zone_ids.to_numpy(dtype=object)
        ids = pd.Series(known[flt.mask(platforms)] if len(platforms) else known, dtype=object)
        total = len(ids)
    else:
        kept = platforms[flt.mask(platforms)] if len(platforms) else platforms
        ids = assign_zone_ids(kept, layer, city=city, district_basis=district_basis)
        total = len(kept)
    return density_from_counts(
        ids.value_counts(), total, layer, city=city, filter=flt, district_basis=district_basis
    )


def density_from_counts(
    counts: Mapping[str, int] | pd.Series,
    total: int,
    layer: ZoneLayer,
    *,
    city: City,
    filter: PlatformFilter | None = None,
    district_basis: DistrictBasis = "administrative",
) -> DensityResult:
    """:func:`density_table` from counts already made: ``counts`` (zone id -> platforms, zones
    absent count 0; ids of no zone of ``layer`` are ignored) out of ``total`` matching
    platforms (those in no zone included). The API's direct mode counts in SQL, then this.

    Raises
    ------
    DistrictBasisError
        For an unknown ``district_basis``.
    """
    if district_basis not in DISTRICT_BASES:
        raise DistrictBasisError(
            f"unknown district_basis {district_basis!r}; use 'administrative' or 'managing'"
        )
    flt = filter or PlatformFilter()
    counts = pd.Series(dict(counts), dtype="int64") if not isinstance(counts, pd.Series) else counts
    zones = layer.zones
    table = pd.DataFrame(
        {"zone_id": zones["zone_id"], "name_zh": zones["name_zh"], "name_en": zones["name_en"]}
    ).reset_index(drop=True)
    table["count"] = table["zone_id"].map(counts).fillna(0).astype(int)
    table["share"] = table["count"] / total if total else 0.0
    area = zone_areas_km2(layer).to_numpy()
    table["area_km2"] = np.round(area, 3)
    table["per_km2"] = table["count"] / area
    table["population"] = zone_populations(layer).to_numpy()
    table["per_100k"] = table["count"] / table["population"] * 1e5
    sums = _lq_columns(table, area)
    table["note"] = _notes(table, total)
    table = table[DENSITY_COLUMNS]
    applies = layer.name == "districts"
    totals = {
        "count": total,
        "in_zones": sums["in_zones"],
        "outside_zones": total - int(table["count"].sum()),
        "area_km2": round(sums["area"], 3),
        "per_km2": sums["in_zones"] / sums["area"] if sums["area"] else None,
        "population_known": int(sums["pop"]) if sums["pop"] else None,
        "per_100k": sums["in_pop"] / sums["pop"] * 1e5 if sums["pop"] else None,
        "zones_without_population": table.loc[table["population"].isna(), "zone_id"].tolist(),
        "zones_without_geometry": table.loc[table["area_km2"].isna(), "zone_id"].tolist(),
        "district_basis": district_basis if applies else "not applicable (not a district layer)",
    }
    return DensityResult(
        layer.name,
        table,
        totals,
        _denominators(district_basis if applies else None, city),
        flt,
        district_basis,
    )


def _lq_columns(table: pd.DataFrame, area: np.ndarray) -> dict[str, Any]:
    """Add ``lq_area`` and ``lq_population`` to ``table``; return the sums used."""
    located = ~np.isnan(area)
    total_area = float(area[located].sum())
    in_zones = int(table.loc[located, "count"].sum())
    table["lq_area"] = (table["count"] / in_zones) / (area / total_area) if in_zones else np.nan
    known_pop = table["population"].notna().to_numpy()
    pop_total = float(table.loc[known_pop, "population"].sum())
    in_pop = int(table.loc[known_pop, "count"].sum())
    table["lq_population"] = (
        (table["count"] / in_pop) / (table["population"] / pop_total) if in_pop else np.nan
    )
    return {"in_zones": in_zones, "area": total_area, "pop": pop_total, "in_pop": in_pop}


def _denominators(district_basis: str | None, city: City) -> dict[str, str]:
    note = city.profile.management_note_en or "a management area"
    out = {
        "share": "count / all platforms matching the filter",
        "per_km2": "count / zone area in km², computed from the polygon in an equal-area CRS "
        f"({city.profile.crs.equal_area_name})",
        "per_100k": "count / 2020 census population x 100,000 (per-zone figures and sources "
        "in the layer; null where no figure was found)",
        "lq_area": "(zone count / count in located zones) / (zone area / total located area)",
        "lq_population": "(zone count / count in zones with population) / "
        "(zone population / their total population)",
    }
    if district_basis == "managing":
        out["district_basis"] = (
            f"platforms in a management area ({note}) are counted under the managing "
            "district; areas and populations stay the administrative ones"
        )
    elif district_basis == "administrative":
        out["district_basis"] = (
            "platforms are counted in the district whose polygon contains them "
            f"({note} under its administrative district)"
        )
    return out


def _notes(table: pd.DataFrame, total: int) -> list[str | None]:
    notes = []
    for area, pop, lq in zip(table["area_km2"], table["population"], table["lq_area"], strict=True):
        parts = []
        if pd.isna(area):
            parts.append("no geometry (location unknown): not counted, no area")
        if pd.isna(pop):
            parts.append("no population figure for this zone: per-100k and LQ(population) null")
        if not pd.isna(area) and pd.isna(lq):
            parts.append(
                "no platform matched the filter: LQs undefined (null)"
                if total == 0
                else "no matching platform lies in any located zone: LQs undefined (null)"
            )
        notes.append("; ".join(parts) or None)
    return notes
