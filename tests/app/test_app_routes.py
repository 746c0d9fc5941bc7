"""The web app's routes: who gets the app at ``/``, and the JSON it reads (no browser here)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as c:
        yield c


def test_a_browser_opening_the_service_gets_the_app(client):
    r = client.get("/", headers=BROWSER)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert 'id="biomap-app-config"' in html
    assert '<html lang="zh-CN">' in html
    assert "/app/assets/app.js" in html
    # offline: every script and stylesheet comes from this server
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith("/"), url
    assert client.get("/?lang=en", headers=BROWSER).text.startswith(
        '<!doctype html><html lang="en">'
    )
    assert client.get("/app").text == html


@pytest.mark.parametrize(
    ("query", "headers", "kind"),
    [
        ("?f=html", BROWSER, "landing"),
        ("?f=json", BROWSER, "json"),
        ("", {"Accept": "application/json"}, "json"),
        ("", {"Accept": "application/geo+json, text/html;q=0.5"}, "json"),
        ("", {}, "json"),  # GDAL, QGIS, curl
    ],
)
def test_landing_html_and_json_stay(client, query, headers, kind):
    r = client.get("/" + query, headers=headers)
    assert r.status_code == 200
    if kind == "json":
        assert r.headers["content-type"] == "application/json"
        assert {link["rel"] for link in r.json()["links"]} >= {"self", "conformance", "data"}
    else:
        assert "biomap-app-config" not in r.text
        assert 'href="http://testserver/app?lang=zh"' in r.text  # the landing page links the app


def test_points_payload_has_every_platform_and_its_filter_columns(client):
    body = client.get("/app/points.json").json()
    total = client.get("/collections/platforms/items?limit=1").json()["numberMatched"]
    assert body["n"] == total == len(body["x"]) == len(body["y"])
    ids = body["columns"]["id"]
    ids = ids["v"] if "v" in ids else [ids["d"][i] for i in ids["i"]]
    assert len(set(ids)) == total
    assert set(body["zones"]) == {"zones363", "value_parks", "gba_pharma_zone"}
    first = client.get(f"/collections/platforms/items/{ids[0]}").json()
    lon = body["x0"] + body["x"][0] / body["scale"]
    assert lon == pytest.approx(first["geometry"]["coordinates"][0], abs=1e-5)


@pytest.mark.parametrize(
    "query", ["", "type=basic_condition", "level=national&district_adcode=440106", "q=大学"]
)
def test_view_counts_and_classes_match_density(client, query):
    view = client.get(f"/app/view?layer=districts&metric=per_km2&{query}").json()
    density = client.get(f"/stats/density?layer=districts&{query}").json()
    assert view["count"] == density["totals"]["count"]
    assert set(view["classes"]["fill"]) == {z["zone_id"] for z in density["zones"]}
    assert f"{view['count']} 个" in view["subtitle"]
    if query.startswith("type"):
        assert "筛选：类型: 基础条件服务平台" in view["subtitle"]
    assert len(view["classes"]["colors"]) == len(view["classes"]["labels"]) <= 5


def test_view_without_classes_keeps_title_and_counts(client):
    full = client.get("/app/view?layer=zones363&metric=per_km2&type=basic_condition").json()
    short = client.get(
        "/app/view?layer=zones363&metric=per_km2&type=basic_condition&classes=false"
    ).json()
    assert "classes" not in short
    assert short == {k: v for k, v in full.items() if k != "classes"}


def test_the_page_carries_each_layers_density_denominators(client):
    """What the app computes density from: the figures /stats/density divides by."""
    html = client.get("/", headers=BROWSER).text
    config = json.loads(re.search(r'id="biomap-app-config">(.*?)</script>', html).group(1))
    assert set(config["density"]) == {"districts", "zones363", "value_parks", "gba_pharma_zone"}
    for layer, bases in config["density"].items():
        density = client.get(f"/stats/density?layer={layer}").json()
        zones = density["zones"]
        assert bases["zone_id"] == [z["zone_id"] for z in zones]
        assert bases["area_km2"] == [z["area_km2"] for z in zones]
        assert bases["population"] == [z["population"] for z in zones]
        assert bases["total_area_km2"] == density["totals"]["area_km2"]
        # the unrounded area gives the server's rate exactly
        for z, area in zip(zones, bases["area"], strict=True):
            assert z["per_km2"] == (None if area is None else z["count"] / area)
    assert config["classes"]["sequential"]["5"][-1] == "#bd0026"


def test_view_rejects_unknown_layer_and_metric(client):
    assert client.get("/app/view?layer=nope").status_code == 400
    assert client.get("/app/view?metric=share").status_code == 400


def test_selection_geojson_is_every_matching_platform(client):
    r = client.get("/app/selection.geojson?type=public_technology")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geo+json"
    assert "attachment" in r.headers["content-disposition"]
    features = r.json()["features"]
    items = client.get("/collections/platforms/items?type=public_technology&limit=1").json()
    assert len(features) == items["numberMatched"] > 0
    assert {f["properties"]["type"] for f in features} == {"public_technology"}
    assert all("source" in f["properties"] for f in features)


def test_snapshot_pdf_lq_and_title(client):
    r = client.get("/maps/snapshot.pdf?metric=lq_area&dpi=40&download=true")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert r.headers["content-disposition"] == 'attachment; filename="biomap_districts_lq_area.pdf"'
    svg = client.get("/maps/snapshot.svg?title=Planning%20view%20A&lang=en").text
    assert "Planning view A" in svg  # SVG text is kept as comments beside the glyph outlines
    # "$" in a title or a search is text, not a matplotlib formula (which would fail to parse)
    r = client.get("/maps/snapshot.png?dpi=40&title=%24x%5E%7B&q=%24")
    assert r.status_code == 200, r.text


def test_app_assets_only_its_own_files(client):
    assert client.get("/app/assets/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/app/assets/app.css").status_code == 200
    assert client.get("/app/assets/..%2Fapp.py").status_code == 404
    assert client.get("/app/assets/nope.js").status_code == 404


def test_a_zone_filter_is_named_on_screen_and_in_the_snapshot(client):
    zones = client.get("/collections/zones363/items?limit=100").json()["features"]
    zone = next(z["properties"] for z in zones if z["id"] == "core-science-city")
    view = client.get("/app/view?zone=zones363:core-science-city&lang=en").json()
    assert f"zone: {zone['name_en']}" in view["subtitle"]
    assert view["count"] == zone["count"] > 0
    svg = client.get("/maps/snapshot.svg?zone=zones363:core-science-city&lang=en").text
    assert f"zone: {zone['name_en']}" in svg
