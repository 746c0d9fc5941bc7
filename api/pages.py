"""The HTML pages of the OGC API resources (conformance, collections, items, one item...).

Each function takes what its route already computed for JSON and returns the page (a str);
every value is escaped by :mod:`api.html`.
"""

from __future__ import annotations

from typing import Any

import shapely
from starlette.requests import Request

from api.data import Collection, ServiceData
from api.html import EMPTY, a, esc, linkify, map_block, map_head, page, table, tr
from api.params import base_url, self_url
from api.responses import GEOJSON, SCHEMA_JSON
from geo import taxonomy, vocab

#: Fields shown in the provenance box of an item page, when the feature has them.
PROVENANCE = (
    "source", "source_date", "source_version", "licence", "verification", "note",
    "coord_source", "coord_crs_in", "coord_conversion", "coord_precision", "coord_precision_m",
    "coord_uncertainty_m", "district_override", "geometry_quality", "confidence", "basis",
    "provisional", "compiled", "built", "layer_source",
)  # fmt: skip
#: Table columns of an items page, by collection kind.
COLUMNS = {
    "platforms": ("type", "level", "district_adcode", "verification", "coord_precision"),
    "zones": ("count", "per_km2", "per_100k", "geometry_quality"),
}
_UNIT_CODES = ("district_adcode", "managing_adcode")
_BASE_TOLERANCE = 0.002  # degrees (about 200 m): the base outlines are for orientation only


def _crumbs(lang: str, *more: tuple[str, str]) -> list[tuple[str, str]]:
    return [("/", tr(lang, "首页", "Home")), *more]


def _collections_crumb(lang: str) -> tuple[str, str]:
    return "/collections", tr(lang, "数据集", "Collections")


def _title(coll: Collection, lang: str) -> str:
    return tr(lang, coll.title_zh, coll.title_en)


def _html_href(request: Request, path: str, lang: str, **query: str) -> str:
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    return f"{base_url(request)}{path}?f=html&lang={lang}{extra}"


def _zone_layer(data: ServiceData, name: str) -> str | None:
    """The zone layer a platform property ``zone_<layer>`` names, if any."""
    layer = name.removeprefix("zone_")
    return layer if layer != name and layer in data.layers else None


def _label(data: ServiceData, name: str, lang: str) -> str:
    layer = _zone_layer(data, name)
    if layer is not None:
        zones = data.layers[layer]
        return tr(lang, zones.title_zh, zones.title_en)
    return vocab.field_label(name, lang, **vocab.unit_fields(data.city, lang))


def value_html(request: Request, data: ServiceData, name: str, value: Any, lang: str) -> str:
    """One property value as HTML: taxonomy codes with their labels, unit codes with names,
    a platform's zones as links to their pages, URLs as links; everything escaped."""
    if value is None or value in ("", []):
        return EMPTY
    if name in taxonomy.VOCABULARIES:
        codes = value if isinstance(value, list) else [value]
        return ", ".join(
            f"{esc(taxonomy.label(name, str(c), lang))} <code>{esc(c)}</code>" for c in codes
        )
    if name in _UNIT_CODES:
        return f"{esc(data.city.unit_name(str(value), lang) or value)} <code>{esc(value)}</code>"
    layer = _zone_layer(data, name)
    if layer is not None:
        return a(_html_href(request, f"/collections/{layer}/items/{value}", lang), str(value))
    if name == "zones" and isinstance(value, dict):
        parts = [
            f"{esc(layer)}: "
            + (a(_html_href(request, f"/collections/{layer}/items/{zone}", lang), str(zone))
               if zone else EMPTY)
            for layer, zone in value.items()
        ]  # fmt: skip
        return "; ".join(parts) or EMPTY
    return linkify(value)


# -- conformance, collections, one collection ---------------------------------------------------


def conformance_page(request: Request, lang: str, classes: list[str]) -> str:
    """The conformance classes, one link each."""
    items = "".join(f"<li>{a(c, c)}</li>" for c in classes)
    return page(
        request,
        lang=lang,
        title=tr(lang, "符合的标准类别", "Conformance classes"),
        body=f"<ul>{items}</ul>",
        crumbs=_crumbs(lang),
    )


def _collection_row(request: Request, coll: Collection, lang: str, data: ServiceData) -> list[str]:
    path = f"/collections/{coll.id}"
    flag = tr(lang, "暂定", "provisional") if coll.provisional else ""
    # direct mode holds no platform rows: the store's count (an estimate above 10,000)
    count = data.platform_count if data.direct and coll.kind == "platforms" else len(coll.ids)
    return [
        a(_html_href(request, path, lang), _title(coll, lang)),
        f"<code>{esc(coll.id)}</code>",
        esc(count),
        esc(flag),
        a(_html_href(request, f"{path}/items", lang), tr(lang, "要素", "items")),
    ]


