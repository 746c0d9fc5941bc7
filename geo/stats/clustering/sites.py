"""Coincident points: platforms that share a site, and the statistics on distinct sites.

Many registry coordinates are campus-level: 131 Guangzhou platforms sit on 57 points. To the
nearest-neighbour family (Clark-Evans, Ripley's L, Gi*) a shared point is a distance of zero,
so they report strong clustering that says more about how coordinates were recorded than about
where platforms are. :func:`coincidence` counts it; :func:`distinct_sites` keeps one point per
site, so a caller can ask for the statistics on sites instead of platforms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import geopandas as gpd
import numpy as np
import shapely

from geo.crs import WGS84

#: Points closer than this (degrees, about 0.1 m) are one site.
SITE_DECIMALS = 6
#: A share of coincident points from which the statistics carry a caution.
COINCIDENT_SHARE = 0.2


@dataclass(frozen=True)
class Coincidence:
    """How many points there are, on how many distinct sites, and how many share one."""

    points: int
    distinct_sites: int
    coincident: int  # points that share their site with at least one other

    @property
    def share(self) -> float:
        """The share of points that share a site (0 with no points)."""
        return self.coincident / self.points if self.points else 0.0

    def as_dict(self) -> dict[str, float]:
        """JSON-ready, with the share."""
        return asdict(self) | {"share": round(self.share, 4)}

    def caution(self, statistic: str) -> str | None:
        """A caution for ``statistic`` on platforms when coincident points dominate."""
        if self.share < COINCIDENT_SHARE:
            return None
        return (
            f"{self.coincident} of {self.points} points share a site with another (campus-level "
            f"coordinates); {statistic} reads them as clustering at zero distance. Ask for the "
            f"statistic on the {self.distinct_sites} distinct sites (sites=true) to compare"
        )


def _site_keys(points: gpd.GeoDataFrame | gpd.GeoSeries) -> tuple[gpd.GeoSeries, np.ndarray]:
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if geoms.crs is None:
        geoms = geoms.set_crs(WGS84)
    geoms = geoms[~(geoms.isna() | geoms.is_empty).to_numpy()].to_crs(WGS84)
    xy = np.round(shapely.get_coordinates(geoms.to_numpy()), SITE_DECIMALS)
    return geoms, xy


def coincidence(points: gpd.GeoDataFrame | gpd.GeoSeries) -> Coincidence:
    """Count the points, their distinct sites and the points sharing a site."""
    _, xy = _site_keys(points)
    if not len(xy):
        return Coincidence(0, 0, 0)
    _, inverse, counts = np.unique(xy, axis=0, return_inverse=True, return_counts=True)
    shared = counts[inverse.ravel()] > 1
    return Coincidence(len(xy), len(counts), int(shared.sum()))


def distinct_sites(points: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoSeries:
    """One point per distinct site (the first platform's), WGS84."""
    geoms, xy = _site_keys(points)
    _, first = np.unique(xy, axis=0, return_index=True)
    return geoms.iloc[np.sort(first)].reset_index(drop=True)
