"""Point-pattern statistics over the city polygon, in metres (``geo.crs.METRIC_CRS``).

The names follow ArcGIS Pro, the vocabulary planners use in briefings:

* **Average Nearest Neighbor** (:func:`clark_evans`): Clark-Evans ratio R and its z-score.
* **Multi-Distance Spatial Cluster Analysis (Ripley's K)** (:func:`ripley_l`): Ripley's L with
  a Monte Carlo envelope of complete spatial randomness, simulated *inside the study window*
  (the city polygon by default, never its bounding box).
* **Kernel Density** (:func:`kernel_density`): a Gaussian surface with the bandwidth in metres.
* **Hot Spot Analysis (Getis-Ord Gi*)** (:func:`hex_hotspots`): H3 hexagon counts with Gi* on the
  bins (11 districts are too few for local statistics), via ``esda`` and ``libpysal``.

Conventions: the study window's area is its area in METRIC_CRS; no edge correction is applied
(the CSR envelope is simulated in the same window, so it carries the same edge bias). Points
outside the window are dropped and counted in ``n_outside``. Too few points raise
:class:`geo.errors.InsufficientDataError` with the minimum in the message.

Why not ``pointpats.l_test``: in pointpats 2.5.5 its K uses the points' bounding box as the
area, its simulations cannot be seeded and draw points one at a time; biomap computes L from the
same definition with the window's area and a vectorised, seeded sampler.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from scipy.spatial.distance import pdist

from geo.boundaries import load_city
from geo.crs import EQUAL_AREA_CRS, METRIC_CRS, WGS84
from geo.errors import BiomapError, InsufficientDataError

#: Fewest points each statistic accepts.
MIN_POINTS = {"clark_evans": 2, "ripley_l": 3, "kernel_density": 1, "hex_hotspots": 3}
#: Below this many points every result carries a small-sample caution.
SMALL_SAMPLE = 30

Progress = Callable[[int, int], None]


class StatisticOptionError(BiomapError, ValueError):
    """An unknown statistic was asked for."""


WindowLike: TypeAlias = shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | None


@dataclass(frozen=True)
class Window:
    """The study area: one geometry in WGS84 and in METRIC_CRS, with its area."""

    wgs84: shapely.Geometry
    metric: shapely.Geometry
    name: str

    @property
    def area_m2(self) -> float:
        """Area in m² (METRIC_CRS)."""
        return float(self.metric.area)


def study_window(window: WindowLike = None) -> Window:
    """The study window: Guangzhou's outline by default.

    Parameters
    ----------
    window
        A shapely geometry in WGS84, or a GeoDataFrame/GeoSeries in any CRS (unioned).
    """
    if window is None:
        geoms = load_city().geometry
        name = "Guangzhou city polygon (data/boundaries/city.geojson)"
    elif isinstance(window, gpd.GeoDataFrame | gpd.GeoSeries):
        geoms = window.geometry if isinstance(window, gpd.GeoDataFrame) else window
        name = "custom window"
    else:
        geoms = gpd.GeoSeries([window], crs=WGS84)
        name = "custom window"
    if geoms.crs is None:
        geoms = geoms.set_crs(WGS84)
    wgs = shapely.union_all(geoms.to_crs(WGS84).to_numpy())
    metric = shapely.union_all(geoms.to_crs(METRIC_CRS).to_numpy())
    if metric.is_empty or metric.area <= 0:
        raise InsufficientDataError("the study window has no area; pass a polygon")
    shapely.prepare(metric)
    return Window(wgs, metric, name)


def points_in_window(
    points: gpd.GeoDataFrame | gpd.GeoSeries, window: Window
) -> tuple[NDArray, int]:
    """Project points to METRIC_CRS and keep those inside ``window``.

    Returns
    -------
    (ndarray of shape (n, 2), int)
        The kept coordinates in metres and how many points were dropped (outside the window,
        or with a missing geometry).
    """
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if geoms.crs is None:
        geoms = geoms.set_crs(WGS84)
    usable = ~(geoms.isna() | geoms.is_empty).to_numpy()
    projected = geoms[usable].to_crs(METRIC_CRS)
    xy = shapely.get_coordinates(projected.to_numpy())
    inside = shapely.intersects_xy(window.metric, xy[:, 0], xy[:, 1]) if len(xy) else usable[:0]
    return xy[inside], int(len(geoms) - inside.sum())


def _require(n: int, statistic: str, extra: str = "") -> None:
    need = MIN_POINTS[statistic]
    if n < need:
        raise InsufficientDataError(
            f"{statistic} needs at least {need} points inside the study window, got {n}{extra}; "
            "widen the filter or the window"
        )


def _two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def _caution(n: int) -> str | None:
    if n < SMALL_SAMPLE:
        return f"only {n} points: treat the result as indicative, not conclusive"
    return None


# --- Average Nearest Neighbor (Clark-Evans) -------------------------------------------------


@dataclass
class ClarkEvansResult:
    """Average Nearest Neighbor (Clark-Evans 1954), distances in metres."""

    n: int
    n_outside: int
    area_km2: float
    mean_nnd_m: float
    expected_nnd_m: float
    ratio: float
    z_score: float
    p_value: float
    pattern: str
    window: str
    caution: str | None = None
    tool: str = "Average Nearest Neighbor (Clark-Evans R)"

    def interpretation(self, lang: str = "zh") -> str:
        """One sentence for a briefing, in ``zh`` or ``en``."""
        zh = {"clustered": "集聚", "dispersed": "分散(均匀)", "random": "与随机分布无显著差异"}
        if lang == "zh":
            return (
                f"平均最近邻比 R = {self.ratio:.2f}(z = {self.z_score:.2f},p = {self.p_value:.3g}):"
                f"{self.n} 个平台的分布{zh[self.pattern]}。"
            )
        text = {
            "clustered": "clustered (closer together than random)",
            "dispersed": "dispersed (more evenly spaced than random)",
            "random": "not significantly different from random",
        }
        return (
            f"Nearest-neighbour ratio R = {self.ratio:.2f} (z = {self.z_score:.2f}, "
            f"p = {self.p_value:.3g}): the {self.n} platforms are {text[self.pattern]}."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with bilingual interpretations."""
        out = dict(self.__dict__)
        out["interpretation"] = {"zh": self.interpretation("zh"), "en": self.interpretation("en")}
        return out


