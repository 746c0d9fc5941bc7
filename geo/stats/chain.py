"""Service-chain coverage: which chain stages (and platform types) each zone has, and the gaps.

The study says the "innovation service chain has basically taken shape, but platforms at both
ends of the service chain are still missing". :func:`chain_matrix` counts platforms per zone and
chain stage (optionally per type and stage, or per type); a platform that serves several
stages counts once in each, and platforms that list no stage are counted in an ``unstaged``
column that is never a gap. :func:`chain_gaps` lists the zero cells of located zones, ranked
so that gaps in populous (or platform-rich) zones come first. Zones without a geometry
(location unknown, e.g. most of the provisional 363 layer) cannot receive platforms: they are
listed apart as ``unlocated``, not as gaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._io import frame_records
from geo.errors import BiomapError
from geo.filters import PlatformFilter
from geo.stats.density import (
    DistrictBasis,
    assign_zone_ids,
    filter_dict,
    zone_areas_km2,
    zone_populations,
)
from geo.taxonomy import CHAIN_STAGES, PLATFORM_TYPES, label
from geo.zones import ZoneLayer

if TYPE_CHECKING:
    from geo.cities import City

Dimension = Literal["stage", "type", "type_stage"]
DIMENSIONS: tuple[str, ...] = ("stage", "type", "type_stage")
RankBy = Literal["population", "count"]
UNSTAGED = "unstaged"
_UNSTAGED_LABEL = ("未标注环节", "No stage recorded")
_SEP = "/"


class ChainOptionError(BiomapError, ValueError):
    """An unknown dimension or ranking was asked for."""


@dataclass
class ChainMatrix:
    """Platform counts per zone (rows) and chain stage / type (columns).

    Attributes
    ----------
    counts
        Index ``zone_id``; one column per key (``basic_research``, or
        ``public_technology/basic_research`` for ``type_stage``), plus ``unstaged`` for stage
        dimensions. Zones without a geometry have zeros and ``located`` False in ``zones``.
    zones
        ``zone_id``, ``name_zh``, ``name_en``, ``total`` (distinct platforms), ``population``,
        ``located``.
    keys
        The gap-eligible columns, in taxonomy order.
    city
        City-wide count per key (all matching platforms, also those outside every zone).
    """

    layer: str
    dimension: str
    counts: pd.DataFrame
    zones: pd.DataFrame
    keys: list[str]
    city: dict[str, int]
    total: int
    filter: PlatformFilter = field(default_factory=PlatformFilter)
    district_basis: str = "administrative"

    def key_labels(self, lang: str = "zh") -> dict[str, str]:
        """Human labels of every column key in ``lang`` (``zh`` or ``en``)."""
        return {k: key_label(k, lang) for k in self.counts.columns}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: columns with bilingual labels, one record per zone, city totals."""
        zones = []
        for zid, row in self.zones.set_index("zone_id").iterrows():
            zones.append(
                {
                    "zone_id": zid,
                    "name_zh": row["name_zh"],
                    "name_en": row["name_en"],
                    "total": int(row["total"]),
                    "population": None if pd.isna(row["population"]) else int(row["population"]),
                    "located": bool(row["located"]),
                    "counts": {k: int(v) for k, v in self.counts.loc[zid].items()},
                }
            )
        return {
            "layer": self.layer,
            "dimension": self.dimension,
            "columns": [
                {
                    "key": k,
                    "zh": key_label(k, "zh"),
                    "en": key_label(k, "en"),
                    "gap_eligible": k in self.keys,
                }
                for k in self.counts.columns
            ],
            "zones": zones,
            "city": self.city,
            "total": self.total,
            "filter": filter_dict(self.filter),
            "district_basis": self.district_basis,
            "note": "a platform serving several stages counts once in each; zones with no "
            "geometry (location unknown) cannot receive platforms and are not gaps",
        }


