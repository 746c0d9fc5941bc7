"""Private: a fast point-in-zone index (a grid of pre-classified cells over an STRtree).

Most cells of a fine grid lie wholly inside one zone or wholly outside every zone; a point in
such a cell is answered by arithmetic and one array lookup. Only points in cells that a zone
edge crosses go to the exact test (prepared polygons through an STRtree). The answer is the
same as the exact test everywhere, by construction: a cell is "pure" only if the zone that would
win there properly contains the whole cell, grown by a small margin for rounding.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

_MIXED = -2
_NONE = -1
_EPS = 1e-9  # degrees; well above float rounding of the cell arithmetic, well below 1 mm


class ZoneIndex:
    """Answer "which zone covers this point" for many points at once.

    Parameters
    ----------
    geometries
        Zone polygons (WGS84); ``None`` or empty entries never match.
    rank
        Priority per zone, lower wins when several zones cover a point.
    cells
        Grid cells along the longer side of the zones' bounding box.
    """

    def __init__(self, geometries: NDArray, rank: NDArray, *, cells: int = 256) -> None:
        geoms = np.asarray(geometries, dtype=object)
        usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        self._positions = np.flatnonzero(usable)
        self._geoms = geoms[usable]
        self._rank = np.asarray(rank)[usable]
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)
        if len(self._geoms) == 0:
            self._grid = None
            return
        x0, y0, x1, y1 = shapely.total_bounds(self._geoms)
        step = max(x1 - x0, y1 - y0) / cells
        self._x0, self._y0, self._step = x0, y0, step
        self._nx = max(1, int(np.ceil((x1 - x0) / step)))
        self._ny = max(1, int(np.ceil((y1 - y0) / step)))
        self._grid = self._classify()

    def _classify(self) -> NDArray[np.int32]:
        ix, iy = np.meshgrid(np.arange(self._nx), np.arange(self._ny), indexing="xy")
        ix, iy = ix.ravel(), iy.ravel()
        boxes = shapely.box(
            self._x0 + ix * self._step - _EPS,
            self._y0 + iy * self._step - _EPS,
            self._x0 + (ix + 1) * self._step + _EPS,
            self._y0 + (iy + 1) * self._step + _EPS,
        )
        grid = np.full(len(boxes), _NONE, dtype=np.int32)
        cell, zone = self._tree.query(boxes, predicate="intersects")
        if len(cell):
            best = self._best_per_item(cell, zone, len(boxes))
            hit = best >= 0
            whole = np.zeros(len(boxes), dtype=bool)
            whole[hit] = shapely.contains_properly(self._geoms[best[hit]], boxes[hit])
            grid[hit] = np.where(whole[hit], best[hit], _MIXED)
        return grid.reshape(self._ny, self._nx)

    def _best_per_item(self, item: NDArray, zone: NDArray, n: int) -> NDArray[np.int64]:
        """For each item, the zone (tree position) with the lowest rank among its hits; -1 if none."""
        order = np.lexsort((self._rank[zone], item))
        item, zone = item[order], zone[order]
        first = np.ones(len(item), dtype=bool)
        first[1:] = item[1:] != item[:-1]
        best = np.full(n, -1, dtype=np.int64)
        best[item[first]] = zone[first]
        return best

    def lookup(self, x: NDArray, y: NDArray) -> NDArray[np.int64]:
        """Return, per point, the position of the winning zone in the input, or -1."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        out = np.full(len(x), -1, dtype=np.int64)
        if self._grid is None:
            return out
        fx = np.floor((x - self._x0) / self._step)
        fy = np.floor((y - self._y0) / self._step)
        # A point on the far edge of the grid belongs to the last cell (its box reaches there).
        fx[(fx == self._nx) & (x - self._x0 <= self._nx * self._step)] = self._nx - 1
        fy[(fy == self._ny) & (y - self._y0 <= self._ny * self._step)] = self._ny - 1
        inside = (fx >= 0) & (fx < self._nx) & (fy >= 0) & (fy < self._ny) & np.isfinite(fx + fy)
        idx = np.flatnonzero(inside)
        label = self._grid[fy[idx].astype(np.intp), fx[idx].astype(np.intp)]
        pure = label >= 0
        out[idx[pure]] = self._positions[label[pure]]
        mixed = idx[label == _MIXED]
        if len(mixed):
            out[mixed] = self.exact(x[mixed], y[mixed])
        return out

    def exact(self, x: NDArray, y: NDArray) -> NDArray[np.int64]:
        """The exact test for every point (no grid): closed polygons, lowest rank wins."""
        points = shapely.points(x, y)
        pt, zone = self._tree.query(points, predicate="intersects")
        best = self._best_per_item(pt, zone, len(points))
        return np.where(best >= 0, self._positions[np.maximum(best, 0)], -1)
