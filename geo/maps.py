"""Interactive planner maps (Folium/Leaflet) that work offline, in Chinese and English.

A map holds a zone choropleth of a metric (count, per km², per 100k residents) in classed
breaks, the platforms as points styled by group (type, level or sub-kind) and level, clustered
client-side, a heat layer, the provisional "363" zones drawn dashed, search by name, a layer
switch, fullscreen, an overview map, a scale bar, a legend, a title and a data note.

Pages reference no CDN: every script and stylesheet is local (:func:`asset_files`), either served
under a URL prefix or inlined into one standalone file (:func:`render_html`). With ``tiles``
other than ``"none"`` the page loads tiles from that provider, and nothing else from outside.
With Amap tiles (GCJ-02) every drawn coordinate is shifted to GCJ-02 so it lines up.
"""

from __future__ import annotations

import base64
import dataclasses
import mimetypes
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import folium
import geopandas as gpd
import pandas as pd

from geo import _maplayers as ml
from geo._assets import SCRIPTS, STYLESHEETS
from geo._assets import asset_files as _asset_files
from geo._mapdata import GROUP_VOCAB, points_payload
from geo._mapnote import note_items
from geo._maptext import LANGS, text
from geo.boundaries import load_city, load_districts
from geo.density import density_table
from geo.errors import MapOptionError
from geo.filters import PlatformFilter
from geo.taxonomy import label
from geo.zones import ZoneLayer, get_layer

__all__ = ["FIGURES", "asset_files", "build_map", "figure_map", "render_html"]

GUANGZHOU_CENTER = (23.25, 113.45)
_BUILD_PREFIX = "/assets/"


@dataclasses.dataclass(frozen=True)
class FigurePreset:
    """One of the study's distribution maps."""

    title_zh: str
    title_en: str
    filter: dict[str, tuple[str, ...]]
    group_by: str
    zones363: bool = False


#: The study's Figures 1-4 (Hou et al. 2017).
FIGURES: dict[int, FigurePreset] = {
    1: FigurePreset(
        "图1 国家级、省级、市级生物医药科技创新服务平台分布",
        "Figure 1. National, provincial and municipal platforms",
        {"level": ("national", "provincial", "municipal")},
        "level",
    ),
    2: FigurePreset(
        "图2 基础条件服务平台分布",
        "Figure 2. Basic condition service platforms",
        {"type": ("basic_condition",)},
        "sub_kind",
    ),
    3: FigurePreset(
        "图3 公共与专业技术服务平台分布",
        "Figure 3. Public and professional technology service platforms",
        {"type": ("public_technology",)},
        "sub_kind",
    ),
    4: FigurePreset(
        "图4 成果转化服务与产业化集群平台分布(含“363”布局)",
        'Figure 4. Achievement transformation and industrialization cluster platforms, with the "363" layout',
        {"type": ("transformation_cluster",)},
        "sub_kind",
        zones363=True,
    ),
}


def asset_files() -> dict[str, Path]:
    """Every file a map page may load: relative URL path -> local file (for the API to serve).

    Raises
    ------
    geo.errors.MissingAssetError
        If an asset is not installed (run ``bash scripts/setup.sh``).
    """
    return _asset_files()


def _check(lang: str, group_by: str) -> None:
    if lang not in LANGS:
        raise MapOptionError(f"unknown lang {lang!r}; use zh or en")
    if group_by not in GROUP_VOCAB:
        raise MapOptionError(f"unknown group_by {group_by!r}; use one of {', '.join(GROUP_VOCAB)}")


def _new_map(bounds: tuple[float, float, float, float]) -> folium.Map:
    m = folium.Map(
        location=GUANGZHOU_CENTER,
        zoom_start=9,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        maxZoom=18,  # a map option: without it MarkerCluster-style layers draw nothing
        minZoom=6,
    )
    # Instance-level lists: folium's class defaults point at CDNs.
    m.default_js = [(rel, _BUILD_PREFIX + rel) for rel in SCRIPTS]
    m.default_css = [(rel, _BUILD_PREFIX + rel) for rel in STYLESHEETS]
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return m