def collections_page(request: Request, lang: str, data: ServiceData) -> str:
    """Every collection with its size and links."""
    head = [tr(lang, "名称", "Title"), "id", tr(lang, "要素数", "Features"), "", ""]
    rows = [_collection_row(request, c, lang, data) for c in data.collections.values()]
    return page(
        request,
        lang=lang,
        title=tr(lang, "数据集", "Collections"),
        body=table(head, rows),
        crumbs=_crumbs(lang),
    )


def collection_page(request: Request, lang: str, coll: Collection, info: dict[str, Any]) -> str:
    """One collection: description, extent, provenance, links to items, queryables, schema."""
    path = f"/collections/{coll.id}"
    facts = [
        ("id", f"<code>{esc(coll.id)}</code>"),
        (tr(lang, "要素数", "Features"), esc(info["features"])),
        (tr(lang, "无几何的要素", "Without geometry"), esc(info["features_without_geometry"])),
        (tr(lang, "暂定图层", "Provisional"), esc(tr(lang, "是", "yes") if coll.provisional
                                                   else tr(lang, "否", "no"))),
        (tr(lang, "范围(CRS84)", "Extent (CRS84)"), esc(coll.extent)),
    ]  # fmt: skip
    temporal = info.get("extent", {}).get("temporal")
    if temporal:
        facts.append((tr(lang, "时间范围", "Time span"), esc(temporal["interval"][0])))
    facts += [(esc(k), linkify(v)) for k, v in coll.provenance.items()]
    links = " · ".join(
        [
            a(_html_href(request, f"{path}/items", lang), tr(lang, "浏览要素", "Browse the items")),
            a(
                _html_href(request, f"{path}/queryables", lang),
                tr(lang, "可查询属性", "Queryables"),
            ),
            a(_html_href(request, f"{path}/schema", lang), tr(lang, "模式", "Schema")),
        ]
    )
    body = f"<p>{esc(info['description'])}</p><p>{links}</p>" + table(
        [tr(lang, "项目", "Item"), tr(lang, "值", "Value")], facts
    )
    return page(
        request,
        lang=lang,
        title=_title(coll, lang),
        body=body,
        crumbs=_crumbs(lang, _collections_crumb(lang)),
    )


def schema_page(
    request: Request, lang: str, coll: Collection, doc: dict[str, Any], kind: str
) -> str:
    """A JSON Schema (queryables or the features' schema) as a table of its properties."""
    rows = []
    for name, spec in doc.get("properties", {}).items():
        kinds = spec.get("type") or spec.get("format") or ""
        enum = spec.get("enum")
        rows.append(
            [
                f"<code>{esc(name)}</code>",
                esc(_label_plain(coll, name, lang)),
                esc(kinds),
                esc(spec.get("format")) if spec.get("type") else EMPTY,
                esc([*enum[:30], "…"] if enum and len(enum) > 30 else enum),
            ]
        )
    title = (
        tr(lang, "可查询属性", "Queryables") if kind == "queryables" else tr(lang, "模式", "Schema")
    )
    head = ["name", tr(lang, "含义", "Meaning"), tr(lang, "类型", "Type"),
            tr(lang, "格式", "Format"), tr(lang, "取值", "Values")]  # fmt: skip
    return page(
        request,
        lang=lang,
        title=f"{_title(coll, lang)}: {title}",
        body=table(head, rows),
        crumbs=_crumbs(
            lang, _collections_crumb(lang), (f"/collections/{coll.id}", _title(coll, lang))
        ),
        json_type=SCHEMA_JSON,
    )


def _label_plain(coll: Collection, name: str, lang: str) -> str:
    label = vocab.field_label(name, lang)
    return "" if label == name else label.replace("{unit}", "").replace("{Unit}", "").strip()


# -- items and one item -------------------------------------------------------------------------


def base_outlines(data: ServiceData) -> dict[str, Any]:
    """The city's units as simplified outlines (GeoJSON, WGS84), drawn under the features."""
    key = ("html-base",)
    cached = data.cache.get(key)
    if cached is None:
        units = data.city.units_web
        geoms = shapely.set_precision(
            shapely.simplify(units.geometry.values, _BASE_TOLERANCE, preserve_topology=True),
            _BASE_TOLERANCE / 10,
        )
        cached = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(g)}
                for g in geoms
                if g is not None and not g.is_empty
            ],
        }
        data.cache.put(key, cached)
    return cached


def _name(props: dict[str, Any], lang: str) -> str:
    first, second = ("name_zh", "name_en") if lang == "zh" else ("name_en", "name_zh")
    return str(props.get(first) or props.get(second) or "")


