"""``/maps``: the interactive maps (HTML, assets served here, no CDN) and static snapshots.

Maps come from :mod:`geo.maps` (Folium) and snapshots from :mod:`geo.snapshot` (matplotlib),
both drawn for the service's city (``data.city``); they are imported on first use, which keeps
the service's start-up light. Rendered pages and images are kept in the service's LRU cache.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api import pages
from api.data import ServiceData
from api.errors import NotFoundError
from api.html import FORMAT_HELP, html_link, wants_html
from api.params import Lang, PlatformQuery, base_url, platform_query
from api.responses import HTML, Prepared, send

router = APIRouter(tags=["Maps"])

ASSET_PREFIX = "/maps/assets/"
Metric = Annotated[Literal["count", "per_km2", "per_100k"], Query(description="Choropleth metric.")]
Tiles = Annotated[
    Literal["none", "osm", "cartodb", "amap"],
    Query(
        description="Basemap: none (fully offline, the default) or a tile provider the "
        "browser fetches (amap is GCJ-02: everything drawn is shifted to match)."
    ),
]
LayerName = Annotated[
    str,
    Query(description="Zone layer of the choropleth (see /collections).", examples=["districts"]),
]
SnapshotMetric = Annotated[
    Literal["count", "share", "per_km2", "per_100k", "lq_area", "lq_population"],
    Query(description="Choropleth metric (a /stats/density column)."),
]
_SNAPSHOT_MEDIA = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
GroupBy = Annotated[
    Literal["type", "level", "sub_kind"], Query(description="What colours the points.")
]


def _data(request: Request) -> ServiceData:
    return request.app.state.data


async def _cached(request: Request, key: tuple, make: Any) -> Prepared:
    data = _data(request)
    prepared = data.cache.get(key)
    if prepared is None:
        prepared = await run_in_threadpool(make)
        data.cache.put(key, prepared)
    return prepared


@router.get(
    "/maps",
    summary="The maps on offer",
    response_class=JSONResponse,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
async def maps_index(
    request: Request,
    f: Annotated[Literal["json", "html"] | None, Query(description=FORMAT_HELP)] = None,
    lang: Lang = "zh",
) -> Response:
    """Links to the interactive maps, the city's figures and the static snapshots."""
    base = base_url(request)
    figures = _data(request).city.figures
    links = [
        {"href": f"{base}/maps/interactive", "rel": "item", "type": HTML,
         "title": "Interactive map (districts, counts)"},
        *({"href": f"{base}/maps/interactive?layer={name}", "rel": "item", "type": HTML,
           "title": layer.title_en} for name, layer in _data(request).layers.items()
          if name != "districts"),
        *({"href": f"{base}/maps/figures/{f.number}", "rel": "item", "type": HTML,
           "title": f.title_en} for f in figures),
        {"href": f"{base}/maps/snapshot.png", "rel": "item", "type": "image/png",
         "title": "Static snapshot (PNG)"},
        {"href": f"{base}/maps/snapshot.svg", "rel": "item", "type": "image/svg+xml",
         "title": "Static snapshot (SVG)"},
    ]  # fmt: skip
    if wants_html(request, f):
        page = pages.maps_page(request, lang, links)
        return send(request, Prepared.of(page, HTML), max_age=_max_age(request))
    links.append(html_link(request, f"{base}/maps?f=html"))
    return send(request, Prepared.json({"links": links}), max_age=_max_age(request))


@router.get(
    "/maps/interactive",
    summary="Interactive map (HTML)",
    response_class=HTMLResponse,
)
async def interactive(
    request: Request,
    *,
    platforms: Annotated[PlatformQuery, Depends(platform_query)],
    layer: LayerName = "districts",
    metric: Metric = "count",
    lang: Lang = "zh",
    tiles: Tiles = "none",
    group_by: GroupBy = "type",
    cluster: Annotated[bool, Query(description="Cluster the points.")] = True,
    heat: Annotated[bool, Query(description="Show the heat layer at first.")] = False,
) -> Response:
    """A Leaflet map: zone choropleth, platforms (clustered), the provisional "363" zones,
    legend and data note. Every script and stylesheet is served by this API under
    ``/maps/assets/``."""
    from geo import maps

    data = _data(request)
    flt = platforms.filter()
    subset = _subset(data, platforms)
    options = {"layer": layer, "metric": metric, "lang": lang, "tiles": tiles,
               "group_by": group_by, "cluster": cluster, "heat": heat}  # fmt: skip

    def make() -> Prepared:
        m = maps.build_map(subset, data.layers, city=data.city, filter=flt, **options)
        return Prepared.of(maps.render_html(m, assets="url", asset_url_prefix=ASSET_PREFIX), HTML)

    key = ("map", flt, platforms.zones, tuple(sorted(options.items())))
    return send(request, await _cached(request, key, make), max_age=_max_age(request))


