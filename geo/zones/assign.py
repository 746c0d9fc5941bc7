"""Assign points to districts, management areas and every zone layer in one pass.

Edge rule: zone polygons are closed (a point on an edge is covered). Where several zones of one
layer cover a point, the zone with the smallest area wins and equal areas fall back to the lower
``zone_id``; so a point exactly on the edge two districts share gets exactly one district, and a
point in a zone nested in another gets the inner one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._io import check_crs
from geo.crs import WGS84
from geo.errors import InvalidGeometryError
from geo.zones.layers import ZoneLayer

if TYPE_CHECKING:
    from geo.cities.city import City
    from geo.store.schema import PlatformRecord


def assign_points(
    lon: np.ndarray, lat: np.ndarray, layers: Mapping[str, ZoneLayer]
) -> pd.DataFrame:
    """Return the zone id of every point in every layer (``None`` where no zone covers it).

    Parameters
    ----------
    lon, lat
        WGS84 coordinates (arrays of equal length).
    layers
        ``name -> ZoneLayer``; each gives one output column named after it.

    Returns
    -------
    pandas.DataFrame
        One row per point, one column per layer, holding ``zone_id`` values or ``None``.
    """
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    out = {}
    for name, layer in layers.items():
        pos = layer.index.lookup(lon, lat)
        ids = layer.zones["zone_id"].to_numpy(dtype=object)
        out[name] = pd.Series(np.where(pos >= 0, ids[np.maximum(pos, 0)], None), dtype=object)
    return pd.DataFrame(out, index=pd.RangeIndex(len(lon)))


def assign_frame(
    points: gpd.GeoDataFrame | gpd.GeoSeries, layers: Mapping[str, ZoneLayer]
) -> pd.DataFrame:
    """Like :func:`assign_points` for a point GeoDataFrame; checks its CRS and geometries.

    Raises
    ------
    geo.errors.CRSMismatchError
        If the points are not WGS84 (the message names both CRSs and the fix).
    geo.errors.InvalidGeometryError
        If a geometry is missing, empty or not a point.
    """
    frame = points if isinstance(points, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=points)
    check_crs(frame, WGS84, what="the points")
    geom = frame.geometry
    bad = geom.isna() | geom.is_empty | (geom.geom_type != "Point")
    if bad.any():
        raise InvalidGeometryError(
            f"{int(bad.sum())} geometries are missing, empty or not points "
            f"(rows {list(frame.index[bad][:10])}); drop or fix them before assigning"
        )
    result = assign_points(geom.x.to_numpy(), geom.y.to_numpy(), layers)
    result.index = frame.index
    return result


@dataclass
class AssignmentReport:
    """What :func:`assign_platforms` found: counts and per-platform flags."""

    total: int = 0
    outside_city: list[str] = field(default_factory=list)
    conflicts: list[dict[str, str | None]] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    per_district: dict[str, int] = field(default_factory=dict)
    #: A region's platforms per member city (``city_adcode -> count``); empty for a city.
    per_city: dict[str, int] = field(default_factory=dict)
    city_name: str = "the city"

    def lines(self) -> list[str]:
        """The report as human-readable lines."""
        out = [f"{self.total} platforms assigned"]
        out += [f"  {code}: {n}" for code, n in sorted(self.per_district.items())]
        if self.per_city:
            out.append("per city:")
            out += [f"  {code}: {n}" for code, n in sorted(self.per_city.items())]
        out.append(
            f"{len(self.outside_city)} outside {self.city_name}: {', '.join(self.outside_city) or '-'}"
        )
        out.append(f"{len(self.changed)} changed district since the last assignment")
        for c in self.conflicts:
            out.append(
                f"conflict {c['id']}: address names {c['address_district']} but the point is in "
                f"{c['district']}" + (f" (override: {c['override']})" if c["override"] else "")
            )
        return out


def assign_platforms(
    platforms: gpd.GeoDataFrame,
    city: City,
    layers: Mapping[str, ZoneLayer] | None = None,
) -> tuple[gpd.GeoDataFrame, AssignmentReport]:
    """Assign registry platforms to districts, managing districts and every zone layer.

    Sets ``district_adcode`` (administrative), ``managing_adcode`` (from the management areas
    where one applies, else the administrative district) and ``zone_<layer>`` for every other
    layer. In a region (``prd``) ``zone_cities`` is the city adcode of the platform's unit. Flags points outside the city and points whose district differs from the one their
    address names (an explained ``district_override`` is still reported, marked as such).

    Parameters
    ----------
    platforms
        Registry frame (WGS84 points).
    city
        Gives the units, management areas and the unit names addresses are checked against.
    layers
        The layers to assign to; the city's own (:meth:`City.zone_layers`) by default.

    Returns
    -------
    (GeoDataFrame, AssignmentReport)
        A copy of ``platforms`` with the assignment columns, and the report.
    """
    layers = dict(layers or city.zone_layers())
    result = assign_frame(platforms, layers)
    out = platforms.copy()
    report = AssignmentReport(total=len(out), city_name=city.profile.name_en)
    old = out["district_adcode"].copy() if "district_adcode" in out else None
    out["district_adcode"] = result.get("districts")
    out["managing_adcode"] = pd.Series(
        city.managing_adcodes(out.geometry.x, out.geometry.y, out["district_adcode"]),
        index=out.index,
        dtype=object,
    )
    for name in layers:
        if name != "districts":
            out[f"zone_{name}"] = result[name]
    if city.is_region and "cities" in layers:
        # a region's city is its unit's city (so a point on a city border cannot disagree)
        out["zone_cities"] = out["district_adcode"].map(city.unit_city).astype(object)
        out["zone_cities"] = out["zone_cities"].where(out["zone_cities"].notna(), None)
        report.per_city = out["zone_cities"].value_counts().to_dict()
    ids = out["id"].astype(str) if "id" in out else out.index.astype(str)
    report.outside_city = ids[out["district_adcode"].isna()].tolist()
    report.per_district = out["district_adcode"].value_counts().to_dict()
    if old is not None:
        moved = old.notna() & (old.fillna("") != out["district_adcode"].fillna(""))
        report.changed = ids[moved].tolist()
    if "address_zh" in out:
        report.conflicts = _conflicts(out, ids, city)
    return out, report


def assign_record(
    record: PlatformRecord, city: City, layers: Mapping[str, ZoneLayer] | None = None
) -> PlatformRecord:
    """:func:`assign_platforms` for one record, without a frame (an edit, a snapshot update).

    Sets the same fields to the same values as :func:`assign_platforms` on a one-row frame
    (``district_adcode``, ``managing_adcode``, ``zones``: the record's own, then every layer's
    but the districts'), looking the point up in each layer's grid index directly.

    Returns
    -------
    PlatformRecord
        A new, validated record (``record`` is not changed).
    """
    layers = dict(layers or city.zone_layers())
    lon = np.array([record.lon], dtype=np.float64)
    lat = np.array([record.lat], dtype=np.float64)
    found: dict[str, str | None] = {}
    for name, layer in layers.items():
        pos = int(layer.index.lookup(lon, lat)[0])
        found[name] = None if pos < 0 else layer.zone_ids[pos]
    district = found.pop("districts", None)
    managing = city.managing_adcode(record.lon, record.lat, district)
    data = record.model_dump()
    data.update(district_adcode=district, managing_adcode=managing, zones={**record.zones, **found})
    return type(record).model_validate(data)


def assign_many(
    records: Sequence[PlatformRecord],
    city: City,
    layers: Mapping[str, ZoneLayer] | None = None,
) -> list[dict[str, Any]]:
    """:func:`assign_record` for many records at once (one grid lookup per layer), as plain
    dicts (``record.model_dump()`` with the same ``district_adcode``, ``managing_adcode`` and
    ``zones`` that :func:`assign_record` sets; not validated again)."""
    layers = dict(layers or city.zone_layers())
    if not records:
        return []
    lon = np.array([r.lon for r in records], dtype=np.float64)
    lat = np.array([r.lat for r in records], dtype=np.float64)
    found: dict[str, list[str | None]] = {}
    for name, layer in layers.items():
        pos = layer.index.lookup(lon, lat)
        found[name] = [None if p < 0 else layer.zone_ids[p] for p in pos]
    district = found.pop("districts", [None] * len(records))
    managing = city.managing_adcodes(lon, lat, np.array(district, dtype=object))
    out = []
    for k, record in enumerate(records):
        data = record.model_dump()
        zones = {name: values[k] for name, values in found.items()}
        managed = managing[k]
        data.update(
            district_adcode=district[k],
            managing_adcode=None if managed is None else str(managed),
            zones={**record.zones, **zones},
        )
        out.append(data)
    return out


def _conflicts(out: gpd.GeoDataFrame, ids: pd.Series, city: City) -> list[dict[str, str | None]]:
    conflicts = []
    override = (
        out["district_override"] if "district_override" in out else pd.Series(None, out.index)
    )
    for i, addr in out["address_zh"].items():
        named = city.unit_named_in(addr)
        got = out.at[i, "district_adcode"]
        if named and got and named != got:
            conflicts.append(
                {
                    "id": ids[i],
                    "address_district": named,
                    "district": got,
                    "override": override[i] if pd.notna(override[i]) else None,
                }
            )
    return conflicts
