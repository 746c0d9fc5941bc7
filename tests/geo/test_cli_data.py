"""``biomap geocode`` and ``biomap ingest``: output, exit codes, reports."""

import csv
import io
import json
import shutil

from typer.testing import CliRunner

from geo import DATA_DIR
from geo.cli import app
from geo.store import DEFAULT_REGISTRY

runner = CliRunner()


def test_geocode_json_lines():
    result = runner.invoke(
        app, ["geocode", "广州市天河区五山路381号", "中山大学附属第一医院", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["district_adcode"] for r in rows] == ["440106", "440104"]
    for key in ("input", "lon", "lat", "district_zh", "precision", "source", "confidence", "note"):
        assert key in rows[0]


def test_geocode_unresolved_exit_1(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("天河区\n深圳市南山区\n\n", encoding="utf-8")
    result = runner.invoke(app, ["geocode", "--file", str(path)])
    assert result.exit_code == 1
    assert "outside Guangzhou" in result.output


def test_geocode_needs_input():
    assert runner.invoke(app, ["geocode"]).exit_code == 2


def test_geocode_unknown_provider():
    result = runner.invoke(app, ["geocode", "天河区", "--online", "google"])
    assert result.exit_code == 2


def test_geocode_amap_without_key_exit_3(monkeypatch):
    monkeypatch.delenv("BIOMAP_AMAP_KEY", raising=False)
    result = runner.invoke(app, ["geocode", "天河区", "--online", "amap"])
    assert result.exit_code == 3
    assert "BIOMAP_AMAP_KEY" in result.output


def test_ingest_dry_run_and_report(tmp_path):
    registry = tmp_path / "p.geojson"
    shutil.copy(DEFAULT_REGISTRY, registry)
    before = registry.read_bytes()
    report = tmp_path / "report.md"
    result = runner.invoke(
        app,
        [
            "ingest",
            str(DATA_DIR / "sources" / "platforms.csv"),
            "-r",
            str(registry),
            "--dry-run",
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "0 rejected" in result.output
    assert registry.read_bytes() == before
    assert "| row | id |" in report.read_text(encoding="utf-8")


def test_ingest_bad_rows_still_exit_0(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("平台名称,地址\n好平台,广州市天河区五山路\n,广州\n", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "ingest",
            str(src),
            "-r",
            str(tmp_path / "r.geojson"),
            "--report",
            str(tmp_path / "r.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "rejected" in result.output


def test_ingest_unreadable_exit_3(tmp_path):
    result = runner.invoke(app, ["ingest", str(tmp_path / "none.csv")])
    assert result.exit_code == 3
    assert "no such file" in result.output


def test_ingest_bad_column_option(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("a\n1\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(src), "--column", "nonsense"])
    assert result.exit_code == 2


def test_ingest_csv_report_escapes_formulas(tmp_path):
    src = tmp_path / "in.csv"
    evil = '=HYPERLINK("http://evil.example","点我")'
    src.write_text(
        f'平台名称,地址\n"{evil.replace(chr(34), chr(34) * 2)}",广州市天河区五山路\n'
        "@SUM(1),广州市天河区五山路\n",
        encoding="utf-8",
    )
    report = tmp_path / "rep.csv"
    result = runner.invoke(
        app, ["ingest", str(src), "-r", str(tmp_path / "r.geojson"), "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert [r["name"] for r in rows] == [f"'{evil}", "'@SUM(1)"]
    assert [r["row"] for r in rows] == ["2", "3"]
