"""The platform registry: the record schema and the stores that keep it (:func:`open_store`)."""

from geo.store.base import (
    ANY,
    DEFAULT_REGISTRY,
    SCHEMES,
    Change,
    PlatformStore,
    TokenRecord,
    TokenStore,
    diff_changes,
    etag,
    load_registry,
    open_store,
    opened_store,
)
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


def _open_postgis(url: str) -> PlatformStore:
    """Import the PostGIS store (and psycopg) only when a ``postgresql://`` URL is opened."""
    from geo.store.postgis import open_postgis

    return open_postgis(url)


SCHEMES.setdefault("postgresql", _open_postgis)
SCHEMES.setdefault("postgres", _open_postgis)

__all__ = [
    "ANY",
    "DEFAULT_REGISTRY",
    "LIST_FIELDS",
    "SCHEMES",
    "Change",
    "GeoJSONStore",
    "PlatformRecord",
    "PlatformStore",
    "TokenRecord",
    "TokenStore",
    "diff_changes",
    "etag",
    "frame_to_records",
    "load_registry",
    "open_store",
    "opened_store",
    "parse_geojson",
    "records_to_frame",
    "to_geojson",
    "validate_records",
]
