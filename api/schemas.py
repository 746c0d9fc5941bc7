"""JSON Schemas of the collections (OGC API - Features Part 5) and their queryables (Part 3).

Property types are derived, never listed by hand: platform properties from the record model
(:func:`geo.store.schema.record_property_schemas`) plus the assigned ``zone_<layer>`` columns;
zone properties from the layer's column dtypes and the density table's. The serialiser reads the
same schemas, so an ``integer`` property is written as ``2023``, never ``2023.0``.

GDAL's OAPIF driver (3.6 to at least 3.12) reads a ``describedby`` schema only in the GeoJSON
Feature form (``properties.properties``), while Part 5 puts the feature's properties at the top.
The schema document carries both: the Part 5 properties, and under ``allOf`` the same types in
the Feature form. A GeoJSON feature of the collection validates against both readings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
#: Part 5 roles: the feature id and the primary geometry.
ROLE = "x-ogc-role"

Properties = dict[str, dict[str, Any]]


def frame_property_schemas(frame: pd.DataFrame) -> Properties:
    """The JSON Schema of each column of ``frame`` (geometry aside), from its dtype."""
    return {str(name): _dtype_schema(frame[name]) for name in frame.columns if name != "geometry"}


def _dtype_schema(column: pd.Series) -> dict[str, Any]:
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return {"type": "boolean"}
    if pd.api.types.is_integer_dtype(dtype):
        return {"type": "integer"}
    if pd.api.types.is_float_dtype(dtype):
        return {"type": "number"}
    if pd.api.types.is_datetime64_any_dtype(dtype):
        times = column.dropna()
        midnight = bool((times == times.dt.normalize()).all())
        return {"type": "string", "format": "date" if midnight else "date-time"}
    values = column.dropna()
    if len(values) and all(isinstance(v, (list, tuple, np.ndarray)) for v in values):
        return {"type": "array", "items": {"type": "string"}}
    return {"type": "string"}


def geometry_format(geometry: Any) -> str:
    """Part 5 ``format`` of a geometry column: ``geometry-point``, ``geometry-polygon``..."""
    geoms = np.asarray(geometry)
    kinds = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
    names = {0: "point", 3: "polygon", 4: "multipoint", 6: "multipolygon", 1: "linestring"}
    if kinds in ({3, 6}, {0, 4}):
        single = names[min(kinds)]
        return f"geometry-{single}-or-multi{single}"
    if len(kinds) == 1 and next(iter(kinds)) in names:
        return f"geometry-{names[next(iter(kinds))]}"
    return "geometry-any"


def integer_properties(properties: Properties) -> tuple[str, ...]:
    """Names of the ``integer`` properties (written as JSON integers)."""
    return tuple(name for name, spec in properties.items() if spec.get("type") == "integer")


def schema_document(
    *,
    url: str,
    title: str,
    properties: Properties,
    id_property: str,
    geometry: str,
) -> dict[str, Any]:
    """The collection's schema: Part 5 properties with roles, and the GeoJSON Feature form."""
    flat: Properties = {}
    for name, spec in properties.items():
        flat[name] = {**spec, ROLE: "id"} if name == id_property else dict(spec)
    flat["geometry"] = {"format": geometry, ROLE: "primary-geometry"}
    feature = {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"type": "object"},
            # "id" is the Feature's own member here (GDAL would list an "id" field twice)
            "properties": {
                "type": "object",
                "properties": {k: v for k, v in properties.items() if k != "id"},
            },
        },
    }
    return {
        "$schema": JSON_SCHEMA,
        "$id": url,
        "title": title,
        "description": "Feature properties and their types; any property may be null. allOf "
        "gives the same types in the GeoJSON Feature form (read by GDAL's OAPIF driver).",
        "type": "object",
        "properties": flat,
        "allOf": [{"$ref": "#/$defs/GeoJSONFeature"}],
        "$defs": {"GeoJSONFeature": feature},
    }
