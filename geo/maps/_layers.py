"""Layer builders for the interactive maps: each takes the map and adds one thing.

Registry and layer text reaches the page in two ways only: escaped with :func:`html.escape` in
panels built here, or as JSON data that the browser code inserts with ``textContent``.
"""

from __future__ import annotations

import base64
import gzip
import json
from html import escape
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement

from geo.errors import MapOptionError
from geo.legend import classify
from geo.maps._data import NO_DATA_COLOR, SEQUENTIAL, class_labels, script_json, shifted
from geo.taxonomy import LEVELS
from geo.vocab import label, metric_label, term
from geo.zones import ZoneLayer

METRICS = ("count", "per_km2", "per_100k")
#: Point payloads larger than this (bytes of JSON) are embedded gzip-compressed.
GZIP_ABOVE = 256_000
PROVISIONAL_STYLE = {"color": "#7b3294", "weight": 2, "dashArray": "6 5", "fillOpacity": 0.08}

#: Browser strings: key the page code expects -> vocabulary key (:mod:`geo.vocab`).
_JS_STRINGS = {
    "search": "search",
    "noMatch": "no_match",
    "cluster": "cluster",
    "heat": "heat",
    "fullscreen": "fullscreen",
    "fullscreenExit": "fullscreen_exit",
    "minimapHide": "minimap_hide",
    "minimapShow": "minimap_show",
}


def js_strings(lang: str) -> dict[str, str]:
    """The strings the browser code needs, keyed as it expects."""
    return {js: label(key, lang) for js, key in _JS_STRINGS.items()}


# --- tiles --------------------------------------------------------------------------------

_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
TILES: dict[str, dict[str, Any]] = {
    "none": {},
    "osm": {
        "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attr": "&copy; OpenStreetMap contributors",
        "label": ("OpenStreetMap", "OpenStreetMap"),
    },
    "cartodb": {
        "url": "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}.png",
        "attr": "&copy; OpenStreetMap contributors &copy; CARTO",
        "label": ("CartoDB 浅色", "CartoDB Positron"),
        "subdomains": "abcd",
    },
    "amap": {
        "url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        "attr": "&copy; 高德地图 AutoNavi (GCJ-02; biomap data shifted to match)",
        "label": ("高德地图", "Amap (Gaode)"),
        "subdomains": "1234",
        "shift": "gcj02",
    },
    "tianditu": {
        "attr": "&copy; 天地图 Tianditu (CGCS2000, no offset)",
        "label": ("天地图", "Tianditu"),
        "subdomains": "01234567",
    },
}


def tile_layers(m: folium.Map, tiles: str, lang: str, key: str | None) -> list[dict[str, Any]]:
    """Add the basemap for ``tiles`` to ``m``; return ``[{label, layer, url, options}]``.

    Raises
    ------
    geo.errors.MapOptionError
        For unknown tiles, or Tianditu without a key.
    """
    if tiles not in TILES:
        raise MapOptionError(f"unknown tiles {tiles!r}; use one of {', '.join(TILES)}")
    spec = TILES[tiles]
    if tiles == "none":
        return []
    urls = [spec.get("url", "")]
    if tiles == "tianditu":
        if not key:
            raise MapOptionError(
                "Tianditu tiles need a key (tk); pass tianditu_key= "
                "(the CLI reads BIOMAP_TIANDITU_KEY)"
            )
        notes = "cva" if lang == "zh" else "eva"
        urls = [_TIANDITU.format(layer=layer, key=key, s="{s}") for layer in ("vec", notes)]
    added = []
    for n, url in enumerate(urls):
        options = {"subdomains": spec.get("subdomains", "abc"), "maxZoom": 18}
        name = spec["label"][0 if lang == "zh" else 1]
        layer = folium.TileLayer(
            tiles=url,
            attr=spec["attr"] if n == 0 else " ",
            name=name,
            overlay=n > 0,
            control=False,
            max_zoom=18,
            subdomains=options["subdomains"],
        )
        layer.add_to(m)
        added.append({"label": name, "layer": layer, "url": url, "options": options})
    return added


# --- zone layers --------------------------------------------------------------------------


def _metric_tip(row: pd.Series, metric: str, lang: str, year: int | None) -> str:
    value = row[metric]
    name = row["name_zh"] if lang == "zh" else row["name_en"]
    lines = [str(name), f"{metric_label('count', lang)}: {int(row['count'])}"]
    if metric != "count":
        shown = label("no_data", lang) if pd.isna(value) else f"{value:,.3g}"
        lines.append(f"{metric_label(metric, lang)}: {shown}")
        if pd.isna(value):
            lines.append(_no_data_reason(row, metric, lang, year))
    return "\n".join(lines)


