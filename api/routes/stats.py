"""``/stats/density``: platform density by zone (the question analysts ask), JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.data import DistrictBasis, ServiceData
from api.models import DensityResponse
from api.params import DistrictBasisParam, LayerParam, PlatformQuery, platform_query
from api.responses import CSV, Prepared, send
from geo.tabular import to_csv
from geo.zones import get_layer

router = APIRouter(tags=["Statistics"])


@router.get(
    "/stats/density",
    summary="Platform density by zone",
    response_class=JSONResponse,
    responses={200: {"model": DensityResponse, "content": {CSV: {"schema": {"type": "string"}}}}},
)
async def density(
    request: Request,
    *,
    platforms: Annotated[PlatformQuery, Depends(platform_query)],
    layer: LayerParam = "districts",
    f: Annotated[
        Literal["json", "csv"], Query(description="json or csv (UTF-8 with BOM).")
    ] = "json",
    district_basis: DistrictBasisParam = "administrative",
) -> Response:
    """Per zone: count, share, area (km²), count per km², population and count per 100k
    residents where known, location quotients by area and by population; plus totals and what
    each denominator is. Zones without geometry or population get nulls and a note."""
    data: ServiceData = request.app.state.data
    flt = platforms.filter()
    get_layer(data.layers, layer)  # unknown layer -> 400 before any work
    key = ("density-body", layer, flt, f, district_basis)
    prepared = data.cache.get(key)
    if prepared is None:
        prepared = await run_in_threadpool(_prepare, data, layer, platforms, f, district_basis)
        data.cache.put(key, prepared)
    headers = {}
    if f == "csv":
        headers["Content-Disposition"] = f'inline; filename="density_{layer}.csv"'
    return send(
        request, prepared, max_age=request.app.state.settings.cache_max_age, headers=headers
    )


def _prepare(
    data: ServiceData,
    layer_name: str,
    query: PlatformQuery,
    fmt: str,
    district_basis: DistrictBasis,
) -> Prepared:
    result = data.density(layer_name, query.filter(), district_basis)
    if fmt == "csv":
        return Prepared.of("\ufeff" + to_csv(result.table, lineterminator="\r\n"), CSV)
    layer = data.layers[layer_name]
    body = result.to_dict() | {
        "title_zh": layer.title_zh,
        "title_en": layer.title_en,
        "provisional": layer.provisional,
        "filter": query.describe(),
        "provenance": {
            **layer.provenance,
            "platforms": "biomap registry (per-record sources in /collections/platforms)",
            "population": "per-zone figure, status and source in /collections/"
            f"{layer_name}/items (population_2020, population_status, population_source) "
            "where the layer has them",
        },
    }
    return Prepared.json(body)
