"""Layer builders for static maps: classed choropleth, base units, provisional overlay, points.

Each builder takes the axes and frames already projected to the drawing CRS (metres).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geo.legend import classify as _breaks
from geo.vocab import label

CHOROPLETH_CMAP = "Blues"
NO_DATA_COLOUR = "#f2f2f2"
EDGE_COLOUR = "#6b6b6b"
ZONE363_COLOUR = "#7b2d8e"
#: Point colours in vocabulary order: strong hues that stand out on the light blue choropleth
#: (no blues), distinct in print.
POINT_PALETTE = (
    "#d7191c",
    "#fd8d3c",
    "#1a9641",
    "#404040",
    "#a6611a",
    "#e7298a",
    "#b8a800",
    "#01665e",
    "#f4a582",
    "#8c510a",
    "#66a61e",
    "#000000",
    "#c51b7d",
    "#bababa",
    "#e6ab02",
    "#7b3294",
    "#762a83",
)


@dataclass(frozen=True)
class Classes:
    """A classed metric: per-zone class index (-1 = no data), colours and legend labels."""

    index: np.ndarray
    colours: tuple[str, ...]
    labels: tuple[str, ...]
    counts: tuple[int, ...]
    scheme: str

    def colour_of(self) -> list[str]:
        """Fill colour of every zone (no-data grey where the class is -1)."""
        return [self.colours[i] if i >= 0 else NO_DATA_COLOUR for i in self.index]


def _fmt(value: float, integer: bool) -> str:
    if integer:
        return f"{round(value)}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def classify(values: pd.Series, *, k: int = 5, integer: bool = False) -> Classes:
    """Class a metric for print: :func:`geo.legend.classify` breaks, coloured and labelled.

    Parameters
    ----------
    values
        One value per zone (NaN = no data, class -1).
    k
        Number of classes wanted (at most 5 suits 11 districts; fewer for fewer distinct values).
    integer
        Format class bounds as integers (counts).
    """
    from matplotlib import colormaps

    breaks = _breaks(values, k=k)
    bins = list(breaks.bins)
    index = breaks.index
    cmap = colormaps[CHOROPLETH_CMAP]
    n = max(len(bins), 1)
    colours = tuple(to_hex(cmap(0.06 + 0.6 * (i / max(n - 1, 1)))) for i in range(n))
    lower = breaks.lowest if breaks.lowest is not None else 0.0
    labels = _class_labels(bins, lower, integer=integer, single=breaks.scheme != "Fisher-Jenks")
    counts = tuple(int((index == i).sum()) for i in range(n))
    return Classes(index, colours[: len(bins)], tuple(labels), counts[: len(bins)], breaks.scheme)


def _class_labels(bins: list[float], lower: float, *, integer: bool, single: bool) -> list[str]:
    """Legend labels: each value when every class is one value, else ``lo–hi`` ranges
    (a class holds values above the previous bound up to its own)."""
    if single:
        return [_fmt(b, integer) for b in bins]
    labels = []
    for i, upper in enumerate(bins):
        lo = lower if i == 0 else (np.floor(bins[i - 1]) + 1 if integer else bins[i - 1])
        text = _fmt(upper, integer)
        labels.append(text if _fmt(lo, integer) == text else f"{_fmt(lo, integer)}–{text}")
    return labels


def draw_choropleth(
    ax: Axes, zones: gpd.GeoDataFrame, classes: Classes, *, dashed: bool = False
) -> None:
    """Fill ``zones`` by class; dashed edges when the layer is approximate."""
    located = ~(zones.geometry.isna() | zones.geometry.is_empty).to_numpy()
    if not located.any():
        return
    colours = np.asarray(classes.colour_of(), dtype=object)[located]
    zones[located].plot(
        ax=ax,
        color=list(colours),
        edgecolor=ZONE363_COLOUR if dashed else EDGE_COLOUR,
        linewidth=1.0 if dashed else 0.6,
        linestyle="--" if dashed else "-",
        alpha=0.85 if dashed else 1.0,
        zorder=4 if dashed else 2,
        gid="choropleth",
    )


def draw_base(ax: Axes, districts: gpd.GeoDataFrame) -> None:
    """The city's units as a neutral base (when the choropleth is another layer)."""
    districts.plot(ax=ax, color="#fbfbf8", edgecolor=EDGE_COLOUR, linewidth=0.6, zorder=1)