def build_map(
    platforms: gpd.GeoDataFrame,
    layers: Mapping[str, ZoneLayer],
    *,
    layer: str = "districts",
    metric: str = "count",
    filter: PlatformFilter | None = None,
    lang: str = "zh",
    tiles: str = "none",
    cluster: bool = True,
    heat: bool = False,
    figure: int | None = None,
    title: str | None = None,
    group_by: str = "type",
    tianditu_key: str | None = None,
    show_zones363: bool | None = None,
) -> folium.Map:
    """Build an interactive map of the platforms.

    Parameters
    ----------
    platforms
        Registry frame (WGS84 points), e.g. :func:`geo.registry.load_registry`.
    layers
        Zone layers by name (:func:`geo.zones.builtin_layers`).
    layer
        The zone layer of the choropleth (``districts``, ``zones363`` or any loaded layer).
    metric
        ``count``, ``per_km2`` or ``per_100k`` (from :func:`geo.density.density_table`).
    filter
        Which platforms to show and count.
    lang
        ``zh`` (default) or ``en`` for every label, legend and popup.
    tiles
        ``none`` (boundaries only, fully offline), ``osm``, ``cartodb``, ``amap`` (GCJ-02:
        everything drawn is shifted to match) or ``tianditu`` (needs ``tianditu_key``).
    cluster, heat
        Initial state of point clustering and of the heat layer (both toggle in the page).
    figure
        One of the study's figures (1-4): see :func:`figure_map`.
    title
        Title shown on the map (a default describes the content).
    group_by
        Point colours and layer switch by ``type``, ``level`` or ``sub_kind``.
    tianditu_key
        The Tianditu ``tk`` key; it ends up in the page's tile URLs.
    show_zones363
        Draw the provisional "363" zones (default: for figure 4 or ``layer="zones363"``).

    Returns
    -------
    folium.Map
        Render it with :func:`render_html`.

    Raises
    ------
    geo.errors.MapOptionError
        For unknown options or conflicting filters.
    geo.errors.UnknownZoneLayerError
        For an unknown ``layer``.
    """
    flt = filter or PlatformFilter()
    if figure is not None:
        preset = _preset(figure)
        flt = _merge_filter(flt, preset.filter, figure)
        group_by = preset.group_by
        title = title or (preset.title_zh if lang == "zh" else preset.title_en)
        show_zones363 = preset.zones363 if show_zones363 is None else show_zones363
    _check(lang, group_by)
    zone_layer = get_layer(dict(layers), layer)
    shift = ml.TILES.get(tiles, {}).get("shift")
    districts_web = load_districts(web=True)
    m = _new_map(tuple(districts_web.total_bounds))
    base = ml.tile_layers(m, tiles, lang, tianditu_key)
    kept = flt.apply(platforms) if len(platforms) else platforms
    table = density_table(platforms, zone_layer, filter=flt).table
    overlays, choro = _zone_overlays(
        m, zone_layer, table, districts_web, metric=metric, lang=lang, shift=shift
    )
    zones363 = layers.get("zones363")
    if show_zones363 is None:
        show_zones363 = layer == "zones363"
    if zones363 is not None and layer != "zones363":
        drawn = ml.provisional_zones(m, zones363, lang=lang, shift=shift)
        overlays.append((zones363.title_zh if lang == "zh" else zones363.title_en, drawn))
        if drawn is not None and not show_zones363:
            drawn.show = False
    zone_names = _zone_names(zones363, lang)
    payload, groups = points_payload(
        kept, group_by=group_by, lang=lang, shift=shift, zone_names=zone_names
    )
    payload.update(cluster=cluster, heat=heat, clusterMaxZoom=16)
    group_title = text("points", lang) + " · " + _group_title(group_by, lang)
    zones_title = None
    if zones363 is not None and (show_zones363 or layer == "zones363"):
        zones_title = zones363.title_zh if lang == "zh" else zones363.title_en
    panels = [
        {"position": "top", "className": "biomap-title", "html": ml.title_html(
            title or _default_title(lang), _subtitle(flt, metric, len(kept), lang))},
        {"position": "bottomright", "className": "biomap-legend", "html": ml.legend_html(
            choro, groups, group_title=group_title, zones_title=zones_title, lang=lang)},
        {"position": "bottomleft", "className": "biomap-note", "html": ml.note_html(
            note_items(platforms, kept, zone_layer, layers, table, metric=metric, tiles=tiles, lang=lang), lang)},
    ]  # fmt: skip
    minimap = (
        {"tiles": {"url": base[0]["url"], "options": base[0]["options"]}}
        if base
        else {"outline": load_city().simplify(0.003).__geo_interface__}
    )
    ml.BiomapSetup(
        points=payload, overlays=overlays, base=base, panels=panels, minimap=minimap, lang=lang
    ).add_to(m)
    return m


def _zone_overlays(
    m: folium.Map,
    zone_layer: ZoneLayer,
    table: pd.DataFrame,
    districts_web: gpd.GeoDataFrame,
    *,
    metric: str,
    lang: str,
    shift: str | None,
) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    overlays: list[tuple[str, Any]] = []
    if zone_layer.name == "districts":
        geometry = table["zone_id"].map(districts_web.set_index("adcode").geometry)
    else:
        geometry = zone_layer.zones.geometry.reset_index(drop=True)
        outline = ml.outline(m, districts_web, name=text("districts_outline", lang), shift=shift)
        overlays.append((text("districts_outline", lang), outline))
    geo, choro = ml.choropleth(
        m, zone_layer, geometry, table, metric=metric, lang=lang, shift=shift
    )
    overlays.insert(0, (choro["title"], geo))
    return overlays, choro


def _preset(figure: int) -> FigurePreset:
    if figure not in FIGURES:
        raise MapOptionError(f"unknown figure {figure!r}; the study has figures 1-4")
    return FIGURES[figure]


def _merge_filter(
    flt: PlatformFilter, preset: dict[str, tuple[str, ...]], n: int
) -> PlatformFilter:
    clash = [k for k in preset if getattr(flt, k)]
    if clash:
        raise MapOptionError(
            f"figure {n} fixes {', '.join(clash)}; drop that filter or use a plain map"
        )
    return dataclasses.replace(flt, **preset)  # type: ignore[arg-type]


