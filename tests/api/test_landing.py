"""Landing page (JSON and HTML, zh/en), conformance, OpenAPI, docs, health."""

from __future__ import annotations

import pytest


def test_landing_json_links_everything(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    rels = {link["rel"] for link in r.json()["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= rels
    assert r.headers["etag"]
    assert r.headers["cache-control"] == "public, no-cache"  # editable data: revalidate by ETag


@pytest.mark.parametrize(
    ("query", "headers", "marker"),
    [
        ("?f=html", {}, "行政区"),
        ("?f=html", {"Accept": "text/html,application/xhtml+xml"}, "广州市生物医药"),
        ("?f=html&lang=en", {}, "Density by district"),
    ],
)
def test_landing_html_for_people(client, shipped_layers, query, headers, marker):
    r = client.get("/" + query, headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert marker in html
    for layer in shipped_layers:  # one density link per zone layer the city has
        assert f"/stats/density?layer={layer}&amp;f=csv" in html
    for target in (
        "/maps",
        "/stats/density?layer=districts",
        "/collections/platforms/items",
        "/docs",
        "/app?lang=",
    ):
        assert target in html


def test_conformance_lists_core_and_geojson(client):
    r = client.get("/conformance")
    assert r.status_code == 200
    classes = r.json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in classes


def test_conformance_declares_filters_and_schemas(client):
    classes = set(client.get("/conformance").json()["conformsTo"])
    part3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
    cql2 = "http://www.opengis.net/spec/cql2/1.0/conf/"
    assert {part3 + c for c in ("queryables", "filter", "features-filter")} <= classes
    assert {cql2 + c for c in ("cql2-text", "cql2-json", "basic-cql2")} <= classes
    assert cql2 + "basic-spatial-functions" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas" in classes
    # not every queryable has a query parameter of its own
    assert part3 + "queryables-query-parameters" not in classes


def test_openapi_documents_problem_errors_not_422(client):
    spec = client.get("/openapi.json").json()
    items = spec["paths"]["/collections/{collectionId}/items"]["get"]
    assert "422" not in items["responses"]
    assert "application/problem+json" in items["responses"]["400"]["content"]
    assert "application/geo+json" in items["responses"]["200"]["content"]
    names = {p["name"] for p in items["parameters"]}
    assert {
        "limit",
        "offset",
        "bbox",
        "bbox-crs",
        "crs",
        "type",
        "field",
        "district",
        "zone",
    } <= names
    assert all(p.get("description") for p in items["parameters"])


def test_docs_are_served_without_a_cdn(client):
    r = client.get("/docs")
    assert r.status_code == 200
    assert "cdn" not in r.text.lower()
    js = client.get("/static/docs/swagger-ui-bundle.js")
    assert js.status_code == 200
    assert len(js.content) > 100_000


def test_healthz(client, registry):
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["platforms"] == len(registry)
    assert r.headers["cache-control"] == "no-store"
