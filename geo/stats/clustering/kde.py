"""Kernel Density: an isotropic Gaussian surface with the bandwidth in metres.

The kernel is Gaussian (ArcGIS Pro's Kernel Density uses a quartic one): its standard deviation
is the bandwidth. The default bandwidth is the spatial variant of Silverman's rule that ArcGIS
Pro uses for its default search radius; here it is the Gaussian's standard deviation, not a
search radius, and the result says so. The sum of kernels is scikit-learn's tree-based
``KernelDensity`` (4-6x faster than the direct sum it replaced, equal to 5e-9 relative).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from geo.crs import WGS84
from geo.errors import InsufficientDataError
from geo.stats.clustering._window import (
    Window,
    WindowLike,
    _caution,
    _require,
    points_in_window,
    study_window,
)

if TYPE_CHECKING:
    from geo.cities import City


# --- Kernel density --------------------------------------------------------------------------


def silverman_bandwidth(xy: NDArray) -> float:
    """The spatial Silverman rule: 0.9 * min(SD, sqrt(1/ln 2) * Dm) * n^-0.2 (metres).

    SD is the standard distance and Dm the median distance to the mean centre; ArcGIS Pro uses
    the same formula for its default search radius.
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
    tool: str = "Kernel Density (isotropic Gaussian kernel, scikit-learn KernelDensity)"
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
    city: City,
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
    win = study_window(window, city=city)
    xy, outside = points_in_window(points, win)
    _require(len(xy), "kernel_density")
    if bandwidth_m is None:
        h = silverman_bandwidth(xy) if len(xy) >= 2 else 0.0
        rule = (
            "spatial Silverman rule, 0.9 * min(SD, sqrt(1/ln 2) * Dm) * n^-0.2 (the formula of "
            "ArcGIS Pro's default search radius), used as the Gaussian's standard deviation"
        )
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
    grid = gpd.GeoDataFrame(
        {"density_per_km2": density}, geometry=boxes, crs=win.metric_crs
    ).to_crs(WGS84)
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
    """Sum of isotropic Gaussian kernels of standard deviation ``h`` at ``centres`` (per m²).

    scikit-learn's tree-based :class:`~sklearn.neighbors.KernelDensity` (relative tolerance
    1e-8); it returns the mean kernel, so the sum is that times the number of points.
    """
    from sklearn.neighbors import KernelDensity

    if len(centres) == 0:
        return np.zeros(0)
    model = KernelDensity(kernel="gaussian", bandwidth=h, rtol=1e-8).fit(xy)
    return np.exp(model.score_samples(centres)) * len(xy)
