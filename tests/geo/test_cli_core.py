"""``biomap`` core commands: help, exit codes, reports."""

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import geo
from geo.cli import app
from geo.store import DEFAULT_REGISTRY

runner = CliRunner()


def test_version_prints_the_package_version_and_exits_0():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"biomap {geo.__version__}\n"
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text("utf-8"))
    assert geo.__version__ == pyproject["project"]["version"]


@pytest.mark.parametrize("args", [["--help"], ["assign", "--help"], ["validate", "--help"]])
def test_help(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_no_args_shows_help():
    result = runner.invoke(app, [])
    assert "assign" in result.output


def test_validate_shipped_registry():
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "0 problems" in result.output


def test_validate_bad_file_exit_1(tmp_path):
    path = tmp_path / "p.geojson"
    data = json.loads(DEFAULT_REGISTRY.read_text())
    data["features"][0]["properties"]["level"] = "galactic"
    path.write_text(json.dumps(data))
    result = runner.invoke(app, ["validate", "-r", str(path)])
    assert result.exit_code == 1
    assert "unknown level 'galactic'" in result.output


def test_missing_registry_exit_3(tmp_path):
    result = runner.invoke(app, ["validate", "-r", str(tmp_path / "none.geojson")])
    assert result.exit_code == 3
    assert "biomap ingest" in result.output


def test_assign_reports_and_writes(tmp_path):
    path = tmp_path / "p.geojson"
    shutil.copy(DEFAULT_REGISTRY, path)
    result = runner.invoke(app, ["assign", "-r", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["outside_city"] == []
    result = runner.invoke(app, ["assign", "-r", str(path), "--write"])
    assert result.exit_code == 0
    assert "wrote" in result.output


def test_assign_unknown_extra_layer_exit_3(tmp_path):
    result = runner.invoke(app, ["assign", "--layer", str(tmp_path / "nope.geojson")])
    assert result.exit_code == 3
