"""Laying out one static map page, step by step (used by :mod:`geo.snapshot`).

``build`` prepares the data (filter, density table, classes, projection to the city's metric
CRS), then
draws the main map, the inset, the furniture, the labels, the legend, the notes and the page
texts, each in its own small function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from geo.filters import PlatformFilter
from geo.snapshot import _layers as lyr
from geo.snapshot._furniture import ScaleBar, add_north_arrow, add_scale_bar
from geo.snapshot._labels import MapLabel, Placement, place_labels
from geo.snapshot._layout import Page, add_notes, add_source, add_titles, panel, stack_legends
from geo.snapshot._text import (
    count_approximate,
    data_date,
    display_width,
    page_heading,
    source_line,
    tr,
    wrap_text,
)
from geo.taxonomy import VOCABULARIES
from geo.vocab import label, metric_label, term
from geo.zones import ZoneLayer, get_layer

if TYPE_CHECKING:
    from geo.cities import City
    from geo.stats.density import DensityResult

#: points_by -> (registry column, taxonomy vocabulary); legend titles are the vocabulary's
#: ``points_by_<name>`` labels (:mod:`geo.vocab`).
POINT_CATEGORIES: dict[str, tuple[str, str]] = {
    "type": ("type", "type"),
    "level": ("level", "level"),
    "sub_kind": ("sub_kind", "sub_kind"),
    "supporting_unit": ("supporting_unit", "supporting_unit"),
}


@dataclass(frozen=True)
class Options:
    """Validated snapshot options."""

    layer: str
    metric: str
    filter: PlatformFilter
    lang: str
    page: Page
    title: str | None
    points_by: str
    overlay: str | None
    city: City
    layers: dict[str, ZoneLayer]


@dataclass(frozen=True)
class Prepared:
    """The data of one snapshot, projected to the drawing CRS, with its classes and colours."""

    districts: gpd.GeoDataFrame
    choropleth: gpd.GeoDataFrame
    overlay: gpd.GeoDataFrame | None
    points: gpd.GeoDataFrame
    layer: ZoneLayer
    density: DensityResult
    classes: lyr.Classes
    colours: dict[str, str]
    column: str
    size: float
    located: np.ndarray
    #: Units the inset repeats (``city.profile.snapshot.inset_units``; every unit if none).
    inset_ids: frozenset[str]
    #: Units labelled on the main map (those not in the inset, or all without inset units).
    main_ids: frozenset[str]
    #: A region's member cities (outlines drawn over the units); ``None`` for a city.
    cities: gpd.GeoDataFrame | None = None

    @property
    def labelled_zones(self) -> gpd.GeoDataFrame | None:
        """Zones of a non-district layer to label (the overlay, or the choropleth layer)."""
        if self.overlay is not None:
            return self.overlay
        return None if self.layer.name == "districts" else self.choropleth


@dataclass
class Built:
    """What :func:`build` drew, for :class:`geo.snapshot.Snapshot`."""

    figure: Figure
    map_ax: Axes
    inset_ax: Axes
    title: Text
    subtitle: Text
    source: Text
    legends: list[Legend]
    labels: dict[str, Placement]
    scale_bars: dict[str, ScaleBar]
    north_angle: float
    notes: list[str]
    density: DensityResult
    shown: int


def prepare(platforms: gpd.GeoDataFrame, layers: dict[str, ZoneLayer], opt: Options) -> Prepared:
    """Filter, count, classify and project everything the page draws."""
    from geo.stats.density import density_table

    crs = opt.city.metric_crs
    zone_layer = get_layer(layers, opt.layer)
    districts = layers["districts"].zones.to_crs(crs)
    choro = districts if opt.layer == "districts" else zone_layer.zones.to_crs(crs)
    over = None
    if opt.overlay and opt.overlay != opt.layer:
        over = get_layer(layers, opt.overlay).zones.to_crs(crs)
    kept = opt.filter.apply(platforms) if len(platforms) else platforms
    kept = kept[~(kept.geometry.isna() | kept.geometry.is_empty)].to_crs(crs)
    density = density_table(platforms, zone_layer, city=opt.city, filter=opt.filter)
    table = density.table.set_index("zone_id").reindex(choro["zone_id"])
    # zones without a geometry are not drawn, so they take no part in the class breaks
    located = ~(choro.geometry.isna() | choro.geometry.is_empty).to_numpy()
    values = table[opt.metric].reset_index(drop=True).where(located)
    classes = lyr.classify(values, integer=opt.metric == "count")
    column, vocab = POINT_CATEGORIES[opt.points_by]
    present = set(kept[column]) if len(kept) else set()
    colours = lyr.category_colours([c for c in VOCABULARIES[vocab] if c in present])
    all_ids = frozenset(str(z) for z in districts["zone_id"])
    inset_ids = frozenset(opt.city.profile.snapshot.inset_units) & all_ids
    return Prepared(
        districts,
        choro,
        over,
        kept,
        zone_layer,
        density,
        classes,
        colours,
        column,
        lyr.point_size(len(kept)),
        located,
        inset_ids or all_ids,
        all_ids - inset_ids,
        layers["cities"].zones.to_crs(crs) if opt.city.is_region and "cities" in layers else None,
    )


def build(platforms: gpd.GeoDataFrame, layers: dict[str, ZoneLayer], opt: Options) -> Built:
    """Lay out the whole page."""
    data = prepare(platforms, layers, opt)
    pg = opt.page
    fig = Figure(figsize=(pg.width_in, pg.height_in))
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax, inset, inset_extent = _draw_maps(fig, data, pg)
    fig.draw_without_rendering()
    bars, angle = _furniture(ax, inset, data, opt)
    fig.draw_without_rendering()
    placements = _label_maps(ax, inset, inset_extent, data, opt, renderer=renderer)
    legends = _legend_panel(fig, data, opt, renderer)
    notes = _notes(data, layers, opt)
    add_notes(
        panel(fig, pg, pg.notes_box, "notes-panel"), pg, notes, pg.notes_box[2] - pg.notes_box[0]
    )
    title, subtitle, source = _page_texts(fig, platforms, layers, data, opt)
    return Built(
        fig,
        ax,
        inset,
        title,
        subtitle,
        source,
        legends,
        placements,
        bars,
        angle,
        notes,
        data.density,
        len(data.points),
    )


def _extent(gdf: gpd.GeoDataFrame, margin: float) -> Bbox:
    x0, y0, x1, y1 = gdf.total_bounds
    mx, my = (x1 - x0) * margin, (y1 - y0) * margin
    return Bbox.from_extents(x0 - mx, y0 - my, x1 + mx, y1 + my)


def _frame_axes(ax: Axes, extent: Bbox) -> None:
    ax.set_xlim(extent.x0, extent.x1)
    ax.set_ylim(extent.y0, extent.y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")  # geopandas labels projected axes "Easting [metre]"
    ax.set_ylabel("")


def _draw_layers(ax: Axes, data: Prepared, size: float, *, inset: bool = False) -> None:
    if data.layer.name == "districts":
        lyr.draw_choropleth(ax, data.districts, data.classes)
    else:
        lyr.draw_base(ax, data.districts)
        lyr.draw_choropleth(ax, data.choropleth, data.classes, dashed=data.layer.provisional)
    if data.overlay is not None:
        lyr.draw_overlay(ax, data.overlay)
    if data.cities is not None:
        lyr.draw_city_outlines(ax, data.cities)
    lyr.draw_points(ax, data.points, data.column, data.colours, size=size)
    # "×n" marks sites shared by several platforms; the main map leaves the central districts'
    # marks to the inset, where there is room for them.
    central = data.districts[data.districts["zone_id"].isin(data.inset_ids)]
    area = central.union_all()
    if inset:
        lyr.label_stacks(ax, data.points, only=area)
    else:
        lyr.label_stacks(ax, data.points, skip=area)


def _draw_maps(fig: Figure, data: Prepared, pg: Page) -> tuple[Axes, Axes, Bbox]:
    """The main map and the inset of the central districts, with the inset's frame."""
    ax = fig.add_axes(pg.rect(pg.map_box))
    ax.set_anchor("C")
    ax.set_gid("map")
    _draw_layers(ax, data, data.size)
    _frame_axes(ax, _extent(data.districts, 0.02))
    central = data.districts[data.districts["zone_id"].isin(data.inset_ids)]
    extent = _extent(central, 0.03)
    frame = Rectangle(
        (extent.x0, extent.y0),
        extent.width,
        extent.height,
        fill=False,
        edgecolor="#333333",
        linewidth=0.8,
        linestyle=(0, (3, 2)),
        zorder=12,
    )
    frame.set_gid("inset-frame")
    ax.add_patch(frame)
    inset = fig.add_axes(pg.rect(pg.inset_box))
    inset.set_anchor("N")
    inset.set_gid("inset")
    _draw_layers(inset, data, data.size * 1.3, inset=True)
    _frame_axes(inset, extent)
    for spine in inset.spines.values():
        spine.set_edgecolor("#333333")
        spine.set_linewidth(0.8)
    return ax, inset, extent


