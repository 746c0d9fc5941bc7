"""OGC API - Features: ``/collections``, a collection, its queryables, items and one item.

Collections: ``platforms`` (points) and one per zone layer (``districts``, ``zones363``, extra
layers). Zone items carry the density figures of the platforms that match the platform filters,
so a GIS can style them directly. ``limit`` above the maximum is clamped, not rejected; every
page but the last has a ``next`` link (GDAL's OAPIF driver stops at a page without one).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api import direct, pages
from api.data import CRS84, Collection, OutputSystem, ServiceData, platform_feature_bytes
from api.errors import BadParameterError, NotFoundError
from api.html import FORMAT_HELP, html_link, wants_html
from api.models import CollectionInfo, Collections, Feature, FeatureCollection
from api.params import (
    CrsParam,
    Lang,
    PlatformQuery,
    base_url,
    content_crs,
    output_system,
    parse_bbox,
    parse_datetime,
    platform_query,
    self_url,
)
from api.responses import (
    GEOJSON,
    HTML,
    JSON,
    SCHEMA_JSON,
    GeoJSONResponse,
    Prepared,
    SchemaJSONResponse,
    dumps,
    send,
)
from api.schemas import JSON_SCHEMA, ROLE, schema_document
from geo.cql import FilterLang
from geo.filters import FilterError, PlatformFilter
from geo.store import etag, records_to_frame
from geo.zones.assign import assign_platforms

router = APIRouter(tags=["OGC API - Features"])

CollectionId = Annotated[
    str,
    Path(
        alias="collectionId",
        description="Collection id (see /collections).",
        examples=["platforms"],
    ),
]
JsonFormat = Annotated[Literal["json", "html"] | None, Query(description=FORMAT_HELP)]
GeoFormat = Annotated[
    Literal["json", "geojson", "html"] | None,
    Query(
        description="json or geojson (GeoJSON, the default for API clients) or html (the "
        "default for browsers)."
    ),
]
#: The HTML alternative of a response, for OpenAPI.
HTML_CONTENT = {"text/html": {"schema": {"type": "string"}}}
Bbox = Annotated[
    str | None,
    Query(
        description="minLon,minLat,maxLon,maxLat (CRS84 unless bbox-crs=gcj02); features "
        "intersecting it are returned.",
    ),
]
Datetime = Annotated[
    str | None,
    Query(
        description="An instant or interval (RFC 3339; open ends `..`): `2019-05-01`, "
        "`2015-01-01/2020-12-31`, `../2020-01-01`, `2019-01-01/..`. On platforms it selects "
        "by year of establishment (a platform established in 2019 spans 2019), unknown years "
        "never match; on a zone layer by the layer's date (e.g. compiled), if it has one.",
    ),
]
FilterText = Annotated[
    str | None,
    Query(
        description="A CQL2 filter (OGC API - Features Part 3) on the queryables, e.g. "
        "`type = 'public_technology' AND established >= 2015` or "
        "`S_INTERSECTS(geometry, BBOX(113.3,23.0,113.5,23.2))`.",
        max_length=10_000,
    ),
]
FilterLangParam = Annotated[
    Literal["cql2-text", "cql2-json"],
    Query(alias="filter-lang", description="Encoding of `filter`: cql2-text or cql2-json."),
]
FilterCrs = Annotated[
    Literal["http://www.opengis.net/def/crs/OGC/1.3/CRS84"] | None,
    Query(alias="filter-crs", description="CRS of geometries in `filter`: CRS84 only."),
]
BboxCrs = Annotated[
    Literal["http://www.opengis.net/def/crs/OGC/1.3/CRS84", "gcj02"] | None,
    Query(alias="bbox-crs", description="CRS of bbox: CRS84 (default) or gcj02."),
]


def _data(request: Request) -> ServiceData:
    return request.app.state.data


def _collection(request: Request, collection_id: str) -> Collection:
    coll = _data(request).collection(collection_id)
    if coll is None:
        known = ", ".join(_data(request).collections)
        raise NotFoundError(f"no collection {collection_id!r}; collections: {known}")
    return coll


def _max_age(request: Request) -> int:
    return request.app.state.settings.cache_max_age


@router.get(
    "/collections",
    summary="List the collections",
    response_class=JSONResponse,
    responses={200: {"model": Collections, "content": HTML_CONTENT}},
)
async def list_collections(request: Request, f: JsonFormat = None, lang: Lang = "zh") -> Response:
    """The platforms and every zone layer, with links to their items."""
    base = base_url(request)
    if wants_html(request, f):
        return _page(request, pages.collections_page(request, lang, _data(request)))
    body = {
        "links": [
            {"href": f"{base}/collections", "rel": "self", "type": JSON, "title": "Collections"},
            html_link(request, f"{base}/collections?f=html"),
        ],
        "collections": [
            _info(base, c, _data(request)) for c in _data(request).collections.values()
        ],
    }
    return send(request, Prepared.json(body), max_age=_max_age(request))


@router.get(
    "/collections/{collectionId}",
    summary="Describe one collection",
    response_class=JSONResponse,
    responses={200: {"model": CollectionInfo, "content": HTML_CONTENT}},
)
async def get_collection(
    request: Request, collection_id: CollectionId, f: JsonFormat = None, lang: Lang = "zh"
) -> Response:
    """Title, description, extent, provenance and links of one collection."""
    coll = _collection(request, collection_id)
    info = _info(base_url(request), coll, _data(request))
    if wants_html(request, f):
        return _page(request, pages.collection_page(request, lang, coll, info))
    return send(request, Prepared.json(info), max_age=_max_age(request))


@router.get(
    "/collections/{collectionId}/queryables",
    summary="Properties that can be filtered on (OGC API - Features Part 3)",
    response_class=SchemaJSONResponse,
    responses={200: {"content": {SCHEMA_JSON: {"schema": {"type": "object"}}, **HTML_CONTENT}}},
)
async def queryables(
    request: Request, collection_id: CollectionId, f: JsonFormat = None, lang: Lang = "zh"
) -> Response:
    """A JSON Schema of the properties a ``filter`` (CQL2) may name: every property of the
    collection's features, by its property name, and ``geometry``."""
    coll = _collection(request, collection_id)
    base = base_url(request)
    props: dict[str, Any] = {
        "geometry": {"format": coll.geometry_format, ROLE: "primary-geometry"},
        **_with_code_lists(_data(request), coll),
    }
    body = {
        "$schema": JSON_SCHEMA,
        "$id": f"{base}/collections/{coll.id}/queryables",
        "type": "object",
        "title": coll.title_en,
        "properties": props,
        "additionalProperties": False,
    }
    if wants_html(request, f, (SCHEMA_JSON, JSON)):
        return _page(request, pages.schema_page(request, lang, coll, body, "queryables"))
    return send(request, Prepared.json(body, SCHEMA_JSON), max_age=_max_age(request))


