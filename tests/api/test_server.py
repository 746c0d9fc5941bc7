"""One real server: `biomap serve` (uvicorn) on 127.0.0.1, a free port; HTTP and GDAL clients.

Two GDALs read it: pyogrio's bundled one, and the system's ``ogrinfo`` (Debian 12: GDAL 3.6,
installed by scripts/setup.sh) where present. The server runs with BIOMAP_MAX_LIMIT=25 so that GDAL's OAPIF driver, which asks for
``limit=1000``, is clamped and must follow ``next`` links to read every feature.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator

import httpx
import pyogrio
import pytest

from tests.servers import ROOT, Server, serving

from .conftest import SHIPPED_LAYERS

MAX_LIMIT = 25


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # The shipped city and store, named explicitly: the options reach the workers. The access
    # log (--log-level info) shows which requests the GDAL clients sent.
    with serving(
        tmp_path_factory.mktemp("serve"),
        "--city",
        str(ROOT / "data" / "cities" / "guangzhou.toml"),
        "--store",
        str(ROOT / "data" / "platforms.geojson"),
        "--log-level",
        "info",
        env={"BIOMAP_MAX_LIMIT": str(MAX_LIMIT)},
    ) as running:
        yield running


@pytest.fixture(scope="module")
def server(served: Server) -> str:
    return served.url


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


OGR_TYPES = {"int32": "Integer", "int64": "Integer64", "float64": "Real", "object": "String"}
OGR_TYPES |= {"list(str)": "StringList", "datetime64[D]": "Date", "bool": "Integer(Boolean)"}
OGRINFO = shutil.which("ogrinfo")


def _pyogrio_types(server: str, layer: str) -> dict[str, str]:
    info = pyogrio.read_info(_oapif(server), layer=layer)
    return {
        name: OGR_TYPES.get(t, t) for name, t in zip(info["fields"], info["dtypes"], strict=True)
    }


def _ogrinfo() -> str:
    """Debian's ``ogrinfo`` (the second GDAL client); a missing one fails, never skips."""
    if OGRINFO is None:
        pytest.fail("ogrinfo is not installed (Debian's gdal-bin): run scripts/setup.sh")
    return OGRINFO


def _ogrinfo_types(server: str, layer: str) -> dict[str, str]:
    out = subprocess.run(
        [_ogrinfo(), "-ro", "-so", _oapif(server), layer],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    return dict(re.findall(r"^(\w+): (\S+) \(", out, flags=re.MULTILINE))


def _ogrinfo_version() -> str:
    if OGRINFO is None:
        return "absent"
    out = subprocess.run([OGRINFO, "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split(",")[0]


GDAL_CLIENTS = [
    pytest.param(_pyogrio_types, id=f"pyogrio-gdal-{pyogrio.__gdal_version_string__}"),
    pytest.param(_ogrinfo_types, id=f"ogrinfo-{_ogrinfo_version().removeprefix('GDAL ')}"),
]


@pytest.mark.parametrize("types_of", GDAL_CLIENTS)
def test_gdal_reads_the_published_field_types(server, types_of):
    platforms = types_of(server, "platforms")
    assert platforms["established"] == "Integer"  # the API writes 2023, not 2023.0
    assert platforms["coord_uncertainty_m"] == "Real"
    assert platforms["fields"] == platforms["chain_stages"] == "StringList"
    assert list(platforms).count("id") == 1
    zones = types_of(server, "zones363")
    # null in every zone of this layer: typed from the schema, not guessed as String
    assert zones["population"] == zones["per_100k"] == zones["lq_population"] == "Real"
    assert zones["count"] == zones["rank"] == "Integer"
    assert zones["compiled"] == "Date"
    districts = types_of(server, "districts")
    # every district has its 2020 census count: typed from the column as a whole number
    assert districts["population"] == districts["population_2020"] == "Integer"
    assert districts["per_100k"] == "Real"


@pytest.mark.parametrize("read", ["pyogrio", "ogrinfo"])
def test_gdal_sends_a_property_filter_to_the_server(served, registry, read):
    """``-where "district_adcode='440106'"`` is sent as ``?district_adcode=440106``."""
    where = "district_adcode='440106'"
    expected = sorted(registry["id"][registry["district_adcode"] == "440106"])
    before = served.log.read_text().count("district_adcode=440106")
    if read == "pyogrio":
        got = pyogrio.read_dataframe(_oapif(served.url), layer="platforms", where=where)["id"]
    else:
        out = subprocess.run(
            [_ogrinfo(), "-ro", "-q", _oapif(served.url), "platforms", "-where", where],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout  # fmt: skip
        got = re.findall(r"^  id \(String\) = (\S+)$", out, flags=re.MULTILINE)
    assert sorted(got) == expected
    assert served.log.read_text().count("district_adcode=440106") > before


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_head_over_http_matches_get(server, encoding):
    with httpx.Client(base_url=server, headers={"Accept-Encoding": encoding}) as http:
        for url in ("/healthz", "/collections/platforms/items?limit=5"):
            got, head = http.get(url), http.head(url)
            assert head.status_code == got.status_code == 200
            assert head.content == b""
            for name in ("content-length", "content-encoding", "etag", "content-type"):
                assert head.headers.get(name) == got.headers.get(name), (url, name)
