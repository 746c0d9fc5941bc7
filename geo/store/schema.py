"""The platform record schema, validation, and conversion to frames and GeoJSON.

A platform record carries the study's taxonomy (type, sub-kind, fields, supporting unit, level,
service-chain stages), bilingual names, host and address, the point with its coordinate
provenance (where it came from, the CRS it came in, its precision), the assigned district and
zones, and the record's own provenance (source, date, verification status).

Stores (:mod:`geo.store`) keep records; this module says what a valid record is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
import shapely
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from geo.crs import WGS84
from geo.errors import DataFileError
from geo.taxonomy import (
    SUB_KINDS_BY_TYPE,
    VOCABULARIES,
)

LIST_FIELDS = ("fields", "chain_stages")
#: JSON Schema keywords kept when describing a record field to API clients.
_SCHEMA_KEYWORDS = ("type", "format", "enum", "items", "minimum", "maximum", "pattern")


def _check_code(value: str, vocabulary: dict, name: str) -> str:
    if value not in vocabulary:
        raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(vocabulary)}")
    return value


class PlatformRecord(BaseModel):
    """One platform. Field names are the GeoJSON property names."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=300)
    host_zh: str | None = None
    host_en: str | None = None
    type: str
    sub_kind: str
    fields: list[str] = Field(min_length=1)
    supporting_unit: str
    level: str = "none"
    chain_stages: list[str] = Field(default_factory=list)
    address_zh: str | None = None
    established: int | None = Field(default=None, ge=1900, le=2100)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    coord_source: str = Field(min_length=1)
    coord_crs_in: Literal["wgs84", "gcj02", "bd09"]
    coord_precision: str
    coord_uncertainty_m: float | None = Field(default=None, ge=0)
    district_adcode: str | None = None
    managing_adcode: str | None = None
    district_override: str | None = None
    source: str = Field(min_length=1)
    source_date: str = Field(min_length=4)
    licence: str = "CC BY 4.0 (biomap registry)"
    verification: str
    note: str | None = None
    zones: dict[str, str | None] = Field(default_factory=dict)

    @field_validator(
        "type", "sub_kind", "supporting_unit", "level", "coord_precision", "verification"
    )
    @classmethod
    def _code(cls, v: str, info: ValidationInfo) -> str:
        name = info.field_name or ""
        return _check_code(v, VOCABULARIES[name], name)

    @field_validator("fields", "chain_stages")
    @classmethod
    def _lists(cls, v: list[str], info: ValidationInfo) -> list[str]:
        name = info.field_name or ""
        for item in v:
            _check_code(item, VOCABULARIES[name], name)
        return list(dict.fromkeys(v))

    @model_validator(mode="after")
    def _consistent(self) -> PlatformRecord:
        if self.sub_kind not in SUB_KINDS_BY_TYPE[self.type]:
            allowed = ", ".join(sorted(SUB_KINDS_BY_TYPE[self.type]))
            raise ValueError(
                f"sub_kind {self.sub_kind!r} does not fit type {self.type!r} ({allowed})"
            )
        return self


