"""Direct mode (a PostGIS registry over BIOMAP_SNAPSHOT_MAX_ROWS, not loaded) answers like the
snapshot: the same pages walked to the end, bbox and filter results, item bodies, density.

Both servers read the same PostGIS database (the shipped registry, tests/pg.py); the direct one
is forced with ``snapshot_max_rows=0``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from geo.store import DEFAULT_REGISTRY, open_store
from tests.api.conftest import SHIPPED_LAYERS, assert_problem, make_client

ITEMS = "/collections/platforms/items"


@pytest.fixture(scope="module")
def snap(pg_shipped_url: str) -> Iterator[TestClient]:
    yield from make_client(store=pg_shipped_url, response_cache_entries=0)


@pytest.fixture(scope="module")
def direct(pg_shipped_url: str) -> Iterator[TestClient]:
    yield from make_client(store=pg_shipped_url, snapshot_max_rows=0, response_cache_entries=0)


def walk(client: TestClient, url: str) -> list[dict]:
    """Every page of ``url``, following the next links to the last page."""
    out = []
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.text
        page = r.json()
        out.append(page)
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        url = nxt[0].removeprefix("http://testserver") if nxt else ""
        assert len(out) < 200
    return out


def ids(pages: list[dict]) -> list[str]:
    return [f["id"] for p in pages for f in p["features"]]


def test_the_direct_server_does_not_load_the_registry(snap, direct):
    data = direct.app.state.data
    assert data.direct
    assert not snap.app.state.data.direct
    assert data._platforms is not None
    assert len(data._platforms) == 0
    assert direct.get("/healthz").json() == snap.get("/healthz").json() | {
        "loaded_at": direct.get("/healthz").json()["loaded_at"]
    }
    info = direct.get("/collections/platforms").json()
    assert info["features"] == len(snap.app.state.data.platforms) == 161
    expected = snap.get("/collections/platforms").json()["extent"]["spatial"]
    assert info["extent"]["spatial"] == expected


def test_walking_every_page_gives_the_same_features_links_and_counts(snap, direct):
    a, b = walk(snap, f"{ITEMS}?limit=7"), walk(direct, f"{ITEMS}?limit=7")
    assert len(a) == len(b) == 23  # 161 / 7
    assert ids(a) == ids(b) == sorted(ids(a))
    for pa, pb in zip(a, b, strict=True):
        assert pa["features"] == pb["features"]
        assert pa["numberMatched"] == pb["numberMatched"] == 161
        assert pa["numberReturned"] == pb["numberReturned"]
        rels = [(link["rel"], link["type"], link.get("title")) for link in pa["links"]]
        assert rels == [(link["rel"], link["type"], link.get("title")) for link in pb["links"]]
    # the direct next link carries a keyset token, not an offset
    nxt = next(link["href"] for link in b[0]["links"] if link["rel"] == "next")
    assert "after" in parse_qs(urlsplit(nxt).query)
    assert "offset=" not in nxt


def test_same_bytes_and_etag_for_a_page(snap, direct):
    for url in (f"{ITEMS}?limit=5&offset=20", f"{ITEMS}?limit=3&crs=gcj02"):
        ra, rb = snap.get(url), direct.get(url)
        assert ra.status_code == rb.status_code == 200
        assert ra.json()["features"] == rb.json()["features"]
    r0 = direct.get(f"{ITEMS}?limit=4")
    again = direct.get(f"{ITEMS}?limit=4", headers={"If-None-Match": r0.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "query",
    [
        "bbox=113.30,23.05,113.45,23.20",
        "bbox=113.2,22.9,113.7,23.5&type=public_technology",
        "district_adcode=440112,440106",
        "zone=core-bio-island",
        "zone=districts:440112",
        "field=biotechnology,drug_rnd",
        "q=生物",
        "established_max=2015",
        "datetime=2015-01-01/2019-12-31",
        "datetime=../2010-06-01",
        "level=national&type=public_technology",
    ],
)
def test_filters_select_the_same_platforms(snap, direct, query):
    a, b = walk(snap, f"{ITEMS}?limit=1000&{query}"), walk(direct, f"{ITEMS}?limit=1000&{query}")
    assert ids(a) == ids(b)
    assert a[0]["numberMatched"] == b[0]["numberMatched"]
    assert a[0]["features"] == b[0]["features"]


def test_the_filters_are_not_vacuous(snap):
    total = snap.get(f"{ITEMS}?limit=1").json()["numberMatched"]
    for query in (
        "bbox=113.30,23.05,113.45,23.20",
        "zone=core-bio-island",
        "q=生物",
        "field=biotechnology,drug_rnd",
        "datetime=2015-01-01/2019-12-31",
        "established_max=2015",
    ):
        matched = snap.get(f"{ITEMS}?limit=1&{query}").json()["numberMatched"]
        assert 0 < matched < total, query


def test_item_bodies_and_etags_agree(snap, direct):
    for fid in ids(walk(snap, f"{ITEMS}?limit=1000"))[::20]:
        ra, rb = snap.get(f"{ITEMS}/{fid}"), direct.get(f"{ITEMS}/{fid}")
        assert ra.status_code == rb.status_code == 200
        assert ra.json() == rb.json()
        assert ra.headers["etag"] == rb.headers["etag"]
    assert_problem(direct.get(f"{ITEMS}/no-such-platform"), 404)


@pytest.mark.parametrize("layer", SHIPPED_LAYERS)
@pytest.mark.parametrize("query", ["", "&type=public_technology", "&district_basis=managing"])
def test_density_numbers_agree(snap, direct, layer, query):
    if "district_basis" in query and layer != "districts":
        query = ""
    url = f"/stats/density?layer={layer}{query}"
    ra, rb = snap.get(url), direct.get(url)
    assert ra.status_code == rb.status_code == 200, rb.text
    assert ra.json() == rb.json()
    assert rb.json()["totals"]["count"] > 0


def test_zone_items_carry_the_same_density(snap, direct):
    url = "/collections/districts/items?limit=100&type=public_technology"
    assert snap.get(url).json() == direct.get(url).json()


def test_a_deep_keyset_page(snap, direct):
    first = direct.get(f"{ITEMS}?limit=150").json()
    token = next(link["href"] for link in first["links"] if link["rel"] == "next")
    deep = direct.get(token.removeprefix("http://testserver")).json()
    expected = snap.get(f"{ITEMS}?limit=150&offset=150").json()
    assert [f["id"] for f in deep["features"]] == [f["id"] for f in expected["features"]]
    assert len(deep["features"]) == 11
    assert [link["rel"] for link in deep["links"]] == ["self", "alternate", "collection", "prev"]
    prev = next(link["href"] for link in deep["links"] if link["rel"] == "prev")
    assert "offset=0" in prev
    assert "after=" not in prev


def test_what_direct_mode_does_not_answer_is_a_clear_4xx(direct, snap):
    body = assert_problem(direct.get(f"{ITEMS}?filter=type%20%3D%20'public_technology'"), 400)
    assert "direct mode" in body["detail"]
    assert "CQL2" in body["detail"]
    assert snap.get(f"{ITEMS}?filter=type%20%3D%20'public_technology'").status_code == 200
    assert "offset" in assert_problem(direct.get(f"{ITEMS}?offset=20000"), 400)["detail"]
    assert_problem(direct.get(f"{ITEMS}?after=not-a-token"), 400)
    assert_problem(snap.get(f"{ITEMS}?after=WyJ4IiwxXQ"), 400)  # a snapshot server pages by offset
    assert_problem(direct.get(f"{ITEMS}?zone=no-such-zone"), 400)
    nearest = direct.get("/platforms/nearest?lon=113.3&lat=23.1")
    assert_problem(nearest, 501)
    assert "direct mode" in nearest.json()["detail"]
    for url in ("/app/selection.geojson", "/app/points.json"):
        assert_problem(direct.get(url), 501)
        assert snap.get(url).status_code == 200


def test_assign_many_equals_assign_record_one_by_one(city, shipped_layers):
    from geo.store import DEFAULT_REGISTRY, open_store
    from geo.zones.assign import assign_many, assign_record

    records = open_store(DEFAULT_REGISTRY).load()
    moved = [r.model_copy(update={"lon": r.lon + 0.6, "district_adcode": None}) for r in records]
    batch = [*records, *moved]  # the second half mostly outside the city
    expected = [assign_record(r, city, shipped_layers).model_dump() for r in batch]
    assert assign_many(batch, city, shipped_layers) == expected
    assert any(e["district_adcode"] is None for e in expected)
    assert any(e["managing_adcode"] != e["district_adcode"] for e in expected)  # Bio-Island


def test_edits_through_a_direct_server_show_in_its_items_and_density(pg_url):
    from api.app import create_app
    from api.settings import Settings
    from geo.store import DEFAULT_REGISTRY, open_store
    from tests.api.test_edit import create, wait_for
    from tests.auth_tokens import issue_token

    with open_store(pg_url) as store:
        store.save(open_store(DEFAULT_REGISTRY).load(), actor="import")
        auth = {"Authorization": f"Bearer {issue_token(store, role='editor', name='alice')}"}
    settings = Settings(store=pg_url, reload_poll_s=0.05, snapshot_max_rows=0)
    with TestClient(create_app(settings)) as client:
        assert client.app.state.data.direct

        def total() -> int:
            url = "/stats/density?layer=districts"
            return client.get(url).json()["totals"]["count"]

        def matched() -> int:
            return client.get(f"{ITEMS}?limit=1").json()["numberMatched"]

        start, listed = total(), matched()
        made = create(client, auth, name_zh="直连模式测试平台").json()
        assert wait_for(lambda: total() == start + 1)  # the cached density was dropped
        assert matched() == listed + 1
        r = client.get(f"{ITEMS}/{made['id']}")
        assert r.status_code == 200
        assert r.json()["properties"]["name_zh"] == "直连模式测试平台"
        tag = r.headers["etag"]
        r = client.delete(f"{ITEMS}/{made['id']}", headers={**auth, "If-Match": tag})
        assert r.status_code == 204
        assert wait_for(lambda: total() == start)


def test_the_html_items_page_in_direct_mode(snap, direct):
    r = direct.get(f"{ITEMS}?limit=5&f=html")
    assert r.status_code == 200
    assert "161" in r.text
    assert r.text.count("</tr>") == snap.get(f"{ITEMS}?limit=5&f=html").text.count("</tr>")


def test_the_html_collections_page_counts_the_stored_platforms(snap, direct):
    def platforms_cell(client: TestClient) -> str:
        r = client.get("/collections?f=html")
        assert r.status_code == 200
        found = re.search(r"<code>platforms</code></td>\s*<td[^>]*>([^<]*)</td>", r.text)
        assert found, r.text[:2000]
        return found.group(1)

    assert (
        platforms_cell(direct)
        == platforms_cell(snap)
        == str(len(open_store(DEFAULT_REGISTRY).load()))
    )
