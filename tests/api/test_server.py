"""One real server: `biomap serve` (uvicorn) on 127.0.0.1, a free port; HTTP and GDAL clients.

The server runs with BIOMAP_MAX_LIMIT=25 so that GDAL's OAPIF driver, which asks for
``limit=1000``, is clamped and must follow ``next`` links to read every feature.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pyogrio
import pytest

from tests.servers import ROOT, serving

from .conftest import SHIPPED_LAYERS

MAX_LIMIT = 25


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # The shipped city and store, named explicitly: the options reach the workers.
    with serving(
        tmp_path_factory.mktemp("serve"),
        "--city",
        str(ROOT / "data" / "cities" / "guangzhou.toml"),
        "--store",
        str(ROOT / "data" / "platforms.geojson"),
        env={"BIOMAP_MAX_LIMIT": str(MAX_LIMIT)},
    ) as running:
        yield running.url


def test_served_over_http_with_keepalive_and_gzip(server, registry):
    with httpx.Client(base_url=server, headers={"Accept-Encoding": "gzip"}) as http:
        assert http.get("/healthz").json()["platforms"] == len(registry)
        r = http.get("/collections/platforms/items", params={"limit": 1000})
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/geo+json"
        assert r.headers["content-encoding"] == "gzip"
        body = r.json()
        assert body["numberReturned"] == min(MAX_LIMIT, len(registry))  # clamped, not rejected
        assert body["numberMatched"] == len(registry)
        bad = http.get("/collections/platforms/items", params={"bbox": "1,2,x,4"})
        assert bad.status_code == 400
        assert bad.headers["content-type"] == "application/problem+json"


def _oapif(server: str) -> str:
    return f"OAPIF:{server}"


def test_gdal_lists_every_collection(server, shipped_layers):
    assert "OAPIF" in pyogrio.list_drivers()
    names = [name for name, _ in pyogrio.list_layers(_oapif(server))]
    assert names == ["platforms", *shipped_layers]


def test_gdal_reads_every_platform(server, registry):
    gdf = pyogrio.read_dataframe(_oapif(server), layer="platforms")
    assert len(gdf) == len(registry) > MAX_LIMIT  # several pages, followed through `next`
    assert sorted(gdf["id"]) == sorted(registry["id"])
    assert gdf.crs.equals("OGC:CRS84")
    got = gdf.set_index("id").geometry
    want = registry.set_index("id").geometry
    assert (got.x - want.x[got.index]).abs().max() < 1e-6
    assert (got.y - want.y[got.index]).abs().max() < 1e-6


@pytest.mark.parametrize("layer", SHIPPED_LAYERS)
def test_gdal_reads_zone_layers_with_their_density_figures(server, shipped_layers, layer):
    gdf = pyogrio.read_dataframe(_oapif(server), layer=layer)
    zones = shipped_layers[layer].zones
    assert sorted(gdf["zone_id"]) == sorted(zones["zone_id"])
    assert {"count", "per_km2", "lq_area"} <= set(gdf.columns)