def record_property_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of each record field as a feature property (``lon``/``lat``/``zones`` aside).

    Derived from :class:`PlatformRecord`: one ``type`` per property (a missing value is
    ``null``), code lists as ``enum``. GDAL's OAPIF driver reads only a plain ``type``, not
    ``anyOf`` or a list of types, hence the nullable branch is dropped.

    Examples
    --------
    >>> record_property_schemas()["established"]["type"]
    'integer'
    >>> record_property_schemas()["fields"]["items"]["type"]
    'string'
    """
    out = {}
    for name, spec in PlatformRecord.model_json_schema()["properties"].items():
        if name in ("lon", "lat", "zones"):
            continue
        branches = [b for b in spec.get("anyOf", [spec]) if b.get("type") != "null"]
        prop = {k: v for k, v in {**spec, **branches[0]}.items() if k in _SCHEMA_KEYWORDS}
        codes = sorted(VOCABULARIES.get(name, ()))
        if codes:
            target = prop["items"] if prop.get("type") == "array" else prop
            target["enum"] = codes
        out[name] = prop
    return out


def validate_records(
    records: Iterable[dict[str, Any]],
) -> tuple[list[PlatformRecord], list[str]]:
    """Validate raw records; return the valid ones and a list of every problem found.

    A record with problems is left out of the valid list; the others are kept. Duplicate ids
    are problems too (the first occurrence is kept).
    """
    valid: list[PlatformRecord] = []
    problems: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(records):
        label = f"record {i} (id {raw.get('id')!r})" if isinstance(raw, dict) else f"record {i}"
        if not isinstance(raw, dict):
            problems.append(f"{label}: not an object")
            continue
        try:
            rec = PlatformRecord.model_validate(raw)
        except PydanticValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "record"
                problems.append(f"{label}: {where}: {err['msg']}")
            continue
        if rec.id in seen:
            problems.append(f"{label}: duplicate id {rec.id!r}")
            continue
        seen.add(rec.id)
        valid.append(rec)
    return valid, problems


def records_to_frame(records: Iterable[PlatformRecord]) -> gpd.GeoDataFrame:
    """Turn validated records into a WGS84 GeoDataFrame (zones flattened to ``zone_<layer>``)."""
    rows = []
    for rec in records:
        row = rec.model_dump()
        for layer, zone in row.pop("zones").items():
            row[f"zone_{layer}"] = zone
        rows.append(row)
    columns = [*PlatformRecord.model_fields]
    columns.remove("zones")
    df = pd.DataFrame(rows, columns=None if rows else columns)
    geometry = shapely.points(df["lon"].to_numpy(float), df["lat"].to_numpy(float)) if rows else []
    return gpd.GeoDataFrame(df, geometry=geometry, crs=WGS84)


def frame_to_records(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Turn a registry frame back into plain record dicts (``zone_<layer>`` -> ``zones``)."""
    out = []
    zone_cols = [c for c in gdf.columns if c.startswith("zone_")]
    for row in pd.DataFrame(gdf.drop(columns="geometry")).to_dict(orient="records"):
        rec = {k: _clean(v) for k, v in row.items() if k not in zone_cols}
        rec["zones"] = {c.removeprefix("zone_"): _clean(row[c]) for c in zone_cols}
        out.append(rec)
    return out


def _clean(value: Any) -> Any:
    if isinstance(value, float) and pd.isna(value):
        return None
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def to_geojson(records: Iterable[PlatformRecord]) -> dict[str, Any]:
    """Serialise records as an RFC 7946 FeatureCollection (WGS84 lon/lat)."""
    features = []
    for rec in records:
        props = rec.model_dump(exclude={"lon", "lat"})
        features.append(
            {
                "type": "Feature",
                "id": rec.id,
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(rec.lon, 7), round(rec.lat, 7)],
                },
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def parse_geojson(data: dict[str, Any], *, where: str = "registry") -> list[dict[str, Any]]:
    """Turn a FeatureCollection into raw record dicts (lon/lat from the point geometry)."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise DataFileError(f"{where} is not a GeoJSON FeatureCollection")
    crs = data.get("crs", {}).get("properties", {}).get("name") if data.get("crs") else None
    if crs and "4326" not in crs and "CRS84" not in crs:
        raise DataFileError(f"{where} declares CRS {crs!r}; biomap's registry is WGS84 lon/lat")
    records = []
    for i, feat in enumerate(data.get("features", [])):
        props = dict(feat.get("properties") or {})
        geom = feat.get("geometry") or {}
        coords = geom.get("coordinates") if geom.get("type") == "Point" else None
        if coords and len(coords) >= 2:
            props["lon"], props["lat"] = coords[0], coords[1]
        else:
            props.setdefault("lon", None)
            props.setdefault("lat", None)
        props.setdefault("id", feat.get("id", f"feature-{i}"))
        records.append(props)
    return records
