"""The one legend classifier: Fisher-Jenks class breaks of a zone metric, shared by the
interactive maps (:mod:`geo.maps`) and the static snapshots (:mod:`geo.snapshot`).

The rule: at most ``k`` (5) classes, never more classes than distinct values (so a few zones or
many ties never give empty classes); when there are no more distinct values than ``k`` each
value is its own class; NaN is "no data" (class -1) and takes no part in the breaks.
How the classes are coloured and labelled is each renderer's business.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Classes wanted by default: at most 5 suits a dozen districts.
MAX_CLASSES = 5


@dataclass(frozen=True)
class Breaks:
    """A classed metric.

    Attributes
    ----------
    bins
        Upper bound of each class, ascending (empty when every value is NaN).
    index
        Each value's class (0-based), ``-1`` for no data (NaN).
    scheme
        ``Fisher-Jenks``, ``unique values`` (each distinct value a class) or ``single value``
        (at most one distinct value).
    lowest
        The smallest known value (``None`` when there is none).
    """

    bins: tuple[float, ...]
    index: np.ndarray
    scheme: str
    lowest: float | None

    @property
    def n_classes(self) -> int:
        """Number of classes (``len(bins)``)."""
        return len(self.bins)

    @property
    def has_no_data(self) -> bool:
        """True when some value is NaN (class -1)."""
        return bool((self.index < 0).any())


def classify(values: pd.Series | np.ndarray, *, k: int = MAX_CLASSES) -> Breaks:
    """Fisher-Jenks class breaks of ``values`` (NaN or non-numeric = no data).

    Parameters
    ----------
    values
        One value per zone.
    k
        At most this many classes; fewer when there are fewer distinct values.

    Returns
    -------
    Breaks
        Class upper bounds and each value's class (a value equal to a bound is in that class).
    """
    numeric = pd.to_numeric(pd.Series(values), errors="coerce")
    y = numeric.to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(y)
    distinct = np.unique(y[known])
    index = np.full(len(y), -1, dtype=int)
    if len(distinct) <= 1:
        bins = [float(v) for v in distinct]
        scheme = "single value"
    elif len(distinct) <= k:
        bins = [float(v) for v in distinct]
        scheme = "unique values"
    else:
        import mapclassify

        with warnings.catch_warnings():  # a speed hint only; zone layers need no numba
            warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
            bins = [float(b) for b in mapclassify.FisherJenks(y[known], k=k).bins]
        scheme = "Fisher-Jenks"
    if bins:
        index[known] = np.searchsorted(np.asarray(bins), y[known], side="left")
    lowest = float(distinct[0]) if len(distinct) else None
    return Breaks(tuple(bins), index, scheme, lowest)
