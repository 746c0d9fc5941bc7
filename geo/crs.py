"""Coordinate systems: WGS84 <-> GCJ-02 <-> BD-09, vectorised, and the CRSs biomap measures in.

Everything stored inside biomap is WGS84 (EPSG:4326, lon/lat order). Chinese map services
publish in offset systems: Amap (Gaode) and Tencent in GCJ-02, Baidu in BD-09 (a further
offset on top of GCJ-02). Convert on the way in with :func:`to_wgs84`; shift on the way out
with :func:`from_wgs84` only for tiles that need it (Amap tiles are GCJ-02).

The GCJ-02 forward transform is the widely published public formula (Krasovsky 1940 ellipsoid
constants). It has no closed-form inverse; :func:`gcj02_to_wgs84` inverts it by fixed-point
iteration, which converges by a factor of about 1e-3 per step over southern China: two steps leave
an error of a few millimetres against the formula (tests assert <= 1 cm). The formula itself is
what is inverted exactly; the true GCJ-02 may differ from it by a few metres (see
``data/boundaries/README.md``).

Outside mainland China GCJ-02 equals WGS84 (the usual rough rectangle is used as the guard).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.errors import CoordinateError

#: Storage CRS of everything in biomap.
WGS84 = "EPSG:4326"
# The CRSs distances and areas are measured in belong to a city: ``City.metric_crs`` and
# ``City.equal_area_crs`` (from its profile, ``data/cities/*.toml``).

CoordSystem = Literal["wgs84", "gcj02", "bd09"]
COORD_SYSTEMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as used by the GCJ-02 formula
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006

_ALIASES = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "crs84": "wgs84",
    "cgcs2000": "wgs84",  # at map scale CGCS2000 and WGS84 agree to centimetres
    "epsg:4490": "wgs84",
    "gps": "wgs84",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "tencent": "gcj02",
    "mars": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
}


def normalize_coord_system(name: str) -> CoordSystem:
    """Return the canonical name (``wgs84``, ``gcj02`` or ``bd09``) for a CRS label.

    Parameters
    ----------
    name
        A label such as ``"WGS84"``, ``"EPSG:4326"``, ``"GCJ-02"``, ``"amap"`` or ``"bd09ll"``.

    Raises
    ------
    CoordinateError
        If the label is not one biomap knows.
    """
    key = str(name).strip().lower().replace(" ", "")
    if key not in _ALIASES:
        raise CoordinateError(
            f"unknown coordinate system {name!r}; use one of wgs84, gcj02 (Amap, Tencent) "
            "or bd09 (Baidu)"
        )
    return _ALIASES[key]  # type: ignore[return-value]


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    if x.shape != y.shape:
        raise CoordinateError(f"lon and lat differ in shape: {x.shape} vs {y.shape}")
    return x, y


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where a point lies in the rough rectangle where GCJ-02 applies."""
    x, y = _as_arrays(lon, lat)
    return (x >= 72.004) & (x <= 137.8347) & (y >= 0.8293) & (y <= 55.8271)


#: Where each input system is defined (lon0, lat0, lon1, lat1): GCJ-02 and BD-09 only in China.
VALID_BOUNDS: dict[str, tuple[float, float, float, float]] = {
    "wgs84": (-180.0, -90.0, 180.0, 90.0),
    "gcj02": (72.004, 0.8293, 137.8347, 55.8271),
    "bd09": (72.004, 0.8293, 137.8347, 55.8271),
}


def check_valid(lon: float, lat: float, crs: str) -> None:
    """Raise :class:`CoordinateError` unless (lon, lat) lies where ``crs`` is defined.

    Examples
    --------
    >>> check_valid(113.3, 23.1, "bd09")
    >>> check_valid(-180, -90, "bd09")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geo.errors.CoordinateError: lon -180, lat -90 is outside bd09's range (lon 72.004..137.8347, ...
    """
    system = normalize_coord_system(crs)
    x0, y0, x1, y1 = VALID_BOUNDS[system]
    if not (x0 <= lon <= x1 and y0 <= lat <= y1):
        where = ": China" if system != "wgs84" else ""
        hint = "; send WGS84 coordinates with crs=wgs84" if system != "wgs84" else ""
        raise CoordinateError(
            f"lon {lon:g}, lat {lat:g} is outside {system}'s range (lon {x0}..{x1}, "
            f"lat {y0}..{y1}{where}){hint}"
        )


