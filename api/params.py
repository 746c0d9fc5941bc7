"""Query parameters shared by several routes, as small dependency classes.

Unknown-parameter policy (``BIOMAP_UNKNOWN_PARAMS``): by default a query parameter that the
endpoint does not define is a 400 naming it and listing the accepted ones (OGC API - Features
``/req/core/query-param-unknown``); with ``ignore`` such parameters are ignored.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from fastapi import Query, Request
from fastapi._compat import field_annotation_is_sequence
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.data import CRS84, OutputSystem
from api.errors import BadParameterError
from geo.filters import PlatformFilter

_CSV = "Comma-separated codes match any of them."

Lang = Annotated[
    Literal["zh", "en"], Query(description="Language of labels and HTML pages (中文 default).")
]
CrsParam = Annotated[
    Literal["http://www.opengis.net/def/crs/OGC/1.3/CRS84", "gcj02"] | None,
    Query(
        description="Output coordinates: CRS84 (WGS84 lon/lat, the default) or, opt-in for Amap "
        "front ends, `gcj02` (not an OGC CRS URI; GCJ-02 lon/lat).",
    ),
]
InputCrs = Annotated[
    Literal["wgs84", "gcj02", "bd09"],
    Query(description="System of the given lon/lat: wgs84, gcj02 (Amap, Tencent) or bd09 (Baidu)."),
]
#: The ``layer`` parameter of every route that takes one (stats, analytics, collections, maps).
LayerParam = Annotated[
    str,
    Query(
        description="Zone layer: districts (the city's units) or any other zone layer listed "
        "in /collections (the city profile's, e.g. zones363, and extra layers).",
        examples=["districts"],
    ),
]
#: The ``district_basis`` parameter of every route that takes one (density, chain, maps).
DistrictBasisParam = Annotated[
    Literal["administrative", "managing"],
    Query(
        description="Districts layer only: count platforms inside a cross-district management "
        "area under their administrative district, or under the managing one (the city profile "
        "names the areas). Areas and populations stay administrative.",
    ),
]
# Examples of points and boxes come from the city profile (api.app fills them into the schema).
Lon = Annotated[float, Query(ge=-180, le=180, description="Longitude.")]
Lat = Annotated[float, Query(ge=-90, le=90, description="Latitude.")]


class PlatformQuery:
    """Which platforms to use (shared by items, density, nearest). Codes: see geo.taxonomy."""

    def __init__(self, params: dict[str, object], zones: tuple[str, ...] = ()) -> None:
        self.params = params
        self.zones = zones

    def filter(self) -> PlatformFilter:
        """The :class:`geo.filters.PlatformFilter`, zones included (FilterError on unknown codes;
        zone ids are checked against the layers by ``flt.check_zones``, see ServiceData)."""
        return PlatformFilter.from_params(**self.params, zone=self.zones)

    def describe(self) -> dict[str, object]:
        """The filter as given, for echoing in responses."""
        out = {k: v for k, v in self.params.items() if v not in (None, "")}
        if self.zones:
            out["zone"] = ",".join(self.zones)
        return out


def _either(name: str, value: str | None, alias: str, old: str | None) -> str | None:
    """The value of a property-named parameter or of its short alias (not both)."""
    if value is not None and old is not None:
        raise BadParameterError(
            f"{alias} is an alias of {name}: give one of them, not both", param=alias
        )
    return value if value is not None else old


async def platform_query(
    *,
    type: Annotated[
        str | None,
        Query(description=f"Platform type code. {_CSV}", examples=["public_technology"]),
    ] = None,
    sub_kind: Annotated[
        str | None, Query(description=f"Sub-kind code. {_CSV}", examples=["incubator"])
    ] = None,
    fields: Annotated[
        str | None,
        Query(
            description=f"Field code (any of the platform's fields). {_CSV}",
            examples=["drug_rnd"],
        ),
    ] = None,
    field: Annotated[str | None, Query(description="Alias of `fields`.")] = None,
    level: Annotated[
        str | None, Query(description=f"Level code. {_CSV}", examples=["national"])
    ] = None,
    chain_stages: Annotated[
        str | None,
        Query(
            description=f"Service-chain stage code (any of the platform's stages). {_CSV}",
            examples=["basic_research"],
        ),
    ] = None,
    stage: Annotated[str | None, Query(description="Alias of `chain_stages`.")] = None,
    supporting_unit: Annotated[
        str | None, Query(description=f"Supporting unit code. {_CSV}", examples=["university"])
    ] = None,
    district_adcode: Annotated[
        str | None,
        Query(description=f"Administrative district adcode. {_CSV}"),
    ] = None,
    district: Annotated[str | None, Query(description="Alias of `district_adcode`.")] = None,
    managing_adcode: Annotated[
        str | None,
        Query(description=f"Managing district adcode (where a management area applies). {_CSV}"),
    ] = None,
    managing: Annotated[str | None, Query(description="Alias of `managing_adcode`.")] = None,
    zone: Annotated[
        str | None,
        Query(
            description=f"Zone id of a zone layer, or LAYER:ZONE_ID. {_CSV}",
            examples=["core-bio-island"],
        ),
    ] = None,
    established_max: Annotated[
        int | None,
        Query(
            ge=1900,
            le=2100,
            description="Established in or before this year (unknown years are kept).",
            examples=[2017],
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Substring of the Chinese/English name, host or address.",
            examples=["生物"],
        ),
    ] = None,
) -> PlatformQuery:
    """Dependency: the platform filter parameters (async, so no threadpool hop).

    The parameters are named like the feature properties they filter (``district_adcode``,
    ``fields``...), so GDAL sends ``-where "district_adcode='...'"`` to the server; the
    short names (``district``, ``field``, ``stage``, ``managing``) stay as aliases.
    """
    params = {
        "type": type,
        "sub_kind": sub_kind,
        "field": _either("fields", fields, "field", field),
        "level": level,
        "stage": _either("chain_stages", chain_stages, "stage", stage),
        "supporting_unit": supporting_unit,
        "district": _either("district_adcode", district_adcode, "district", district),
        "managing": _either("managing_adcode", managing_adcode, "managing", managing),
        "established_max": established_max,
        "q": q,
    }
    zones = tuple(z.strip() for z in (zone or "").split(",") if z.strip())
    return PlatformQuery(params, zones)


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """Parse ``minLon,minLat,maxLon,maxLat`` (6 numbers: the heights are ignored).

    Raises
    ------
    BadParameterError
        Naming ``bbox`` and saying what is wrong; never lets a ``float()`` error through.
    """
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (4, 6):
        raise BadParameterError(
            f"bbox needs 4 numbers (minLon,minLat,maxLon,maxLat) or 6, got {len(parts)}",
            param="bbox",
        )
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise BadParameterError(
            f"bbox values must be numbers, got {text!r}", param="bbox"
        ) from None
    if not all(math.isfinite(v) for v in nums):
        raise BadParameterError("bbox values must be finite numbers", param="bbox")
    x0, y0, x1, y1 = (nums[0], nums[1], nums[3], nums[4]) if len(nums) == 6 else nums
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise BadParameterError("bbox is outside lon -180..180, lat -90..90", param="bbox")
    if x0 > x1 or y0 > y1:
        raise BadParameterError(
            "bbox is inverted: minLon must be <= maxLon and minLat <= maxLat "
            "(boxes across the antimeridian are not supported)",
            param="bbox",
        )
    return x0, y0, x1, y1


def parse_datetime(text: str | None) -> tuple[np.datetime64 | None, np.datetime64 | None] | None:
    """Parse ``datetime`` (OGC API - Features Part 1): an instant or an interval, open with
    ``..`` or an empty end: ``2019-05-01``, ``2015-01-01/2020-12-31``, ``../2020-01-01``,
    ``2019-01-01T00:00:00Z/..``. Returns (start, end) in UTC; an instant is both.

    Raises
    ------
    BadParameterError
        Naming ``datetime`` and the form it needs.
    """
    if text is None:
        return None
    parts = text.split("/")
    if len(parts) > 2:
        raise BadParameterError(
            f"datetime {text!r} has more than one '/'; give an instant or START/END",
            param="datetime",
        )
    bounds = [_instant(p.strip(), text) for p in parts]
    start, end = bounds[0], bounds[-1]
    if start is None and end is None and len(parts) == 1:
        raise BadParameterError("datetime is empty; give an instant or START/END", param="datetime")
    if start is not None and end is not None and start > end:
        raise BadParameterError(f"datetime {text!r} ends before it starts", param="datetime")
    return start, end


def _instant(part: str, text: str) -> np.datetime64 | None:
    if part in ("", ".."):
        return None
    part = part.removesuffix("T")  # GDAL's OAPIF driver sends dates as 2020-01-01T
    ok = len(part) >= 10 and part[4] == "-" and part[7] == "-"
    try:
        stamp = pd.Timestamp(part) if ok else None
    except ValueError:
        stamp = None
    if stamp is None or pd.isna(stamp):
        raise BadParameterError(
            f"datetime {text!r}: {part!r} is not an RFC 3339 date or date-time (2019-05-01, "
            "2019-05-01T08:00:00Z); open ends are '..'",
            param="datetime",
        )
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return np.datetime64(stamp.to_pydatetime(), "s")


def output_system(crs: str | None) -> OutputSystem:
    """``crs`` parameter -> the coordinate system features are written in."""
    return "gcj02" if crs == "gcj02" else "wgs84"


def content_crs(system: OutputSystem) -> dict[str, str]:
    """The ``Content-Crs`` header (OGC API - Features Part 2) for CRS84 output."""
    return {"Content-Crs": f"<{CRS84}>"} if system == "wgs84" else {"X-Coordinate-System": "gcj02"}


def base_url(request: Request) -> str:
    """Base URL for links: ``BIOMAP_PUBLIC_URL`` or the one the client used."""
    configured = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


def self_url(request: Request, **replace: object) -> str:
    """This request's URL with some query parameters replaced (``None`` removes one)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in replace]
    params += [(k, str(v)) for k, v in replace.items() if v is not None]
    query = urlencode(params)
    return base_url(request) + request.url.path + (f"?{query}" if query else "")