def clark_evans(
    points: gpd.GeoDataFrame | gpd.GeoSeries, *, window: WindowLike = None, alpha: float = 0.05
) -> ClarkEvansResult:
    """Average nearest neighbour ratio R = observed / expected mean distance, with its z-score.

    Expected mean distance under complete spatial randomness is ``0.5 * sqrt(A / n)``, its
    standard error ``0.26136 * sqrt(A) / n`` (Clark & Evans 1954), ``A`` the window's area.

    Parameters
    ----------
    points
        Point frame (any CRS; WGS84 if none).
    window
        Study area (default: the city polygon).
    alpha
        Two-sided significance level that decides ``pattern``.

    Raises
    ------
    geo.errors.InsufficientDataError
        With fewer than 2 points inside the window.
    """
    win = study_window(window)
    xy, outside = points_in_window(points, win)
    n = len(xy)
    _require(n, "clark_evans")
    nnd, _ = cKDTree(xy).query(xy, k=2)
    observed = float(nnd[:, 1].mean())
    area = win.area_m2
    expected = 0.5 * math.sqrt(area / n)
    se = 0.26136 * math.sqrt(area) / n
    z = (observed - expected) / se
    p = _two_sided_p(z)
    ratio = observed / expected
    pattern = "random" if p >= alpha else ("clustered" if ratio < 1 else "dispersed")
    return ClarkEvansResult(
        n, outside, area / 1e6, observed, expected, ratio, z, p, pattern, win.name, _caution(n)
    )


# --- Ripley's L with a CSR envelope ----------------------------------------------------------


def random_points_in(window: Window, n: int, rng: np.random.Generator) -> NDArray:
    """``n`` uniformly random points inside ``window`` (METRIC_CRS), by vectorised rejection."""
    x0, y0, x1, y1 = window.metric.bounds
    fill = max(window.area_m2 / ((x1 - x0) * (y1 - y0)), 0.01)
    out = np.empty((0, 2))
    while len(out) < n:
        m = int((n - len(out)) / fill * 1.2) + 16
        cand = np.column_stack([rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)])
        keep = shapely.contains_xy(window.metric, cand[:, 0], cand[:, 1])
        out = np.vstack([out, cand[keep]])
    return out[:n]