def key_label(key: str, lang: str = "zh") -> str:
    """Label of a matrix column key (stage, type or ``type/stage``) in ``zh`` or ``en``."""
    if key == UNSTAGED:
        return _UNSTAGED_LABEL[0 if lang == "zh" else 1]
    if _SEP in key:
        typ, stage = key.split(_SEP, 1)
        return f"{label('type', typ, lang)} · {key_label(stage, lang)}"
    if key in PLATFORM_TYPES:
        return label("type", key, lang)
    return label("chain_stages", key, lang)


def chain_matrix(
    platforms: gpd.GeoDataFrame,
    layer: ZoneLayer,
    *,
    city: City,
    dimension: Dimension = "stage",
    filter: PlatformFilter | None = None,
    district_basis: DistrictBasis = "administrative",
) -> ChainMatrix:
    """Count platforms per zone and chain stage, type, or type and stage.

    Parameters
    ----------
    platforms
        Registry frame (WGS84 points) with ``type`` and ``chain_stages``.
    layer
        Zone layer to count by.
    dimension
        ``"stage"``, ``"type"`` or ``"type_stage"``.
    filter
        Which platforms to count; no match gives an all-zero matrix.
    district_basis
        ``"managing"`` counts Bio-Island under Huangpu on the districts layer.

    Returns
    -------
    ChainMatrix

    Raises
    ------
    ChainOptionError
        For an unknown ``dimension``.
    """
    if dimension not in DIMENSIONS:
        raise ChainOptionError(
            f"unknown dimension {dimension!r}; use one of {', '.join(DIMENSIONS)}"
        )
    flt = filter or PlatformFilter()
    kept = platforms[flt.mask(platforms)] if len(platforms) else platforms
    ids = assign_zone_ids(kept, layer, city=city, district_basis=district_basis)
    keys = _keys(dimension)
    columns = [*keys, *([UNSTAGED] if dimension != "type" else [])]
    long = _long_form(kept, ids, dimension)
    zone_ids = layer.zones["zone_id"].tolist()
    in_zone = long[long["zone_id"].notna()]
    counts = pd.crosstab(in_zone["zone_id"], in_zone["key"]) if len(in_zone) else pd.DataFrame()
    counts = counts.reindex(index=zone_ids, columns=columns, fill_value=0).astype(int)
    counts.index.name = "zone_id"
    counts.columns.name = None
    city_counts = long["key"].value_counts()
    city = {k: int(city_counts.get(k, 0)) for k in columns}
    zones = pd.DataFrame(
        {
            "zone_id": zone_ids,
            "name_zh": layer.zones["name_zh"].tolist(),
            "name_en": layer.zones["name_en"].tolist(),
            "total": pd.Series(zone_ids).map(ids.value_counts()).fillna(0).astype(int).tolist(),
            "population": zone_populations(layer).to_numpy(),
            "located": zone_areas_km2(layer).notna().to_numpy(),
        }
    )
    return ChainMatrix(
        layer.name, dimension, counts, zones, keys, city, len(kept), flt, district_basis
    )


def _keys(dimension: str) -> list[str]:
    if dimension == "stage":
        return list(CHAIN_STAGES)
    if dimension == "type":
        return list(PLATFORM_TYPES)
    return [f"{t}{_SEP}{s}" for t in PLATFORM_TYPES for s in CHAIN_STAGES]


def _long_form(kept: gpd.GeoDataFrame, ids: pd.Series, dimension: str) -> pd.DataFrame:
    """One row per (platform, key): the platform's zone and the key it counts under."""
    if not len(kept):
        return pd.DataFrame({"zone_id": pd.Series(dtype=object), "key": pd.Series(dtype=object)})
    frame = pd.DataFrame({"zone_id": ids.to_numpy(), "type": kept["type"].to_numpy()})
    if dimension == "type":
        return frame.rename(columns={"type": "key"})[["zone_id", "key"]]
    stages = [list(v) if v is not None and len(v) else [UNSTAGED] for v in kept["chain_stages"]]
    frame["stage"] = stages
    frame = frame.explode("stage", ignore_index=True)
    if dimension == "stage":
        frame["key"] = frame["stage"]
    else:
        frame["key"] = np.where(
            frame["stage"] == UNSTAGED, UNSTAGED, frame["type"] + _SEP + frame["stage"]
        )
    return frame[["zone_id", "key"]]