def _inset_names(data: Prepared, opt: Options) -> list[str]:
    """The names of the inset's units, in the profile's order."""
    ids = [u for u in opt.city.profile.snapshot.inset_units if u in data.inset_ids]
    return [opt.city.unit_name(u, opt.lang) for u in ids]


def _inset_heading(data: Prepared, opt: Options) -> str:
    """``中心城区：越秀、荔湾、海珠、天河``: the inset title and its units' short names."""
    snap = opt.city.profile.snapshot
    title = tr(opt.lang, snap.inset_title_zh, snap.inset_title_en)
    suffix = opt.city.profile.units.singular_zh
    names = [
        n.removesuffix(suffix) if opt.lang == "zh" and len(n) > len(suffix) + 1 else n
        for n in _inset_names(data, opt)
    ]
    if not names:
        return title
    return f"{title}：{'、'.join(names)}" if opt.lang == "zh" else f"{title}: {', '.join(names)}"


def _furniture(
    ax: Axes, inset: Axes, data: Prepared, opt: Options
) -> tuple[dict[str, ScaleBar], float]:
    size = opt.page.text_size
    crs = opt.city.metric_crs
    bars = {
        "map": add_scale_bar(ax, lang=opt.lang, fontsize=size - 0.5),
        "inset": add_scale_bar(inset, lang=opt.lang, fontsize=size - 1.0),
    }
    angle = add_north_arrow(ax, crs=crs, lang=opt.lang, fontsize=size + 1)
    inset.set_title(_inset_heading(data, opt), fontsize=size + 0.5, loc="left")
    return bars, angle


