"""The planner's web app: ``/`` for browsers (also at ``/app``) and the few JSON it needs.

The page is a shell (``geo/maps/_static/app/``: one script, one stylesheet, served under
``/app/assets/``) with the app's settings inline; the data comes from the API: platforms as one
columnar payload (``/app/points.json``), zones from ``/collections/{layer}/items``, density
from ``/stats/density``, chain gaps from ``/stats/chain``, snapshots from ``/maps/snapshot.*``.
Two small endpoints complete it: ``/app/view`` (the title, filter line and classes snapshots
print, so the screen says the same) and ``/app/selection.geojson`` (every platform a filter selects,
for download; items pages stop at ``BIOMAP_MAX_LIMIT``). Nothing is fetched from elsewhere.
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.data import ServiceData
from api.errors import NotFoundError
from api.params import Lang, LayerParam, PlatformQuery, platform_query
from api.responses import GEOJSON, HTML, Prepared, send
from geo.zones import get_layer

router = APIRouter(tags=["Web app"])

_MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
#: Map scripts and styles the app loads, served by /maps/assets/ (Leaflet, Supercluster).
_MAP_SCRIPTS = ("leaflet/leaflet.js", "supercluster/supercluster.min.js")
_MAP_STYLES = ("leaflet/leaflet.css",)
AppMetric = Annotated[
    Literal["count", "per_km2", "per_100k", "lq_area", "lq_population"],
    Query(description="Choropleth metric (a /stats/density column)."),
]


def _data(request: Request) -> ServiceData:
    return request.app.state.data


def app_page(request: Request, lang: str) -> Response:
    """The app's HTML shell in ``lang`` (the app switches language itself afterwards)."""
    data = _data(request)
    key = ("app-page", lang)
    prepared = data.cache.get(key)
    if prepared is None:
        prepared = Prepared.of(_shell(data, lang), HTML)
        data.cache.put(key, prepared)
    return send(request, prepared, max_age=0)


def _shell(data: ServiceData, lang: str) -> str:
    from geo.maps.app import app_settings, script_json  # geo.maps loads folium: on first use

    settings = app_settings(data.city, data.layers) | {"lang": lang}
    title = escape(data.city.title(lang))
    styles = (
        "".join(f'<link rel="stylesheet" href="/maps/assets/{s}">' for s in _MAP_STYLES)
        + '<link rel="stylesheet" href="/app/assets/app.css">'
    )
    scripts = "".join(f'<script src="/maps/assets/{s}"></script>' for s in _MAP_SCRIPTS)
    scripts += '<script src="/app/assets/app.js"></script>'
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!doctype html><html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title>{styles}</head><body>"
        '<noscript>This app needs JavaScript; <a href="/?f=html">the landing page</a> has '
        "links to every dataset. 本应用需要 JavaScript。</noscript>"
        f'<script type="application/json" id="biomap-app-config">{script_json(settings)}'
        f"</script>{scripts}</body></html>"
    )


@router.get(
    "/app", summary="The web app (HTML; also at / for browsers)", response_class=HTMLResponse
)
async def app_html(request: Request, lang: Lang = "zh") -> Response:
    """The planners' web app: map, filters, density table, platform panel, downloads."""
    return app_page(request, lang)


@router.get("/app/assets/{name}", include_in_schema=False)
async def app_asset(request: Request, name: str) -> Response:
    """One file of the app (its script or stylesheet); nothing else is served here."""
    from geo.maps.app import APP_STATIC

    path = APP_STATIC / name
    if "/" in name or path.suffix not in _MEDIA or not path.is_file():
        raise NotFoundError(f"no app asset {name!r}")
    return send(request, _read(path), max_age=0)  # revalidated by ETag: a new version shows


def _read(path: Path) -> Prepared:
    return Prepared.of(path.read_bytes(), _MEDIA[path.suffix])


