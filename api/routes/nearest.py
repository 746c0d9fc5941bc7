"""``/platforms/nearest``: the nearest platforms offering a kind of service, in metres."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from api.data import ServiceData
from api.models import NearestResponse
from api.params import InputCrs, Lat, Lon, PlatformQuery, platform_query
from api.responses import Prepared, send
from geo.crs import to_wgs84
from geo.nearest import nearest_platforms

router = APIRouter(tags=["Points"])

_FIELDS = (
    "id", "name_zh", "name_en", "type", "sub_kind", "fields", "level", "host_zh",
    "address_zh", "district_adcode", "managing_adcode", "coord_precision", "coord_uncertainty_m",
)  # fmt: skip


@router.get(
    "/platforms/nearest",
    summary="Nearest platforms to a point",
    response_class=JSONResponse,
    responses={200: {"model": NearestResponse}},
)
async def nearest(
    request: Request,
    *,
    lon: Lon,
    lat: Lat,
    platforms: Annotated[PlatformQuery, Depends(platform_query)],
    crs: InputCrs = "wgs84",
    k: Annotated[int, Query(ge=1, le=100, description="How many platforms (at most).")] = 5,
    max_distance_m: Annotated[
        float | None, Query(gt=0, le=500_000, description="Leave out platforms farther than this.")
    ] = None,
) -> Response:
    """Supply-and-demand docking: the ``k`` platforms nearest to a point that match the filters
    (e.g. ``type``, ``field``, ``q``), with straight-line distances in metres, measured in the
    city's projected CRS (EPSG:4547 for Guangzhou).
    Platforms' own coordinates are approximate to ``coord_uncertainty_m``."""
    data: ServiceData = request.app.state.data
    x, y = to_wgs84(lon, lat, crs)
    flt = platforms.filter()
    flt.check_zones(data.layers)
    rows = nearest_platforms(
        data.platforms, float(x), float(y), city=data.city, k=k, filter=flt,
        max_distance_m=max_distance_m, index=data.nearest,
    )  # fmt: skip
    out = []
    for _, row in rows.iterrows():
        rec = {c: row[c] for c in _FIELDS if c in row.index}
        point = {"lon": float(row.geometry.x), "lat": float(row.geometry.y)}
        out.append(rec | {"distance_m": round(float(row["distance_m"]), 1)} | point)
    body = {
        "query": {"lon": lon, "lat": lat, "crs": crs, "k": k, "filter": platforms.describe(),
                  "max_distance_m": max_distance_m},
        "distance": f"straight-line, metres, in {data.city.metric_crs} "
        f"({data.city.profile.crs.metric_name})",
        "platforms": out,
    }  # fmt: skip
    return send(request, Prepared.json(body), max_age=request.app.state.settings.cache_max_age)