@router.get(
    "/collections/{collectionId}/schema",
    summary="The features' schema (OGC API - Features Part 5)",
    response_class=SchemaJSONResponse,
    responses={200: {"content": {SCHEMA_JSON: {"schema": {"type": "object"}}, **HTML_CONTENT}}},
)
async def schema(
    request: Request, collection_id: CollectionId, f: JsonFormat = None, lang: Lang = "zh"
) -> Response:
    """A JSON Schema (draft 2020-12) of the collection's features: every property with its
    type (integer, number, string, array, date...), the id and the primary geometry."""
    coll = _collection(request, collection_id)
    body = schema_document(
        url=f"{base_url(request)}/collections/{coll.id}/schema",
        title=coll.title_en,
        properties=coll.properties,
        id_property=coll.id_property,
        geometry=coll.geometry_format,
    )
    if wants_html(request, f, (SCHEMA_JSON, JSON)):
        return _page(request, pages.schema_page(request, lang, coll, body, "schema"))
    return send(request, Prepared.json(body, SCHEMA_JSON), max_age=_max_age(request))


@router.get(
    "/collections/{collectionId}/items",
    summary="Features of a collection (paged, filtered)",
    response_class=GeoJSONResponse,
    responses={200: {"model": FeatureCollection, "content": HTML_CONTENT}},
)
async def items(
    request: Request,
    *,
    collection_id: CollectionId,
    platforms: Annotated[PlatformQuery, Depends(platform_query)],
    limit: Annotated[
        int | None,
        Query(ge=1, description="Items per page; values above the maximum are clamped to it."),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000, description="Items to skip.")] = 0,
    after: Annotated[
        str | None,
        Query(
            description="Direct mode only (a registry too large to load): the keyset token "
            "of a `next` link, as given; pages after it cost what the first does.",
            max_length=2000,
        ),
    ] = None,
    bbox: Bbox = None,
    bbox_crs: BboxCrs = None,
    datetime: Datetime = None,
    filter: FilterText = None,
    filter_lang: FilterLangParam = "cql2-text",
    filter_crs: FilterCrs = None,
    crs: CrsParam = None,
    f: GeoFormat = None,
    lang: Lang = "zh",
) -> Response:
    """A page of features. On ``platforms`` the filters select features; on a zone layer they
    select the platforms counted in each zone's density figures, and ``filter`` selects zones
    by their properties and those figures."""
    data = _data(request)
    coll = _collection(request, collection_id)
    settings = request.app.state.settings
    limit = min(limit or settings.default_limit, settings.max_limit)
    box = _wgs84_bbox(parse_bbox(bbox), bbox_crs)
    html = wants_html(request, f, (GEOJSON, JSON))
    system = "wgs84" if html else output_system(crs)  # pages draw over WGS84 outlines
    flt = platforms.filter()
    when = parse_datetime(datetime)
    if when is not None and coll.temporal is None:
        raise BadParameterError(
            f"collection {coll.id!r} has no temporal property: datetime does not apply",
            param="datetime",
        )
    if data.direct and coll.kind == "platforms":
        direct.check_supported(
            cql=filter, after=after, offset=offset, max_offset=settings.direct_max_offset
        )
        return await _direct_items(
            request, data, coll, flt, box, when, limit, offset, after, system, html, lang
        )
    if after is not None:
        raise BadParameterError(
            "after is the keyset token of a server in direct mode; this one pages by offset",
            param="after",
        )
    features, extra = _features(data, coll, system, flt, platforms)
    positions = _select(
        data, coll, flt, box, cql=(filter, filter_lang) if filter else None, when=when
    )
    page = positions[offset : offset + limit]
    if html:
        shown = [orjson.loads(features[i]) for i in page]
        text = pages.items_page(
            request, lang, data, coll, shown, matched=len(positions), offset=offset, limit=limit
        )
        return _page(request, text)
    meta = {
        "numberMatched": len(positions),
        "numberReturned": len(page),
        "links": _page_links(request, coll, offset, limit, len(positions)),
        **extra,
    }
    body = _join(features, page, meta)
    return send(
        request, Prepared.of(body, GEOJSON), max_age=_max_age(request), headers=content_crs(system)
    )


