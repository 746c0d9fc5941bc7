"""Average Nearest Neighbor (Clark-Evans R and z-score), distances in metres."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
from scipy.spatial import cKDTree

from geo.stats.clustering._window import (
    WindowLike,
    _caution,
    _require,
    _two_sided_p,
    points_in_window,
    study_window,
)

if TYPE_CHECKING:
    from geo.cities import City


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
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    city: City,
    window: WindowLike = None,
    alpha: float = 0.05,
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
    win = study_window(window, city=city)
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
