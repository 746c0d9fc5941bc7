"""Edits of one record (the API's create, replace and patch), checked exactly as ingest checks rows.

An edit arrives as a GeoJSON Feature: ``properties`` are the record's fields (codes, as the API
returns them), ``geometry`` an optional WGS84 point. Without a point the address is geocoded; a
point (or ``lon``/``lat`` properties with ``coord_crs``, as in an ingest row, for GCJ-02 or BD-09
input) is checked against the city and the district the address names, GCJ-02 mix-ups included.
Derived fields (district, managing district, zones) are recomputed, never taken from the client.
Duplicates of other records (same name and host, or same point and name) are refused.

A point the edit leaves where it was keeps its coordinate provenance; a moved point gets the
provenance of its new source (``supplied:wgs84``, exact) unless the edit states its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError as PydanticValidationError

from geo.errors import RecordInvalidError
from geo.geocoding.geocoder import Geocoder
from geo.ingest.pipeline import _district_problem, _stable_id, finite
from geo.ingest.text import normalise_text_fields
from geo.store import PlatformRecord, to_geojson
from geo.zones import ZoneLayer
from geo.zones.assign import assign_record

if TYPE_CHECKING:
    from geo.cities import City

#: Fields biomap derives itself; a client's values for them are ignored.
DERIVED = ("district_adcode", "managing_adcode", "zones")
#: The coordinate provenance of a point.
COORD_FIELDS = ("coord_source", "coord_crs_in", "coord_precision", "coord_uncertainty_m")
_INPUT_ONLY = ("lon", "lat", "coord_crs")


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply a JSON Merge Patch (RFC 7396) to ``target`` and return the result (a new object)."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def record_feature(record: PlatformRecord) -> dict[str, Any]:
    """``record`` as the GeoJSON Feature the API serves and accepts back."""
    return to_geojson([record])["features"][0]


def prepare_record(
    feature: Any,
    *,
    city: City,
    geocoder: Geocoder,
    others: Mapping[str, PlatformRecord] | None = None,
    record_id: str | None = None,
    current: PlatformRecord | None = None,
    layers: Mapping[str, ZoneLayer] | None = None,
) -> tuple[PlatformRecord, list[str]]:
    """Turn an edit (a GeoJSON Feature) into a valid, assigned record and its warnings.

    Parameters
    ----------
    feature
        The edit: ``{"type": "Feature", "geometry": Point | null, "properties": {...}}``.
    others
        The registry's records by id (the edited one may be among them; it is skipped in the
        duplicate checks); ``None`` leaves the duplicate checks to the caller, who makes them
        with :func:`check_duplicates` where the write happens (the API: in the store's write).
    record_id
        The id the edit must have (from the URL of PUT/PATCH); ``None`` for a create (the id is
        the feature's, its ``properties.id``, or derived from name and host as in ingest).
    current
        The record being replaced (keeps the provenance of an unmoved point).

    Raises
    ------
    geo.errors.RecordInvalidError
        Naming every bad field, with what to do.
    """
    props, point = _read_feature(feature)
    spaced = normalise_text_fields(props)  # before the id, which may derive from name and host
    rid = _record_id(props, feature, record_id)
    props["id"] = rid
    name = props.get("name_zh")
    if not isinstance(name, str) or not name.strip():
        raise RecordInvalidError("the platform has no name", {"name_zh": "give the Chinese name"})
    for key in [k for k in props if k in DERIVED or k.startswith("zone_")]:
        props.pop(key)  # the served form flattens zones to zone_<layer>
    coords = _coordinates(props, point, current, geocoder, city)
    props.update(coords)
    warnings = [*([spaced] if spaced else []), *props.pop("_notes", [])]
    try:
        record = PlatformRecord.model_validate(props)
    except PydanticValidationError as exc:
        fields = {}
        for err in exc.errors():
            fields.setdefault(_field_of(err), err["msg"])
        raise RecordInvalidError("the platform is not valid", fields) from exc
    if others is not None:
        check_duplicates(record, others.values())
    return assign_record(record, city, layers), warnings


def _field_of(error: Any) -> str:
    """The field a pydantic error is about (a cross-field check names it first in its message)."""
    if error["loc"]:
        return ".".join(str(p) for p in error["loc"])
    words = str(error["msg"]).removeprefix("Value error, ").split()
    return words[0] if words and words[0] in PlatformRecord.model_fields else "record"


def _read_feature(feature: Any) -> tuple[dict[str, Any], tuple[float, float] | None]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise RecordInvalidError(
            "the body is not a GeoJSON Feature", {"type": 'send {"type": "Feature", ...}'}
        )
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise RecordInvalidError("the feature has no properties", {"properties": "an object"})
    geom = feature.get("geometry")
    if geom is None:
        return dict(props), None
    coords = geom.get("coordinates") if isinstance(geom, dict) else None
    if (
        not isinstance(geom, dict)
        or geom.get("type") != "Point"
        or not isinstance(coords, list)
        or len(coords) not in (2, 3)
        or not all(isinstance(c, int | float) and math.isfinite(c) for c in coords)
    ):
        raise RecordInvalidError(
            "the geometry is not a point",
            {"geometry": "a GeoJSON Point [lon, lat] in WGS84, or null to geocode the address"},
        )
    return dict(props), (float(coords[0]), float(coords[1]))


def _record_id(props: dict[str, Any], feature: dict[str, Any], record_id: str | None) -> str:
    given = props.get("id", feature.get("id"))
    if record_id is not None:
        if given is not None and str(given) != record_id:
            raise RecordInvalidError(
                "the id in the body differs from the URL's",
                {"id": f"{given!r} is not {record_id!r}; ids cannot be changed"},
            )
        return record_id
    if given is not None:
        return str(given)
    name = props.get("name_zh")
    return _stable_id(str(name or ""), props.get("host_zh"))


def _coordinates(
    props: dict[str, Any],
    point: tuple[float, float] | None,
    current: PlatformRecord | None,
    geocoder: Geocoder,
    city: City,
) -> dict[str, Any]:
    """The point and its provenance, as ingest would find them (``_notes``: warnings)."""
    lon, lat, crs = (props.pop(k, None) for k in _INPUT_ONLY)
    if point is not None:
        lon, lat, crs = point[0], point[1], "wgs84"
    stated = {k: props.pop(k) for k in COORD_FIELDS if k in props}
    if (
        current is not None
        and point is not None
        and abs(point[0] - current.lon) < 1e-7
        and abs(point[1] - current.lat) < 1e-7
    ):  # the point did not move: it keeps where it came from, unless the edit says otherwise
        kept = {k: getattr(current, k) for k in COORD_FIELDS}
        return {"lon": current.lon, "lat": current.lat, **kept, **stated, "_notes": []}
    try:
        lon = None if lon is None else finite(lon)
        lat = None if lat is None else finite(lat)
    except (TypeError, ValueError):
        raise RecordInvalidError(
            "the coordinates are not numbers", {"lon": f"{lon!r}, {lat!r}"}
        ) from None
    result = geocoder.geocode(
        props.get("address_zh"),
        name=props.get("name_zh"),
        host=props.get("host_zh"),
        lon=lon,
        lat=lat,
        crs=crs,
    )
    field = "geometry" if lon is not None else "address_zh"
    if not result.resolved:
        raise RecordInvalidError(
            "the platform could not be placed",
            {field: "; ".join(result.notes) or "could not be geocoded"},
        )
    problem = _district_problem(
        {
            "address_zh": props.get("address_zh"),
            "district_override": props.get("district_override"),
        },
        result,
        city,
    )
    if problem:
        raise RecordInvalidError("the point and the address disagree", {field: problem})
    found = {
        "coord_source": result.source,
        "coord_crs_in": result.coord_crs_in,
        "coord_precision": result.precision,
        "coord_uncertainty_m": result.uncertainty_m,
    }
    if lon is not None:  # a supplied point may state its own provenance (e.g. a survey)
        found.update({k: v for k, v in stated.items() if k != "coord_crs_in"})
    notes = list(result.notes)
    if result.precision == "district":
        notes.append("only a district-level point: add a street, campus or landmark")
    return {"lon": result.lon, "lat": result.lat, **found, "_notes": notes}


def check_duplicates(record: PlatformRecord, others: Iterable[PlatformRecord]) -> None:
    """Refuse ``record`` if another record (another id) has its name and host, or its name
    and point (to 6 decimals); only records with the same ``name_zh`` can be duplicates.

    Raises
    ------
    geo.errors.RecordInvalidError
        Naming the duplicate and what to do.
    """
    for other in others:
        if other.id == record.id:
            continue
        if (other.name_zh, other.host_zh or "") == (record.name_zh, record.host_zh or ""):
            raise RecordInvalidError(
                "a platform with this name and host exists",
                {"name_zh": f"duplicate of {other.id!r} (same name and host): edit that one"},
            )
        if (
            other.name_zh == record.name_zh
            and round(other.lon, 6) == round(record.lon, 6)
            and round(other.lat, 6) == round(record.lat, 6)
        ):
            raise RecordInvalidError(
                "a platform with this name exists at this point",
                {"name_zh": f"duplicate of {other.id!r} (same point and name): edit that one"},
            )