@router.get(
    "/collections/{collectionId}/items/{featureId}",
    summary="One feature",
    response_class=GeoJSONResponse,
    responses={200: {"model": Feature, "content": HTML_CONTENT}},
)
async def item(
    request: Request,
    *,
    collection_id: CollectionId,
    feature_id: Annotated[
        str, Path(alias="featureId", description="Feature id (platform id or zone_id).")
    ],
    platforms: Annotated[PlatformQuery, Depends(platform_query)],
    crs: CrsParam = None,
    f: GeoFormat = None,
    lang: Lang = "zh",
) -> Response:
    """One platform, or one zone with its density figures.

    A platform is read from the store, so it is current even before this server's snapshot
    catches up with a write; its ETag is the record's, the one ``If-Match`` is checked against.
    """
    data = _data(request)
    coll = _collection(request, collection_id)
    html = wants_html(request, f, (GEOJSON, JSON))
    system = "wgs84" if html else output_system(crs)
    base = base_url(request)
    links = [
        {"href": self_url(request), "rel": "self", "type": GEOJSON, "title": "This feature"},
        {"href": f"{base}/collections/{coll.id}", "rel": "collection", "type": JSON},
        html_link(request),
    ]
    if coll.kind == "platforms":
        feature, tag = await _platform_item(data, feature_id, system)
        if html:  # read from the store: revalidated every time, like the JSON
            page = pages.item_page(request, lang, data, coll, orjson.loads(feature))
            return send(request, Prepared.of(page, HTML), max_age=0)
        body = feature[:-1] + b',"links":' + dumps(links) + b"}"
        prepared = Prepared(body, GEOJSON, tag if system == "wgs84" else tag[:-1] + '-gcj02"')
        return send(request, prepared, max_age=0, headers=content_crs(system))
    pos = coll.position.get(feature_id)
    if pos is None:
        raise NotFoundError(f"no feature {feature_id!r} in collection {coll.id!r}")
    features, _ = _features(data, coll, system, platforms.filter(), platforms)
    if html:
        return _page(
            request, pages.item_page(request, lang, data, coll, orjson.loads(features[pos]))
        )
    body = features[pos][:-1] + b',"links":' + dumps(links) + b"}"
    return send(
        request, Prepared.of(body, GEOJSON), max_age=_max_age(request), headers=content_crs(system)
    )


