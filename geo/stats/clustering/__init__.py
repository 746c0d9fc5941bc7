"""Point-pattern statistics over the city polygon, in metres (the city's ``metric_crs``).

The names follow ArcGIS Pro, the vocabulary planners use in briefings:

* **Average Nearest Neighbor** (:func:`clark_evans`): Clark-Evans ratio R and its z-score.
* **Multi-Distance Spatial Cluster Analysis (Ripley's K)** (:func:`ripley_l`): Ripley's L with
  a Monte Carlo envelope of complete spatial randomness, simulated *inside the study window*
  (the city polygon by default, never its bounding box).
* **Kernel Density** (:func:`kernel_density`): a Gaussian surface with the bandwidth in metres.
* **Hot Spot Analysis (Getis-Ord Gi*)** (:func:`hex_hotspots`): H3 hexagon counts with Gi* on the
  bins (11 districts are too few for local statistics), via ``esda`` and ``libpysal``.

Conventions: the study window's area is its area in the city's metric CRS; no edge correction is applied
(the CSR envelope is simulated in the same window, so it carries the same edge bias). Points
outside the window are dropped and counted in ``n_outside``. Too few points raise
:class:`geo.errors.InsufficientDataError` with the minimum in the message.

Why not ``pointpats.l_test``: in pointpats 2.5.5 its K uses the points' bounding box as the
area, its simulations cannot be seeded and draw points one at a time; biomap computes L from the
same definition with the window's area and a vectorised, seeded sampler.
"""

from geo.stats.clustering._window import (
    MIN_POINTS,
    SMALL_SAMPLE,
    StatisticOptionError,
    Window,
    points_in_window,
    study_window,
)
from geo.stats.clustering.ann import ClarkEvansResult, clark_evans
from geo.stats.clustering.budget import WorkLimitError, WorkLimits, check_work, estimate_work
from geo.stats.clustering.hotspots import GI_BIN_LABELS, HotspotResult, hex_hotspots
from geo.stats.clustering.kde import KernelDensityResult, kernel_density, silverman_bandwidth
from geo.stats.clustering.report import METHODS, clustering_report
from geo.stats.clustering.ripley import RipleyResult, l_function, random_points_in, ripley_l

__all__ = [
    "GI_BIN_LABELS",
    "METHODS",
    "MIN_POINTS",
    "SMALL_SAMPLE",
    "ClarkEvansResult",
    "HotspotResult",
    "KernelDensityResult",
    "RipleyResult",
    "StatisticOptionError",
    "Window",
    "WorkLimitError",
    "WorkLimits",
    "check_work",
    "clark_evans",
    "clustering_report",
    "estimate_work",
    "hex_hotspots",
    "kernel_density",
    "l_function",
    "points_in_window",
    "random_points_in",
    "ripley_l",
    "silverman_bandwidth",
    "study_window",
]
