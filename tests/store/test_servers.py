"""Several `biomap serve` processes on one store: shared edits, a database outage, a crash.

Each server is a real uvicorn process on 127.0.0.1 (tests/servers.py); the database is the
test run's PostgreSQL cluster, or a cluster of its own where a test stops it. The tests assert
that edits become visible (within a bound generous enough for a loaded CI machine); how fast
(the 1 s target) is measured by benchmarks/bench_writes.py, not asserted here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from geo.auth import hash_token
from geo.store import DEFAULT_REGISTRY, open_store
from tests.pg import Cluster
from tests.servers import new_platform, seed, serving

ITEMS = "/collections/platforms/items"
GEO = "application/geo+json"
SHIPPED = open_store(DEFAULT_REGISTRY).load()


def platform(name_zh: str) -> dict:
    """A new platform named ``name_zh`` as an editor posts it."""
    return new_platform(name_zh=name_zh, name_en="Test platform", source="test: several servers")


#: Rendering a whole interactive map takes 2-4 s on a loaded 2-core machine; visibility is
#: bounded by seconds_until, not by how long one render takes.
MAP_TIMEOUT = 30.0


def seconds_until(predicate: Callable[[], bool], timeout: float = 5.0) -> float:
    """How long until ``predicate()`` holds (polling every 20 ms); ``inf`` if never."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.02)
    return float("inf")


def listed_ids(url: str) -> set[str]:
    body = httpx.get(f"{url}{ITEMS}", params={"limit": 1000}).json()
    return {f["id"] for f in body["features"]}


def density_total(url: str) -> int:
    body = httpx.get(f"{url}/stats/density", params={"layer": "districts"}).json()
    return body["totals"]["count"]


def listed_name_en(url: str, record_id: str) -> str | None:
    body = httpx.get(f"{url}{ITEMS}", params={"limit": 1000}).json()
    return next(
        (f["properties"]["name_en"] for f in body["features"] if f["id"] == record_id), None
    )


