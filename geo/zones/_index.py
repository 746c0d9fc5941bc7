"""Private: a fast point-in-zone index (a grid of pre-classified cells).

Most cells of a grid lie wholly inside one zone or wholly outside every zone; a point in such a
cell is answered by arithmetic and one array lookup. For the cells that a zone edge crosses, the
zones are clipped to the cell once, at build time; a point there is tested only against those
few small pieces, in priority order. Each such *mixed* cell is split again into ``sub x sub``
fine cells: a fine cell that no zone edge comes near (the edges are densified to pieces no
longer than a fine cell, and every fine cell their grown bounding boxes touch is marked) is
labelled once with the exact answer at its centre, so most points near a border are answered
by lookup too, and only points in marked fine cells are tested against the pieces. The answer is the same as the exact test against the whole
polygons (:meth:`ZoneIndex.exact`): a cell is "pure" only if the zone that would win there
properly contains the whole cell, grown by a small margin for rounding, and the pieces are
clipped with the same grown cell, so every point of the cell keeps its relation to every zone.
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
    sub
        Fine cells along each side of a mixed cell (1: no fine level).
    """

    def __init__(
        self, geometries: NDArray, rank: NDArray, *, cells: int = 128, sub: int = 32
    ) -> None:
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
        self._refine(self._grid, max(1, sub))

    def describe(self) -> str:
        """The grid's shape: cells, how many are pure (one zone or none) and mixed, pieces."""
        if self._grid is None:
            return "empty (no usable zone)"
        mixed = int((self._grid == _MIXED).sum())
        fine = int((self._fine == _MIXED).sum())
        return (
            f"{self._nx} x {self._ny} cells of {self._step:.4f} deg, "
            f"{self._grid.size - mixed} pure, {mixed} mixed, "
            f"{len(getattr(self, '_piece_zone', ()))} pieces; "
            f"mixed cells split {self._sub} x {self._sub}: {fine} of {self._fine.size} "
            f"fine cells near an edge"
        )

    def _classify(self) -> NDArray[np.int32]:
        gx, gy = np.meshgrid(np.arange(self._nx), np.arange(self._ny), indexing="xy")
        ix, iy = gx.ravel(), gy.ravel()
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
            self._clip_mixed(grid, boxes, cell, zone)
        return grid.reshape(self._ny, self._nx)

    def _clip_mixed(self, grid: NDArray, boxes: NDArray, cell: NDArray, zone: NDArray) -> None:
        """Clip the zones of every mixed cell to it, sorted by rank, stored cell by cell."""
        keep = grid[cell] == _MIXED
        cell, zone = cell[keep], zone[keep]
        order = np.lexsort((self._rank[zone], cell))
        cell, zone = cell[order], zone[order]
        self._piece_zone = zone
        self._pieces = shapely.intersection(self._geoms[zone], boxes[cell])
        shapely.prepare(self._pieces)
        self._piece_start = np.zeros(len(grid) + 1, dtype=np.int64)
        np.add.at(self._piece_start, cell + 1, 1)
        self._piece_start = np.cumsum(self._piece_start)

    def _refine(self, grid: NDArray[np.int32], sub: int) -> None:
        """Split every mixed cell into ``sub x sub`` fine cells and label the untouched ones."""
        flat = grid.ravel()
        mixed = np.flatnonzero(flat == _MIXED)
        self._sub, self._fstep = sub, self._step / sub
        self._block = np.full(flat.size, -1, dtype=np.int64)
        self._block[mixed] = np.arange(len(mixed))
        touched = np.zeros((len(mixed), sub * sub), dtype=bool)
        if sub == 1:
            touched[:] = True  # no fine level: every point of a mixed cell meets the pieces
        elif len(mixed):
            self._mark_edges(touched)
        # untouched fine cells: the exact answer at the centre holds for the whole cell
        block, local = np.nonzero(~touched)
        cell = mixed[block]
        cx = self._x0 + (cell % self._nx) * self._step + (local % sub + 0.5) * self._fstep
        cy = self._y0 + (cell // self._nx) * self._step + (local // sub + 0.5) * self._fstep
        self._fine = np.full(touched.shape, _MIXED, dtype=np.int32)
        if len(cell):
            self._fine[block, local] = self._in_pieces(cell, cx, cy)

    def _mark_edges(self, touched: NDArray[np.bool_]) -> None:
        """Mark every fine cell that a zone edge (grown by the margin) may touch."""
        sub, fs = self._sub, self._fstep
        lines = shapely.get_parts(shapely.boundary(self._geoms))
        lines = shapely.segmentize(lines, fs / 2)
        xy, which = shapely.get_coordinates(lines, return_index=True)
        same = which[1:] == which[:-1]
        a, b = xy[:-1][same], xy[1:][same]
        lo = (np.minimum(a, b) - _EPS - (self._x0, self._y0)) / fs
        hi = (np.maximum(a, b) + _EPS - (self._x0, self._y0)) / fs
        lo, hi = np.floor(lo).astype(np.int64), np.floor(hi).astype(np.int64)
        span = hi - lo
        limit = (self._nx * sub - 1, self._ny * sub - 1)
        for dx in range(int(span[:, 0].max(initial=0)) + 1):
            for dy in range(int(span[:, 1].max(initial=0)) + 1):
                ok = (span[:, 0] >= dx) & (span[:, 1] >= dy)
                gx = np.clip(lo[ok, 0] + dx, 0, limit[0])
                gy = np.clip(lo[ok, 1] + dy, 0, limit[1])
                blk = self._block[(gy // sub) * self._nx + gx // sub]
                hit = blk >= 0
                touched[blk[hit], (gy[hit] % sub) * sub + gx[hit] % sub] = True

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
            out[mixed] = self._in_fine(fx[mixed], fy[mixed], x[mixed], y[mixed])
        return out

    def _in_fine(self, fx: NDArray, fy: NDArray, x: NDArray, y: NDArray) -> NDArray[np.int64]:
        """Points in mixed cells: the fine cell's label, else the pieces of the cell."""
        cells = fy.astype(np.intp) * self._nx + fx.astype(np.intp)
        sub = self._sub
        jx = np.clip(np.floor((x - self._x0 - fx * self._step) / self._fstep), 0, sub - 1)
        jy = np.clip(np.floor((y - self._y0 - fy * self._step) / self._fstep), 0, sub - 1)
        label = self._fine[self._block[cells], jy.astype(np.intp) * sub + jx.astype(np.intp)]
        rest = np.flatnonzero(label == _MIXED)
        if len(rest):
            label[rest] = self._in_pieces(cells[rest], x[rest], y[rest])
        return label

    def _in_pieces(self, cells: NDArray, x: NDArray, y: NDArray) -> NDArray[np.int64]:
        """Test points against the clipped pieces of their cells, best rank first."""
        start = self._piece_start[cells]
        count = self._piece_start[cells + 1] - start
        result = np.full(len(cells), -1, dtype=np.int64)
        todo = np.arange(len(cells))
        for k in range(int(count.max(initial=0))):
            todo = todo[count[todo] > k]
            if not len(todo):
                break
            piece = start[todo] + k
            hit = shapely.intersects_xy(self._pieces[piece], x[todo], y[todo])
            result[todo[hit]] = self._positions[self._piece_zone[piece[hit]]]
            todo = todo[~hit]
        return result

    def exact(self, x: NDArray, y: NDArray) -> NDArray[np.int64]:
        """The exact test for every point (no grid): closed polygons, lowest rank wins."""
        points = shapely.points(x, y)
        pt, zone = self._tree.query(points, predicate="intersects")
        best = self._best_per_item(pt, zone, len(points))
        return np.where(best >= 0, self._positions[np.maximum(best, 0)], -1)
