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
from typing import TYPE_CHECKING, Any, Literal

import folium
import geopandas as gpd
import pandas as pd

from geo.errors import MapOptionError
from geo.filters import PlatformFilter
from geo.maps import _layers as ml
from geo.maps._assets import SCRIPTS, STYLESHEETS
from geo.maps._assets import asset_files as _asset_files
from geo.maps._data import GROUP_VOCAB, points_payload, shifted
from geo.maps._note import note_items
from geo.vocab import LANGS, label, metric_label, term, unit_fields
from geo.zones import ZoneLayer, get_layer

if TYPE_CHECKING:
    from geo.cities import City
    from geo.cities.profile import FigureSpec

__all__ = ["asset_files", "build_map", "figure_map", "render_html"]

_BUILD_PREFIX = "/assets/"


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


def _new_map(city: City, bounds: tuple[float, float, float, float]) -> folium.Map:
    view = city.profile.map
    m = folium.Map(
        location=list(view.center),
        zoom_start=view.zoom,
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
    city: City,
    layer: str | None = None,
    metric: str | None = None,
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
        Registry frame (WGS84 points), e.g. :func:`geo.store.load_registry`.
    layers
        Zone layers by name (:meth:`geo.cities.City.zone_layers`).
    city
        The city: map view, unit boundaries, titles and figure presets come from it.
    layer
        The zone layer of the choropleth (``districts``, ``zones363`` or any loaded layer);
        default ``districts`` (or the figure's).
    metric
        ``count``, ``per_km2`` or ``per_100k`` (from :func:`geo.stats.density.density_table`);
        default ``count`` (or the figure's).
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
        One of the city's figure presets (``city.figures``): see :func:`figure_map`.
    title
        Title shown on the map (a default describes the content).
    group_by
        Point colours and layer switch by ``type``, ``level`` or ``sub_kind``.
    tianditu_key
        The Tianditu ``tk`` key; it ends up in the page's tile URLs.
    show_zones363
        Show the provisional zone layer (the "363" zones) at first (default: for a figure
        with that overlay, or when it is the choropleth ``layer``); it is offered either way.

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
    from geo.stats.density import density_table

    flt = filter or PlatformFilter()
    provisional = _provisional_name(layers, city)
    if figure is not None:
        preset = _preset(city, figure)
        flt = _merge_filter(flt, preset.filter, figure)
        group_by = preset.points_by
        layer = layer or preset.layer
        metric = metric or preset.metric
        title = title or preset.title(lang)
        if preset.overlay:
            provisional = preset.overlay
        if show_zones363 is None:
            show_zones363 = preset.overlay is not None
    layer = layer or "districts"
    metric = metric or "count"
    _check(lang, group_by)
    zone_layer = get_layer(dict(layers), layer)
    shift = ml.TILES.get(tiles, {}).get("shift")
    units_web = city.units_web
    m = _new_map(city, tuple(units_web.total_bounds))
    base = ml.tile_layers(m, tiles, lang, tianditu_key)
    kept = flt.apply(platforms) if len(platforms) else platforms
    table = density_table(platforms, zone_layer, city=city, filter=flt).table
    overlays, choro = _zone_overlays(
        m, zone_layer, table, units_web, metric=metric, lang=lang, shift=shift, city=city
    )
    if city.is_region and "cities" in layers:
        name = label("city_boundary", lang)
        overlays.append((name, ml.city_outlines(m, layers["cities"], name=name, shift=shift)))
    zones = layers.get(provisional) if provisional else None
    if show_zones363 is None:
        show_zones363 = layer == provisional
    if zones is not None and layer != provisional:
        drawn = ml.provisional_zones(m, zones, lang=lang, shift=shift)
        overlays.append((_title(zones, lang), drawn))
        if drawn is not None and not show_zones363:
            drawn.show = False
    payload, groups = points_payload(
        kept, group_by=group_by, lang=lang, shift=shift, city=city, zones=zones
    )
    payload.update(cluster=cluster, heat=heat, clusterMaxZoom=16)
    group_title = label("points", lang) + " · " + label(group_by, lang)
    zones_title = None
    if zones is not None and (show_zones363 or layer == provisional):
        zones_title = _title(zones, lang)
    panels = [
        {"position": "top", "className": "biomap-title", "html": ml.title_html(
            title or label("distribution", lang, title=city.title(lang)),
            _subtitle(flt, metric, len(kept), lang, city))},
        {"position": "bottomright", "className": "biomap-legend", "html": ml.legend_html(
            choro, groups, group_title=group_title, zones_title=zones_title, lang=lang)},
        {"position": "bottomleft", "className": "biomap-note", "html": ml.note_html(
            note_items(platforms, kept, zone_layer, zones, table, metric=metric, tiles=tiles,
                       lang=lang, city=city), lang)},
    ]  # fmt: skip
    minimap = (
        {"tiles": {"url": base[0]["url"], "options": base[0]["options"]}}
        if base
        else {"outline": city.outline.simplify(0.003).__geo_interface__}
    )
    inset = _inset(city, units_web, choro, zone_layer, lang=lang, shift=shift)
    ml.BiomapSetup(
        points=payload, overlays=overlays, base=base, panels=panels, minimap=minimap, lang=lang,
        inset=inset,
    ).add_to(m)  # fmt: skip
    return m


def _inset(
    city: City,
    units_web: gpd.GeoDataFrame,
    choro: dict[str, Any],
    zone_layer: ZoneLayer,
    *,
    lang: str,
    shift: str | None,
) -> dict[str, Any] | None:
    """The profile's inset units (a region's core) as a small fixed map, like the snapshots'.

    Drawn with the choropleth's fills when the map is coloured by units; clicking its title
    zooms the main map there. ``None`` when the profile names no inset units.
    """
    ids = set(city.profile.snapshot.inset_units)
    if not ids:
        return None
    core = units_web[units_web["adcode"].astype(str).isin(ids)]
    fills = choro.get("fills", {}) if zone_layer.name == "districts" else {}
    frame = gpd.GeoDataFrame(
        {
            "name": core["name_zh" if lang == "zh" else "name_en"].astype(str),
            "fill": [fills.get(str(a), "#bbbbbb") for a in core["adcode"]],
        },
        geometry=core.geometry.simplify(0.001).to_numpy(),
        crs=core.crs,
    )
    frame = shifted(frame, shift)
    west, south, east, north = (float(v) for v in frame.total_bounds)
    snapshot = city.profile.snapshot
    return {
        "outline": frame.__geo_interface__,
        "bounds": [[south, west], [north, east]],
        "title": snapshot.inset_title_zh if lang == "zh" else snapshot.inset_title_en,
    }


def _title(layer: ZoneLayer, lang: str) -> str:
    return layer.title_zh if lang == "zh" else layer.title_en


def _provisional_name(layers: Mapping[str, ZoneLayer], city: City) -> str | None:
    """The city's provisional zone layer (the "363 layout"), drawn dashed on every map."""
    for spec in city.profile.zone_layers:
        if spec.provisional and spec.name in layers:
            return spec.name
    return None


def _zone_overlays(
    m: folium.Map,
    zone_layer: ZoneLayer,
    table: pd.DataFrame,
    units_web: gpd.GeoDataFrame,
    *,
    metric: str,
    lang: str,
    shift: str | None,
    city: City,
) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    overlays: list[tuple[str, Any]] = []
    if zone_layer.name == "districts":
        geometry = table["zone_id"].map(units_web.set_index("adcode").geometry)
    else:
        geometry = zone_layer.zones.geometry.reset_index(drop=True)
        name = label("unit_boundaries", lang, **unit_fields(city, lang))
        outline = ml.outline(m, units_web, name=name, shift=shift)
        overlays.append((name, outline))
    geo, choro = ml.choropleth(
        m, zone_layer, geometry, table, metric=metric, lang=lang, shift=shift,
        population_year=city.profile.units.population_year,
    )  # fmt: skip
    overlays.insert(0, (choro["title"], geo))
    return overlays, choro


def _preset(city: City, figure: int) -> FigureSpec:
    try:
        return city.profile.figure(figure)
    except KeyError as exc:
        raise MapOptionError(f"unknown figure {figure!r}: {exc.args[0]}") from None


def _merge_filter(
    flt: PlatformFilter, preset: Mapping[str, tuple[str, ...]], n: int
) -> PlatformFilter:
    clash = [k for k in preset if getattr(flt, k)]
    if clash:
        raise MapOptionError(
            f"figure {n} fixes {', '.join(clash)}; drop that filter or use a plain map"
        )
    return dataclasses.replace(flt, **{k: tuple(v) for k, v in preset.items()})  # type: ignore[arg-type]


def _subtitle(flt: PlatformFilter, metric: str, n: int, lang: str, city: City) -> str:
    parts = [f"{n} {label('platform_count', lang)}", metric_label(metric, lang)]
    parts += _filter_words(flt, lang, city)
    return " · ".join(parts)


def _filter_words(flt: PlatformFilter, lang: str, city: City) -> list[str]:
    words = []
    for attr, vocab in PlatformFilter._VOCAB.items():
        codes = getattr(flt, attr)
        if codes:
            words.append("/".join(term(vocab, c, lang) for c in codes))
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
    city: City,
    lang: str = "zh",
    **kw: Any,
) -> folium.Map:
    """One of the city's figure presets (``city.figures``) as a preset of :func:`build_map`.

    For Guangzhou these are the study's Figures 1-4: 1 national, provincial and municipal
    platforms, coloured by level; 2 basic condition service platforms; 3 public and
    professional technology service platforms; 4 achievement transformation and
    industrialization cluster platforms with the provisional "363" zones. The preset fixes the
    filter, the point colours, the title and the overlay. Other keywords go to
    :func:`build_map`.

    Raises
    ------
    geo.errors.MapOptionError
        If the city has no figure ``n``, or a filter conflicts with the figure's own.
    """
    return build_map(platforms, layers, city=city, figure=n, lang=lang, **kw)


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