def _zone_names(zones363: ZoneLayer | None, lang: str) -> dict[str, str]:
    if zones363 is None:
        return {}
    k = "name_zh" if lang == "zh" else "name_en"
    return dict(zip(zones363.zones["zone_id"], zones363.zones[k].astype(str), strict=True))


def _group_title(group_by: str, lang: str) -> str:
    return text({"type": "type", "level": "level", "sub_kind": "sub_kind"}[group_by], lang)


def _default_title(lang: str) -> str:
    return (
        "广州市生物医药科技创新服务平台分布"
        if lang == "zh"
        else "Guangzhou biomedical S&T innovation service platforms"
    )


def _subtitle(flt: PlatformFilter, metric: str, n: int, lang: str) -> str:
    parts = [f"{n} {text('platform_count', lang)}", text("metric_" + metric, lang)]
    parts += _filter_words(flt, lang)
    return " · ".join(parts)


def _filter_words(flt: PlatformFilter, lang: str) -> list[str]:
    words = []
    for attr, vocab in PlatformFilter._VOCAB.items():
        codes = getattr(flt, attr)
        if codes:
            words.append("/".join(label(vocab, c, lang) for c in codes))
    if flt.district:
        words.append("/".join(flt.district))
    if flt.q:
        words.append(f"“{flt.q}”")
    return words


def figure_map(
    n: int,
    platforms: gpd.GeoDataFrame,
    layers: Mapping[str, ZoneLayer],
    *,
    lang: str = "zh",
    **kw: Any,
) -> folium.Map:
    """One of the study's distribution maps (Figures 1-4) as a preset of :func:`build_map`.

    1: national, provincial and municipal platforms, coloured by level; 2: basic condition
    service platforms; 3: public and professional technology service platforms; 4: achievement
    transformation and industrialization cluster platforms with the provisional "363" zones.
    Figures 2-4 colour points by sub-kind. Other keywords go to :func:`build_map`.

    Raises
    ------
    geo.errors.MapOptionError
        If ``n`` is not 1-4, or a filter conflicts with the figure's own.
    """
    return build_map(platforms, layers, figure=n, lang=lang, **kw)


# --- rendering ----------------------------------------------------------------------------

_SCRIPT_TAG = '<script src="{url}"></script>'
_CSS_TAG = '<link rel="stylesheet" href="{url}"/>'
_CSS_URL = re.compile(r"url\((['\"]?)(?!data:)([^'\")]+)\1\)")
_EXTERNAL_ASSET = re.compile(r"<(?:script|link)\b[^>]*(?:src|href)=\"(?:https?:)?//", re.I)


def render_html(
    m: folium.Map,
    *,
    assets: Literal["inline", "url"] = "inline",
    asset_url_prefix: str = "/assets/",
) -> str:
    """Render ``m`` as a complete HTML page that loads nothing from a CDN.

    Parameters
    ----------
    m
        A map from :func:`build_map`.
    assets
        ``inline``: one standalone file with every script and stylesheet inside it (for email
        and briefings). ``url``: reference the assets under ``asset_url_prefix`` (the API
        serves :func:`asset_files` there).
    asset_url_prefix
        Prefix for ``assets="url"``, e.g. ``/assets/`` or ``/maps/assets/``.

    Raises
    ------
    geo.errors.MapOptionError
        For an unknown ``assets`` mode, or if the page would still load a script or stylesheet
        from another host.
    """
    if assets not in ("inline", "url"):
        raise MapOptionError(f"unknown assets mode {assets!r}; use inline or url")
    html = m.get_root().render()
    files = asset_files()
    for rel in (*SCRIPTS, *STYLESHEETS):
        url = _BUILD_PREFIX + rel
        is_js = rel in SCRIPTS
        tag = (_SCRIPT_TAG if is_js else _CSS_TAG).format(url=url)
        if assets == "url":
            new = (_SCRIPT_TAG if is_js else _CSS_TAG).format(url=asset_url_prefix + rel)
        elif is_js:
            body = files[rel].read_text(encoding="utf-8").replace("</script", "<\\/script")
            new = f"<script>/* {rel} */\n{body}\n</script>"
        else:
            new = f"<style>/* {rel} */\n{_inline_css(rel, files)}\n</style>"
        html = html.replace(tag, new)
    if _EXTERNAL_ASSET.search(html):
        raise MapOptionError("the page would load a script or stylesheet from another host")
    return html


def _inline_css(rel: str, files: dict[str, Path]) -> str:
    css = files[rel].read_text(encoding="utf-8")
    folder = rel.rsplit("/", 1)[0]

    def data_uri(match: re.Match[str]) -> str:
        target = f"{folder}/{match.group(2)}"
        if target not in files:
            return match.group(0)
        mime = mimetypes.guess_type(target)[0] or "application/octet-stream"
        encoded = base64.b64encode(files[target].read_bytes()).decode("ascii")
        return f"url(data:{mime};base64,{encoded})"

    return _CSS_URL.sub(data_uri, css)
