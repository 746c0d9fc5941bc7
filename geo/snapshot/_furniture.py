"""Map furniture for static maps: scale bar and north arrow.

Both assume the axes are drawn in a projected CRS in metres with an equal aspect (biomap draws
in the city's metric CRS, ``City.metric_crs``), so one data unit is one metre on the ground (for
Guangzhou's Gauss-Kruger zone the scale factor differs from 1 by less than 0.02%).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.offsetbox import AnchoredOffsetbox, DrawingArea, TextArea, VPacker
from matplotlib.patches import Polygon, Rectangle

from geo.crs import WGS84

_NICE = (1, 2, 2.5, 5)


@dataclass(frozen=True)
class ScaleBar:
    """What a drawn scale bar says: its length in metres and in data units, and its label."""

    length_m: float
    length_data: float
    label: str


def nice_length(span_m: float, fraction: float = 0.25) -> float:
    """The largest 1/2/2.5/5 x 10^n metres not above ``fraction`` of ``span_m``."""
    target = max(span_m * fraction, 1e-9)
    exp = math.floor(math.log10(target))
    best = 10.0**exp
    for n in _NICE:
        if n * 10.0**exp <= target:
            best = n * 10.0**exp
    return best


def _format_km(metres: float) -> str:
    km = metres / 1000
    return f"{km:g}" if km >= 1 else f"{metres:g}"


def add_scale_bar(
    ax: Axes, *, lang: str = "zh", fontsize: float = 7.0, segments: int = 4
) -> ScaleBar:
    """Draw an alternating black/white scale bar in the lower left of ``ax``.

    Parameters
    ----------
    ax
        Axes drawn in metres with fixed limits (call after setting the limits).
    lang
        ``zh`` labels the unit 公里, ``en`` km.
    segments
        Number of alternating segments.

    Returns
    -------
    ScaleBar
        The length drawn, for tests and captions.
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width, height = x1 - x0, y1 - y0
    length = nice_length(width)
    in_km = length >= 1000
    unit = ("公里" if lang == "zh" else "km") if in_km else ("米" if lang == "zh" else "m")
    bx, by = x0 + 0.05 * width, y0 + 0.045 * height
    bar_h = 0.012 * height
    seg = length / segments
    for i in range(segments):
        ax.add_patch(
            Rectangle(
                (bx + i * seg, by),
                seg,
                bar_h,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.6,
                zorder=20,
                gid="scalebar",
            )
        )
    ticks = (0.0, length / 2, length)
    for t in ticks:
        text = _format_km(t) if in_km else f"{t:g}"
        ax.text(
            bx + t,
            by + bar_h * 1.6,
            text,
            ha="center",
            va="bottom",
            fontsize=fontsize,
            zorder=20,
        )
    ax.text(
        bx + length + seg * 0.3,
        by + bar_h / 2,
        unit,
        ha="left",
        va="center",
        fontsize=fontsize,
        zorder=20,
    )
    label = f"{_format_km(length) if in_km else f'{length:g}'} {unit}"
    return ScaleBar(length_m=length, length_data=length, label=label)


def grid_convergence_deg(ax: Axes, crs: str) -> float:
    """Angle (degrees, counter-clockwise) from grid north to true north at the axes centre,
    for axes drawn in the projected ``crs``."""
    from pyproj import Transformer

    x = float(np.mean(ax.get_xlim()))
    y = float(np.mean(ax.get_ylim()))
    to_geo = Transformer.from_crs(crs, WGS84, always_xy=True)
    to_map = Transformer.from_crs(WGS84, crs, always_xy=True)
    lon, lat = to_geo.transform(x, y)
    nx, ny = to_map.transform(lon, lat + 0.05)
    return math.degrees(math.atan2(-(nx - x), ny - y))


def add_north_arrow(
    ax: Axes, *, crs: str, lang: str = "zh", size_pt: float = 26.0, fontsize: float = 9.0
) -> float:
    """Draw a north arrow pointing to true north in the upper right of ``ax``, drawn in ``crs``.

    Returns
    -------
    float
        The rotation applied (grid convergence in degrees), for tests.
    """
    angle = grid_convergence_deg(ax, crs)
    w = size_pt * 0.55
    area = DrawingArea(w, size_pt, 0, 0)
    rad = math.radians(angle)
    cos, sin = math.cos(rad), math.sin(rad)
    cx, cy = w / 2, size_pt / 2

    def rot(px: float, py: float) -> tuple[float, float]:
        dx, dy = px - cx, py - cy
        return cx + dx * cos - dy * sin, cy + dx * sin + dy * cos

    tip, base_l, base_r, notch = (cx, size_pt), (0, 0), (w, 0), (cx, size_pt * 0.28)
    for half, colour in (((tip, base_l, notch), "black"), ((tip, notch, base_r), "white")):
        area.add_artist(
            Polygon(
                [rot(*p) for p in half],
                closed=True,
                facecolor=colour,
                edgecolor="black",
                linewidth=0.7,
            )
        )
    letter = TextArea("北" if lang == "zh" else "N", textprops={"fontsize": fontsize})
    box = VPacker(children=[letter, area], align="center", pad=0, sep=2)
    anchored = AnchoredOffsetbox(loc="upper right", child=box, frameon=False, borderpad=0.8)
    anchored.set_gid("northarrow")
    anchored.set_zorder(20)
    ax.add_artist(anchored)
    return angle