@router.get(
    "/maps/figures/{n}",
    summary="One of the city's figures (HTML; Guangzhou: the study's Figures 1-4)",
    response_class=HTMLResponse,
)
async def figure(
    request: Request,
    n: Annotated[int, Path(ge=1, description="Figure number (Guangzhou: 1-4).")],
    lang: Lang = "zh",
    tiles: Tiles = "none",
) -> Response:
    """1: national/provincial/municipal platforms by level; 2: basic condition; 3: public
    technology; 4: transformation & cluster platforms with the provisional "363" zones.
    The figures are the city profile's presets; another number is a 400 problem."""
    from geo import maps
    from geo.errors import MapOptionError

    data = _data(request)
    known = [f.number for f in data.city.figures]
    if n not in known:
        numbers = ", ".join(map(str, known)) or "none"
        raise MapOptionError(f"unknown figure {n}; this city's figures: {numbers}")

    def make() -> Prepared:
        m = maps.figure_map(n, data.platforms, data.layers, city=data.city, lang=lang, tiles=tiles)
        return Prepared.of(maps.render_html(m, assets="url", asset_url_prefix=ASSET_PREFIX), HTML)

    prepared = await _cached(request, ("figure", n, lang, tiles), make)
    return send(request, prepared, max_age=_max_age(request))


@router.get(
    "/maps/assets/{path:path}",
    summary="Local Leaflet/plugin assets of the maps",
    include_in_schema=False,
)
async def asset(request: Request, path: str) -> Response:
    """Serve one asset file listed by :func:`geo.maps.asset_files` (nothing else)."""
    files = _assets(request)
    if path not in files:
        raise NotFoundError(f"no map asset {path!r}")
    return send(request, files[path], max_age=86_400)


@router.get(
    "/maps/snapshot.{fmt}",
    summary="Static snapshot (PNG, SVG or PDF)",
    response_class=Response,
    responses={200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}},
                                 "image/svg+xml": {"schema": {"type": "string"}},
                                 "application/pdf": {"schema": {"type": "string",
                                                                "format": "binary"}}}}},
)  # fmt: skip
async def snapshot(
    request: Request,
    *,
    fmt: Annotated[Literal["png", "svg", "pdf"], Path(description="png, svg or pdf.")],
    platforms: Annotated[PlatformQuery, Depends(platform_query)],
    layer: LayerName = "districts",
    metric: SnapshotMetric = "count",
    lang: Lang = "zh",
    title: Annotated[
        str | None, Query(max_length=200, description="Title instead of the default one.")
    ] = None,
    download: Annotated[
        bool, Query(description="Send as an attachment (a file to save) rather than inline.")
    ] = False,
    page: Annotated[
        Literal["a4-landscape", "a4-portrait", "slide-16x9"], Query(description="Page layout.")
    ] = "a4-landscape",
    dpi: Annotated[int, Query(ge=36, le=300, description="PNG resolution.")] = 150,
) -> Response:
    """A print-quality map with legend, scale bar, north arrow and data note."""
    from geo import snapshot as snap

    data = _data(request)
    flt = platforms.filter()
    subset = _subset(data, platforms)
    media = _SNAPSHOT_MEDIA[fmt]

    def make() -> Prepared:
        body = snap.render_snapshot(subset, data.layers, city=data.city, layer=layer,
                                    metric=metric, filter=flt, lang=lang, page=page, dpi=dpi,
                                    fmt=fmt, title=title or None)  # fmt: skip
        return Prepared.of(body, media)

    key = ("snapshot", fmt, flt, platforms.zones, layer, metric, lang, page, dpi, title)
    disposition = "attachment" if download else "inline"
    headers = {"Content-Disposition": f'{disposition}; filename="biomap_{layer}_{metric}.{fmt}"'}
    prepared = await _cached(request, key, make)
    return send(request, prepared, max_age=_max_age(request), headers=headers)


def _subset(data: ServiceData, query: PlatformQuery) -> Any:
    """The platforms in the requested zones (the other filters go to the map builders)."""
    if not query.zones:
        return data.platforms
    from geo.filters import PlatformFilter

    return data.platforms[data.platform_mask(PlatformFilter(), query.zones)]


def _assets(request: Request) -> dict[str, Prepared]:
    files = getattr(request.app.state, "map_assets", None)
    if files is None:
        from geo.maps import asset_files

        listed: dict[str, FilePath] = asset_files()
        files = {
            rel: Prepared.of(path.read_bytes(), _media_type(rel)) for rel, path in listed.items()
        }
        request.app.state.map_assets = files
    return files


def _media_type(name: str) -> str:
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed in ("text/css", "text/javascript") else guessed


def _max_age(request: Request) -> int:
    return request.app.state.settings.cache_max_age
