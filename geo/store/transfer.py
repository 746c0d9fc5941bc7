"""Registry files for moving records between stores: GeoJSON and GeoPackage.

:func:`write_records` writes GeoJSON exactly as the file store does (one Feature per line) or a
GeoPackage layer ``platforms`` (list fields as JSON text, zones as ``zone_<layer>`` columns);
:func:`read_records` reads either back into raw record dicts for
:func:`geo.store.validate_records`. Points come from the geometry, not from ``lon``/``lat``
columns, so a point moved in a GIS is imported where it was moved to.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import geopandas as gpd

from geo._io import write_atomic
from geo.crs import WGS84
from geo.errors import DataFileError
from geo.store.file import geojson_bytes
from geo.store.schema import (
    LIST_FIELDS,
    PlatformRecord,
    frame_to_records,
    parse_geojson,
    records_to_frame,
)

#: File suffix -> format name.
FORMATS = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg"}
GPKG_LAYER = "platforms"


def file_format(path: Path) -> str:
    """``geojson`` or ``gpkg`` from the suffix; :class:`ValueError` naming the known ones."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        known = ", ".join(FORMATS)
        raise ValueError(f"{str(path)!r}: unknown suffix; use one of {known}")
    return fmt


def read_records(path: Path) -> list[dict[str, Any]]:
    """The raw records of a GeoJSON or GeoPackage file (not yet validated).

    Raises
    ------
    geo.errors.DataFileError
        If the file is missing or unreadable.
    ValueError
        For a suffix that is neither GeoJSON nor GeoPackage.
    """
    path = Path(path)
    fmt = file_format(path)
    if not path.is_file():
        raise DataFileError(f"no such file: {str(path)!r}")
    if fmt == "geojson":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataFileError(f"{str(path)!r} is not valid JSON: {exc}") from exc
        return parse_geojson(data, where=str(path))
    return _read_gpkg(path)


def _read_gpkg(path: Path) -> list[dict[str, Any]]:
    try:
        gdf = gpd.read_file(path, layer=GPKG_LAYER, engine="pyogrio")
    except Exception as exc:  # pyogrio raises its own DataSourceError, DataLayerError, ...
        raise DataFileError(
            f"cannot read layer {GPKG_LAYER!r} of {str(path)!r}: {exc}; export one with "
            "`biomap store export FILE.gpkg`"
        ) from exc
    if gdf.crs is None:
        raise DataFileError(f"{str(path)!r} has no CRS; biomap's registry is WGS84 lon/lat")
    gdf = gdf.to_crs(WGS84)
    points = gdf.geometry
    records = frame_to_records(gdf.drop(columns=[c for c in ("lon", "lat") if c in gdf]))
    for rec, point in zip(records, points, strict=True):
        ok = point is not None and not point.is_empty and point.geom_type == "Point"
        rec["lon"], rec["lat"] = (point.x, point.y) if ok else (None, None)
        for name in LIST_FIELDS:
            if isinstance(rec.get(name), str):
                try:
                    rec[name] = json.loads(rec[name])
                except json.JSONDecodeError:
                    rec[name] = [v.strip() for v in rec[name].split(",") if v.strip()]
        if not rec.get("zones"):
            rec["zones"] = {}
    return records


def write_records(records: list[PlatformRecord], path: Path) -> None:
    """Write ``records`` to a GeoJSON or GeoPackage file (replacing it atomically)."""
    path = Path(path)
    if file_format(path) == "geojson":
        write_atomic(path, geojson_bytes(records))
        return
    gdf = records_to_frame(records).drop(columns=["lon", "lat"])
    for name in LIST_FIELDS:
        gdf[name] = [json.dumps(v, ensure_ascii=False) for v in gdf[name]]
    buf = io.BytesIO()  # built in memory, then written like every other output
    gdf.to_file(buf, driver="GPKG", layer=GPKG_LAYER, engine="pyogrio", geometry_type="Point")
    write_atomic(path, buf.getvalue())