def _no_data_reason(row: pd.Series, metric: str, lang: str, year: int | None) -> str:
    if pd.isna(row["area_km2"]):
        return "无几何(位置未知), 不计数" if lang == "zh" else "no geometry (location unknown)"
    if metric == "per_100k" and pd.isna(row["population"]):
        if year is None:
            return "无该区人口数字" if lang == "zh" else "no population figure for this zone"
        return (
            f"无该区{year}年人口普查数字"
            if lang == "zh"
            else f"no {year} census population figure for this zone"
        )
    return ""


def choropleth(
    m: folium.Map,
    layer: ZoneLayer,
    geometry: gpd.GeoSeries,
    table: pd.DataFrame,
    *,
    metric: str,
    lang: str,
    shift: str | None,
    population_year: int | None = None,
) -> tuple[folium.GeoJson, dict[str, Any]]:
    """Add ``layer`` coloured by ``metric`` in classed breaks; return it and its legend spec.

    ``geometry`` is what to draw (e.g. the web-simplified districts), indexed like ``table``;
    ``population_year`` is the census year named where a zone has no population figure.
    """
    if metric not in METRICS:
        raise MapOptionError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    breaks = classify(table[metric])
    bins = list(breaks.bins)
    colors = SEQUENTIAL.get(len(bins), [])
    frame = table.assign(
        _fill=[colors[c] if c >= 0 else NO_DATA_COLOR for c in breaks.index],
        _tip=[_metric_tip(r, metric, lang, population_year) for _, r in table.iterrows()],
    )
    gdf = gpd.GeoDataFrame(
        frame[["zone_id", "_fill", "_tip"]], geometry=list(geometry), crs="EPSG:4326"
    )
    gdf = shifted(gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)], shift)
    dashed = PROVISIONAL_STYLE if layer.provisional else {}

    def style(feature: dict) -> dict:
        return {
            "fillColor": feature["properties"]["_fill"],
            "color": dashed.get("color", "#444444"),
            "weight": dashed.get("weight", 1),
            "dashArray": dashed.get("dashArray"),
            "fillOpacity": 0.7,
        }

    title = layer.title_zh if lang == "zh" else layer.title_en
    geo = folium.GeoJson(gdf, name=title, style_function=style, control=False)
    geo.add_to(m)
    legend = {
        "fills": dict(zip(frame["zone_id"].astype(str), frame["_fill"], strict=True)),
        "title": f"{metric_label(metric, lang)} ({title})",
        "colors": colors,
        "labels": class_labels(bins, breaks.lowest, integer=metric == "count")
        if bins and breaks.lowest is not None
        else [],
        "no_data": breaks.has_no_data,
        "provisional": layer.provisional,
    }
    return geo, legend


def outline(
    m: folium.Map, gdf: gpd.GeoDataFrame, *, name: str, shift: str | None
) -> folium.GeoJson:
    """Add plain unit boundaries (no fill) as the base drawing."""
    data = shifted(gdf[["name_zh", "name_en", "geometry"]], shift)
    layer = folium.GeoJson(
        data,
        name=name,
        style_function=lambda _: {"color": "#666666", "weight": 1, "fillOpacity": 0},
        interactive=False,
        control=False,
    )
    layer.add_to(m)
    return layer


def city_outlines(
    m: folium.Map, cities: ZoneLayer, *, name: str, shift: str | None
) -> folium.GeoJson:
    """Add a region's member cities as dark, wider outlines (no fill) over the units."""
    gdf = cities.located[["name_zh", "name_en", "geometry"]].copy()
    gdf["geometry"] = gdf.geometry.simplify(0.0008)  # about 80 m, like the web units
    layer = folium.GeoJson(
        shifted(gdf, shift),
        name=name,
        style_function=lambda _: {"color": "#333333", "weight": 2.5, "fillOpacity": 0},
        interactive=False,
    )
    layer.add_to(m)
    return layer


def provisional_zones(
    m: folium.Map, layer: ZoneLayer, *, lang: str, shift: str | None
) -> folium.GeoJson | None:
    """Add the located zones of a provisional layer, dashed and labelled provisional."""
    located = layer.located
    if located.empty:
        return None
    k = "name_zh" if lang == "zh" else "name_en"
    tips = []
    for _, row in located.iterrows():
        lines = [str(row[k]), label("provisional", lang)]
        for col in ("geometry_quality", "confidence", "basis"):
            if col in row and pd.notna(row[col]):
                lines.append(f"{col}: {row[col]}")
        tips.append("\n".join(lines))
    data = gpd.GeoDataFrame(
        {"zone_id": located["zone_id"].to_numpy(), "_tip": tips},
        geometry=located.geometry.to_numpy(),
        crs=located.crs,
    )
    title = layer.title_zh if lang == "zh" else layer.title_en
    drawn = folium.GeoJson(
        shifted(data, shift),
        name=title,
        style_function=lambda _: {**PROVISIONAL_STYLE, "fillColor": "#c2a5cf"},
        control=False,
    )
    drawn.add_to(m)
    return drawn