def draw_overlay(ax: Axes, zones: gpd.GeoDataFrame) -> None:
    """Provisional zones drawn as approximate: dashed outline, light hatch, no fill."""
    located = zones[~(zones.geometry.isna() | zones.geometry.is_empty)]
    if len(located):
        located.plot(
            ax=ax,
            facecolor="none",
            edgecolor=ZONE363_COLOUR,
            linewidth=1.1,
            linestyle="--",
            hatch="////",
            zorder=5,
            gid="overlay363",
        )


CITY_EDGE_COLOUR = "#333333"


def draw_city_outlines(ax: Axes, cities: gpd.GeoDataFrame) -> None:
    """A region's member cities: a dark, wider line over the unit choropleth."""
    cities.boundary.plot(ax=ax, color=CITY_EDGE_COLOUR, linewidth=1.3, zorder=6, gid="cities")


def city_outline_handle(lang: str) -> Line2D:
    """Legend line of the member cities' boundaries."""
    return Line2D([], [], color=CITY_EDGE_COLOUR, linewidth=1.3, label=label("city_boundary", lang))


def category_colours(codes: list[str]) -> dict[str, str]:
    """Colour per category code, in the order given (the vocabulary order of the codes shown:
    the same data always gets the same colours)."""
    return {c: POINT_PALETTE[i % len(POINT_PALETTE)] for i, c in enumerate(codes)}


def point_size(n: int) -> float:
    """Marker area (points²) that stays readable from a handful to thousands of points."""
    if n <= 100:
        return 30.0
    if n <= 1000:
        return 12.0
    return 5.0


def draw_points(
    ax: Axes, points: gpd.GeoDataFrame, column: str, colours: dict[str, str], *, size: float
) -> None:
    """Platforms as dots coloured by ``column``, drawn in a fixed (vocabulary) order."""
    for code, colour in colours.items():
        sel = points[points[column] == code]
        if len(sel):
            ax.scatter(
                sel.geometry.x,
                sel.geometry.y,
                s=size,
                c=colour,
                edgecolors="white",
                linewidths=0.6,
                zorder=10,
                gid=f"points-{code}",
            )


def label_stacks(
    ax: Axes,
    points: gpd.GeoDataFrame,
    *,
    skip: BaseGeometry | None = None,
    only: BaseGeometry | None = None,
) -> None:
    """Mark sites where several platforms share one point (campus-level points) with "×n".

    Sites inside ``skip`` (the area an inset shows) or outside ``only`` are left unmarked.
    """
    if points.empty:
        return
    sites = pd.DataFrame({"x": points.geometry.x.round(1), "y": points.geometry.y.round(1)})
    counts = sites.value_counts().sort_index()
    for (x, y), n in counts[counts > 1].items():
        site = Point(x, y)
        if (skip is not None and skip.covers(site)) or (only is not None and not only.covers(site)):
            continue
        ax.annotate(
            f"×{n}",
            (x, y),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=6,
            fontweight="bold",
            color="#222222",
            path_effects=[patheffects.withStroke(linewidth=2, foreground="white")],
            zorder=11,
            gid="stack-count",
            annotation_clip=True,
        )


def choropleth_handles(classes: Classes, *, has_no_data: bool, lang: str) -> list[Patch]:
    """Legend patches of the classes (with their zone counts) and of "no data"."""
    handles = [
        Patch(facecolor=c, edgecolor=EDGE_COLOUR, linewidth=0.5, label=f"{lab}")
        for c, lab in zip(classes.colours, classes.labels, strict=True)
    ]
    if has_no_data:
        handles.append(
            Patch(
                facecolor=NO_DATA_COLOUR,
                edgecolor=EDGE_COLOUR,
                linewidth=0.5,
                label=label("no_data", lang),
            )
        )
    return handles


def overlay_handle(lang: str) -> Patch:
    """Legend patch of provisional zones drawn as approximate (the "363" zones)."""
    return Patch(
        facecolor="none",
        edgecolor=ZONE363_COLOUR,
        linestyle="--",
        hatch="////",
        label=label("approx_zone", lang),
    )


def point_handles(
    counts: dict[str, int], colours: dict[str, str], names: dict[str, str], size: float
) -> list[Line2D]:
    """Legend markers of the point categories present, with their counts."""
    ms = max(np.sqrt(size), 4.0)
    return [
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=ms,
            markerfacecolor=colours[code],
            markeredgecolor="white",
            label=f"{names[code]} ({counts[code]})",
        )
        for code in colours
        if counts.get(code, 0)
    ]
