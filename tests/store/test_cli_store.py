"""The registry commands on both stores: store init|import|export, history, token, and two
ingests at once (real ``biomap`` processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.cli import app
from geo.store import DEFAULT_REGISTRY, etag, open_store

runner = CliRunner()
SHIPPED = len(open_store(DEFAULT_REGISTRY).load())


BIOMAP = str(Path(sys.executable).with_name("biomap"))


def records_of(location: str) -> list:
    store = open_store(location)
    try:
        return store.load()
    finally:
        store.close()


def platform_rows(prefix: str, n: int = 3) -> list[dict[str, str]]:
    return [
        {
            "name_zh": f"{prefix}测试检测平台{i}",
            "host_zh": f"{prefix}测试公司{i}",
            "type": "public_technology",
            "sub_kind": "testing",
            "fields": "drug_rnd",
            "supporting_unit": "enterprise",
            "level": "municipal",
            "address_zh": "广州市越秀区中山二路 中山大学附属第一医院",
            "source": "test",
            "source_date": "2026-12-03",
            "verification": "unverified",
        }
        for i in range(n)
    ]


def test_export_then_import_moves_the_registry_between_stores(store_location, tmp_path, pg_url):
    for suffix in (".geojson", ".gpkg"):
        out = tmp_path / f"export{suffix}"
        done = runner.invoke(app, ["store", "export", str(out), "--store", store_location])
        assert done.exit_code == 0, done.output
        # GeoJSON into a file; GeoPackage into the other kind of store
        other = pg_url if store_location != pg_url else str(tmp_path / "from-gpkg.geojson")
        target = other if suffix == ".gpkg" else str(tmp_path / "copy.geojson")
        assert runner.invoke(app, ["store", "init", "--store", target]).exit_code == 0
        done = runner.invoke(app, ["store", "import", str(out), "--store", target])
        assert done.exit_code == 0, done.output
        assert f"{SHIPPED} added" in done.output
        got = [r.model_dump() for r in records_of(target)]
        assert got == [r.model_dump() for r in records_of(store_location)]
        again = runner.invoke(app, ["store", "import", str(out), "--store", target])
        assert "0 added, 0 changed, 0 removed" in again.output


def test_an_invalid_import_writes_nothing(store_location, tmp_path):
    data = json.loads(Path(DEFAULT_REGISTRY).read_text(encoding="utf-8"))
    data["features"][3]["properties"]["type"] = "no-such-type"
    data["features"] = data["features"][:10]
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    done = runner.invoke(app, ["store", "import", str(bad), "--store", store_location])
    assert done.exit_code == 1
    assert "nothing imported" in done.output
    assert len(records_of(store_location)) == SHIPPED


def test_init_twice_is_a_no_op_and_a_schema_less_database_says_run_init(pg_cluster, pg_url):
    done = runner.invoke(app, ["store", "init", "--store", pg_url])
    assert done.exit_code == 0
    assert "already up to date" in done.output
    pg_cluster.execute("CREATE DATABASE biomap_empty")
    empty = pg_cluster.url("biomap_empty")
    done = runner.invoke(app, ["validate", "--store", empty])
    assert done.exit_code == 3
    assert "biomap store init" in done.output
    pg_cluster.execute("DROP DATABASE biomap_empty WITH (FORCE)")


def test_history_shows_every_change_oldest_first(store_location):
    first = records_of(store_location)[0]
    store = open_store(store_location)
    store.write(
        first.id,
        first.model_copy(update={"name_en": "Renamed"}),
        actor="alice",
        op="update",
        expect=etag(first),
    )
    store.close()
    table = runner.invoke(app, ["history", first.id, "--store", store_location])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0] == "seq\tat\top\tactor\tfields"
    assert lines[1].split("\t")[2:4] == ["ingest", "import"]
    assert lines[2].split("\t")[2:] == ["update", "alice", "name_en"]
    doc = json.loads(
        runner.invoke(app, ["history", first.id, "--format", "json", "-r", store_location]).output
    )
    assert doc["id"] == first.id
    assert [c["op"] for c in doc["history"]] == ["ingest", "update"]
    assert doc["history"][1]["after"]["name_en"] == "Renamed"
    missing = runner.invoke(app, ["history", "no-such-id", "--store", store_location])
    assert missing.exit_code == 3
    assert "no history" in missing.output


def test_tokens_live_in_the_store_named_by_store(store_location):
    made = runner.invoke(
        app, ["token", "create", "--role", "editor", "--name", "ci", "-r", store_location]
    )
    assert made.exit_code == 0, made.output
    listed = runner.invoke(app, ["token", "list", "--format", "json", "-r", store_location])
    assert [t["name"] for t in json.loads(listed.output)] == ["ci"]


def test_two_ingests_at_once_lose_nothing(store_location, tmp_path):
    inputs = []
    for prefix in ("甲", "乙"):
        path = tmp_path / f"{prefix}.csv"
        pd.DataFrame(platform_rows(prefix)).to_csv(path, index=False)
        inputs.append(path)
    env = {**os.environ, "BIOMAP_STORE": store_location}
    procs = [
        subprocess.Popen(
            [BIOMAP, "ingest", str(p)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in inputs
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    names = {r.name_zh for r in records_of(store_location)}
    assert len(records_of(store_location)) == SHIPPED + 6
    assert {f"{p}测试检测平台{i}" for p in "甲乙" for i in range(3)} <= names


@pytest.mark.parametrize("args", [["store", "--help"], ["history", "--help"]])
def test_commands_have_help(args):
    done = runner.invoke(app, args)
    assert done.exit_code == 0
    assert "Exit codes" in done.output or "Commands" in done.output
