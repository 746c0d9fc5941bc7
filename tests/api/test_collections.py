"""OGC API - Features: collections, items (paging, filters, bbox, crs), one item, queryables."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.crs import from_wgs84
from geo.filters import PlatformFilter
from geo.stats.density import density_table
from tests.api.conftest import assert_problem

GEOJSON = "application/geo+json"


def test_collections_list_platforms_and_every_zone_layer(client, shipped_layers):
    r = client.get("/collections")
    assert r.status_code == 200
    ids = [c["id"] for c in r.json()["collections"]]
    assert ids == ["platforms", *shipped_layers]
    for coll in r.json()["collections"]:
        assert {link["rel"] for link in coll["links"]} >= {"self", "items"}


def test_zones363_says_it_is_provisional_and_has_unlocated_zones(client, shipped_layers):
    info = client.get("/collections/zones363").json()
    layer = shipped_layers["zones363"]
    assert info["provisional"] is True
    missing = len(layer.zones) - len(layer.located)
    assert info["features_without_geometry"] == missing > 0
    assert "no geometry" in info["description"]


def test_items_default_page(client, registry):
    r = client.get("/collections/platforms/items")
    assert r.status_code == 200
    assert r.headers["content-type"] == GEOJSON
    assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == len(registry)
    assert body["numberReturned"] == len(body["features"]) == min(10, len(registry))


def test_paging_follows_next_links_to_every_feature_once(small_pages, registry):
    url, seen, pages = "/collections/platforms/items?limit=500", [], 0
    while url:
        body = small_pages.get(url).json()
        assert body["numberReturned"] <= 3  # clamped to max_limit, not rejected
        seen += [f["id"] for f in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url, pages = (nxt[0] if nxt else None), pages + 1
    assert sorted(seen) == sorted(registry["id"])
    assert pages == -(-len(registry) // 3)


def test_prev_link_and_offset(client, registry):
    body = client.get("/collections/platforms/items?limit=2&offset=2").json()
    assert [f["id"] for f in body["features"]] == registry["id"].iloc[2:4].tolist()
    prev = [link["href"] for link in body["links"] if link["rel"] == "prev"]
    assert prev
    assert "offset=0" in prev[0]


def test_last_page_has_no_next(client, registry):
    n = len(registry)
    body = client.get(f"/collections/platforms/items?limit=5&offset={max(0, n - 5)}").json()
    assert "next" not in {link["rel"] for link in body["links"]}


@pytest.mark.parametrize(
    "params",
    [
        {"type": "public_technology"},
        {"field": "drug_rnd"},
        {"level": "national,provincial"},
        {"district": "440112"},
        {"managing": "440112"},
        {"q": "实验室"},
    ],
)
def test_property_filters_match_platform_filter(client, registry, params):
    expected = registry["id"][PlatformFilter.from_params(**params).mask(registry)].tolist()
    body = client.get("/collections/platforms/items", params={**params, "limit": 1000}).json()
    assert body["numberMatched"] == len(expected)
    assert sorted(f["id"] for f in body["features"]) == sorted(expected)


@pytest.mark.parametrize(
    ("name", "alias", "value"),
    [
        ("fields", "field", "drug_rnd"),
        ("chain_stages", "stage", "basic_research"),
        ("district_adcode", "district", "440106"),
        ("managing_adcode", "managing", "440112"),
    ],
)
def test_parameters_named_like_properties_and_their_aliases(client, name, alias, value):
    url = "/collections/platforms/items?limit=1000"
    by_name = client.get(url, params={name: value}).json()
    assert by_name["numberMatched"] > 0
    assert (
        by_name["numberMatched"] == client.get(url, params={alias: value}).json()["numberMatched"]
    )
    for feature in by_name["features"]:
        got = feature["properties"][name]
        assert value in got if isinstance(got, list) else got == value
    assert_problem(client.get(url, params={name: value, alias: value}), 400, alias)


def test_zone_filter(client, registry):
    expected = registry["id"][registry["zone_zones363"] == "core-bio-island"].tolist()
    for zone in ("core-bio-island", "zones363:core-bio-island"):
        body = client.get(
            "/collections/platforms/items", params={"zone": zone, "limit": 1000}
        ).json()
        assert sorted(f["id"] for f in body["features"]) == sorted(expected)


def test_bbox_selects_points_inside(client, registry):
    box = (113.3, 23.0, 113.5, 23.2)
    x, y = registry.geometry.x, registry.geometry.y
    inside = (x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])
    body = client.get(
        "/collections/platforms/items", params={"bbox": ",".join(map(str, box)), "limit": 1000}
    ).json()
    assert body["numberMatched"] == int(inside.sum())
    assert sorted(f["id"] for f in body["features"]) == sorted(registry["id"][inside])


def test_gcj02_output_is_opt_in(client, registry):
    first = registry.iloc[0]
    wgs = client.get(f"/collections/platforms/items/{first['id']}").json()
    gcj = client.get(f"/collections/platforms/items/{first['id']}?crs=gcj02")
    assert "content-crs" not in gcj.headers
    gx, gy = from_wgs84(first.geometry.x, first.geometry.y, "gcj02")
    assert wgs["geometry"]["coordinates"] == pytest.approx(
        [first.geometry.x, first.geometry.y], abs=1e-7
    )
    assert gcj.json()["geometry"]["coordinates"] == pytest.approx([float(gx), float(gy)], abs=1e-7)


def test_one_item_and_unknown_item(client, registry):
    fid = registry["id"].iloc[-1]
    r = client.get(f"/collections/platforms/items/{fid}")
    assert r.status_code == 200
    assert r.headers["content-type"] == GEOJSON
    body = r.json()
    assert body["id"] == fid
    assert body["properties"]["name_zh"] == registry["name_zh"].iloc[-1]
    assert {link["rel"] for link in body["links"]} == {"self", "collection", "alternate"}
    assert client.get("/collections/platforms/items/no-such-platform").status_code == 404
    assert client.get("/collections/nowhere/items").status_code == 404


@pytest.mark.parametrize("params", [{}, {"type": "transformation_cluster"}, {"field": "drug_rnd"}])
def test_district_items_carry_density_figures(client, registry, city, shipped_layers, params):
    expected = density_table(
        registry,
        shipped_layers["districts"],
        filter=PlatformFilter.from_params(**params),
        city=city,
    ).table.set_index("zone_id")
    body = client.get("/collections/districts/items", params={**params, "limit": 100}).json()
    assert body["numberMatched"] == len(expected) == 11
    for feat in body["features"]:
        assert feat["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert feat["properties"]["count"] == expected.loc[feat["id"], "count"]
    assert body["density"]["totals"]["count"] == int(
        PlatformFilter.from_params(**params).mask(registry).sum()
    )


def test_zones363_items_keep_zones_without_geometry(client, shipped_layers):
    layer = shipped_layers["zones363"]
    body = client.get("/collections/zones363/items?limit=100").json()
    assert body["numberMatched"] == len(layer.zones)
    nulls = [f["id"] for f in body["features"] if f["geometry"] is None]
    assert len(nulls) == len(layer.zones) - len(layer.located)


def test_queryables_are_the_property_names(client):
    r = client.get("/collections/platforms/queryables")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/schema+json"
    props = r.json()["properties"]
    feature = client.get("/collections/platforms/items?limit=1").json()["features"][0]
    assert set(props) == {*feature["properties"], "geometry"}
    assert "district" not in props  # the old parameter names
    assert "field" not in props
    assert "public_technology" in props["type"]["enum"]
    assert "440112" in props["district_adcode"]["enum"]
    assert "drug_rnd" in props["fields"]["items"]["enum"]
    assert props["established"]["type"] == "integer"
    assert props["geometry"]["x-ogc-role"] == "primary-geometry"


SCHEMA_JSON = "application/schema+json"


@pytest.mark.parametrize("collection", ["platforms", "districts", "zones363"])
def test_each_collection_links_its_schema(client, collection):
    info = client.get(f"/collections/{collection}").json()
    described = [link for link in info["links"] if link["rel"].lower() == "describedby"]
    assert described
    assert all(link["type"] == SCHEMA_JSON for link in described)
    assert {link["href"] for link in described} == {info["links"][0]["href"] + "/schema"}
    r = client.get(f"/collections/{collection}/schema")
    assert r.status_code == 200
    assert r.headers["content-type"] == SCHEMA_JSON
    schema = r.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    feature = client.get(f"/collections/{collection}/items?limit=1").json()["features"][0]
    props = schema["properties"]
    assert set(props) == {*feature["properties"], "geometry"}
    roles = {name: p["x-ogc-role"] for name, p in props.items() if "x-ogc-role" in p}
    id_property = "id" if collection == "platforms" else "zone_id"
    assert roles == {id_property: "id", "geometry": "primary-geometry"}
    assert feature["properties"][id_property] == feature["id"]
    # the same types in the GeoJSON Feature form (what GDAL's OAPIF driver reads)
    nested = schema["$defs"]["GeoJSONFeature"]["properties"]["properties"]["properties"]
    assert {k: v["type"] for k, v in nested.items()} == {
        k: v["type"] for k, v in props.items() if k not in ("geometry", "id")
    }


def test_schema_types_follow_the_record_and_the_layers(client):
    platforms = client.get("/collections/platforms/schema").json()["properties"]
    assert platforms["established"]["type"] == "integer"
    assert platforms["coord_uncertainty_m"]["type"] == "number"
    assert platforms["fields"] == {"type": "array", "items": platforms["fields"]["items"]}
    assert platforms["source_date"]["type"] == "string"  # "2018" happens: not a date
    assert platforms["geometry"]["format"] == "geometry-point"
    zones = client.get("/collections/zones363/schema").json()["properties"]
    for name in ("population", "per_100k", "lq_population", "share", "per_km2"):
        assert zones[name]["type"] == "number", name  # null in every zone, still a number
    assert zones["count"]["type"] == zones["rank"]["type"] == "integer"
    assert zones["provisional"]["type"] == "boolean"
    assert zones["compiled"] == {"type": "string", "format": "date"}
    assert zones["geometry"]["format"] == "geometry-polygon"


def test_integer_properties_are_written_as_integers(client):
    body = client.get("/collections/platforms/items?limit=1000").json()
    years = [f["properties"]["established"] for f in body["features"]]
    known = [y for y in years if y is not None]
    assert known
    assert all(type(y) is int for y in known)  # 2023, never 2023.0
    one = client.get(f"/collections/platforms/items/{body['features'][0]['id']}").json()
    assert one["properties"]["established"] is None or type(one["properties"]["established"]) is int


def test_etag_gives_304_and_gzip_is_applied(client):
    url = "/collections/platforms/items?limit=100"
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    raw = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert raw.json() == first.json()


@pytest.mark.parametrize(
    ("value", "years"),
    [
        ("2019-05-01", (2019, 2019)),
        ("2015-01-01/2020-12-31", (2015, 2020)),
        ("2015-06-30T12:00:00Z/2020-01-01T00:00:00Z", (2015, 2020)),
        ("../2010-01-01", (None, 2010)),
        ("2019-01-01/..", (2019, None)),
        ("2019-01-01/", (2019, None)),
    ],
)
def test_datetime_selects_platforms_by_year_of_establishment(client, registry, value, years):
    year = pd.to_numeric(registry["established"], errors="coerce")
    lo, hi = years
    keep = year.notna() & (year >= (lo or 0)) & (year <= (hi or 9999))  # unknown years: never
    body = client.get(
        "/collections/platforms/items", params={"datetime": value, "limit": 1000}
    ).json()
    assert sorted(f["id"] for f in body["features"]) == sorted(registry["id"][keep])


def test_datetime_on_a_zone_layer_uses_its_date_and_the_extent_says_so(client, shipped_layers):
    info = client.get("/collections/zones363").json()
    temporal = info["extent"]["temporal"]
    assert "compiled" in temporal["description"]
    start = temporal["interval"][0][0]
    url = "/collections/zones363/items?limit=100"
    assert client.get(url, params={"datetime": f"{start[:10]}/.."}).json()["numberMatched"] == len(
        shipped_layers["zones363"].zones
    )
    assert client.get(url, params={"datetime": "../2000-01-01"}).json()["numberMatched"] == 0
    platforms = client.get("/collections/platforms").json()["extent"]["temporal"]
    assert "established" in platforms["description"]


@pytest.mark.parametrize(
    "value", ["2019", "yesterday", "2020-01-01/2019-01-01", "a/b/c", "2019-13-01"]
)
def test_bad_datetime_is_400(client, value):
    r = client.get("/collections/platforms/items", params={"datetime": value})
    assert_problem(r, 400, "datetime")


def test_q_searches_the_address_too(client, registry):
    """A road that appears only in addresses finds the platforms on it (names, hosts: none)."""
    road = "大学城"
    text = registry[["name_zh", "name_en", "host_zh", "host_en"]].fillna("").astype(str)
    by_address = registry.loc[registry["address_zh"].fillna("").str.contains(road), "id"]
    by_name = registry.loc[text.apply(lambda row: road in " ".join(row), axis=1), "id"]
    assert len(by_address) > len(by_name)  # the address adds platforms the names do not name
    body = client.get("/collections/platforms/items", params={"q": road, "limit": 1000}).json()
    assert sorted(f["id"] for f in body["features"]) == sorted(set(by_address) | set(by_name))