async def _direct_items(  # noqa: PLR0917 (the items route's parameters, passed on)
    request: Request,
    data: ServiceData,
    coll: Collection,
    flt: PlatformFilter,
    box: tuple[float, float, float, float] | None,
    when: tuple[np.datetime64 | None, np.datetime64 | None] | None,
    limit: int,
    offset: int,
    after: str | None,
    system: OutputSystem,
    html: bool,
    lang: Lang,
) -> Response:
    """A page of platforms read from PostGIS (direct mode, :mod:`api.direct`)."""
    features, position, token, matched = await run_in_threadpool(
        direct.page_features,
        data,
        flt,
        box=box,
        when=when,
        limit=limit,
        offset=offset,
        after=after,
        system=system,
    )
    if html:
        shown = [orjson.loads(f) for f in features]
        known = matched if matched is not None else data.platform_count
        text = pages.items_page(
            request, lang, data, coll, shown, matched=known, offset=position, limit=limit
        )
        return _page(request, text)
    links = _page_links(request, coll, 0, limit, 0)  # self, alternate, collection
    if token is not None:
        links.append(_link(request, "next", "Next page", after=token, offset=None, limit=limit))
    back = max(0, position - limit)
    if position > 0 and back <= request.app.state.settings.direct_max_offset:
        links.append(_link(request, "prev", "Previous page", after=None, offset=back, limit=limit))
    meta: dict[str, Any] = {"numberReturned": len(features), "links": links}
    if matched is not None:
        meta = {"numberMatched": matched, **meta}
    body = direct.join(features, meta)
    return send(
        request, Prepared.of(body, GEOJSON), max_age=_max_age(request), headers=content_crs(system)
    )


def _link(request: Request, rel: str, title: str, **replace: object) -> dict[str, str]:
    return {"href": self_url(request, **replace), "rel": rel, "type": GEOJSON, "title": title}


async def _platform_item(
    data: ServiceData, feature_id: str, system: OutputSystem
) -> tuple[bytes, str]:
    """The stored platform's Feature bytes and ETag (the snapshot's bytes when still current)."""
    record = await run_in_threadpool(data.store.get, feature_id)
    if record is None:
        raise NotFoundError(f"no feature {feature_id!r} in collection 'platforms'")
    tag = etag(record) or ""
    pos = data.collections["platforms"].position.get(feature_id)
    if pos is not None and data.etags.get(feature_id) == tag:
        return data.platform_features(system)[pos], tag
    frame, _ = assign_platforms(records_to_frame([record]), data.city, data.layers)
    return platform_feature_bytes(frame, system)[0], tag


