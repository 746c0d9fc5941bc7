"""Statistics for analysts: density by zone, the service-chain matrix, point-pattern clustering."""

from geo.stats.chain import ChainOptionError, chain_gaps, chain_matrix, chain_report
from geo.stats.clustering import (
    METHODS,
    StatisticOptionError,
    clark_evans,
    clustering_report,
    hex_hotspots,
    kernel_density,
    ripley_l,
    study_window,
)
from geo.stats.density import DensityResult, DistrictBasisError, density_table

__all__ = [
    "METHODS",
    "ChainOptionError",
    "DensityResult",
    "DistrictBasisError",
    "StatisticOptionError",
    "chain_gaps",
    "chain_matrix",
    "chain_report",
    "clark_evans",
    "clustering_report",
    "density_table",
    "hex_hotspots",
    "kernel_density",
    "ripley_l",
    "study_window",
]
