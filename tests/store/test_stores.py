"""The store interface, the same on both stores: reads, writes with preconditions, history,
tokens, the writers' lock and the version counter."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from geo.errors import PreconditionFailedError, RecordExistsError, RecordNotFoundError
from geo.store import ANY, DEFAULT_REGISTRY, PlatformStore, TokenRecord, etag, open_store


@pytest.fixture
def store(store_location: str) -> Iterator[PlatformStore]:
    target = open_store(store_location)
    yield target
    target.close()


@pytest.fixture(scope="module")
def shipped():
    return open_store(DEFAULT_REGISTRY).load()


def test_a_store_holds_exactly_what_was_saved(store, shipped):
    assert store.exists()
    loaded = store.load()
    assert [r.model_dump() for r in loaded] == [r.model_dump() for r in shipped]
    first = shipped[0]
    assert store.get(first.id).model_dump() == first.model_dump()
    assert store.get("no-such-id") is None
    assert etag(store.get(first.id)) == etag(first)  # the same ETag in every store


def test_save_records_only_the_difference(store, shipped):
    edited = shipped[1].model_copy(update={"name_en": "Renamed"})
    records = [shipped[0], edited, *shipped[3:]]  # shipped[2] removed
    changes = store.save(records, actor="bob")
    assert sorted((c.id, c.op) for c in changes) == sorted(
        [(edited.id, "ingest"), (shipped[2].id, "delete")]
    )
    assert store.save(records, actor="bob") == []  # nothing changed, nothing recorded
    assert [r.id for r in store.load()] == [r.id for r in records]


def test_write_create_replace_delete_with_preconditions(store, shipped):
    new = shipped[0].model_copy(update={"id": "gz-test-0001", "name_zh": "新平台"})
    with pytest.raises(RecordNotFoundError):
        store.write(new.id, new, actor="a", op="replace", expect='"0"')
    created = store.write(new.id, new, actor="alice", op="create", expect=None)
    assert created.before is None
    assert created.after["name_zh"] == "新平台"
    with pytest.raises(RecordExistsError):
        store.write(new.id, new, actor="alice", op="create", expect=None)
    tag = etag(store.get(new.id))
    changed = new.model_copy(update={"name_en": "New platform"})
    store.write(new.id, changed, actor="bob", op="replace", expect=tag)
    with pytest.raises(PreconditionFailedError):  # alice's ETag is stale now
        store.write(new.id, new, actor="alice", op="replace", expect=tag)
    store.write(new.id, None, actor="carol", op="delete", expect=etag(changed))
    assert store.get(new.id) is None
    with pytest.raises(RecordNotFoundError):
        store.write(new.id, None, actor="carol", op="delete", expect=ANY)
    history = store.history(new.id)
    assert [(c.op, c.actor) for c in history] == [
        ("create", "alice"),
        ("replace", "bob"),
        ("delete", "carol"),
    ]
    assert history[1].before["name_en"] == new.name_en
    assert history[1].after["name_en"] == "New platform"
    assert history[2].after is None
    assert [c.seq for c in history] == sorted(c.seq for c in history)
    assert all(c.at for c in history)


def test_every_write_changes_the_version(store, shipped):
    before = store.version()
    record = shipped[0].model_copy(update={"name_en": "v2"})
    store.write(record.id, record, actor="a", op="update", expect=etag(shipped[0]))
    assert store.version() != before


def test_concurrent_writers_of_one_record_one_wins(store, shipped):
    target = shipped[5]
    tag = etag(target)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def edit(n: int) -> None:
        barrier.wait()
        try:
            store.write(
                target.id,
                target.model_copy(update={"name_en": f"edit {n}"}),
                actor=f"w{n}",
                op="replace",
                expect=tag,
            )
            outcomes.append("won")
        except PreconditionFailedError:
            outcomes.append("stale")

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["stale", "stale", "stale", "won"]
    assert len([c for c in store.history(target.id) if c.op == "replace"]) == 1


def test_the_lock_makes_read_modify_write_safe(store_location, shipped):
    """Eight threads, each with its own store object, add a record under ``locked()``."""
    errors: list[BaseException] = []

    def add(n: int) -> None:
        mine = open_store(store_location)
        try:
            with mine.locked():
                records = mine.load()
                new = shipped[0].model_copy(update={"id": f"gz-lock-{n:04d}"})
                mine.save([*records, new], actor=f"t{n}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            mine.close()

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    final = open_store(store_location)
    ids = {r.id for r in final.load()}
    assert {f"gz-lock-{n:04d}" for n in range(8)} <= ids
    assert len(ids) == len(shipped) + 8
    final.close()


def test_tokens_keep_hashes_and_revocation(store):
    tokens = store.tokens()
    record = TokenRecord("tok1", "alice", "editor", "a" * 64, "2026-12-03T10:00:00+00:00", None)
    tokens.add(record)
    with pytest.raises(RecordExistsError):
        tokens.add(record)
    assert [t.id for t in tokens.all()] == ["tok1"]
    assert tokens.find("a" * 64).name == "alice"
    assert tokens.find("b" * 64) is None
    revoked = tokens.revoke("alice")
    assert revoked.revoked is not None
    assert tokens.find("a" * 64).revoked is not None


def test_concurrent_writes_each_acknowledged_only_once_stored(store, store_location, shipped):
    """Sixteen threads write at once (the file store commits them in groups): every write that
    returned is on disk when it returns, once in the history, with the version links a server
    follows; the refused ones (a stale ETag, a failed check) change nothing."""
    from geo.errors import RecordInvalidError

    base = shipped[0]
    stale = shipped[3]
    acknowledged: dict[str, object] = {}
    refused: list[str] = []
    durable: list[bool] = []
    barrier = threading.Barrier(16)

    def refuse(_same_name):
        raise RecordInvalidError("refused by the check", {"name_zh": "test"})

    def write(n: int) -> None:
        rid = f"gz-group-{n:04d}"
        record = base.model_copy(update={"id": rid, "name_zh": f"组提交{n}"})
        barrier.wait()
        try:
            if n % 5 == 4:  # a stale precondition
                store.write(stale.id, stale, actor="t", op="replace", expect='"stale"')
            elif n % 5 == 3:
                store.write(rid, record, actor="t", op="create", expect=None, check=refuse)
            else:
                change = store.write(rid, record, actor="t", op="create", expect=None)
                acknowledged[rid] = change
                reader = open_store(store_location)  # another reader sees it at once
                durable.append(reader.get(rid) is not None)
                reader.close()
                return
        except (PreconditionFailedError, RecordInvalidError):
            refused.append(rid)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(acknowledged) == 10
    assert len(refused) == 6
    assert all(durable)
    stored = {r.id for r in store.load()}
    assert set(acknowledged) <= stored
    assert not {f"gz-group-{n:04d}" for n in range(16) if n % 5 in (3, 4)} & stored
    assert len(stored) == len(shipped) + 10
    seqs = []
    for rid, change in acknowledged.items():
        history = store.history(rid)
        assert [c.op for c in history] == ["create"]
        seqs.append(history[0].seq)
        assert change.version_before
        assert change.version
        assert change.version_before != change.version
    assert len(set(seqs)) == 10
    assert all(c.op != "replace" for c in store.history(stale.id))


def test_a_postgis_notification_names_the_version_and_the_changed_id(pg_url, shipped):
    """Other servers fetch just the changed rows: the payload carries the id (and a reconnect
    reports the version with no ids: what changed meanwhile is unknown)."""
    import time

    store = open_store(pg_url)
    store.save(shipped, actor="import")
    heard: list[tuple[str, list[str] | None]] = []
    stop = threading.Event()
    listener = store.listen(lambda v, ids: heard.append((v, ids)), stop_event=stop)
    try:
        deadline = time.monotonic() + 5
        while not heard and time.monotonic() < deadline:
            time.sleep(0.02)
        record = shipped[2].model_copy(update={"name_en": "notified"})
        change = store.write(record.id, record, actor="a", op="replace", expect=etag(shipped[2]))
        while len(heard) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        listener.join(timeout=5)
        store.close()
    assert heard[0][1] is None
    assert heard[1] == (change.version, [record.id])
    assert int(change.version) == int(change.version_before) + 1