def _label_point(geom: shapely.Geometry) -> tuple[float, float]:
    """Pole of inaccessibility of the largest part: a label point well inside the shape."""
    parts = list(getattr(geom, "geoms", [geom]))
    largest = max(parts, key=lambda g: g.area)
    pt = shapely.ops.polylabel(largest, tolerance=max(largest.length / 2000, 1.0))
    return pt.x, pt.y


def _district_labels(
    districts: gpd.GeoDataFrame, ids: set[str], lang: str, size: float
) -> list[MapLabel]:
    """District names, smallest district first (it has the least room to move)."""
    rows = districts[districts["zone_id"].isin(ids)]
    rows = rows.assign(_area=rows.geometry.area).sort_values(["_area", "zone_id"])
    out = []
    for geom, zh, en in zip(rows.geometry, rows["name_zh"], rows["name_en"], strict=True):
        x, y = _label_point(geom)
        out.append(MapLabel(str(zh if lang == "zh" else en), x, y, fontsize=size, weight="bold"))
    return out


def _zone_labels(
    zones: gpd.GeoDataFrame | None, within: Bbox, lang: str, size: float, *, inside: bool
) -> list[MapLabel]:
    """Names of located (approximate) zones whose label point is inside/outside ``within``."""
    if zones is None:
        return []
    out = []
    for geom, zh, en in zip(zones.geometry, zones["name_zh"], zones["name_en"], strict=True):
        if geom is None or geom.is_empty:
            continue
        x, y = _label_point(geom)
        if within.contains(x, y) != inside:
            continue
        text = f"{zh if lang == 'zh' else en}{label('approx_suffix', lang)}"
        if display_width(text) > 24:  # long names go on two lines
            text = "\n".join(wrap_text(text, display_width(text) // 2 + 4))
        out.append(MapLabel(text, x, y, fontsize=size - 0.5, color=lyr.ZONE363_COLOUR))
    return out


def _obstacles(ax: Axes, data: Prepared, renderer: RendererBase) -> list[Bbox]:
    """Display boxes labels must avoid: furniture texts, the north arrow, the dots (when few)."""
    boxes = [a.get_window_extent(renderer) for a in ax.artists]
    boxes += [t.get_window_extent(renderer) for t in ax.texts]
    pts = data.points
    if 0 < len(pts) <= 300:
        xy = ax.transData.transform(list(zip(pts.geometry.x, pts.geometry.y, strict=True)))
        r = 3.0 * float(renderer.points_to_pixels(1.0))  # type: ignore[arg-type]
        boxes += [Bbox.from_extents(x - r, y - r, x + r, y + r) for x, y in xy]
    return boxes


def _label_maps(
    ax: Axes, inset: Axes, extent: Bbox, data: Prepared, opt: Options, *, renderer: RendererBase
) -> dict[str, Placement]:
    size = opt.page.text_size
    others = set(data.main_ids)
    zones = data.labelled_zones
    main = _zone_labels(zones, extent, opt.lang, size, inside=False)
    main += _district_labels(data.districts, others, opt.lang, size + 0.5)
    obstacles = [ax.transData.transform_bbox(extent), *_obstacles(ax, data, renderer)]
    central = _zone_labels(zones, extent, opt.lang, size, inside=True)
    central += _district_labels(data.districts, set(data.inset_ids), opt.lang, size + 0.5)
    return {
        "map": place_labels(ax, main, renderer, obstacles=obstacles),
        "inset": place_labels(
            inset, central, renderer, obstacles=_obstacles(inset, data, renderer)
        ),
    }


def _legend_panel(
    fig: Figure, data: Prepared, opt: Options, renderer: RendererBase
) -> list[Legend]:
    lang = opt.lang
    classes = data.classes
    scheme = label("scheme_" + classes.scheme.replace(" ", "_").replace("-", "_").lower(), lang)
    layer_title = data.layer.title_zh if lang == "zh" else data.layer.title_en
    column, vocab = POINT_CATEGORIES[opt.points_by]
    counts = data.points[column].value_counts().to_dict() if len(data.points) else {}
    names = {c: term(vocab, c, lang) for c in data.colours}
    no_data = bool((classes.index[data.located] < 0).any())
    groups: list[tuple[str, list[Any]]] = [
        (
            f"{metric_label(opt.metric, lang)}\n{layer_title} · {scheme}",
            lyr.choropleth_handles(classes, has_no_data=no_data, lang=lang),
        ),
        (
            f"{label('points_by_' + opt.points_by, lang)}{label('count_suffix', lang)}",
            lyr.point_handles(counts, data.colours, names, data.size),
        ),
    ]
    if data.cities is not None:
        groups.append((label("cities_legend", lang), [lyr.city_outline_handle(lang)]))
    drawn = _approximate_layer(data, opt)
    if drawn is not None:
        title = drawn.title_zh if lang == "zh" else drawn.title_en
        groups.append((title, [lyr.overlay_handle(lang)]))
    ax = panel(fig, opt.page, opt.page.legend_box, "legend-panel")
    box = opt.page.legend_box
    return stack_legends(
        ax, renderer, groups, fontsize=opt.page.text_size, width_in=box[2] - box[0]
    )


def _approximate_layer(data: Prepared, opt: Options) -> ZoneLayer | None:
    """The layer drawn as approximate (the overlay, or a provisional choropleth layer)."""
    if data.overlay is not None and opt.overlay:
        return opt.layers[opt.overlay]
    if data.layer.provisional and opt.layer != "districts":
        return data.layer
    return None


_ZH_NUMBERS = "一二三四五六七八九十"
_EN_NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _inset_note(data: Prepared, opt: Options) -> str | None:
    """``越秀、荔湾、海珠、天河四个中心城区面积小、平台密集，见插图。``"""
    names = _inset_names(data, opt)
    if not names:
        return None
    snap, n = opt.city.profile.snapshot, len(names)
    if opt.lang == "zh":
        suffix = opt.city.profile.units.singular_zh
        short = [x.removesuffix(suffix) if len(x) > len(suffix) + 1 else x for x in names]
        count = "" if n == 1 else (_ZH_NUMBERS[n - 1] if n <= 10 else str(n)) + "个"
        return f"{'、'.join(short)}{count}{snap.inset_title_zh}面积小、平台密集，见插图。"
    title = snap.inset_title_en
    if n == 1:
        return f"{title} ({names[0]}) is small and crowded: see the inset."
    count = _EN_NUMBERS[n - 1] if n <= 10 else str(n)
    return (
        f"The {count} {title[:1].lower() + title[1:]} ({', '.join(names)}) are small and "
        "crowded: see the inset."
    )


def _missing_zone_note(layer: ZoneLayer, lang: str) -> str | None:
    zones = layer.zones
    missing = zones[zones.geometry.isna() | zones.geometry.is_empty]
    if not len(missing):
        return None
    names = [str(v) for v in missing["name_zh" if lang == "zh" else "name_en"]]
    head = tr(
        lang,
        f"{layer.title_zh}：{len(missing)} 个区域位置不明、未绘出：",
        f"{layer.title_en}: {len(missing)} zones have no known location and are not drawn: ",
    )
    return head + tr(lang, "、", "; ").join(names) + tr(lang, "。", ".")


def _notes(data: Prepared, layers: dict[str, ZoneLayer], opt: Options) -> list[str]:
    lang = opt.lang
    notes = []
    if not len(data.points):
        notes.append(tr(lang, "没有符合筛选条件的平台。", "No platform matches the filter."))
    inset_note = _inset_note(data, opt)
    if inset_note:
        notes.append(inset_note)
    pts = data.points.geometry
    if len(pts) and pd.DataFrame({"x": pts.x.round(1), "y": pts.y.round(1)}).duplicated().any():
        notes.append(
            tr(
                lang,
                "“×n”:n 个平台共用一个近似位置点(园区级坐标)。",
                '"×n": n platforms share one approximate (campus-level) point.',
            )
        )
    for name in dict.fromkeys(n for n in (opt.layer, opt.overlay) if n):
        layer = layers[name]
        note = _missing_zone_note(layer, lang) if layer.provisional else None
        if note:
            notes.append(note)
    outside = int(data.density.totals.get("outside_zones", 0) or 0)
    if outside and opt.layer != "districts":
        notes.append(
            tr(
                lang,
                f"{outside} 个平台不在该图层任何已绘区域内，未计入分级。",
                f"{outside} platforms lie outside every drawn zone of this layer and are not "
                "counted in its classes.",
            )
        )
    return notes


def _page_texts(
    fig: Figure,
    platforms: gpd.GeoDataFrame,
    layers: dict[str, ZoneLayer],
    data: Prepared,
    opt: Options,
) -> tuple[Text, Text, Text]:
    lang = opt.lang
    shown = len(data.points)
    heading, sub = page_heading(
        opt.city, data.layer, opt.metric, opt.filter, lang=lang, shown=shown,
        date=data_date(platforms), title=opt.title, layers=layers,
    )  # fmt: skip
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    title, subtitle = add_titles(fig, opt.page, heading, sub, renderer)
    provisional = next(
        (layers[n] for n in (opt.layer, opt.overlay) if n and layers[n].provisional), None
    )
    line = source_line(
        shown=shown,
        approximate=count_approximate(data.points),
        provisional=None
        if provisional is None
        else tr(lang, provisional.title_zh, provisional.title_en),
        lang=lang,
        city=opt.city,
    )
    return title, subtitle, add_source(fig, opt.page, line)