def items_page(
    request: Request,
    lang: str,
    data: ServiceData,
    coll: Collection,
    features: list[dict[str, Any]],
    *,
    matched: int,
    offset: int,
    limit: int,
) -> str:
    """A page of features: a small map, a table, and previous/next links keeping the query."""
    path = f"/collections/{coll.id}/items"
    for feature in features:
        feature["href"] = _html_href(request, f"{path}/{feature['id']}", lang)
    columns = COLUMNS[coll.kind]
    head = ["id", tr(lang, "名称", "Name"), *(_label(data, c, lang) for c in columns)]
    rows = [
        [
            a(f["href"], str(f["id"])),
            esc(_name(f["properties"], lang)),
            *(value_html(request, data, c, f["properties"].get(c), lang) for c in columns),
        ]
        for f in features
    ]
    shown = (
        tr(lang, f"共 {matched} 个，显示第 {offset + 1}–{offset + len(features)} 个",
           f"{matched} matched; showing {offset + 1}–{offset + len(features)}")
        if features else tr(lang, f"共 {matched} 个，本页无要素", f"{matched} matched; none on this page")
    )  # fmt: skip
    pager = []
    if offset > 0:
        prev = self_url(request, offset=max(0, offset - limit), limit=limit)
        pager.append(a(prev, tr(lang, "‹ 上一页", "‹ Previous"), rel="prev"))
    if offset + limit < matched:
        nxt = self_url(request, offset=offset + limit, limit=limit)
        pager.append(a(nxt, tr(lang, "下一页 ›", "Next ›"), rel="next"))
    caption = tr(lang, "本页要素地图", "Map of the features on this page")
    body = (
        f"<p>{esc(shown)}</p>"
        + map_block(request, features, base_outlines(data), lang=lang, caption=caption)
        + table(head, rows)
        + f'<p class="pager">{"".join(pager)}</p>'
    )
    return page(
        request,
        lang=lang,
        title=f"{_title(coll, lang)}: {tr(lang, '要素', 'items')}",
        body=body,
        crumbs=_crumbs(
            lang, _collections_crumb(lang), (f"/collections/{coll.id}", _title(coll, lang))
        ),
        json_type=GEOJSON,
        head=map_head(request),
    )


def item_page(
    request: Request, lang: str, data: ServiceData, coll: Collection, feature: dict[str, Any]
) -> str:
    """One feature: its provenance, every field, and a small map."""
    props: dict[str, Any] = feature.get("properties") or {}
    feature["href"] = self_url(request)
    provenance = [
        [
            esc(_label(data, k, lang)),
            f"<code>{esc(k)}</code>",
            value_html(request, data, k, props[k], lang),
        ]
        for k in PROVENANCE
        if k in props
    ]
    fields = [
        [
            esc(_label(data, k, lang)),
            f"<code>{esc(k)}</code>",
            value_html(request, data, k, v, lang),
        ]
        for k, v in props.items()
    ]
    head = [tr(lang, "字段", "Field"), "name", tr(lang, "值", "Value")]
    geometry = feature.get("geometry")
    where = (
        tr(lang, "无几何(位置未知)", "No geometry (location unknown)")
        if geometry is None
        else tr(lang, "坐标 WGS84(CRS84)", "Coordinates WGS84 (CRS84)")
    )
    caption = tr(lang, "要素位置", "Where the feature is")
    body = (
        f"<p>{esc(where)}</p>"
        + map_block(request, [feature], base_outlines(data), lang=lang, caption=caption)
        + f"<h2>{tr(lang, '来源与坐标', 'Provenance and coordinates')}</h2>"
        + table(head, provenance)
        + f"<h2>{tr(lang, '全部字段', 'Every field')}</h2>"
        + table(head, fields)
    )
    items = f"/collections/{coll.id}/items"
    return page(
        request,
        lang=lang,
        title=_name(props, lang) or str(feature.get("id")),
        body=body,
        crumbs=_crumbs(
            lang,
            _collections_crumb(lang),
            (f"/collections/{coll.id}", _title(coll, lang)),
            (items, tr(lang, "要素", "items")),
        ),
        json_type=GEOJSON,
        head=map_head(request),
    )


# -- maps ---------------------------------------------------------------------------------------


def maps_page(request: Request, lang: str, links: list[dict[str, str]]) -> str:
    """The maps on offer, one link each (titles as the JSON gives them)."""
    items = "".join(
        f"<li>{a(link['href'], link['title'])} <code>{esc(link['type'])}</code></li>"
        for link in links
        if link["rel"] == "item"
    )
    return page(
        request,
        lang=lang,
        title=tr(lang, "地图", "Maps"),
        body=f"<ul>{items}</ul>",
        crumbs=_crumbs(lang),
    )
