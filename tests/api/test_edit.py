"""OGC API - Features Part 4 on platforms: create, replace, patch, delete, history and restore.

Each test runs on both stores (``store_location``: a file copy of the shipped registry, and a
fresh PostGIS database holding it) with an editor's token.
"""

from __future__ import annotations

import shutil
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geo.store import DEFAULT_REGISTRY, open_store
from tests.api.conftest import assert_problem
from tests.auth_tokens import issue_token
from tests.servers import new_platform

ITEMS = "/collections/platforms/items"
GEO = "application/geo+json"


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    path = tmp_path / "platforms.geojson"
    shutil.copy(DEFAULT_REGISTRY, path)
    path.chmod(0o644)
    return path


def client_for(location: str, **overrides: Any) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A client of a service on ``location`` (with settings ``overrides``) and an editor's
    (alice's) auth header."""
    settings = Settings(**{"store": location, "reload_poll_s": 0.05, **overrides})
    store = open_store(location)
    token = issue_token(store, role="editor", name="alice")
    store.close()
    with TestClient(create_app(settings)) as client:
        yield client, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def editor(store_location: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    yield from client_for(store_location)


@pytest.fixture
def file_editor(registry_copy: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    yield from client_for(str(registry_copy))


def wait_for(predicate, timeout: float = 3.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def create(client: TestClient, auth: dict[str, str], **props: object):
    r = client.post(ITEMS, json=new_platform(**props), headers={**auth, "Content-Type": GEO})
    assert r.status_code == 201, r.text
    return r


def test_create_geocodes_the_address_and_answers_201_with_location_and_etag(editor):
    client, auth = editor
    before = client.get(f"{ITEMS}?limit=1").json()["numberMatched"]
    r = create(client, auth)
    feature = r.json()
    rid = feature["id"]
    assert r.headers["location"].endswith(f"{ITEMS}/{rid}")
    assert feature["properties"]["coord_source"].startswith("gazetteer")
    assert feature["properties"]["district_adcode"] == "440112"  # Huangpu, derived by biomap
    got = client.get(f"{ITEMS}/{rid}")
    assert got.status_code == 200
    assert got.headers["etag"] == r.headers["etag"]
    assert got.json()["properties"]["name_zh"] == "测试共享仪器平台"
    assert wait_for(lambda: client.get(f"{ITEMS}?limit=1000").json()["numberMatched"] == before + 1)


def test_white_space_in_names_and_addresses_is_normalised_with_a_note(file_editor):
    client, auth = file_editor
    r = create(
        client,
        auth,
        name_zh="测试\t共享\n仪器平台",
        host_zh="测试\u3000大学",
        address_zh="广州市黄埔区  开源大道190号",
    )
    props = r.json()["properties"]
    assert (props["name_zh"], props["host_zh"]) == ("测试 共享 仪器平台", "测试 大学")
    assert props["address_zh"] == "广州市黄埔区 开源大道190号"
    assert any(
        n.startswith("white space normalised in name_zh, host_zh, address_zh")
        for n in r.json()["notes"]
    )
    stored = client.get(f"{ITEMS}/{r.json()['id']}").json()["properties"]
    assert stored["name_zh"] == "测试 共享 仪器平台"


def test_writes_need_a_token(editor):
    client, _ = editor
    r = client.post(ITEMS, json=new_platform(), headers={"Content-Type": GEO})
    assert_problem(r, 401)
    r = client.post(
        ITEMS, json=new_platform(), headers={"Content-Type": GEO, "Authorization": "Bearer bm_x"}
    )
    assert_problem(r, 401)


def test_replace_needs_if_match_and_refuses_a_stale_etag(editor):
    client, auth = editor
    created = create(client, auth)
    url = created.headers["location"].split("testserver")[-1]
    feature = created.json()
    feature["properties"]["name_en"] = "Renamed"
    assert_problem(client.put(url, json=feature, headers={**auth, "Content-Type": GEO}), 428)
    ok = client.put(
        url,
        json=feature,
        headers={**auth, "Content-Type": GEO, "If-Match": created.headers["etag"]},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["properties"]["name_en"] == "Renamed"
    assert ok.headers["etag"] != created.headers["etag"]
    stale = client.put(
        url,
        json=feature,
        headers={**auth, "Content-Type": GEO, "If-Match": created.headers["etag"]},
    )
    assert_problem(stale, 412)


def test_an_unmoved_point_keeps_its_coordinate_provenance(editor):
    client, auth = editor
    first = client.get(f"{ITEMS}?limit=1").json()["features"][0]
    url = f"{ITEMS}/{first['id']}"
    got = client.get(url)
    feature = got.json()
    feature["properties"]["note"] = "checked by phone"
    r = client.put(
        url, json=feature, headers={**auth, "Content-Type": GEO, "If-Match": got.headers["etag"]}
    )
    assert r.status_code == 200, r.text
    for key in ("coord_source", "coord_crs_in", "coord_precision", "coord_uncertainty_m"):
        assert r.json()["properties"][key] == first["properties"][key]
    assert r.json()["geometry"] == first["geometry"]


def test_patch_is_a_merge_patch_and_cannot_erase_provenance(editor):
    client, auth = editor
    created = create(client, auth, note="to be removed")
    url = created.headers["location"].split("testserver")[-1]
    head = {**auth, "Content-Type": "application/merge-patch+json"}
    r = client.patch(
        url,
        json={"properties": {"name_en": "Patched", "note": None}},
        headers={**head, "If-Match": created.headers["etag"]},
    )
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert props["name_en"] == "Patched"
    assert "note" not in props or props["note"] is None
    assert props["name_zh"] == "测试共享仪器平台"
    erase = client.patch(
        url, json={"properties": {"source": None}}, headers={**head, "If-Match": r.headers["etag"]}
    )
    assert_problem(erase, 422, param="source")


@pytest.mark.parametrize(
    ("props", "geometry", "field"),
    [
        ({"type": "spaceport"}, None, "type"),
        ({"sub_kind": "incubator"}, None, "sub_kind"),  # does not fit type basic_condition
        ({}, {"type": "Point", "coordinates": [116.39, 39.9]}, "geometry"),  # Beijing
        ({"address_zh": "北京市海淀区中关村大街1号"}, None, "address_zh"),
        ({"established": 1066}, None, "established"),
        ({"name_zh": ""}, None, "name_zh"),
        ({"lon": "113.2915", "lat": "NaN", "coord_crs": "wgs84"}, None, "lon"),
    ],
)
def test_bad_input_gets_a_problem_naming_the_field(editor, props, geometry, field):
    client, auth = editor
    body = new_platform(**props)
    body["geometry"] = geometry
    r = client.post(ITEMS, json=body, headers={**auth, "Content-Type": GEO})
    assert_problem(r, 422, param=field)


def test_a_gcj02_point_declared_as_wgs84_is_refused_when_the_address_disagrees(editor):
    client, auth = editor
    # A point given in GCJ-02 through lon/lat + coord_crs is converted on the way in.
    r = client.post(
        ITEMS,
        json=new_platform(lon=113.4535, lat=23.1693, coord_crs="gcj02"),
        headers={**auth, "Content-Type": GEO},
    )
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert props["coord_crs_in"] == "gcj02"
    lon, _lat = r.json()["geometry"]["coordinates"]
    assert abs(lon - 113.4535) > 0.003  # shifted to WGS84, several hundred metres


def test_duplicates_are_refused(editor):
    client, auth = editor
    create(client, auth)
    again = client.post(
        ITEMS, json=new_platform(id="other-id"), headers={**auth, "Content-Type": GEO}
    )
    assert_problem(again, 422, param="name_zh")
    same_id = client.post(ITEMS, json=new_platform(), headers={**auth, "Content-Type": GEO})
    assert_problem(same_id, 409)


def test_delete_history_and_restore(editor):
    client, auth = editor
    created = create(client, auth)
    rid = created.json()["id"]
    url = f"{ITEMS}/{rid}"
    assert_problem(client.delete(url, headers=auth), 428)
    gone = client.delete(url, headers={**auth, "If-Match": created.headers["etag"]})
    assert gone.status_code == 204
    assert_problem(client.get(url), 404)
    history = client.get(f"{url}/history").json()
    assert history["id"] == rid
    ops = [c["op"] for c in history["history"]]
    assert ops == ["create", "delete"]
    assert history["history"][0]["actor"] == "alice"
    assert history["history"][0]["before"] is None
    assert history["history"][1]["after"] is None
    assert history["history"][1]["before"]["name_zh"] == "测试共享仪器平台"
    back = client.post(f"{url}/restore", headers=auth)
    assert back.status_code == 201, back.text
    assert client.get(url).json()["properties"]["source"] == "test: an editor through the API"
    ops = [c["op"] for c in client.get(f"{url}/history").json()["history"]]
    assert ops == ["create", "delete", "restore"]
    assert_problem(client.post(f"{url}/restore", headers=auth), 400)  # it exists again


def test_two_concurrent_edits_of_one_record_exactly_one_wins(editor):
    client, auth = editor
    created = create(client, auth)
    url = f"{ITEMS}/{created.json()['id']}"
    tag = created.headers["etag"]
    statuses: list[int] = []

    def edit(name: str) -> None:
        body = created.json()
        body["properties"]["name_en"] = name
        r = client.put(url, json=body, headers={**auth, "Content-Type": GEO, "If-Match": tag})
        statuses.append(r.status_code)

    threads = [threading.Thread(target=edit, args=(f"name {i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 412, 412, 412]


def test_writes_keep_the_registry_file_mode(file_editor, registry_copy):
    client, auth = file_editor
    create(client, auth)
    assert stat.S_IMODE(registry_copy.stat().st_mode) == 0o644


def test_zone_layers_are_read_only(editor):
    client, auth = editor
    r = client.post("/collections/districts/items", json=new_platform(), headers=auth)
    assert_problem(r, 405)


def test_unknown_platform_history_is_404(editor):
    client, _ = editor
    assert_problem(client.get(f"{ITEMS}/no-such-id/history"), 404)


def test_a_viewer_or_revoked_token_gets_403(editor, store_location):
    client, auth = editor
    with open_store(store_location) as store:
        viewer = issue_token(store, role="viewer", name="bob")
        head = {"Content-Type": GEO, "Authorization": f"Bearer {viewer}"}
        assert_problem(client.post(ITEMS, json=new_platform(), headers=head), 403)
        store.tokens().revoke("alice")
    assert_problem(
        client.post(ITEMS, json=new_platform(), headers={**auth, "Content-Type": GEO}), 403
    )
