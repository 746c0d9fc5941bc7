"""The study window, point projection into it, and helpers every statistic shares."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import geopandas as gpd
import shapely
from numpy.typing import NDArray

from geo.crs import WGS84
from geo.errors import BiomapError, InsufficientDataError

if TYPE_CHECKING:
    from geo.cities import City


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
    """The study area: one geometry in WGS84 and in the metric CRS, with its area."""

    wgs84: shapely.Geometry
    metric: shapely.Geometry
    name: str
    metric_crs: str
    equal_area_crs: str

    @property
    def area_m2(self) -> float:
        """Area in m² (metric CRS)."""
        return float(self.metric.area)


def study_window(window: WindowLike | Window = None, *, city: City) -> Window:
    """The study window: the city's outline by default, measured in the city's metric CRS.

    Parameters
    ----------
    window
        A shapely geometry in WGS84, or a GeoDataFrame/GeoSeries in any CRS (unioned); a
        :class:`Window` passes through.
    city
        Gives the default window (its outline) and the CRSs.
    """
    if isinstance(window, Window):
        return window
    if window is None:
        geoms = city.outline.geometry
        name = f"{city.profile.name_en} city polygon ({city.profile.units.outline.name})"
    elif isinstance(window, gpd.GeoDataFrame | gpd.GeoSeries):
        geoms = window.geometry if isinstance(window, gpd.GeoDataFrame) else window
        name = "custom window"
    else:
        geoms = gpd.GeoSeries([window], crs=WGS84)
        name = "custom window"
    if geoms.crs is None:
        geoms = geoms.set_crs(WGS84)
    wgs = shapely.union_all(geoms.to_crs(WGS84).to_numpy())
    metric = shapely.union_all(geoms.to_crs(city.metric_crs).to_numpy())
    if metric.is_empty or metric.area <= 0:
        raise InsufficientDataError("the study window has no area; pass a polygon")
    shapely.prepare(metric)
    return Window(wgs, metric, name, city.metric_crs, city.equal_area_crs)


def points_in_window(
    points: gpd.GeoDataFrame | gpd.GeoSeries, window: Window
) -> tuple[NDArray, int]:
    """Project points to the window's metric CRS and keep those inside ``window``.

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
    projected = geoms[usable].to_crs(window.metric_crs)
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