def chain_gaps(matrix: ChainMatrix, *, rank_by: RankBy = "population") -> pd.DataFrame:
    """List the absent stages (or types) of every located zone, most notable first.

    Parameters
    ----------
    matrix
        From :func:`chain_matrix`.
    rank_by
        ``"population"``: zones with more residents first (zones without a figure last, said
        in ``note``), then by platform count; ``"count"``: zones with more platforms first,
        then by population.

    Returns
    -------
    pandas.DataFrame
        One row per (zone, missing key): ``rank``, ``zone_id``, ``name_zh``, ``name_en``,
        ``missing``, ``missing_zh``, ``missing_en``, ``zone_total``, ``population``, ``note``.
        Empty when nothing is missing.

    Raises
    ------
    ChainOptionError
        For an unknown ``rank_by``.
    """
    if rank_by not in ("population", "count"):
        raise ChainOptionError(f"unknown rank_by {rank_by!r}; use 'population' or 'count'")
    zones = matrix.zones[matrix.zones["located"]].copy()
    order = ["population", "total"] if rank_by == "population" else ["total", "population"]
    zones = zones.sort_values(
        [*order, "zone_id"], ascending=[False, False, True], na_position="last", kind="stable"
    )
    rows = []
    for rank, zone in enumerate(zones.itertuples(index=False), start=1):
        cells = matrix.counts.loc[zone.zone_id, matrix.keys]
        note = (
            "no population figure: ranked last"
            if rank_by == "population" and pd.isna(zone.population)
            else None
        )
        for key in cells.index[cells.to_numpy() == 0]:
            rows.append(
                {
                    "rank": rank,
                    "zone_id": zone.zone_id,
                    "name_zh": zone.name_zh,
                    "name_en": zone.name_en,
                    "missing": key,
                    "missing_zh": key_label(key, "zh"),
                    "missing_en": key_label(key, "en"),
                    "zone_total": int(zone.total),
                    "population": zone.population,
                    "note": note,
                }
            )
    columns = ["rank", "zone_id", "name_zh", "name_en", "missing", "missing_zh", "missing_en",
               "zone_total", "population", "note"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def unlocated_zones(matrix: ChainMatrix) -> list[str]:
    """Zones with no geometry: they cannot receive platforms, so they are not gaps."""
    return matrix.zones.loc[~matrix.zones["located"], "zone_id"].tolist()


def gaps_to_records(gaps: pd.DataFrame) -> list[dict[str, Any]]:
    """Gap rows as JSON-ready dicts (nulls for missing populations)."""
    out = frame_records(gaps)
    for row in out:
        if row["population"] is not None:
            row["population"] = int(row["population"])
    return out


def chain_report(
    platforms: gpd.GeoDataFrame,
    layer: ZoneLayer,
    *,
    city: City,
    dimension: Dimension = "stage",
    rank_by: RankBy = "population",
    filter: PlatformFilter | None = None,
    district_basis: DistrictBasis = "administrative",
) -> dict[str, Any]:
    """Matrix, ranked gaps and unlocated zones in one JSON-ready dict (CLI ``--format json``, API).

    Parameters are those of :func:`chain_matrix` and :func:`chain_gaps`.
    """
    matrix = chain_matrix(
        platforms,
        layer,
        city=city,
        dimension=dimension,
        filter=filter,
        district_basis=district_basis,
    )
    out = matrix.to_dict()
    out["rank_by"] = rank_by
    out["gaps"] = gaps_to_records(chain_gaps(matrix, rank_by=rank_by))
    out["unlocated_zones"] = unlocated_zones(matrix)
    return out
