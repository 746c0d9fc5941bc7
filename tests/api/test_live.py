"""The served snapshot follows writes incrementally, and ends where a full reload would.

Each test runs on both stores (``store_location``) with an editor's token. A write through the
API, or one straight into the store (another process), updates only the rows it changed; the
snapshot is then compared with one rebuilt from the store: the frame, every feature's bytes in
both output systems, the ETags, the property schemas and the density figures.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.data import ServiceData
from geo.filters import PlatformFilter
from geo.store import open_store
from geo.store.postgis import notice, parse_notice
from tests.api.test_edit import GEO, ITEMS, client_for, create, wait_for
from tests.servers import new_platform

MERGE = "application/merge-patch+json"


@pytest.fixture
def editor(store_location: str):
    yield from client_for(store_location)


def caught_up(client: TestClient) -> bool:
    data = client.app.state.data
    return data.version == data.store.version()


def assert_same_snapshot(served: ServiceData, rebuilt: ServiceData) -> None:
    """Everything a client can read from the platforms is the same in both snapshots."""
    assert served.version == rebuilt.version
    pd.testing.assert_frame_equal(served.platforms, rebuilt.platforms, check_dtype=False)
    assert served.etags == rebuilt.etags
    for system in ("wgs84", "gcj02"):
        assert served.platform_features(system) == rebuilt.platform_features(system)
    got, want = served.collections["platforms"], rebuilt.collections["platforms"]
    assert got.ids == want.ids
    assert got.properties == want.properties
    assert got.extent == want.extent
    assert list(served.collections) == list(rebuilt.collections)
    for layer in served.layers:
        for basis in ("administrative", "managing"):
            a = served.density(layer, PlatformFilter(), basis).to_dict()
            b = rebuilt.density(layer, PlatformFilter(), basis).to_dict()
            assert a == b
    for got_part, want_part in zip(
        served.nearest.query(113.3, 23.1, k=5), rebuilt.nearest.query(113.3, 23.1, k=5), strict=True
    ):
        np.testing.assert_array_equal(got_part, want_part)


def test_writes_update_the_snapshot_incrementally_as_a_rebuild_would(editor):
    client, auth = editor
    live = client.app.state.live
    client.get("/collections/platforms/items?crs=gcj02&limit=1")  # serialise GCJ-02 too
    made = [create(client, auth, name_zh=f"增量测试平台{i}").json() for i in range(4)]
    first, second = made[0], made[1]
    etag = client.get(f"{ITEMS}/{first['id']}").headers["etag"]
    r = client.patch(
        f"{ITEMS}/{first['id']}",
        json={"properties": {"name_en": "Patched"}},
        headers={**auth, "Content-Type": MERGE, "If-Match": etag},
    )
    assert r.status_code == 200, r.text
    etag = client.get(f"{ITEMS}/{second['id']}").headers["etag"]
    r = client.delete(f"{ITEMS}/{second['id']}", headers={**auth, "If-Match": etag})
    assert r.status_code == 204, r.text
    assert wait_for(lambda: caught_up(client))
    assert live.updates >= 1
    assert live.reloads == 0  # every write was applied row by row
    served = client.app.state.data
    rebuilt = ServiceData(served.settings)
    assert_same_snapshot(served, rebuilt)
    listed = {f["id"]: f for f in client.get(f"{ITEMS}?limit=1000").json()["features"]}
    assert listed[first["id"]]["properties"]["name_en"] == "Patched"
    assert second["id"] not in listed
    assert made[2]["id"] in listed


def test_a_write_straight_into_the_store_is_picked_up(editor, store_location):
    """Another process writes: PostGIS names the id in its notification (incremental); the
    file store has no link for it, so the snapshot reloads in full. Both end up equal."""
    client, _ = editor
    live = client.app.state.live
    before = len(client.app.state.data.platforms)
    store = open_store(store_location)
    try:
        victim = store.load()[0]
        store.write(victim.id, None, actor="other process", op="delete")
    finally:
        store.close()
    assert wait_for(lambda: len(client.app.state.data.platforms) == before - 1, timeout=5)
    assert wait_for(lambda: caught_up(client))
    if store_location.startswith("postgresql"):
        assert live.updates >= 1
        assert live.reloads == 0
    else:
        assert live.reloads >= 1
    served = client.app.state.data
    assert victim.id not in served.etags
    assert_same_snapshot(served, ServiceData(served.settings))


def test_density_etags_and_cached_answers_follow_the_edits(editor):
    client, auth = editor

    def total() -> int:
        return client.get("/stats/density", params={"layer": "districts"}).json()["totals"]["count"]

    start = total()
    made = create(client, auth, name_zh="密度测试平台").json()
    assert wait_for(lambda: total() == start + 1)  # the cached answer was not replayed
    r = client.get(f"{ITEMS}/{made['id']}")
    old_tag = r.headers["etag"]
    r = client.patch(
        f"{ITEMS}/{made['id']}",
        json={"properties": {"name_en": "Moved on"}},
        headers={**auth, "Content-Type": MERGE, "If-Match": old_tag},
    )
    assert r.status_code == 200
    new_tag = r.headers["etag"]
    assert new_tag != old_tag
    assert wait_for(lambda: caught_up(client))
    assert client.get(f"{ITEMS}/{made['id']}").headers["etag"] == new_tag
    assert client.app.state.data.etags[made["id"]] == new_tag
    r = client.get(f"{ITEMS}/{made['id']}", headers={"If-None-Match": old_tag})
    assert r.status_code == 200
    assert r.json()["properties"]["name_en"] == "Moved on"
    r = client.delete(f"{ITEMS}/{made['id']}", headers={**auth, "If-Match": new_tag})
    assert r.status_code == 204
    assert wait_for(lambda: total() == start)


def test_concurrent_duplicates_one_is_stored(editor):
    """The duplicate check runs inside the store's write: of two racing creates of one
    name and host (different ids), one is stored and the other refused."""
    client, auth = editor
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def post(i: int) -> None:
        body = new_platform(name_zh="并发重复平台")
        body["properties"]["id"] = f"gz-dup-race-{i}"
        barrier.wait()
        r = client.post(ITEMS, json=body, headers={**auth, "Content-Type": GEO})
        statuses.append(r.status_code)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 422, 422, 422]


def test_a_notice_names_the_changed_ids_unless_too_many():
    assert parse_notice(notice(12, ["a", "b"])) == ("12", ["a", "b"])
    assert parse_notice(notice(13, [f"gz-{i:06d}" for i in range(2000)])) == ("13", None)
    assert parse_notice("14") == ("14", None)  # an older biomap's bare version


def test_a_chain_of_applies_without_reads_equals_a_rebuild(store_location):
    """Snapshots applied one after another, none of them read in between (the frame is built
    only at the end, from the first one's), equal a rebuild; so does every step's features."""
    from api.settings import Settings
    from geo.ingest.edit import record_feature

    settings = Settings(store=store_location)
    data = ServiceData(settings)
    store = data.store
    shipped = store.load()
    first, second = shipped[0], shipped[1]
    moved = edited(first, name_en="Edited in a chain")
    steps: list[dict] = [
        {moved.id: moved},
        {second.id: None},
        {"gz-chain-new": edited(first, id="gz-chain-new", name_zh="链式新平台")},
        {second.id: second},  # back again
        {"gz-chain-new": None},
    ]
    for step in steps:
        for rid, rec in step.items():
            store.write(rid, rec, actor="chain", op="delete" if rec is None else "replace")
        data = data.apply(step, store.version())
        assert data._platforms is None  # nothing read: the frame waits
    assert record_feature(moved)["properties"]["name_en"] == "Edited in a chain"
    assert_same_snapshot(data, ServiceData(settings))


def edited(record, **changes):
    """A copy of ``record`` with ``changes``, validated."""
    return type(record).model_validate(record.model_dump() | changes)


def test_concurrent_writes_through_one_server_all_reach_its_snapshot(editor):
    """Writes the store commits together (the file store's group commit) are all applied."""
    client, auth = editor
    start = len(client.app.state.data.collections["platforms"].ids)

    def post(k: int) -> None:
        for i in range(4):
            create(client, auth, name_zh=f"并发快照平台{k}-{i}")

    threads = [threading.Thread(target=post, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wait_for(lambda: caught_up(client))
    served = client.app.state.data
    assert len(served.collections["platforms"].ids) == start + 24
    assert_same_snapshot(served, ServiceData(served.settings))


def test_a_stream_of_writes_is_applied_in_batches(store_location):
    """Updates come at most every ``reload_coalesce_s``: writes within it are applied together."""
    service = client_for(store_location, reload_coalesce_s=0.5)
    client, auth = next(service)
    live = client.app.state.live
    before = live.updates + live.reloads
    for i in range(24):
        create(client, auth, name_zh=f"批量快照平台{i}")
    assert wait_for(lambda: caught_up(client))
    steps = live.updates + live.reloads - before
    assert 1 <= steps <= 12  # one update per write would be 24
    served = client.app.state.data
    assert_same_snapshot(served, ServiceData(served.settings))
    service.close()
