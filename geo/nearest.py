"""Nearest platforms to a point, with straight-line distances in metres.

Distances are planar in the city's metric CRS (``City.metric_crs``; for Guangzhou EPSG:4547,
CGCS2000 / 3-degree Gauss-Kruger CM 114E, whose scale error over the city is below 1e-4, under
10 cm per km). Query points must lie in that CRS's area of use (for EPSG:4547 112.5-115.5°E,
21.5-45.5°N); farther away the projection distorts and the question stops making sense.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from scipy.spatial import cKDTree

from geo.crs import WGS84
from geo.errors import CoordinateError
from geo.filters import PlatformFilter

if TYPE_CHECKING:
    from geo.cities import City


@lru_cache(maxsize=16)
def _transformer(metric_crs: str) -> Transformer:
    """WGS84 -> ``metric_crs``, built once (100+ ms each; pyproj >= 3.1 shares it across threads)."""
    return Transformer.from_crs(WGS84, CRS.from_user_input(metric_crs), always_xy=True)


class NearestIndex:
    """Platforms projected once to metres and kept in a KD-tree (scipy), queried many times.

    Parameters
    ----------
    lon, lat
        WGS84 coordinates of the platforms (equal-length arrays).
    metric_crs
        The projected CRS distances are measured in (the city's ``metric_crs``). Query points
        must lie in its area of use (:attr:`bounds`).
    """

    def __init__(self, lon: ArrayLike, lat: ArrayLike, *, metric_crs: str) -> None:
        crs = CRS.from_user_input(metric_crs)
        self.metric_crs = metric_crs
        area = crs.area_of_use
        #: Where query points are accepted (lon_min, lat_min, lon_max, lat_max).
        self.bounds = (
            (area.west, area.south, area.east, area.north) if area else (-180.0, -90.0, 180.0, 90.0)
        )
        self._to_metric = _transformer(metric_crs)
        x, y = self._to_metric.transform(np.asarray(lon, float), np.asarray(lat, float))
        self._x = np.asarray(x, dtype=np.float64)
        self._y = np.asarray(y, dtype=np.float64)
        self._tree = cKDTree(np.column_stack([self._x, self._y])) if len(self._x) else None

    def __len__(self) -> int:
        return len(self._x)

    def _check_point(self, lon: float, lat: float) -> None:
        if not (np.isfinite(lon) and np.isfinite(lat)):
            raise CoordinateError(f"the query point ({lon!r}, {lat!r}) is not a finite lon/lat")
        x0, y0, x1, y1 = self.bounds
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            raise CoordinateError(
                f"the query point ({lon!r}, {lat!r}) is outside the area where distances are "
                f"measured (lon {x0}..{x1}, lat {y0}..{y1}, {self.metric_crs}); is it in WGS84 "
                "lon/lat order?"
            )

    def query(
        self,
        lon: float,
        lat: float,
        *,
        k: int = 5,
        mask: NDArray[np.bool_] | None = None,
        max_distance_m: float | None = None,
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Return the positions of the ``k`` nearest platforms and their distances (m).

        Parameters
        ----------
        lon, lat
            The query point, WGS84.
        k
            How many platforms at most (fewer when fewer match).
        mask
            Which platforms may be returned (``None``: all).
        max_distance_m
            Leave out platforms farther than this.

        Returns
        -------
        (positions, distances)
            Sorted by distance, ties by position.

        Raises
        ------
        geo.errors.CoordinateError
            If the point is not finite or outside :attr:`bounds`.
        ValueError
            If ``k`` < 1 or ``mask`` has the wrong length.
        """
        self._check_point(lon, lat)
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k!r}")
        n = len(self._x)
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if len(mask) != n:
                raise ValueError(f"mask has {len(mask)} entries for {n} platforms")
        if self._tree is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        qx, qy = self._to_metric.transform(lon, lat)
        bound = np.inf if max_distance_m is None else max_distance_m * (1 + 1e-12)
        # Ask the KD-tree for more until k pass the mask and every tie of the k-th is in.
        ask = min(k + 1, n)
        while True:
            dist, pos = self._tree.query([qx, qy], k=ask, distance_upper_bound=bound)
            dist, pos = np.atleast_1d(dist), np.atleast_1d(pos)
            found = pos < n  # the tree pads with n (and inf) beyond the bound
            exhausted = ask >= n or not found.all()
            farthest = dist[found][-1] if found.any() else np.inf
            dist, pos = dist[found], pos[found]
            if mask is not None:
                keep = mask[pos]
                dist, pos = dist[keep], pos[keep]
            if exhausted or (len(pos) >= k and farthest > dist[k - 1]):
                break
            ask = min(ask * 4, n)
        if max_distance_m is not None:
            keep = dist <= max_distance_m
            pos, dist = pos[keep], dist[keep]
        order = np.lexsort((pos, dist))[:k]
        candidates = pos
        return candidates[order].astype(np.int64), dist[order]


def nearest_platforms(
    platforms: gpd.GeoDataFrame,
    lon: float,
    lat: float,
    *,
    city: City,
    k: int = 5,
    filter: PlatformFilter | None = None,
    max_distance_m: float | None = None,
    index: NearestIndex | None = None,
) -> gpd.GeoDataFrame:
    """The ``k`` platforms nearest to (lon, lat) that match ``filter``, with ``distance_m``.

    Parameters
    ----------
    platforms
        Registry frame (WGS84 points).
    lon, lat
        The query point, WGS84 (convert GCJ-02/BD-09 input with :func:`geo.crs.to_wgs84`).
    city
        Distances are measured in its ``metric_crs``.
    k, max_distance_m
        See :meth:`NearestIndex.query`.
    filter
        Which platforms qualify (e.g. a type or field of service).
    index
        A prebuilt index over ``platforms`` (saves projecting them on every call).

    Returns
    -------
    geopandas.GeoDataFrame
        The matching rows, nearest first, with a ``distance_m`` column (metres, metric CRS).
    """
    if index is None:
        index = NearestIndex(platforms.geometry.x, platforms.geometry.y, metric_crs=city.metric_crs)
    if len(index) != len(platforms):
        raise ValueError(f"index covers {len(index)} platforms, the frame has {len(platforms)}")
    mask = filter.mask(platforms) if filter is not None else None
    pos, dist = index.query(lon, lat, k=k, mask=mask, max_distance_m=max_distance_m)
    out = platforms.iloc[pos].copy()
    out["distance_m"] = dist
    return out
