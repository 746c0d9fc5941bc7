"""OGC API - Features Part 3: `filter` in CQL2 text and JSON, on platforms and zone layers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from tests.api.conftest import assert_problem

ITEMS = "/collections/platforms/items"


def _ids(client, filter: str, lang: str = "cql2-text", url: str = ITEMS) -> list[str]:
    r = client.get(url, params={"filter": filter, "filter-lang": lang, "limit": 1000})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["numberMatched"] == len(body["features"])
    return sorted(f["id"] for f in body["features"])


def _where(registry, keep) -> list[str]:
    return sorted(registry["id"][np.asarray(keep, dtype=bool)])


def _year(registry) -> pd.Series:
    return pd.to_numeric(registry["established"], errors="coerce")


def _has(registry, column: str, *codes: str) -> list[bool]:
    return [bool(set(codes) & set(v or ())) for v in registry[column]]


TEXT_CASES = [
    ("district_adcode = '440106'", lambda r: r["district_adcode"] == "440106"),
    ("district_adcode <> '440106'", lambda r: r["district_adcode"].notna() & (r["district_adcode"] != "440106")),
    ("established >= 2015", lambda r: _year(r) >= 2015),
    ("NOT (established >= 2015)", lambda r: _year(r) < 2015),  # unknown years: neither
    ("established IS NULL", lambda r: _year(r).isna()),
    ("established BETWEEN 2010 AND 2020", lambda r: _year(r).between(2010, 2020)),
    ("type IN ('public_technology', 'basic_condition')", lambda r: r["type"].isin(["public_technology", "basic_condition"])),
    ("level NOT IN ('none')", lambda r: r["level"] != "none"),
    ("name_zh LIKE '%实验室%'", lambda r: r["name_zh"].str.contains("实验室")),
    ("CASEI(name_en) LIKE '%lab%'", lambda r: r["name_en"].fillna("").str.lower().str.contains("lab")),
    ("fields = 'drug_rnd'", lambda r: _has(r, "fields", "drug_rnd")),
    ("fields IN ('agriculture', 'drug_rnd')", lambda r: _has(r, "fields", "agriculture", "drug_rnd")),
    (
        "district_adcode = '440112' AND (level = 'national' OR established < 2010)",
        lambda r: (r["district_adcode"] == "440112") & ((r["level"] == "national") | (_year(r) < 2010)),
    ),
    (
        "S_INTERSECTS(geometry, BBOX(113.3, 23.0, 113.5, 23.2))",
        lambda r: r.geometry.intersects(shapely.box(113.3, 23.0, 113.5, 23.2)),
    ),
    (
        "S_INTERSECTS(geometry, POLYGON((113.3 23.0, 113.5 23.0, 113.5 23.2, 113.3 23.0)))",
        lambda r: r.geometry.intersects(shapely.Polygon([(113.3, 23.0), (113.5, 23.0), (113.5, 23.2)])),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_cql2_text_selects_what_the_registry_says(client, registry, text, expected):
    want = _where(registry, expected(registry))
    assert want  # each case selects something, and not everything
    assert len(want) < len(registry)
    assert _ids(client, text) == want


JSON_CASES = [
    (
        {"op": "=", "args": [{"property": "district_adcode"}, "440106"]},
        "district_adcode = '440106'",
    ),
    (
        {"op": "between", "args": [{"property": "established"}, 2010, 2020]},
        "established BETWEEN 2010 AND 2020",
    ),
    (
        {"op": "in", "args": [{"property": "type"}, ["public_technology", "basic_condition"]]},
        "type IN ('public_technology', 'basic_condition')",
    ),
    (
        {"op": "like", "args": [{"property": "name_zh"}, "%实验室%"]},
        "name_zh LIKE '%实验室%'",
    ),
    (
        {
            "op": "and",
            "args": [
                {"op": "not", "args": [{"op": "isNull", "args": [{"property": "established"}]}]},
                {
                    "op": "s_intersects",
                    "args": [{"property": "geometry"}, {"bbox": [113.3, 23.0, 113.5, 23.2]}],
                },
            ],
        },
        "established IS NOT NULL AND S_INTERSECTS(geometry, BBOX(113.3, 23.0, 113.5, 23.2))",
    ),
]


@pytest.mark.parametrize(("tree", "text"), JSON_CASES, ids=[c[1] for c in JSON_CASES])
def test_cql2_json_agrees_with_cql2_text(client, tree, text):
    assert _ids(client, json.dumps(tree), "cql2-json") == _ids(client, text)


def test_filter_combines_with_the_other_parameters(client, registry):
    both = client.get(
        ITEMS,
        params={"filter": "established >= 2015", "type": "transformation_cluster", "limit": 1000},
    ).json()
    keep = (_year(registry) >= 2015) & (registry["type"] == "transformation_cluster")
    assert sorted(f["id"] for f in both["features"]) == _where(registry, keep)


def test_filter_on_a_zone_layer_sees_its_density_figures(client):
    body = client.get(
        "/collections/districts/items",
        params={"filter": "count >= 10", "type": "public_technology", "limit": 100},
    ).json()
    counts = [f["properties"]["count"] for f in body["features"]]
    assert counts
    assert min(counts) >= 10
    every = client.get("/collections/districts/items?type=public_technology&limit=100").json()
    assert body["numberMatched"] == sum(f["properties"]["count"] >= 10 for f in every["features"])


@pytest.mark.parametrize(
    ("params", "param", "words"),
    [
        ({"filter": "district = '440106'"}, "filter", ["'district'", "district_adcode"]),
        ({"filter": "established >= "}, "filter", ["cql2-text"]),
        ({"filter": "established = 'x'"}, "filter", ["established", "integer"]),
        ({"filter": "fields < 'a'"}, "filter", ["fields", "list"]),
        ({"filter": "{not json", "filter-lang": "cql2-json"}, "filter", ["cql2-json"]),
        ({"filter": "established > 2000", "filter-lang": "cql-text"}, "filter-lang", []),
    ],
)
def test_bad_filters_are_400_saying_why(client, params, param, words):
    body = assert_problem(client.get(ITEMS, params=params), 400, param)
    for word in words:
        assert word in body["detail"]