# --- panels -------------------------------------------------------------------------------


def legend_html(
    choro: dict[str, Any] | None,
    groups: list[dict],
    *,
    group_title: str,
    zones_title: str | None,
    lang: str,
) -> str:
    """The legend: choropleth classes, point styles by group and level, provisional zones."""
    parts = [f"<b>{escape(label('legend', lang))}</b>"]
    if choro:
        parts.append(f"<h4>{escape(choro['title'])}</h4>")
        for color, lab in zip(choro["colors"], choro["labels"], strict=True):
            parts.append(
                f'<div class="row"><span class="box" style="background:{color}"></span>'
                f"{escape(lab)}</div>"
            )
        if choro["no_data"]:
            parts.append(
                f'<div class="row"><span class="box" style="background:{NO_DATA_COLOR}"></span>'
                f"{escape(label('no_data', lang))}</div>"
            )
    if groups:
        parts.append(f"<h4>{escape(group_title)}</h4>")
        for g in groups:
            parts.append(
                f'<div class="row"><span class="dot" style="background:{g["color"]};'
                f'width:10px;height:10px"></span>{escape(g["label"])} ({g["count"]})</div>'
            )
        parts.append(f"<h4>{escape(label('radius_level', lang))}</h4>")
        from geo.maps._data import LEVEL_RADIUS

        for code in LEVELS:
            d = 2 * LEVEL_RADIUS[code]
            parts.append(
                f'<div class="row"><span class="dot" style="background:#888;width:{d}px;'
                f'height:{d}px"></span>{escape(term("level", code, lang))}</div>'
            )
    if zones_title:
        parts.append(
            f'<div class="row"><span class="dash"></span>{escape(zones_title)}: '
            f"{escape(label('provisional', lang))}</div>"
        )
    return "".join(parts)


def note_html(items: list[str], lang: str) -> str:
    """The collapsible data note (sources, date, what is approximate)."""
    lis = "".join(f"<li>{escape(item)}</li>" for item in items)
    return f"<details><summary>{escape(label('data_note', lang))}</summary><ul>{lis}</ul></details>"


def title_html(title: str, subtitle: str | None) -> str:
    """The title box."""
    sub = f"<small>{escape(subtitle)}</small>" if subtitle else ""
    return f"{escape(title)}{sub}"


# --- the browser runtime ------------------------------------------------------------------


class BiomapSetup(MacroElement):
    """Calls ``BiomapMap.setup`` (geo/maps/_static/biomap/biomap-map.js) once every layer exists."""

    _template = folium.template.Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = BiomapMap.setup({{ this._parent.get_name() }},
            Object.assign({{ this.config_json }}, {
                overlays: [{% for o in this.overlays %}
                    {label: {{ o.label_json }}, layer: {{ o.layer.get_name() }}},{% endfor %}
                ],
                base: [{% for b in this.base %}
                    {label: {{ b.label_json }}, layer: {{ b.layer.get_name() }}},{% endfor %}
                ]
            }));
        {% endmacro %}
        """
    )

    def __init__(
        self,
        *,
        points: dict[str, Any] | None,
        overlays: list[tuple[str, folium.GeoJson]],
        base: list[dict[str, Any]],
        panels: list[dict[str, str]],
        minimap: dict[str, Any],
        lang: str,
        inset: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self._name = "BiomapSetup"
        self.points = points
        self.panels = panels
        self.overlays = [
            _Ref(script_json(lab), layer) for lab, layer in overlays if layer is not None
        ]
        self.base = [_Ref(script_json(b["label"]), b["layer"]) for b in base[:1]]
        config = {
            "points": points,
            "panels": panels,
            "minimap": minimap,
            "inset": inset,
            "strings": js_strings(lang),
        }
        self.config = config
        packed: dict[str, Any] = dict(config)
        raw = json.dumps(points, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if len(raw) > GZIP_ABOVE:
            # Large registries: gzip + base64 (about 1/5 the size); the page inflates it with
            # the browser's DecompressionStream.
            packed["points"] = None
            packed["pointsGz"] = base64.b64encode(gzip.compress(raw, 6, mtime=0)).decode("ascii")
        self.config_json = script_json(packed)


class _Ref:
    def __init__(self, label_json: str, layer: Any) -> None:
        self.label_json = label_json
        self.layer = layer
