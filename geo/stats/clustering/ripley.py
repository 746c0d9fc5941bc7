"""Multi-Distance Spatial Cluster Analysis: Ripley's L with a CSR envelope inside the window."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial.distance import pdist

from geo.stats.clustering._window import (
    Progress,
    Window,
    WindowLike,
    _caution,
    _require,
    points_in_window,
    study_window,
)

if TYPE_CHECKING:
    from geo.cities import City


# --- Ripley's L with a CSR envelope ----------------------------------------------------------


def random_points_in(window: Window, n: int, rng: np.random.Generator) -> NDArray:
    """``n`` uniformly random points inside ``window`` (metric CRS), by vectorised rejection."""
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
    city: City,
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
    win = study_window(window, city=city)
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