# -- helpers ------------------------------------------------------------------------------------


def _page(request: Request, html: str) -> Response:
    """Send an HTML page with the same ETag and caching rules as the JSON answers."""
    return send(request, Prepared.of(html, HTML), max_age=_max_age(request))


def _features(
    data: ServiceData,
    coll: Collection,
    system: OutputSystem,
    flt: PlatformFilter,
    query: PlatformQuery,
) -> tuple[list[bytes], dict[str, Any]]:
    """Serialised features of ``coll`` and extra top-level members (density provenance)."""
    if coll.kind == "platforms":
        return data.platform_features(system), {}
    density = data.density(coll.id, flt)
    key = ("zone-features", coll.id, system, flt)
    features = data.cache.get(key)
    if features is None:
        features = data.zone_features(coll, system, density)
        data.cache.put(key, features)
    extra = {
        "density": {
            "filter": query.describe(),
            "totals": density.totals,
            "denominators": density.denominators,
        }
    }
    return features, extra


def _select(
    data: ServiceData,
    coll: Collection,
    flt: PlatformFilter,
    box: tuple[float, float, float, float] | None,
    *,
    cql: tuple[str, FilterLang] | None = None,
    when: tuple[np.datetime64 | None, np.datetime64 | None] | None = None,
) -> np.ndarray:
    """Positions of the features to page through (cached: the data never changes)."""
    key = ("select", coll.id, flt if coll.kind == "platforms" or cql else None, box, cql, when)
    positions = data.cache.get(key)
    if positions is None:
        mask = data.platform_mask(flt) if coll.kind == "platforms" else None
        if box is not None:
            in_box = coll.bbox_mask(box)
            mask = in_box if mask is None else mask & in_box
        if cql is not None:
            try:
                kept = data.filter_mask(coll, *cql, flt)
            except FilterError as exc:
                raise BadParameterError(str(exc), param="filter") from None
            mask = kept if mask is None else mask & kept
        if when is not None:
            in_time = data.temporal_mask(coll, *when)
            mask = in_time if mask is None else mask & in_time
        positions = np.arange(len(coll.ids)) if mask is None else np.flatnonzero(mask)
        positions.setflags(write=False)
        data.cache.put(key, positions)
    return positions


def _join(features: list[bytes], page: np.ndarray, meta: dict[str, Any]) -> bytes:
    head = b'{"type":"FeatureCollection","features":['
    return head + b",".join([features[i] for i in page]) + b"]," + dumps(meta)[1:]


def _wgs84_bbox(
    box: tuple[float, float, float, float] | None, bbox_crs: str | None
) -> tuple[float, float, float, float] | None:
    if box is None or bbox_crs != "gcj02":
        return box
    from geo.crs import to_wgs84

    x, y = to_wgs84([box[0], box[2]], [box[1], box[3]], "gcj02")
    return float(x[0]), float(y[0]), float(x[1]), float(y[1])


def _page_links(
    request: Request, coll: Collection, offset: int, limit: int, matched: int
) -> list[dict[str, str]]:
    links = [
        {"href": self_url(request), "rel": "self", "type": GEOJSON, "title": "This page"},
        html_link(request),
        {
            "href": f"{base_url(request)}/collections/{coll.id}",
            "rel": "collection",
            "type": JSON,
            "title": coll.title_en,
        },
    ]
    if offset + limit < matched:
        links.append(
            {
                "href": self_url(request, offset=offset + limit, limit=limit),
                "rel": "next",
                "type": GEOJSON,
                "title": "Next page",
            }
        )
    if offset > 0:
        links.append(
            {
                "href": self_url(request, offset=max(0, offset - limit), limit=limit),
                "rel": "prev",
                "type": GEOJSON,
                "title": "Previous page",
            }
        )
    return links


