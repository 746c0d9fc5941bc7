"""The platform registry: the record schema and the stores that keep it (:func:`open_store`)."""

from geo.store.base import DEFAULT_REGISTRY, SCHEMES, PlatformStore, load_registry, open_store
from geo.store.file import GeoJSONStore
from geo.store.schema import (
    LIST_FIELDS,
    PlatformRecord,
    frame_to_records,
    parse_geojson,
    records_to_frame,
    to_geojson,
    validate_records,
)

__all__ = [
    "DEFAULT_REGISTRY",
    "LIST_FIELDS",
    "SCHEMES",
    "GeoJSONStore",
    "PlatformRecord",
    "PlatformStore",
    "frame_to_records",
    "load_registry",
    "open_store",
    "parse_geojson",
    "records_to_frame",
    "to_geojson",
    "validate_records",
]
