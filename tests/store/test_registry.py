"""The registry schema, validation that reports everything, and atomic writes."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from geo.errors import DataFileError, ValidationError
from geo.store import (
    GeoJSONStore,
    frame_to_records,
    load_registry,
    records_to_frame,
    validate_records,
)


def good(**over):
    rec = {
        "id": "gz-test",
        "name_zh": "测试平台",
        "type": "public_technology",
        "sub_kind": "testing",
        "fields": ["drug_rnd"],
        "supporting_unit": "enterprise",
        "lon": 113.3,
        "lat": 23.1,
        "coord_source": "test",
        "coord_crs_in": "wgs84",
        "coord_precision": "exact",
        "source": "test",
        "source_date": "2026-11-27",
        "verification": "unverified",
    }
    rec.update(over)
    return rec


def test_a_good_record_validates():
    valid, problems = validate_records([good()])
    assert problems == []
    assert valid[0].level == "none"


def test_every_problem_is_reported_not_just_the_first():
    recs = [
        good(id="a", type="lab"),
        good(id="b", fields=["alchemy"], lon=None),
        good(id="c", sub_kind="park"),  # park does not fit public_technology
        good(id="d"),
        good(id="d"),
        {"id": "e"},
    ]
    valid, problems = validate_records(recs)
    assert [r.id for r in valid] == ["d"]
    text = "\n".join(problems)
    for expected in (
        "unknown type 'lab'",
        "unknown fields 'alchemy'",
        "lon",
        "does not fit",
        "duplicate id 'd'",
        "name_zh",
    ):
        assert expected in text


def test_html_in_names_is_kept_as_text():
    valid, _ = validate_records([good(name_zh="<img src=x onerror=alert(1)>")])
    assert valid[0].name_zh == "<img src=x onerror=alert(1)>"


def test_unknown_property_is_refused():
    _, problems = validate_records([good(colour="red")])
    assert any("colour" in p for p in problems)


def test_shipped_registry_is_valid_and_has_provenance():
    gdf = load_registry()
    assert len(gdf) >= 5
    assert gdf.crs.to_epsg() == 4326
    for col in (
        "source",
        "source_date",
        "verification",
        "coord_source",
        "coord_crs_in",
        "coord_precision",
        "licence",
    ):
        assert gdf[col].notna().all(), col


def test_round_trip_through_store(tmp_path):
    store = GeoJSONStore(tmp_path / "p.geojson")
    valid, _ = validate_records(
        [good(zones={"zones363": "x"}), good(id="gz-two", zones={"zones363": None})]
    )
    store.save(valid)
    assert [r.id for r in store.load()] == ["gz-test", "gz-two"]
    back, problems = validate_records(frame_to_records(records_to_frame(valid)))
    assert problems == []
    assert back == valid


def test_atomic_write_leaves_old_file_when_serialising_fails(tmp_path, monkeypatch):
    store = GeoJSONStore(tmp_path / "p.geojson")
    valid, _ = validate_records([good()])
    store.save(valid)
    before = store.path.read_bytes()

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("geo._io.os.fsync", boom)
    with pytest.raises(RuntimeError):
        store.save(valid + validate_records([good(id="gz-new")])[0])
    assert store.path.read_bytes() == before
    assert not list(tmp_path.glob("*.tmp"))
    assert not list(tmp_path.glob(".*.tmp"))
    assert store.history("gz-new") == []  # the failed write left no history entry


_KILLED_MID_WRITE = """
import os, signal, sys
from geo.store import GeoJSONStore, validate_records
from tests.auth_tokens import issue_token
from tests.store.test_registry import good

store = GeoJSONStore(sys.argv[1])
os.fchmod = lambda fd, mode: os.kill(os.getpid(), signal.SIGKILL)  # after the data, before rename
if sys.argv[2] == "registry":
    store.save(validate_records([good(id="gz-killed")])[0])
else:
    issue_token(store, role="editor", name="killed")
"""


def killed_mid_write(store: GeoJSONStore, target: str) -> list[str]:
    """Run a writer of ``target`` (registry or tokens) on ``store`` in a process killed by
    SIGKILL between writing its temp file and renaming it; the temp files left beside."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_MID_WRITE, str(store.path), target],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    return [p.name.split(".")[2] for p in store.path.parent.glob(".*.tmp")]


def test_a_killed_writers_temp_files_are_removed_by_the_next_write(tmp_path):
    store = GeoJSONStore(tmp_path / "p.geojson")
    store.save(validate_records([good()])[0])
    assert killed_mid_write(store, "tokens") == ["tokens"]
    assert killed_mid_write(store, "registry") == ["geojson"]  # it removed the tokens' temp
    other = tmp_path / ".p.geojson.x.geojson.abcd1234.tmp"  # another store's (p.geojson.x.geojson)
    other.write_text("in flight")
    assert [r.id for r in store.load()] == ["gz-test"]  # the killed write never happened
    store.save(validate_records([good(), good(id="gz-two")])[0])
    assert [p.name for p in tmp_path.glob(".*.tmp")] == [other.name]


def test_a_killed_writes_history_entry_is_never_shown_and_then_cut_off(tmp_path):
    store = GeoJSONStore(tmp_path / "p.geojson")
    store.save(validate_records([good()])[0])
    killed_mid_write(store, "registry")  # its history entry is appended, its rename never ran
    assert "gz-killed" in store.history_path.read_text(encoding="utf-8")
    assert store.history("gz-killed") == []  # a change that never happened
    assert [c.op for c in store.history("gz-test")] == ["ingest"]
    store.save(validate_records([good(), good(id="gz-two")])[0])
    assert "gz-killed" not in store.history_path.read_text(encoding="utf-8")
    assert store.history("gz-two")[0].seq == store.history("gz-test")[0].seq + 1
    assert [r.id for r in store.load()] == ["gz-test", "gz-two"]


def test_a_file_without_its_history_length_goes_with_all_of_it(tmp_path):
    """A registry written by hand (or an older biomap) keeps the history beside it whole."""
    store = GeoJSONStore(tmp_path / "p.geojson")
    store.save(validate_records([good()])[0])
    assert store.path.read_text(encoding="utf-8").startswith(
        '{"type": "FeatureCollection", "biomap:history_bytes": '
    )
    data = json.loads(store.path.read_text(encoding="utf-8"))
    del data["biomap:history_bytes"]
    store.path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert [c.op for c in store.history("gz-test")] == ["ingest"]
    store.save(validate_records([good(), good(id="gz-two")])[0])
    assert [c.seq for c in store.history("gz-two")] == [2]


def test_invalid_file_lists_problems(tmp_path):
    path = tmp_path / "p.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [113.3, 23.1]},
                        "properties": {**good(), "type": "nonsense"},
                    },
                ],
            }
        )
    )
    with pytest.raises(ValidationError, match="unknown type 'nonsense'"):
        GeoJSONStore(path).load()


@pytest.mark.parametrize("content", ["{oops", '{"type": "Feature"}'])
def test_malformed_files(tmp_path, content):
    path = tmp_path / "p.geojson"
    path.write_text(content)
    with pytest.raises(DataFileError):
        GeoJSONStore(path).read_raw()


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(DataFileError, match="biomap ingest"):
        GeoJSONStore(tmp_path / "none.geojson").read_raw()
