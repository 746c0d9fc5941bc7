"""Several clustering statistics in one JSON-ready report (CLI and API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import geopandas as gpd

from geo.errors import InsufficientDataError
from geo.stats.clustering._window import (
    Progress,
    StatisticOptionError,
    WindowLike,
)
from geo.stats.clustering.ann import clark_evans
from geo.stats.clustering.hotspots import hex_hotspots
from geo.stats.clustering.kde import kernel_density
from geo.stats.clustering.ripley import ripley_l
from geo.stats.clustering.sites import coincidence, distinct_sites

if TYPE_CHECKING:
    from geo.cities import City


METHODS: tuple[str, ...] = ("ann", "ripley", "kde", "hotspots")


def clustering_report(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    methods: tuple[str, ...] = METHODS,
    *,
    city: City,
    window: WindowLike = None,
    n_simulations: int = 99,
    seed: int | None = 0,
    bandwidth_m: float | None = None,
    cell_m: float = 1000.0,
    resolution: int = 7,
    permutations: int = 999,
    with_geometry: bool = False,
    sites: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run several statistics; a statistic with too few points is reported, not raised.

    ``points`` says how many platforms coincide (:func:`geo.stats.clustering.sites.coincidence`)
    and which basis was used: every platform, or with ``sites`` one point per distinct site.
    On platforms, ANN, Ripley's L and Gi* carry a caution when coincident points dominate.

    Returns
    -------
    dict
        ``{"points": {...}, method: result.to_dict(), ..., "problems": {method: message}}``;
        with ``with_geometry`` the KDE cells and hexagons are included as GeoJSON.

    Raises
    ------
    StatisticOptionError
        For an unknown method name.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise StatisticOptionError(f"unknown method(s) {unknown}; use {', '.join(METHODS)}")
    shared = coincidence(points)
    if sites:
        points = distinct_sites(points)
    calls: dict[str, Callable[[], Any]] = {
        "ann": lambda: clark_evans(points, city=city, window=window),
        "ripley": lambda: ripley_l(
            points,
            city=city,
            window=window,
            n_simulations=n_simulations,
            seed=seed,
            progress=progress,
        ),
        "kde": lambda: kernel_density(
            points, city=city, window=window, bandwidth_m=bandwidth_m, cell_m=cell_m
        ),
        "hotspots": lambda: hex_hotspots(
            points,
            city=city,
            window=window,
            resolution=resolution,
            permutations=permutations,
            seed=seed,
        ),
    }
    out: dict[str, Any] = {
        "points": shared.as_dict() | {"basis": "distinct sites" if sites else "platforms"}
    }
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
        if name in ("ann", "ripley", "hotspots") and not sites:
            extra = shared.caution(out[name]["tool"])
            if extra:
                out[name]["caution"] = "; ".join(filter(None, [out[name].get("caution"), extra]))
    out["problems"] = problems
    return out
