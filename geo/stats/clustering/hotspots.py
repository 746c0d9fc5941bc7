"""Hot Spot Analysis: Getis-Ord Gi* on H3 hexagon counts (esda, libpysal)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.crs import WGS84
from geo.errors import InsufficientDataError
from geo.stats.clustering._window import (
    Window,
    WindowLike,
    _caution,
    _require,
    _two_sided_p,
    points_in_window,
    study_window,
)

if TYPE_CHECKING:
    from geo.cities import City


# --- Hex bins with Getis-Ord Gi* ------------------------------------------------------------

GI_BIN_LABELS = {
    3: ("热点(99% 置信)", "Hot spot, 99% confidence"),
    2: ("热点(95% 置信)", "Hot spot, 95% confidence"),
    1: ("热点(90% 置信)", "Hot spot, 90% confidence"),
    0: ("不显著", "Not significant"),
    -1: ("冷点(90% 置信)", "Cold spot, 90% confidence"),
    -2: ("冷点(95% 置信)", "Cold spot, 95% confidence"),
    -3: ("冷点(99% 置信)", "Cold spot, 99% confidence"),
}


@dataclass
class HotspotResult:
    """Hot Spot Analysis (Getis-Ord Gi*) on H3 hexagon counts."""

    bins: gpd.GeoDataFrame
    n: int
    n_outside: int
    resolution: int
    permutations: int
    fdr: bool
    window: str
    caution: str | None = None
    tool: str = "Hot Spot Analysis (Getis-Ord Gi*) on H3 hexagons"
    weights: str = "binary contiguity: each hexagon and its 6 neighbours (Gi* includes itself)"

    def summary(self) -> dict[str, int]:
        """How many bins fall in each Gi* confidence bin (``3`` .. ``-3``)."""
        counts = self.bins["gi_bin"].value_counts()
        return {str(k): int(counts.get(k, 0)) for k in GI_BIN_LABELS}

    def interpretation(self, lang: str = "zh") -> str:
        """One sentence for a briefing, in ``zh`` or ``en``."""
        hot = int((self.bins["gi_bin"] > 0).sum())
        cold = int((self.bins["gi_bin"] < 0).sum())
        total = len(self.bins)
        if lang == "zh":
            return (
                f"{total} 个 H3 {self.resolution} 级六边形中,{hot} 个为热点、{cold} 个为冷点"
                f"(Getis-Ord Gi*{',FDR 校正' if self.fdr else ''})。"
            )
        return (
            f"Of {total} H3 resolution-{self.resolution} hexagons, {hot} are hot spots and "
            f"{cold} cold spots (Getis-Ord Gi*{', FDR-corrected' if self.fdr else ''})."
        )

    def to_dict(self, *, with_bins: bool = False) -> dict[str, Any]:
        """JSON-ready summary; ``with_bins`` adds the hexagons as a GeoJSON FeatureCollection."""
        out = {k: v for k, v in self.__dict__.items() if k != "bins"}
        out["hexagons"] = len(self.bins)
        out["occupied"] = int((self.bins["count"] > 0).sum())
        out["summary"] = self.summary()
        out["interpretation"] = {"zh": self.interpretation("zh"), "en": self.interpretation("en")}
        if with_bins:
            out["bins"] = self.bins.__geo_interface__
        return out


def hex_hotspots(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    city: City,
    window: WindowLike = None,
    resolution: int = 7,
    permutations: int = 999,
    seed: int | None = 0,
    fdr: bool = True,
) -> HotspotResult:
    """Count points in H3 hexagons covering the window and run Getis-Ord Gi* on the counts.

    Hexagons are those whose centre lies in the window plus any hexagon holding a point inside
    it; ``area_km2`` is each hexagon's area clipped to the window. Significance uses the
    z-score's two-sided normal p-value (as ArcGIS); ``gi_p_sim`` is esda's permutation
    pseudo p-value (one-sided, in the direction observed).
    With ``fdr`` the 90/95/99% thresholds are Benjamini-Hochberg corrected (``esda.fdr``).

    Parameters
    ----------
    resolution
        H3 resolution (7: about 5.2 km² per hexagon; 8: about 0.74 km²).
    permutations
        Conditional permutations for ``p_sim`` (0 skips them).

    Raises
    ------
    geo.errors.InsufficientDataError
        With fewer than 3 points inside the window, or when every hexagon has the same count.
    """
    win = study_window(window, city=city)
    xy, outside = points_in_window(points, win)
    _require(len(xy), "hex_hotspots")
    cells, counts = _hex_counts(win, xy, resolution)
    if len(cells) < 3 or np.all(counts == counts[0]):
        raise InsufficientDataError(
            "Gi* needs at least 3 hexagons with differing counts; every hexagon has the same "
            "count here. Use a finer resolution or more points"
        )
    z, p_sim = _gi_star(cells, counts, permutations, seed)
    p = np.array([_two_sided_p(v) if np.isfinite(v) else 1.0 for v in z])
    gi_bin = _confidence_bins(z, p, fdr=fdr)
    columns = {"count": counts, "gi_z": z, "gi_p": p, "gi_p_sim": p_sim, "gi_bin": gi_bin}
    bins = _hex_frame(cells, columns, win)
    return HotspotResult(
        bins, len(xy), outside, resolution, permutations, fdr, win.name, _caution(len(xy))
    )


def _hex_counts(win: Window, xy: NDArray, resolution: int) -> tuple[list[str], NDArray]:
    cover = set(h3.geo_to_cells(win.wgs84.__geo_interface__, resolution))
    lonlat = gpd.GeoSeries(shapely.points(xy), crs=win.metric_crs).to_crs(WGS84)
    point_cells = [h3.latlng_to_cell(p.y, p.x, resolution) for p in lonlat]
    cells = sorted(cover | set(point_cells))
    counts = pd.Series(point_cells, dtype=object).value_counts()
    return cells, np.array([int(counts.get(c, 0)) for c in cells], dtype=float)


def _gi_star(
    cells: list[str], counts: NDArray, permutations: int, seed: int | None
) -> tuple[NDArray, NDArray]:
    """Gi* z-scores (and permutation p-values) with binary hexagon contiguity."""
    from esda.getisord import G_Local
    from libpysal.weights import W

    index = set(cells)
    # each hexagon lists itself: Gi* includes the focal value (a self-weight of 1)
    neighbours = {c: [c, *(n for n in h3.grid_ring(c, 1) if n in index)] for c in cells}
    w = W(neighbours, silence_warnings=True)
    with warnings.catch_warnings():
        # esda 2.9 announces a future change of crand's default alternative; biomap reports
        # p_sim as today's (one-sided, in the direction observed) and says so.
        warnings.filterwarnings("ignore", "The alternative hypothesis", DeprecationWarning)
        g = G_Local(counts, w, transform="B", star=True, permutations=permutations, seed=seed,
                    keep_simulations=False, n_jobs=1)  # fmt: skip
    z = np.asarray(g.Zs, dtype=float)
    p_sim = np.asarray(g.p_sim, dtype=float) if permutations else np.full(len(cells), np.nan)
    return z, p_sim


def _confidence_bins(z: NDArray, p: NDArray, *, fdr: bool) -> NDArray:
    """ArcGIS-style Gi_Bin: +-3/2/1 for 99/95/90% confidence, 0 otherwise."""
    from esda import fdr as fdr_cut

    out = np.zeros(len(z), dtype=int)
    for level, alpha in ((1, 0.10), (2, 0.05), (3, 0.01)):
        cut = fdr_cut(p, alpha) if fdr else alpha
        sig = (p < cut) if fdr else (p <= cut)
        out[sig] = level
    return np.where(np.isfinite(z), np.sign(z).astype(int) * out, 0)


def _hex_frame(cells: list[str], columns: dict[str, NDArray], win: Window) -> gpd.GeoDataFrame:
    polys = [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in cells]
    geoms = gpd.GeoSeries(polys, crs=WGS84)
    clipped = geoms.intersection(win.wgs84).to_crs(win.equal_area_crs).area / 1e6
    gi_bin = columns["gi_bin"]
    return gpd.GeoDataFrame(
        {
            "h3": cells,
            "count": columns["count"].astype(int),
            "area_km2": clipped.to_numpy(),
            "gi_z": columns["gi_z"],
            "gi_p": columns["gi_p"],
            "gi_p_sim": columns["gi_p_sim"],
            "gi_bin": gi_bin,
            "label_zh": [GI_BIN_LABELS[int(b)][0] for b in gi_bin],
            "label_en": [GI_BIN_LABELS[int(b)][1] for b in gi_bin],
        },
        geometry=geoms,
        crs=WGS84,
    )


#: Statistic names accepted by :func:`clustering_report`.
