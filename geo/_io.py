"""Private helpers: reading and checking polygon layers; checked, atomic writes."""

from __future__ import annotations

import errno
import glob
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import WGS84
from geo.errors import (
    CRSMismatchError,
    DataFileError,
    InvalidGeometryError,
    OutputError,
    ValidationError,
)


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
    problems += polygon_problems(gdf, id_column=id_column)
    if problems:
        raise ValidationError(f"{str(path)!r} is not a usable polygon layer:", problems)
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


def polygon_problems(gdf: gpd.GeoDataFrame, *, id_column: str | None = None) -> list[str]:
    """Name the rows that are not polygons, and those with coordinates outside WGS84's range."""
    labels = gdf[id_column] if id_column and id_column in gdf.columns else pd.Series(gdf.index)
    labels = labels.reset_index(drop=True)
    types = gdf.geometry.geom_type.reset_index(drop=True)
    not_polygon = (types.notna() & ~types.isin(["Polygon", "MultiPolygon"])).to_numpy()
    xy, row = shapely.get_coordinates(gdf.geometry.values, return_index=True)
    bad = ~(np.isfinite(xy).all(axis=1) & (np.abs(xy[:, 0]) <= 180) & (np.abs(xy[:, 1]) <= 90))
    out_of_range = np.isin(np.arange(len(gdf)), row[bad])
    problems = []
    if not_polygon.any():
        kinds = ", ".join(sorted(set(types[not_polygon])))
        problems.append(
            f"{_rows(labels[not_polygon])}: {kinds}, not Polygon or MultiPolygon; a zone layer "
            "needs the zones' areas, not points or lines"
        )
    if out_of_range.any():
        problems.append(
            f"{_rows(labels[out_of_range])}: coordinates outside lon -180..180, lat -90..90 or "
            "not finite; the file must be WGS84 longitude/latitude in degrees (EPSG:4326)"
        )
    return problems


def _rows(labels: pd.Series) -> str:
    shown = ", ".join(repr(v) for v in labels.tolist()[:5])
    more = f" and {len(labels) - 5} more" if len(labels) > 5 else ""
    return f"row{'s' if len(labels) > 1 else ''} {shown}{more}"


def require_geometries(gdf: gpd.GeoDataFrame, *, what: str) -> None:
    """Raise :class:`InvalidGeometryError` if any geometry is missing, empty or invalid."""
    problems = geometry_problems(gdf)
    if problems:
        raise InvalidGeometryError(f"{what}: " + "; ".join(problems[:10]))


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts, missing values as ``None`` (JSON ``null``), not NaN."""
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def write_atomic(path: Path, data: bytes | Iterable[bytes], *, mode: int | None = None) -> None:
    """Write ``data`` (bytes, or chunks of bytes) to ``path`` through a temporary file and a rename.

    The temporary file sits beside ``path``; on any failure it is removed and an existing file at
    ``path`` is left as it was, so a reader never sees a torn file. The file keeps its mode when
    it exists; a new one gets ``mode`` if given, else follows the umask (as ``open`` would). The
    data and the directory entry are fsynced before returning.

    Raises
    ------
    geo.errors.OutputError
        When the file system refuses (no such folder, permission denied, a full disk), naming
        ``path`` and what to do.
    """
    path = Path(path)
    try:
        _write_atomic(path, data, mode)
    except OutputError:
        raise
    except OSError as exc:
        raise output_error(path, exc) from exc


def _write_atomic(path: Path, data: bytes | Iterable[bytes], mode: int | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        target_mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        target_mode = mode if mode is not None else 0o666 & ~current_umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in [data] if isinstance(data, bytes | bytearray) else data:
                fh.write(chunk)
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


def check_output_file(path: Path) -> None:
    """Raise :class:`~geo.errors.OutputError` unless :func:`write_atomic` can write ``path``.

    ``path`` must not be a directory or a device, and a file must be creatable in its folder (or
    in the nearest existing parent when the folder is still to be made). Leaves nothing behind.
    """
    path = Path(path)
    try:
        if path.is_dir():
            raise OutputError(f"cannot write {str(path)!r}: it is a folder; give a file name")
        if path.exists() and not path.is_file():
            raise OutputError(
                f"cannot write {str(path)!r}: it is not a regular file; give a file path"
            )
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise output_error(path, exc) from exc
    _check_can_create(path.parent, path)


def check_output_dir(path: Path) -> None:
    """Raise :class:`~geo.errors.OutputError` unless files can be written into folder ``path``."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"cannot write into {str(path)!r}: it is a file; give a folder")
    _check_can_create(path, path)


def _check_can_create(folder: Path, path: Path) -> None:
    """Create and remove a probe file in ``folder`` (or its nearest existing parent)."""
    try:
        while not folder.exists():
            folder = folder.parent
        if not folder.is_dir():
            raise OutputError(
                f"cannot write {str(path)!r}: {str(folder)!r} is a file, not a folder"
            )
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".biomap-probe.", suffix=".tmp")
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise output_error(path, exc, folder=folder) from exc
    os.close(fd)
    Path(probe).unlink()


#: Why a write failed, by errno, and what to do about it.
_REASONS = {
    errno.ENOSPC: "the disk is full; free some space or write elsewhere",
    errno.EDQUOT: "the disk quota is used up; free some space or write elsewhere",
    errno.EACCES: "permission denied; choose a folder you can write to",
    errno.EPERM: "permission denied; choose a folder you can write to",
    errno.EROFS: "the file system is read-only; choose another folder",
    errno.EISDIR: "it is a folder; give a file name",
    errno.ENOTDIR: "part of the path is a file, not a folder; check the path",
}


def output_error(path: Path, exc: OSError, *, folder: Path | None = None) -> OutputError:
    """An :class:`~geo.errors.OutputError` saying why ``path`` could not be written."""
    folder = folder if folder is not None else Path(path).parent
    reason = _REASONS.get(exc.errno or 0) or (
        f"cannot create files in {str(folder)!r} ({exc.strerror or exc}); "
        "choose a folder you can write to"
    )
    return OutputError(f"cannot write {str(path)!r}: {reason}")


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