def l_function(xy: NDArray, distances: NDArray, area_m2: float) -> NDArray:
    """Ripley's L(d) = sqrt(K(d) / pi), K(d) = A / (n (n-1)) * #ordered pairs with d_ij <= d.

    No edge correction (as ArcGIS with ``edge_correction="NONE"``).
    """
    n = len(xy)
    pair = np.sort(pdist(xy))
    within = np.searchsorted(pair, distances, side="right") * 2.0
    k = area_m2 * within / (n * (n - 1))
    return np.sqrt(k / np.pi)


@dataclass
class RipleyResult:
    """Multi-Distance Spatial Cluster Analysis (Ripley's L), metres."""

    n: int
    n_outside: int
    area_km2: float
    distances_m: list[float]
    l_observed: list[float]
    l_low: list[float]
    l_high: list[float]
    n_simulations: int
    seed: int | None
    window: str
    caution: str | None = None
    tool: str = "Multi-Distance Spatial Cluster Analysis (Ripley's L, CSR envelope)"
    edge_correction: str = "none (the envelope is simulated in the same window)"

    def clustered_at(self) -> list[float]:
        """Distances where observed L lies above the envelope (clustering at that scale)."""
        return [
            d
            for d, o, h in zip(self.distances_m, self.l_observed, self.l_high, strict=True)
            if o > h
        ]

    def dispersed_at(self) -> list[float]:
        """Distances where observed L lies below the envelope (dispersion at that scale)."""
        return [
            d
            for d, o, lo in zip(self.distances_m, self.l_observed, self.l_low, strict=True)
            if o < lo
        ]

    def interpretation(self, lang: str = "zh") -> str:
        """One sentence for a briefing, in ``zh`` or ``en``."""
        c, d = self.clustered_at(), self.dispersed_at()

        def km(v: list[float]) -> str:
            return f"{min(v) / 1000:.1f}-{max(v) / 1000:.1f} km"

        if lang == "zh":
            if c:
                return f"在 {km(c)} 尺度上 L(d) 高于 {self.n_simulations} 次随机模拟包络:平台呈集聚分布。"
            if d:
                return f"在 {km(d)} 尺度上 L(d) 低于随机包络:平台呈分散分布。"
            return "所有尺度上 L(d) 均落在随机包络内:与完全空间随机无显著差异。"
        if c:
            return (
                f"L(d) lies above the envelope of {self.n_simulations} random patterns at "
                f"{km(c)}: the platforms are clustered at those scales."
            )
        if d:
            return f"L(d) lies below the random envelope at {km(d)}: dispersed at those scales."
        return "L(d) stays inside the random envelope at every distance: no departure from CSR."

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with the clustered/dispersed distances and interpretations."""
        out = dict(self.__dict__)
        out["clustered_at_m"] = self.clustered_at()
        out["dispersed_at_m"] = self.dispersed_at()
        out["interpretation"] = {"zh": self.interpretation("zh"), "en": self.interpretation("en")}
        return out


def ripley_l(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    window: WindowLike = None,
    distances_m: NDArray | list[float] | None = None,
    steps: int = 20,
    n_simulations: int = 99,
    seed: int | None = 0,
    progress: Progress | None = None,
) -> RipleyResult:
    """Ripley's L at several distances, with a pointwise min/max envelope of CSR simulations.

    Parameters
    ----------
    points
        Point frame (any CRS; WGS84 if none).
    window
        Study area (default: the city polygon); simulations are drawn inside it.
    distances_m
        Distances to evaluate; default ``steps`` even steps up to a quarter of the window's
        shorter bounding-box side.
    n_simulations
        CSR patterns for the envelope (99 gives a pointwise 2% two-sided level).
    seed
        Seed of the simulations (``None``: not reproducible).
    progress
        Called as ``progress(done, total)`` after each simulation.

    Raises
    ------
    geo.errors.InsufficientDataError
        With fewer than 3 points inside the window.
    """
    win = study_window(window)
    xy, outside = points_in_window(points, win)
    n = len(xy)
    _require(n, "ripley_l")
    if distances_m is None:
        x0, y0, x1, y1 = win.metric.bounds
        top = 0.25 * min(x1 - x0, y1 - y0)
        distances = np.linspace(top / steps, top, steps)
    else:
        distances = np.asarray(distances_m, dtype=float)
    area = win.area_m2
    observed = l_function(xy, distances, area)
    rng = np.random.default_rng(seed)
    sims = np.empty((n_simulations, len(distances)))
    for i in range(n_simulations):
        sims[i] = l_function(random_points_in(win, n, rng), distances, area)
        if progress:
            progress(i + 1, n_simulations)
    low = sims.min(axis=0) if n_simulations else np.full(len(distances), np.nan)
    high = sims.max(axis=0) if n_simulations else np.full(len(distances), np.nan)
    return RipleyResult(
        n, outside, area / 1e6, distances.tolist(), observed.tolist(), low.tolist(), high.tolist(),
        n_simulations, seed, win.name, _caution(n),
    )  # fmt: skip


# --- Kernel density --------------------------------------------------------------------------


def silverman_bandwidth(xy: NDArray) -> float:
    """ArcGIS Pro's default search radius: 0.9 * min(SD, sqrt(1/ln 2) * Dm) * n^-0.2 (metres).

    SD is the standard distance and Dm the median distance to the mean centre.
    """
    centre = xy.mean(axis=0)
    dist = np.hypot(*(xy - centre).T)
    sd = math.sqrt(float((dist**2).mean()))
    dm = float(np.median(dist))
    return 0.9 * min(sd, math.sqrt(1.0 / math.log(2.0)) * dm) * len(xy) ** -0.2


@dataclass
class KernelDensityResult:
    """Kernel Density: a Gaussian surface on square cells clipped to the window."""

    grid: gpd.GeoDataFrame
    n: int
    n_outside: int
    bandwidth_m: float
    bandwidth_rule: str
    cell_m: float
    window: str
    caution: str | None = None
    tool: str = "Kernel Density (Gaussian kernel)"
    unit: str = "platforms per km²"
    extra: dict[str, Any] = field(default_factory=dict)

    def peak(self) -> dict[str, float]:
        """The densest cell: its centre (WGS84 lon/lat) and density."""
        i = int(self.grid["density_per_km2"].to_numpy().argmax())
        c = self.grid.geometry.iloc[i].centroid
        return {
            "lon": c.x,
            "lat": c.y,
            "density_per_km2": float(self.grid["density_per_km2"].iloc[i]),
        }

    def to_dict(self, *, with_grid: bool = False) -> dict[str, Any]:
        """JSON-ready summary; ``with_grid`` adds the cells as a GeoJSON FeatureCollection."""
        out = {k: v for k, v in self.__dict__.items() if k not in ("grid", "extra")}
        out["cells"] = len(self.grid)
        out["peak"] = self.peak()
        out["interpretation"] = {
            "zh": f"高斯核密度,带宽 {self.bandwidth_m:.0f} 米({self.bandwidth_rule});峰值每平方公里 "
            f"{out['peak']['density_per_km2']:.3g} 个平台。",
            "en": f"Gaussian kernel density, bandwidth {self.bandwidth_m:.0f} m "
            f"({self.bandwidth_rule}); peak {out['peak']['density_per_km2']:.3g} platforms/km².",
        }
        if with_grid:
            out["grid"] = self.grid.__geo_interface__
        return out


def kernel_density(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    window: WindowLike = None,
    bandwidth_m: float | None = None,
    cell_m: float = 1000.0,
) -> KernelDensityResult:
    """Gaussian kernel density in platforms per km² on ``cell_m`` squares inside the window.

    ``density(c) = sum_i exp(-|c - x_i|² / 2h²) / (2 pi h²)``, ``h`` the bandwidth; the surface
    integrates to the number of points (less what spills over the window's edge).

    Parameters
    ----------
    bandwidth_m
        Kernel standard deviation in metres; default :func:`silverman_bandwidth`.
    cell_m
        Cell size in metres; cells whose centre lies in the window are kept.

    Raises
    ------
    geo.errors.InsufficientDataError
        With no point in the window, or when the default bandwidth cannot be estimated
        (fewer than 2 distinct points).
    """
    win = study_window(window)
    xy, outside = points_in_window(points, win)
    _require(len(xy), "kernel_density")
    if bandwidth_m is None:
        h = silverman_bandwidth(xy) if len(xy) >= 2 else 0.0
        rule = "ArcGIS Pro default (Silverman's rule adapted to spatial data)"
        if h <= 0:
            raise InsufficientDataError(
                "cannot estimate a bandwidth from fewer than 2 distinct points; pass bandwidth_m"
            )
    else:
        if not bandwidth_m >= 1:  # also catches NaN; below 1 m a kernel is numerically void
            raise InsufficientDataError(f"bandwidth_m must be at least 1 m, got {bandwidth_m!r}")
        h, rule = float(bandwidth_m), "given"
    centres = _grid_centres(win, cell_m)
    density = _gaussian_sum(centres, xy, h) * 1e6
    half = cell_m / 2
    boxes = shapely.box(
        centres[:, 0] - half, centres[:, 1] - half, centres[:, 0] + half, centres[:, 1] + half
    )
    grid = gpd.GeoDataFrame({"density_per_km2": density}, geometry=boxes, crs=METRIC_CRS).to_crs(
        WGS84
    )
    return KernelDensityResult(grid, len(xy), outside, h, rule, cell_m, win.name, _caution(len(xy)))


def _grid_centres(win: Window, cell_m: float) -> NDArray:
    x0, y0, x1, y1 = win.metric.bounds
    xs = np.arange(x0 + cell_m / 2, x1, cell_m)
    ys = np.arange(y0 + cell_m / 2, y1, cell_m)
    mesh_x, mesh_y = np.meshgrid(xs, ys)
    gx, gy = mesh_x.ravel(), mesh_y.ravel()
    keep = shapely.contains_xy(win.metric, gx, gy)
    return np.column_stack([gx[keep], gy[keep]])


def _gaussian_sum(centres: NDArray, xy: NDArray, h: float) -> NDArray:
    """Sum of Gaussian kernels at ``centres`` (per m²), in chunks to bound memory."""
    out = np.zeros(len(centres))
    chunk = max(1, 4_000_000 // max(len(centres), 1))
    norm = 1.0 / (2.0 * np.pi * h * h)
    for start in range(0, len(xy), chunk):
        part = xy[start : start + chunk]
        d2 = ((centres[:, None, :] - part[None, :, :]) ** 2).sum(axis=2)
        out += np.exp(-d2 / (2.0 * h * h)).sum(axis=1)
    return out * norm


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
    win = study_window(window)
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
    lonlat = gpd.GeoSeries(shapely.points(xy), crs=METRIC_CRS).to_crs(WGS84)
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
    clipped = geoms.intersection(win.wgs84).to_crs(EQUAL_AREA_CRS).area / 1e6
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
METHODS: tuple[str, ...] = ("ann", "ripley", "kde", "hotspots")


def clustering_report(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    methods: tuple[str, ...] = METHODS,
    *,
    window: WindowLike = None,
    n_simulations: int = 99,
    seed: int | None = 0,
    bandwidth_m: float | None = None,
    cell_m: float = 1000.0,
    resolution: int = 7,
    permutations: int = 999,
    with_geometry: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run several statistics; a statistic with too few points is reported, not raised.

    Returns
    -------
    dict
        ``{method: result.to_dict(), ..., "problems": {method: message}}``; with
        ``with_geometry`` the KDE cells and hexagons are included as GeoJSON.

    Raises
    ------
    StatisticOptionError
        For an unknown method name.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise StatisticOptionError(f"unknown method(s) {unknown}; use {', '.join(METHODS)}")
    calls: dict[str, Callable[[], Any]] = {
        "ann": lambda: clark_evans(points, window=window),
        "ripley": lambda: ripley_l(
            points, window=window, n_simulations=n_simulations, seed=seed, progress=progress
        ),
        "kde": lambda: kernel_density(
            points, window=window, bandwidth_m=bandwidth_m, cell_m=cell_m
        ),
        "hotspots": lambda: hex_hotspots(
            points, window=window, resolution=resolution, permutations=permutations, seed=seed
        ),
    }
    out: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name in methods:
        try:
            result = calls[name]()
        except InsufficientDataError as exc:
            problems[name] = str(exc)
            continue
        if name == "kde":
            out[name] = result.to_dict(with_grid=with_geometry)
        elif name == "hotspots":
            out[name] = result.to_dict(with_bins=with_geometry)
        else:
            out[name] = result.to_dict()
    out["problems"] = problems
    return out
