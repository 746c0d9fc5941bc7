"""``/locate``: which district (administrative and managing) and zones a point is in."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from api.data import ServiceData
from api.errors import BadParameterError
from api.models import LocateResponse
from api.params import InputCrs, Lat, Lon
from api.responses import Prepared, send
from geo.crs import VALID_BOUNDS, WGS84, check_valid, to_wgs84
from geo.errors import CoordinateError
from geo.zones.assign import assign_platforms

router = APIRouter(tags=["Points"])


@router.get(
    "/locate",
    summary="Which district and zones a point is in",
    response_class=JSONResponse,
    responses={200: {"model": LocateResponse}},
)
async def locate(request: Request, lon: Lon, lat: Lat, crs: InputCrs = "wgs84") -> Response:
    """Converts the point to WGS84 (GCJ-02/BD-09 input from Amap/Baidu), then assigns it like
    a platform: administrative district, managing district (where a management area of the
    city profile applies, e.g. Guangzhou's Bio-Island: Huangpu) and the zone of every zone layer
    (null where none covers it). A point outside the range of its system (GCJ-02 and BD-09
    exist only in China) is a 400; a valid point outside the city is answered with
    ``inside_city`` false and no district."""
    data: ServiceData = request.app.state.data
    try:
        check_valid(lon, lat, crs)
    except CoordinateError as exc:
        raise BadParameterError(str(exc), param="lon" if not _lon_ok(lon, crs) else "lat") from None
    x, y = to_wgs84(lon, lat, crs)
    point = gpd.GeoDataFrame(geometry=[shapely.Point(float(x), float(y))], crs=WGS84)
    assigned, _ = assign_platforms(point, data.city, data.layers)
    row = assigned.iloc[0]
    district = _ref(data, "districts", row["district_adcode"])
    zones = {
        name: _ref(data, name, row[f"zone_{name}"]) for name in data.layers if name != "districts"
    }
    body = {
        "input": {"lon": lon, "lat": lat, "crs": crs},
        "wgs84": {"lon": round(float(x), 7), "lat": round(float(y), 7)},
        "inside_city": district is not None,
        "district": district,
        "managing_district": _ref(data, "districts", row["managing_adcode"]),
        "zones": zones,
        "notes": _notes(data, district, zones),
    }
    return send(request, Prepared.json(body), max_age=request.app.state.settings.cache_max_age)


def _lon_ok(lon: float, crs: str) -> bool:
    x0, _, x1, _ = VALID_BOUNDS[crs]
    return x0 <= lon <= x1


def _ref(data: ServiceData, layer: str, zone_id: object) -> dict[str, str | None] | None:
    if pd.isna(zone_id):
        return None
    zones = data.layers[layer].zones
    hit = zones[zones["zone_id"] == zone_id].iloc[0]
    return {"zone_id": str(zone_id), "name_zh": hit["name_zh"], "name_en": hit["name_en"]}


def _notes(data: ServiceData, district: object, zones: dict[str, object]) -> list[str]:
    notes = []
    if district is None:
        notes.append(f"outside {data.city.name('en')}'s districts: no district or zone applies")
    for name in zones:
        layer = data.layers[name]
        if layer.provisional:
            unlocated = len(layer.zones) - len(layer.located)
            notes.append(
                f"{name} is provisional/approximate; {unlocated} of its {len(layer.zones)} zones "
                "have no geometry (location unknown) and can never be returned"
            )
    return notes