def _gcj_offset(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    """Degrees that the public GCJ-02 formula adds to a WGS84 point (lon, lat)."""
    dx = x - 105.0
    dy = y - 35.0
    sq = np.sqrt(np.abs(dx))
    s6x = np.sin(6.0 * dx * np.pi)
    s2x = np.sin(2.0 * dx * np.pi)
    common = (20.0 * s6x + 20.0 * s2x) * 2.0 / 3.0
    t_lat = (
        -100.0
        + 2.0 * dx
        + 3.0 * dy
        + 0.2 * dy * dy
        + 0.1 * dx * dy
        + 0.2 * sq
        + common
        + (20.0 * np.sin(dy * np.pi) + 40.0 * np.sin(dy / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(dy / 12.0 * np.pi) + 320.0 * np.sin(dy * np.pi / 30.0)) * 2.0 / 3.0
    )
    t_lon = (
        300.0
        + dx
        + 2.0 * dy
        + 0.1 * dx * dx
        + 0.1 * dx * dy
        + 0.1 * sq
        + common
        + (20.0 * np.sin(dx * np.pi) + 40.0 * np.sin(dx / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(dx / 12.0 * np.pi) + 300.0 * np.sin(dx / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad = y / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (t_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (t_lon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Shift WGS84 lon/lat to GCJ-02 (identity outside China).

    Parameters
    ----------
    lon, lat
        Scalars or arrays of the same shape, in degrees.

    Returns
    -------
    tuple of arrays
        GCJ-02 lon and lat.
    """
    x, y = _as_arrays(lon, lat)
    d_lon, d_lat = _gcj_offset(x, y)
    inside = in_china(x, y)
    return np.where(inside, x + d_lon, x), np.where(inside, y + d_lat, y)


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, iterations: int = 2
) -> tuple[NDArray, NDArray]:
    """Invert GCJ-02 to WGS84 by fixed-point iteration (identity outside China).

    Parameters
    ----------
    lon, lat
        GCJ-02 coordinates in degrees.
    iterations
        Forward evaluations. ``1`` is the common single-step inverse (about 1.3 m mean error
        over Guangzhou); ``2`` (the default) is good to a few millimetres; more changes nothing
        measurable.

    Returns
    -------
    tuple of arrays
        WGS84 lon and lat.
    """
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1, got {iterations!r}")
    gx, gy = _as_arrays(lon, lat)
    wx, wy = gx.copy(), gy.copy()
    for _ in range(iterations):
        d_lon, d_lat = _gcj_offset(wx, wy)
        wx = gx - d_lon
        wy = gy - d_lat
    inside = in_china(gx, gy)
    return np.where(inside, wx, gx), np.where(inside, wy, gy)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Shift GCJ-02 lon/lat to Baidu's BD-09 (``bd09ll``)."""
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def bd09_to_gcj02(
    lon: ArrayLike, lat: ArrayLike, *, iterations: int = 2
) -> tuple[NDArray, NDArray]:
    """Invert BD-09 to GCJ-02: the published closed form refined by fixed-point iteration."""
    bx, by = _as_arrays(lon, lat)
    x = bx - _BD_DLON
    y = by - _BD_DLAT
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    gx, gy = z * np.cos(theta), z * np.sin(theta)
    for _ in range(iterations):
        fx, fy = gcj02_to_bd09(gx, gy)
        gx = gx - (fx - bx)
        gy = gy - (fy - by)
    return gx, gy


def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[NDArray, NDArray]:
    """Convert coordinates declared in ``crs`` (wgs84, gcj02 or bd09) to WGS84."""
    system = normalize_coord_system(crs)
    if system == "wgs84":
        return _as_arrays(lon, lat)
    if system == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[NDArray, NDArray]:
    """Convert WGS84 coordinates to ``crs`` (wgs84, gcj02 or bd09), e.g. for Amap tiles."""
    system = normalize_coord_system(crs)
    if system == "wgs84":
        return _as_arrays(lon, lat)
    gcj = wgs84_to_gcj02(lon, lat)
    return gcj if system == "gcj02" else gcj02_to_bd09(*gcj)


def shift_geometry(geom, crs: str, *, inverse: bool = False):
    """Return a shapely geometry with every vertex converted between WGS84 and ``crs``.

    ``inverse=False`` converts WGS84 -> ``crs``; ``inverse=True`` converts ``crs`` -> WGS84.
    Identical input vertices give identical output vertices, so edges shared between polygons
    stay shared.
    """
    import shapely

    def _convert(coords: NDArray) -> NDArray:
        fn = to_wgs84 if inverse else from_wgs84
        x, y = fn(coords[:, 0], coords[:, 1], crs)
        return np.column_stack([x, y])

    return shapely.transform(geom, _convert)


def haversine_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> NDArray:
    """Great-circle distance in metres on a sphere of radius 6,371,008.8 m (for error checks)."""
    x1, y1 = _as_arrays(lon1, lat1)
    x2, y2 = _as_arrays(lon2, lat2)
    p1, p2 = np.radians(y1), np.radians(y2)
    dp = p2 - p1
    dl = np.radians(x2 - x1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371008.8 * np.arcsin(np.sqrt(a))
