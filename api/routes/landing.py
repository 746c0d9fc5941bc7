"""The landing page (JSON for clients, HTML for people, zh/en) and the conformance classes."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from api import pages
from api.data import ServiceData
from api.html import FORMAT_HELP, html_link, wants_html
from api.models import Conformance, LandingPage
from api.params import Lang, base_url
from api.responses import GEOJSON, HTML, JSON, Prepared, send
from api.routes.app import app_page

if TYPE_CHECKING:
    from geo.cities import City

router = APIRouter(tags=["Landing"])

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    # Part 3 filtering, CQL2 (geo.cql): every queryable (property) in `filter`. Not
    # queryables-query-parameters: only some queryables have a query parameter of their own.
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    # Part 5: /collections/{id}/schema with the id and primary-geometry roles.
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/core-roles-features",
    # Part 4 (draft 20-002): POST/PUT/DELETE, PATCH as JSON Merge Patch, on `platforms`.
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
]

_TEXT = {
    "zh": {
        "title": "{title}地图",
        "intro": "平台分布、按区域的密度统计与地图。坐标为 WGS84;标为暂定的图层是复原,不是官方边界。",
        "app": "打开规划应用(地图、筛选、密度表、下载)",
        "maps": "交互地图",
        "figures": "按区域统计密度",
        "units": "按{singular}统计密度",
        "layer": "按{title}统计密度",
        "csv": "CSV 下载",
        "collections": "数据集(OGC API - Features)",
        "docs": "API 文档",
        "other": "English",
    },
    "en": {
        "title": "{title}",
        "intro": "Where the platforms are, density by zone, and maps. Coordinates are WGS84; "
        "layers marked provisional are reconstructions, not official boundaries.",
        "app": "Open the planners' app (map, filters, density table, downloads)",
        "maps": "Interactive maps",
        "figures": "Density by zone",
        "units": "Density by {singular}",
        "layer": "Density by {title}",
        "csv": "CSV",
        "collections": "Collections (OGC API - Features)",
        "docs": "API documentation",
        "other": "中文",
    },
}


def _links(base: str) -> list[dict[str, str]]:
    return [
        {"href": f"{base}/", "rel": "self", "type": JSON, "title": "This document"},
        {"href": f"{base}/?f=html", "rel": "alternate", "type": "text/html", "title": "HTML"},
        {
            "href": f"{base}/openapi.json",
            "rel": "service-desc",
            "type": "application/vnd.oai.openapi+json;version=3.1",
            "title": "OpenAPI definition",
        },
        {"href": f"{base}/docs", "rel": "service-doc", "type": "text/html", "title": "API docs"},
        {"href": f"{base}/conformance", "rel": "conformance", "type": JSON, "title": "Conformance"},
        {"href": f"{base}/collections", "rel": "data", "type": JSON, "title": "Collections"},
        {
            "href": f"{base}/stats/density?layer=districts",
            "rel": "related",
            "type": JSON,
            "title": "Density by district",
        },
        {"href": f"{base}/maps", "rel": "related", "type": JSON, "title": "Maps"},
    ]


def _wants_html(request: Request, f: str | None) -> bool:
    if f is not None:
        return f == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not accept.lstrip().startswith(("application/json", GEOJSON))


def _text(city: City, lang: str) -> dict[str, str]:
    """The page's wording in ``lang``, with the city's title."""
    return _TEXT[lang] | {"title": _TEXT[lang]["title"].format(title=city.title(lang))}


def _density_links(base: str, lang: str, data: ServiceData) -> str:
    """One density link (and its CSV) per zone layer, the city's units first."""
    t = _TEXT[lang]
    units = data.city.profile.units
    out = []
    for name, layer in data.layers.items():
        if name == "districts":
            label = t["units"].format(
                singular=units.singular_zh if lang == "zh" else units.singular_en
            )
        else:
            label = t["layer"].format(title=layer.title_zh if lang == "zh" else layer.title_en)
        href = f"{base}/stats/density?layer={escape(name)}"
        out.append(
            f'<li><a href="{href}">{escape(label)}</a> (<a href="{href}&amp;f=csv">{t["csv"]}</a>)'
            "</li>"
        )
    return "".join(out)