def test_two_servers_on_one_postgis_see_each_others_edits_within_a_second(pg_url, tmp_path):
    auth = seed(pg_url)
    with serving(tmp_path, "--store", pg_url) as a, serving(tmp_path, "--store", pg_url) as b:
        before = density_total(b.url)
        assert before == density_total(a.url)
        first_map = httpx.get(f"{b.url}/maps/interactive", timeout=MAP_TIMEOUT).text

        # Created through A: in B's list, density and map within 1 s.
        made = httpx.post(f"{a.url}{ITEMS}", json=platform("双服务器共享平台"), headers=auth)
        assert made.status_code == 201, made.text
        rid = made.headers["Location"].rsplit("/", 1)[1]
        assert seconds_until(lambda: rid in listed_ids(b.url)) < 5.0
        assert seconds_until(lambda: density_total(b.url) == before + 1) < 5.0
        assert "双服务器共享平台" not in first_map
        assert (
            "双服务器共享平台" in httpx.get(f"{b.url}/maps/interactive", timeout=MAP_TIMEOUT).text
        )

        # Corrected through B with B's ETag: A lists the new name, and A's ETag moves with it.
        etag_a = httpx.get(f"{a.url}{ITEMS}/{rid}").headers["ETag"]
        etag_b = httpx.get(f"{b.url}{ITEMS}/{rid}").headers["ETag"]
        assert etag_a == etag_b
        patched = httpx.patch(
            f"{b.url}{ITEMS}/{rid}",
            json={"properties": {"name_en": "Corrected on B"}},
            headers={**auth, "Content-Type": "application/merge-patch+json", "If-Match": etag_b},
        )
        assert patched.status_code in (200, 204), patched.text
        assert seconds_until(lambda: listed_name_en(a.url, rid) == "Corrected on B") < 5.0
        assert httpx.get(f"{a.url}{ITEMS}/{rid}").headers["ETag"] != etag_a
        # A write with the ETag from before B's edit is refused by A: one of the two wins.
        stale = httpx.patch(
            f"{a.url}{ITEMS}/{rid}",
            json={"properties": {"name_en": "Lost update"}},
            headers={**auth, "Content-Type": "application/merge-patch+json", "If-Match": etag_a},
        )
        assert stale.status_code == 412

        # Deleted through A: gone from B's list and density within 1 s.
        etag_now = httpx.get(f"{a.url}{ITEMS}/{rid}").headers["ETag"]
        gone = httpx.delete(f"{a.url}{ITEMS}/{rid}", headers={**auth, "If-Match": etag_now})
        assert gone.status_code == 204, gone.text
        assert seconds_until(lambda: rid not in listed_ids(b.url)) < 5.0
        assert seconds_until(lambda: density_total(b.url) == before) < 5.0
        assert httpx.get(f"{b.url}{ITEMS}/{rid}").status_code == 404

        # The token, checked (and kept) by both, revoked from another session: both refuse it.
        with open_store(pg_url) as store:
            tokens = store.tokens()
            found = tokens.find(hash_token(auth["Authorization"].removeprefix("Bearer ")))
            assert found is not None
            tokens.revoke(found.id)

        def refused(url: str) -> bool:
            answer = httpx.delete(f"{url}{ITEMS}/gz-no-such", headers={**auth, "If-Match": "*"})
            return answer.status_code == 403

        assert seconds_until(lambda: refused(a.url) and refused(b.url)) < 5.0


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A cluster this test may stop and start (the shared one stays up for the others)."""
    cluster = Cluster()
    try:
        cluster.start()
        cluster.execute("CREATE DATABASE biomap")
        cluster.execute("CREATE EXTENSION postgis", "biomap")
        with open_store(cluster.url("biomap")) as store:
            store.init()
        yield cluster
    finally:
        cluster.remove()


def test_a_database_outage_gives_503_and_the_server_recovers_by_itself(own_cluster, tmp_path):
    url = own_cluster.url("biomap")
    auth = seed(url)
    rid = SHIPPED[1].id  # an item not asked for before (none of its answers is cached)
    with serving(tmp_path, "--store", url) as server:
        assert httpx.get(f"{server.url}{ITEMS}/{SHIPPED[0].id}").status_code == 200
        own_cluster.stop()
        down = httpx.get(f"{server.url}{ITEMS}/{rid}")
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/problem+json"
        assert int(down.headers["Retry-After"]) > 0
        assert "PostGIS store" in down.json()["detail"]
        write = httpx.post(f"{server.url}{ITEMS}", json=platform("停机时的平台"), headers=auth)
        assert write.status_code == 503
        # What the server already holds stays readable while the database is away.
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        assert len(listed_ids(server.url)) == len(SHIPPED)

        own_cluster.start()  # no restart of the server
        assert (
            seconds_until(lambda: httpx.get(f"{server.url}{ITEMS}/{rid}").status_code == 200, 10)
            < 10
        )
        made = httpx.post(f"{server.url}{ITEMS}", json=platform("恢复后的平台"), headers=auth)
        assert made.status_code == 201, made.text
        new_id = made.headers["Location"].rsplit("/", 1)[1]
        assert seconds_until(lambda: new_id in listed_ids(server.url)) < 2.0


@pytest.mark.parametrize("kind", ["file", "postgis"])
def test_a_killed_server_loses_no_acknowledged_write(kind, tmp_path, request):
    """Writes stream into a server; SIGKILL mid-stream; every 201 is in the store after."""
    location = (
        request.getfixturevalue("pg_url") if kind == "postgis" else str(tmp_path / "reg.geojson")
    )
    auth = seed(location)
    acked: list[str] = []
    with serving(tmp_path, "--store", location) as server:
        stop = threading.Event()

        def writer() -> None:
            with httpx.Client(base_url=server.url, timeout=5) as http:
                n = 0
                while not stop.is_set():
                    n += 1
                    try:
                        r = http.post(ITEMS, json=platform(f"崩溃测试平台{n:05d}"), headers=auth)
                    except httpx.TransportError:
                        return  # the server is gone: this write was never acknowledged
                    if r.status_code == 201:
                        acked.append(r.headers["Location"].rsplit("/", 1)[1])

        thread = threading.Thread(target=writer)
        thread.start()
        assert seconds_until(lambda: len(acked) >= 20, 30) < 30
        server.kill()
        stop.set()
        thread.join(timeout=10)
    with open_store(location) as store:
        stored = {r.id for r in store.load()}
        assert set(acked) <= stored
        assert len(stored) >= len(SHIPPED) + len(acked)
        assert all([c.op for c in store.history(rid)] == ["create"] for rid in acked)