# Cached on the route object itself: a table keyed by id(route) goes stale when an app and its
# routes are collected and the ids are reused by another app's routes.
_ALLOWED_ATTR = "_biomap_query_names"


async def reject_unknown_params(request: Request) -> None:
    """Dependency: 400 for query parameters the endpoint does not define (unless ignored),
    and for a single-valued parameter given twice (``limit=1&limit=2``: which one?)."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    names = getattr(route, _ALLOWED_ATTR, None)
    if names is None:
        names = _query_names(route.dependant)
        setattr(route, _ALLOWED_ATTR, names)
    allowed, lists = names
    given = [k for k, _ in request.query_params.multi_items()]
    repeated = sorted({k for k in given if given.count(k) > 1 and k in allowed and k not in lists})
    if repeated:
        raise BadParameterError(
            f"query parameter {repeated[0]} is given {given.count(repeated[0])} times; it takes "
            "one value (use commas for several codes)",
            param=repeated[0],
        )
    if request.app.state.settings.unknown_params == "ignore":
        return
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        accepted = ", ".join(sorted(allowed)) or "none"
        raise BadParameterError(
            f"unknown query parameter(s) {', '.join(unknown)}; this endpoint accepts: {accepted}",
            param=unknown[0],
        )


def _query_names(dependant: Dependant) -> tuple[frozenset[str], frozenset[str]]:
    """The query parameters of a route and its dependencies, and which of them are lists."""
    params = list(dependant.query_params)
    stack = list(dependant.dependencies)
    while stack:
        sub = stack.pop()
        params += sub.query_params
        stack += sub.dependencies
    lists = {p.alias for p in params if field_annotation_is_sequence(p.field_info.annotation)}
    return frozenset(p.alias for p in params), frozenset(lists)