def _html(base: str, lang: str, data: ServiceData) -> str:
    t = _text(data.city, lang)
    other = "en" if lang == "zh" else "zh"
    items = "".join(
        f'<li><a href="{base}/collections/{escape(c.id)}/items?limit=100">'
        f"{escape(c.title_zh if lang == 'zh' else c.title_en)}</a></li>"
        for c in data.collections.values()
    )
    return f"""<!doctype html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(t["title"])}</title>
<style>body{{font-family:"Noto Sans CJK SC",system-ui,sans-serif;max-width:52rem;margin:2rem auto;
padding:0 1rem;line-height:1.6}}a{{color:#0b5394}}</style></head>
<body><p style="float:right"><a href="{base}/?f=html&amp;lang={other}">{t["other"]}</a></p>
<h1>{escape(t["title"])}</h1><p>{escape(t["intro"])}</p>
<p><a href="{base}/app?lang={lang}">{escape(t["app"])}</a></p>
<h2>{t["maps"]}</h2><p><a href="{base}/maps">{base}/maps</a></p>
<h2>{t["figures"]}</h2><ul>{_density_links(base, lang, data)}</ul>
<h2>{t["collections"]}</h2><ul>{items}</ul>
<h2>{t["docs"]}</h2><p><a href="{base}/docs">{base}/docs</a> ·
<a href="{base}/openapi.json">openapi.json</a> · <a href="{base}/conformance">conformance</a></p>
</body></html>
"""


@router.get(
    "/",
    summary="Landing page",
    response_class=JSONResponse,
    responses={
        200: {"model": LandingPage, "content": {"text/html": {"schema": {"type": "string"}}}}
    },
)
async def landing(
    request: Request,
    f: Annotated[
        Literal["json", "html"] | None,
        Query(
            description="json (default for clients) or html (this page as HTML); a browser "
            "asking without `f` gets the web app (also at /app)."
        ),
    ] = None,
    lang: Lang = "zh",
) -> Response:
    """Where everything is: collections, density figures, maps, API docs (a browser asking
    without ``f`` gets the web app)."""
    base = base_url(request)
    max_age = request.app.state.settings.cache_max_age
    data: ServiceData = request.app.state.data
    if f is None and _wants_html(request, f):
        return app_page(request, lang)  # a browser opening the service: the web app
    if _wants_html(request, f):
        return send(request, Prepared.of(_html(base, lang, data), HTML), max_age=max_age)
    city = data.city
    body = {
        "title": _text(city, "en")["title"],
        "title_zh": _text(city, "zh")["title"],
        "description": _TEXT["en"]["intro"],
        "description_zh": _TEXT["zh"]["intro"],
        "links": _links(base),
    }
    return send(request, Prepared.json(body), max_age=max_age)


@router.get(
    "/conformance",
    summary="Conformance classes",
    response_class=JSONResponse,
    responses={
        200: {"model": Conformance, "content": {"text/html": {"schema": {"type": "string"}}}}
    },
)
async def conformance(
    request: Request,
    f: Annotated[Literal["json", "html"] | None, Query(description=FORMAT_HELP)] = None,
    lang: Lang = "zh",
) -> Response:
    """The OGC API - Features conformance classes implemented (Part 1 core, GeoJSON, Part 3
    queryables and CQL2 filters, Part 4 writes, Part 5 schemas)."""
    max_age = request.app.state.settings.cache_max_age
    if wants_html(request, f):
        page = pages.conformance_page(request, lang, CONFORMANCE)
        return send(request, Prepared.of(page, HTML), max_age=max_age)
    base = base_url(request)
    links = [
        {"href": f"{base}/conformance", "rel": "self", "type": JSON, "title": "Conformance"},
        html_link(request, f"{base}/conformance?f=html"),
    ]
    body = {"conformsTo": CONFORMANCE, "links": links}
    return send(request, Prepared.json(body), max_age=max_age)
