"""How much work a clustering request asks for, and the bounds a shared server puts on it.

The statistics' cost grows with options a caller chooses: KDE with the number of grid cells
(window area / cell size²) times the points, Ripley's L with the simulations times the point
pairs (``pdist`` holds every pair in memory), Gi* with the H3 hexagons covering the window
times the permutations. :func:`check_work` estimates these *before* any work starts and refuses
a request beyond a bound with :class:`WorkLimitError`, naming the bound and what to change.
With the defaults a Guangzhou-sized window allows KDE down to 500 m cells, Gi* up to H3
resolution 8 with 999 permutations and Ripley's L with 999 simulations of a few hundred points.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import h3

from geo.stats.clustering._window import StatisticOptionError


class WorkLimitError(StatisticOptionError):
    """A request would do more work than the server allows (its message names the bound)."""


@dataclass(frozen=True)
class WorkLimits:
    """Upper bounds of one clustering request (a server's settings may lower or raise them)."""

    kde_cells: int = 32_000
    kde_evaluations: float = 5e8  # cells x points
    ripley_points: int = 5_000  # pdist keeps n(n-1)/2 distances: 100 MB at 5,000
    ripley_pairs: float = 1e9  # (simulations + 1) x n(n-1)/2
    hexagons: int = 12_000
    hexagon_permutations: float = 1.05e7  # hexagons x permutations

    def as_dict(self) -> dict[str, float]:
        """The bounds by name (for the API's description and errors)."""
        return asdict(self)


def estimate_work(
    methods: tuple[str, ...],
    *,
    n_points: int,
    area_km2: float,
    n_simulations: int = 99,
    cell_m: float = 1000.0,
    resolution: int = 7,
    permutations: int = 999,
    **_: Any,
) -> dict[str, float]:
    """The work of each bounded quantity the ``methods`` ask for (the names of :class:`WorkLimits`)."""
    work: dict[str, float] = {}
    if "kde" in methods:
        cells = area_km2 * 1e6 / (cell_m * cell_m)
        work |= {"kde_cells": cells, "kde_evaluations": cells * n_points}
    if "ripley" in methods:
        pairs = n_points * (n_points - 1) / 2
        work |= {"ripley_points": n_points, "ripley_pairs": (n_simulations + 1) * pairs}
    if "hotspots" in methods:
        hexagons = area_km2 / h3.average_hexagon_area(resolution, unit="km^2")
        work |= {"hexagons": hexagons, "hexagon_permutations": hexagons * permutations}
    return work


_ADVICE = {
    "kde_cells": "use a larger cell_m",
    "kde_evaluations": "use a larger cell_m or select fewer platforms",
    "ripley_points": "select fewer platforms (a filter) for Ripley's L",
    "ripley_pairs": "use fewer simulations or select fewer platforms",
    "hexagons": "use a coarser H3 resolution",
    "hexagon_permutations": "use fewer permutations or a coarser H3 resolution",
}


def check_work(
    methods: tuple[str, ...], *, limits: WorkLimits | None = None, **options: Any
) -> dict[str, float]:
    """:func:`estimate_work`, raising :class:`WorkLimitError` for the first bound exceeded.

    ``options`` are those of :func:`geo.stats.clustering.clustering_report` plus ``n_points``
    and ``area_km2`` (the study window's).
    """
    bounds = (limits or WorkLimits()).as_dict()
    work = estimate_work(methods, **options)
    for name, value in work.items():
        if value > bounds[name]:
            raise WorkLimitError(
                f"this request needs {name.replace('_', ' ')} = {value:,.0f}, above the "
                f"server's bound of {bounds[name]:,.0f}; {_ADVICE[name]}"
            )
    return work
