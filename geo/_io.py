"""Private helpers: reading and checking polygon layers, atomic writes."""

from __future__ import annotations

import glob
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo.crs import WGS84
from geo.errors import CRSMismatchError, DataFileError, InvalidGeometryError, ValidationError


def read_layer(
    path: Path,
    *,
    required: Iterable[str],
    id_column: str | None,
    allow_missing_geometry: bool = False,
) -> gpd.GeoDataFrame:
    """Read a GeoJSON polygon layer and check it; every problem is reported at once."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"no such file: {str(path)!r}; check the path or rebuild data/")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:
        raise DataFileError(f"cannot read {str(path)!r} as GeoJSON: {exc}") from exc
    check_crs(gdf, WGS84, what=str(path))
    problems = [f"missing column {c!r}" for c in required if c not in gdf.columns]
    if id_column and id_column in gdf.columns:
        dup = gdf[id_column][gdf[id_column].duplicated()].tolist()
        problems += [f"duplicate {id_column} {v!r}" for v in dup]
    problems += geometry_problems(gdf, allow_missing=allow_missing_geometry, id_column=id_column)
    if problems:
        raise ValidationError(f"{path.name} is not a usable layer:", problems)
    if id_column:
        gdf = gdf.sort_values(id_column, kind="stable").reset_index(drop=True)
    return gdf


def check_crs(gdf: gpd.GeoDataFrame, expected: str, *, what: str) -> None:
    """Raise :class:`CRSMismatchError` unless ``gdf`` is in ``expected``."""
    if gdf.crs is None:
        raise CRSMismatchError(
            f"{what} has no CRS; biomap stores WGS84: set it with .set_crs({expected!r}) if the "
            "coordinates are WGS84, or convert GCJ-02/BD-09 input with geo.crs.to_wgs84 first"
        )
    if not gdf.crs.equals(expected):
        raise CRSMismatchError(
            f"{what} is in {gdf.crs.to_string()!r} but {expected!r} is required; "
            f"reproject with .to_crs({expected!r})"
        )


def geometry_problems(
    gdf: gpd.GeoDataFrame, *, allow_missing: bool = False, id_column: str | None = None
) -> list[str]:
    """List missing, empty and invalid geometries by row label."""
    labels = gdf[id_column] if id_column and id_column in gdf.columns else pd.Series(gdf.index)
    geoms = gdf.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    problems = []
    if not allow_missing:
        problems += [f"row {lab!r}: missing or empty geometry" for lab in labels[missing]]
    invalid = ~missing & ~shapely.is_valid(geoms)
    for lab, geom in zip(labels[invalid], geoms[invalid], strict=True):
        problems.append(f"row {lab!r}: invalid geometry ({shapely.is_valid_reason(geom)})")
    return problems


def require_geometries(gdf: gpd.GeoDataFrame, *, what: str) -> None:
    """Raise :class:`InvalidGeometryError` if any geometry is missing, empty or invalid."""
    problems = geometry_problems(gdf)
    if problems:
        raise InvalidGeometryError(f"{what}: " + "; ".join(problems[:10]))


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts, missing values as ``None`` (JSON ``null``), not NaN."""
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, so no torn file.

    The file keeps its mode when it exists; a new one gets ``mode`` if given, else follows the
    umask (as ``open`` would). The data and the directory entry are fsynced before returning.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        target_mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        target_mode = mode if mode is not None else 0o666 & ~current_umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), target_mode)
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
        _fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_temps(path: Path) -> list[Path]:
    """The temporary files :func:`write_atomic` makes for ``path`` that are still there.

    Each is ``.<name>.<8 random characters>.tmp`` beside ``path``; one outlives its write only
    when the writer was killed. Removing them is safe only where no write of ``path`` can be in
    flight (the store does it holding its writers' lock).
    """
    path = Path(path)
    name = re.compile(rf"^\.{re.escape(path.name)}\.[a-z0-9_]{{8}}\.tmp$")
    return [p for p in path.parent.glob(f".{glob.escape(path.name)}.*.tmp") if name.match(p.name)]


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: the classic set-and-restore (not thread-safe)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
