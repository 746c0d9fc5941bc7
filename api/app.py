"""The FastAPI application factory.

``create_app(settings)`` builds the app; the lifespan loads boundaries, zone layers and the
registry once into ``app.state``. Run it with ``biomap serve`` or
``uvicorn api.app:create_app --factory``. Nothing is built at import time.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import geopandas as gpd
from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline
from starlette.middleware.gzip import GZipMiddleware

import geo
from api.auth import TokenCache, read_access
from api.data import ServiceData
from api.errors import PROBLEM_JSON, HeadMiddleware, RequestIdMiddleware, install_error_handlers
from api.heavy import HeavyWork
from api.live import LiveRegistry
from api.models import Problem
from api.params import reject_unknown_params
from api.rawcache import ResponseCacheMiddleware
from api.routes import (
    analytics,
    collections,
    edit,
    health,
    landing,
    locate,
    maps,
    nearest,
    stats,
)
from api.routes import (
    app as web_app,
)
from api.settings import Settings
from geo.cities import read_profile
from geo.errors import BiomapError

log = logging.getLogger("biomap.api")

DESCRIPTION = """\
生物医药科技创新服务平台:OGC API - Features(平台与各区域图层)、按区域的密度统计、点位查询、
最近平台与地图。 OGC API - Features for a city's biomedical innovation service platforms and
zone layers, density by zone, locate, nearest platforms, and maps (the city: `BIOMAP_CITY`).

Coordinates are WGS84 lon/lat (CRS84); `crs=gcj02` opts in to GCJ-02 output for Amap front ends.
Errors are RFC 9457 problem+json; unknown query parameters are rejected with 400 (configurable).
Zone layers marked provisional are reconstructions, not official boundaries; some of their zones
have no geometry and receive no platforms.
"""


def create_app(
    settings: Settings | None = None, *, platforms: gpd.GeoDataFrame | None = None
) -> FastAPI:
    """Build the biomap API.

    Parameters
    ----------
    settings
        Configuration; read from ``BIOMAP_*`` environment variables when ``None``.
    platforms
        A registry frame to serve instead of the store's (benchmarks, tests).

    Returns
    -------
    fastapi.FastAPI
        The app; its lifespan loads the data into ``app.state.data``.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        data = ServiceData(settings, platforms=platforms)
        gc.collect()
        gc.freeze()  # the startup data (city, layers) stays: keep it out of later GC passes
        app.state.data = data
        app.state.generation = 0
        app.state.health = health.health_body(
            data.platform_count, list(data.collections), data.loaded_at
        )
        log.info(
            "biomap API: %d platforms%s, collections %s",
            data.platform_count,
            " (direct mode: not loaded, served from SQL)" if data.direct else "",
            list(data.collections),
        )
        app.state.live = live = LiveRegistry(
            app, poll_s=settings.reload_poll_s, coalesce_s=settings.reload_coalesce_s
        )
        app.state.heavy = heavy = HeavyWork(
            workers=settings.heavy_workers, queue=settings.heavy_queue
        )
        live.start()
        _preload_classifier()
        try:
            yield
        finally:
            live.stop()
            heavy.close()
            app.state.data.store.close()  # the PostGIS pool; nothing for the file store

    app = FastAPIOffline(
        title="biomap API",
        version=geo.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(read_access), Depends(reject_unknown_params)],
        static_url="/static/docs",
    )
    app.state.settings = settings
    app.state.token_cache = TokenCache()
    install_error_handlers(app)
    for module in (
        landing,
        web_app,
        collections,
        edit,
        stats,
        analytics,
        locate,
        nearest,
        maps,
        health,
    ):
        app.include_router(module.router)
    app.add_middleware(GZipMiddleware, minimum_size=settings.gzip_min_size, compresslevel=6)
    app.add_middleware(
        ResponseCacheMiddleware,
        prefixes=("/stats/", "/collections/"),
        max_entries=settings.response_cache_entries,
        max_bytes=settings.response_cache_bytes,
    )
    app.add_middleware(RequestIdMiddleware)  # every answer, cached or not, gets an id
    app.add_middleware(HeadMiddleware)  # outermost: HEAD is a GET whose body is dropped
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _preload_classifier() -> None:
    """Import the choropleth classifier (mapclassify, seconds to import) in the background, so
    the first map view a browser asks for (``/app/view``) does not wait for it."""
    import importlib
    import threading

    threading.Thread(
        target=importlib.import_module, args=("mapclassify",), name="preload", daemon=True
    ).start()


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema with 422 replaced by the problem+json 400/404 this API really sends."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    problem = {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for path, ops in schema.get("paths", {}).items():
        for op in ops.values():
            responses = op.setdefault("responses", {})
            responses.pop("422", None)
            # Unknown query parameters are a 400 on every endpoint, with or without parameters.
            responses["400"] = {"description": "Invalid parameter", **problem}
            if "{" in path:
                responses["404"] = {"description": "No such resource", **problem}
            responses["default"] = {"description": "Error (problem details)", **problem}
    _add_city_examples(app, schema)
    app.openapi_schema = schema
    return schema


def _add_city_examples(app: FastAPI, schema: dict[str, Any]) -> None:
    """Examples of ``lon``, ``lat`` and ``bbox`` at the city's map centre (from its profile)."""
    data = getattr(app.state, "data", None)
    if data is not None:
        profile = data.city.profile
    else:  # the schema asked for before the lifespan ran: the profile alone is cheap to read
        try:
            profile = read_profile(app.state.settings.city)
        except BiomapError:
            return  # the app will not start anyway; the lifespan reports why
    lat, lon = profile.map.center
    box = ",".join(f"{v:.2f}" for v in (lon - 0.1, lat - 0.1, lon + 0.1, lat + 0.1))
    examples: dict[str, object] = {"lon": round(lon, 3), "lat": round(lat, 3), "bbox": box}
    for ops in schema.get("paths", {}).values():
        for op in ops.values():
            for param in op.get("parameters", []):
                if param.get("in") == "query" and param.get("name") in examples:
                    param.setdefault("schema", {})["examples"] = [examples[param["name"]]]


def run(*, overrides: dict[str, str | None] | None = None, **config: Any) -> None:
    """Serve with uvicorn (``biomap serve``); ``config`` goes to :func:`uvicorn.run`.

    Worker processes build their own app from ``BIOMAP_*`` (uvicorn's factory takes no
    arguments), so command-line ``overrides`` (city, store) are exported to the environment
    first; the web layer owns that, the library never reads the environment.
    """
    import os

    import uvicorn

    os.environ.update({f"BIOMAP_{k.upper()}": v for k, v in (overrides or {}).items() if v})
    uvicorn.run("api.app:create_app", factory=True, **config)
