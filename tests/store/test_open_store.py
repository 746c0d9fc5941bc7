"""open_store: one entry point for every registry read and write."""

import pytest

from geo.errors import DataFileError
from geo.store import (
    DEFAULT_REGISTRY,
    GeoJSONStore,
    PlatformStore,
    load_registry,
    open_store,
)


def test_default_is_the_shipped_file():
    store = open_store()
    assert isinstance(store, GeoJSONStore)
    assert store.path == DEFAULT_REGISTRY
    assert isinstance(store, PlatformStore)
    assert len(store.load()) == len(load_registry())


def test_paths_and_file_urls_are_file_stores(tmp_path):
    path = tmp_path / "r.geojson"
    assert open_store(path).path == path
    assert open_store(str(path)).path == path
    assert open_store(f"file://{path}").path == path
    assert not open_store(path).exists()


def test_a_store_passes_through(tmp_path):
    store = GeoJSONStore(tmp_path / "r.geojson")
    assert open_store(store) is store


def test_round_trip_through_the_interface(tmp_path):
    records = open_store().load()[:3]
    target = open_store(tmp_path / "r.geojson")
    target.save(records)
    assert target.exists()
    assert target.load() == records
    assert [r["id"] for r in target.read_raw()] == [r.id for r in records]


def test_unknown_scheme_names_the_known_ones():
    with pytest.raises(DataFileError, match=r"no store handles ftp:// URLs \(known: file"):
        open_store("ftp://example.org/registry")
