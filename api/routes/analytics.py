"""``/stats/chain`` and ``/stats/clustering``: service-chain gaps and clustering statistics.

Thin routes over :mod:`geo.stats.chain` and :mod:`geo.stats.clustering`: parse the query, make
one ``geo`` call off the event loop, serialise (cached per query in the service's LRU cache).
Clustering is checked against the server's work bounds first (400 naming the bound) and runs in
the heavy-work processes (:mod:`api.heavy`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.data import ServiceData
from api.params import DistrictBasisParam, LayerParam, PlatformQuery, platform_query
from api.responses import Prepared, send
from geo.errors import InsufficientDataError
from geo.stats.chain import chain_report
from geo.stats.clustering import METHODS, check_work, clustering_report
from geo.zones import get_layer

router = APIRouter(tags=["Statistics"])


class ChainResponse(BaseModel):
    """Zone x stage (or type, or type x stage) counts, the ranked gap list, unlocated zones."""

    layer: str
    dimension: str
    columns: list[dict[str, Any]]
    zones: list[dict[str, Any]]
    city: dict[str, int]
    total: int
    rank_by: str
    gaps: list[dict[str, Any]]
    unlocated_zones: list[str]
    filter: dict[str, Any]
    district_basis: str
    note: str


class ClusteringResponse(BaseModel):
    """One entry per statistic computed, plus ``problems`` for those with too few points."""

    model_config = {"extra": "allow"}
    problems: dict[str, str]


class ChainQuery:
    """Options of ``/stats/chain``."""

    def __init__(
        self,
        layer: LayerParam = "districts",
        dimension: Annotated[
            Literal["stage", "type", "type_stage"],
            Query(description="Matrix columns: chain stage, platform type, or type x stage."),
        ] = "stage",
        rank_by: Annotated[
            Literal["population", "count"],
            Query(description="Rank gaps by zone population (unknown last) or platform count."),
        ] = "population",
        district_basis: DistrictBasisParam = "administrative",
    ) -> None:
        self.layer = layer
        self.options = {
            "dimension": dimension,
            "rank_by": rank_by,
            "district_basis": district_basis,
        }


class ClusteringQuery:
    """Options of ``/stats/clustering`` (bounded, so one request cannot run for minutes)."""

    def __init__(
        self,
        *,
        method: Annotated[
            Literal["all", "ann", "ripley", "kde", "hotspots"],
            Query(
                description="Average Nearest Neighbor (ann), Ripley's L (ripley), Kernel "
                "Density (kde), Hot Spot Analysis Gi* on H3 hexagons (hotspots), or all."
            ),
        ] = "all",
        simulations: Annotated[
            int, Query(ge=0, le=999, description="Ripley CSR simulations.")
        ] = 99,
        seed: Annotated[int, Query(ge=0, description="Seed of simulations and permutations.")] = 0,
        bandwidth_m: Annotated[
            float | None,
            Query(ge=1, le=50_000, description="KDE bandwidth in metres (default: ArcGIS rule)."),
        ] = None,
        cell_m: Annotated[float, Query(ge=250, le=10_000, description="KDE cell size, m.")] = 1000,
        resolution: Annotated[int, Query(ge=5, le=9, description="H3 resolution of the bins.")] = 7,
        permutations: Annotated[int, Query(ge=0, le=999, description="Gi* permutations.")] = 999,
        geometry: Annotated[
            bool, Query(description="Include the KDE cells and hexagons as GeoJSON (for maps).")
        ] = False,
        sites: Annotated[
            bool,
            Query(
                description="Compute on distinct sites (platforms sharing a point count once) "
                "instead of platforms; `points` in the answer says how many coincide."
            ),
        ] = False,
    ) -> None:
        self.method = method
        self.methods = METHODS if method == "all" else (method,)
        self.options = {
            "n_simulations": simulations, "seed": seed, "bandwidth_m": bandwidth_m,
            "cell_m": cell_m, "resolution": resolution, "permutations": permutations,
            "with_geometry": geometry, "sites": sites,
        }  # fmt: skip


@router.get(
    "/stats/chain",
    summary="Service-chain coverage and gaps by zone",
    response_class=JSONResponse,
    responses={200: {"model": ChainResponse}},
)
async def chain(
    request: Request,
    platforms: Annotated[PlatformQuery, Depends(platform_query)],
    query: Annotated[ChainQuery, Depends()],
) -> Response:
    """Counts per zone and stage (a platform serving several stages counts in each), and the
    absent stages of every located zone, most populous (or platform-rich) zone first. Zones with
    no geometry (location unknown) are listed in ``unlocated_zones``, never as gaps."""
    data: ServiceData = request.app.state.data
    flt = platforms.filter()
    zone_layer = get_layer(data.layers, query.layer)
    key = ("stats-chain", query.layer, flt, tuple(query.options.items()))
    prepared = data.cache.get(key)
    if prepared is None:
        body = await run_in_threadpool(
            lambda: chain_report(
                data.platforms[data.platform_mask(flt)],
                zone_layer,
                city=data.city,
                **query.options,
            )
        )
        prepared = Prepared.json(body | {"filter": platforms.describe()})
        data.cache.put(key, prepared)
    return send(request, prepared, max_age=request.app.state.settings.cache_max_age)


@router.get(
    "/stats/clustering",
    summary="Clustering statistics (ANN, Ripley's L, kernel density, Gi* hot spots)",
    response_class=JSONResponse,
    responses={200: {"model": ClusteringResponse}},
)
async def clustering(
    request: Request,
    platforms: Annotated[PlatformQuery, Depends(platform_query)],
    query: Annotated[ClusteringQuery, Depends()],
) -> Response:
    """Statistics over the city polygon in metres (the city's projected CRS). A statistic the
    selection has too few points for is listed under ``problems``; asking for that one alone is
    a 422 (:class:`geo.errors.InsufficientDataError`)."""
    data: ServiceData = request.app.state.data
    flt = platforms.filter()
    key = ("stats-clustering", flt, query.methods, tuple(query.options.items()))
    prepared = data.cache.get(key)
    if prepared is None:
        points = data.platforms.geometry[data.platform_mask(flt)]
        check_work(query.methods, n_points=len(points), area_km2=data.window_km2, **query.options)
        body = await request.app.state.heavy.run(
            _clustering, data.city, points, query.methods, query.options
        )
        if query.method != "all" and body["problems"]:
            raise InsufficientDataError(body["problems"][query.method])
        prepared = Prepared.json(body | {"filter": platforms.describe()})
        data.cache.put(key, prepared)
    return send(request, prepared, max_age=request.app.state.settings.cache_max_age)


_worker_cities: dict[bytes, Any] = {}


def _clustering(city: Any, points: Any, methods: tuple[str, ...], options: dict[str, Any]) -> Any:
    """:func:`clustering_report` in a heavy-work process, keeping each city's outline loaded."""
    import pickle

    key = pickle.dumps(city.profile)
    city = _worker_cities.setdefault(key, city)
    return clustering_report(points, methods, city=city, **options)