@router.get(
    "/app/points.json",
    summary="Every platform as the app's columnar payload",
    response_class=JSONResponse,
)
async def points(request: Request) -> Response:
    """Coordinates (integers in 1e-5 degree from ``x0``/``y0``) and the columns the app filters
    on, dictionary-encoded; the full record of a platform is ``/collections/platforms/items/{id}``."""
    from geo.maps.app import app_points

    data = _data(request)
    gzip_ok = "gzip" in request.headers.get("accept-encoding", "")
    key = ("app-points", gzip_ok)
    prepared = data.cache.get(key)
    if prepared is None:
        prepared = await run_in_threadpool(
            _points_body, lambda: app_points(data.platforms, data.layers), gzip_ok
        )
        data.cache.put(key, prepared)
    # compressed once and kept (the middleware would compress megabytes on every request)
    headers = {"Vary": "Accept, Accept-Encoding"}
    if gzip_ok:
        headers["Content-Encoding"] = "gzip"
    return send(request, prepared, max_age=0, headers=headers)


def _points_body(make: Callable[[], dict], gzip_ok: bool) -> Prepared:
    body = Prepared.json(make())
    if not gzip_ok:
        return body
    packed = gzip.compress(body.body, compresslevel=6, mtime=0)
    return Prepared(packed, body.media_type, body.etag[:-1] + '-gz"')


@router.get(
    "/app/view", summary="Title, filter line and classes of a map view", response_class=JSONResponse
)
async def view(
    request: Request,
    *,
    platforms: Annotated[PlatformQuery, Depends(platform_query)],
    layer: LayerParam = "districts",
    metric: AppMetric = "count",
    lang: Lang = "zh",
    classes: Annotated[
        bool,
        Query(description="Include the choropleth classes (false: title and counts only)."),
    ] = True,
) -> Response:
    """What ``/maps/snapshot.*`` prints for the same parameters: the title, the subtitle (data
    date, platforms shown, filter) and the choropleth classes (breaks, colours, labels, each
    zone's colour); and how many platforms the filter selects. The app computes the classes
    itself and asks with ``classes=false`` (no density table is computed then)."""
    data = _data(request)
    flt = platforms.filter()
    get_layer(data.layers, layer)  # unknown layer -> 400 before any work
    key = ("app-view", flt, layer, metric, lang, classes)
    prepared = data.cache.get(key)
    if prepared is None:
        prepared = await run_in_threadpool(
            functools.partial(_view, classes=classes), data, platforms, layer, metric, lang
        )
        data.cache.put(key, prepared)
    return send(request, prepared, max_age=0)


def _view(
    data: ServiceData, query: PlatformQuery, layer: str, metric: str, lang: str, *, classes: bool
) -> Prepared:
    from geo.captions import data_date, page_heading
    from geo.maps.app import choropleth_classes

    flt = query.filter()
    shown = int(data.platform_mask(flt).sum())
    title, subtitle = page_heading(
        data.city, data.layers[layer], metric, flt, lang=lang, shown=shown,
        date=data_date(data.platforms), layers=data.layers,
    )  # fmt: skip
    body = {"title": title, "subtitle": subtitle, "count": shown, "filter": query.describe()}
    if classes:
        body["classes"] = choropleth_classes(data.density(layer, flt).table, metric)
    return Prepared.json(body)


@router.get(
    "/app/selection.geojson",
    summary="Every platform a filter selects (GeoJSON download)",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON: {}}}},
)
async def selection(
    request: Request, *, platforms: Annotated[PlatformQuery, Depends(platform_query)]
) -> Response:
    """All matching platforms as one FeatureCollection (WGS84), every property included."""
    data = _data(request)
    mask = data.platform_mask(platforms.filter())
    features = data.platform_features("wgs84")
    rows = [features[i] for i in mask.nonzero()[0]]
    body = b'{"type":"FeatureCollection","features":[' + b",".join(rows) + b"]}"
    headers = {"Content-Disposition": 'attachment; filename="platforms_selection.geojson"'}
    return send(request, Prepared.of(body, GEOJSON), max_age=0, headers=headers)
