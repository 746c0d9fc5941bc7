"""``biomap stats``: formats, exit codes, and numbers equal to the library's."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from geo.cli import app
from geo.stats.density import density_table
from geo.store import load_registry
from tests.layers import one_zone_layer

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["stats", *args])


def test_density_json_equals_library(city):
    r = run("density", "--layer", "districts", "--format", "json", "--district-basis", "managing")
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    expected = density_table(
        load_registry(), city.zone_layers()["districts"], district_basis="managing", city=city
    )
    assert [z["count"] for z in body["zones"]] == expected.table["count"].tolist()
    assert body["district_basis"] == "managing"


def test_density_csv_and_table(city):
    r = run("density", "--layer", "zones363", "--format", "csv")
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == len(city.zone_layers()["zones363"].zones)
    table = run("density", "--lang", "zh")
    assert "海珠区" in table.stdout
    assert "per_km2: count / zone area" in table.stdout


def test_density_filter_matching_nothing_is_all_zero():
    r = run("density", "--format", "json", "--established-max", "1900")
    body = json.loads(r.stdout)
    # unknown years are kept by the filter, so expect exactly those platforms
    unknown = int(load_registry()["established"].isna().sum())
    assert body["totals"]["count"] == unknown
    assert r.exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ("density", "--type", "bogus"),
        ("density", "--layer", "nope"),
        ("density", "--district-basis", "both"),
        ("chain", "--dimension", "stages"),
        ("clustering", "--method", "moran"),
        ("clustering", "--format", "csv"),
    ],
)
def test_usage_errors_exit_2(args):
    assert run(*args).exit_code == 2


def test_chain_gaps_and_json():
    r = run("chain", "--format", "json", "--layer", "zones363")
    body = json.loads(r.stdout)
    assert body["unlocated_zones"]
    assert all(g["zone_id"] not in body["unlocated_zones"] for g in body["gaps"])
    gaps = run("chain", "--gaps", "--format", "csv", "--rank-by", "count")
    assert gaps.exit_code == 0
    assert len(list(csv.DictReader(io.StringIO(gaps.stdout)))) == len(
        json.loads(run("chain", "--format", "json", "--rank-by", "count").stdout)["gaps"]
    )


def test_clustering_outputs_and_too_few_points():
    r = run("clustering", "--method", "ann", "--format", "json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["ann"]["pattern"] in {"clustered", "dispersed", "random"}
    csv_out = run("clustering", "--method", "ripley", "--simulations", "5", "--format", "csv")
    assert csv_out.stdout.splitlines()[0] == "distance_m,l_observed,l_low,l_high"


def test_clustering_with_one_platform_exits_1_with_the_reason(tmp_path):
    from geo.store import DEFAULT_REGISTRY

    data = json.loads(DEFAULT_REGISTRY.read_text(encoding="utf-8"))
    data["features"] = data["features"][:1]
    one = tmp_path / "one.geojson"
    one.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    r = run("clustering", "--registry", str(one), "--permutations", "9", "--simulations", "3")
    assert r.exit_code == 1
    assert "ann: not computed" in r.output
    assert "at least 2 points" in r.output
    assert "Kernel Density" not in r.stdout  # 1 point: no bandwidth can be estimated


def test_density_csv_escapes_zone_names_a_spreadsheet_would_run(tmp_path):
    evil = '=HYPERLINK("http://evil.example","点我")'
    layer = one_zone_layer(tmp_path / "evil.geojson", name_zh=evil, name_en="@SUM(1)")
    names = {}
    for lang in ("zh", "en"):
        r = run("density", "--layer", str(layer), "--format", "csv", "--lang", lang)
        assert r.exit_code == 0, r.output
        (row,) = csv.DictReader(io.StringIO(r.stdout))
        names[lang] = row[f"name_{lang}"]
        assert int(row["count"]) > 0  # numbers are written as numbers
    assert names == {"zh": f"'{evil}", "en": "'@SUM(1)"}