def _info(base: str, coll: Collection, data: ServiceData) -> dict[str, Any]:
    url = f"{base}/collections/{coll.id}"
    missing = int((~coll.located).sum())
    description = _describe(coll, missing)
    info: dict[str, Any] = {
        "id": coll.id,
        "title": f"{coll.title_zh} / {coll.title_en}",
        "title_zh": coll.title_zh,
        "title_en": coll.title_en,
        "description": description,
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "links": [
            {"href": url, "rel": "self", "type": JSON, "title": "This collection"},
            {"href": f"{url}?f=html", "rel": "alternate", "type": "text/html", "title": "HTML"},
            {"href": f"{url}/items", "rel": "items", "type": GEOJSON, "title": "Features"},
            {
                "href": f"{url}/queryables",
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "type": SCHEMA_JSON,
                "title": "Queryables",
            },
            *(
                # RFC 8288 relation types are case-insensitive; GDAL 3.6 matches "describedBy"
                # exactly, later GDALs and Part 5 clients "describedby": both, one document.
                {"href": f"{url}/schema", "rel": rel, "type": SCHEMA_JSON, "title": "Schema"}
                for rel in ("describedby", "describedBy")
            ),
        ],
        "provisional": coll.provisional,
        "provenance": coll.provenance,
        "features": len(coll.ids),
        "features_without_geometry": missing,
    }
    if data.direct and coll.kind == "platforms":
        info["features"] = data.platform_count  # exact below 10,000 rows, else an estimate
        info.pop("features_without_geometry")  # every stored row has its point
    if coll.extent:
        info["extent"] = {"spatial": {"bbox": [coll.extent], "crs": CRS84}}
    spans = data.temporal_spans(coll)
    if spans is not None and not np.isnat(spans[0]).all():
        first, last = np.nanmin(spans[0]), np.nanmax(spans[1])
        info.setdefault("extent", {})["temporal"] = {
            "interval": [[f"{first}Z", f"{last}Z"]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
            "description": f"datetime selects on {coll.temporal}"
            + (" (a year of establishment spans the whole year)" if coll.layer is None else ""),
        }
    return info


def _describe(coll: Collection, missing: int) -> str:
    if coll.kind == "platforms":
        return (
            "平台点位(WGS84)。坐标精度不一:见 coord_precision 与 coord_uncertainty_m。 "
            "Platform points (WGS84); coordinate precision varies, see coord_precision and "
            "coord_uncertainty_m. Filter with the query parameters, or a CQL2 filter on the "
            "queryables (the property names: type, fields, level, district_adcode...)."
        )
    parts = [
        f"{coll.title_zh}:每个区域带有平台密度指标。 Zones of {coll.title_en}, each carrying "
        "platform density figures (count, share, per km², per 100k residents, location "
        "quotients) for the platforms selected by the same filters as /collections/platforms."
    ]
    if coll.provisional:
        parts.append("暂定/近似图层 Provisional, approximate layer: not an official boundary.")
    if missing:
        parts.append(
            f"{missing} 个区域位置未知(无几何) {missing} zone(s) have no geometry (location "
            "unknown): they are listed with a null geometry and receive no platforms."
        )
    return " ".join(parts)


def _with_code_lists(data: ServiceData, coll: Collection) -> dict[str, Any]:
    """``coll``'s property schemas, the city's district adcodes and zone ids as ``enum``."""
    props = {name: dict(spec) for name, spec in coll.properties.items()}
    codes: dict[str, list[str]] = {
        name: sorted(data.city.unit_names) for name in ("district_adcode", "managing_adcode")
    }
    if coll.kind == "platforms":
        for name, layer in data.layers.items():
            codes[f"zone_{name}"] = sorted(layer.zones["zone_id"].astype(str))
    for name, values in codes.items():
        if name in props and props[name].get("type") == "string":
            props[name]["enum"] = values
    return props
