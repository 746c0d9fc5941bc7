"""``biomap map``: files written, options honoured, bad options exit 2."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from geo.cli import app

runner = CliRunner()


def test_map_writes_a_standalone_page(tmp_path):
    out = tmp_path / "m.html"
    result = runner.invoke(app, ["map", "-o", str(out), "--metric", "per_km2", "--lang", "en"])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<script src=" not in html
    assert "Platforms per km²" in html


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_figures(tmp_path, n):
    out = tmp_path / f"fig{n}.html"
    result = runner.invoke(app, ["map", "--figure", str(n), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"图{n}" in out.read_text(encoding="utf-8")


def test_asset_url_prefix_and_filters(tmp_path):
    out = tmp_path / "m.html"
    args = [
        "map",
        "-o",
        str(out),
        "--type",
        "basic_condition",
        "--asset-url-prefix",
        "/maps/assets/",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert '<script src="/maps/assets/leaflet/leaflet.js">' in html
    groups = re.findall(r'"code":"(\w+)","label"', html)
    assert set(groups) == {"basic_condition"}


def test_tianditu_key_from_environment(tmp_path):
    out = tmp_path / "t.html"
    result = runner.invoke(
        app, ["map", "-o", str(out), "--tiles", "tianditu"], env={"BIOMAP_TIANDITU_KEY": "k123"}
    )
    assert result.exit_code == 0, result.output
    assert "tk=k123" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args",
    [
        ["--tiles", "tianditu"],
        ["--figure", "7"],
        ["--figure", "2", "--type", "public_technology"],
        ["--type", "no_such_type"],
        ["--layer", "no_such_layer"],
        ["--tiles", "google"],
    ],
)
def test_bad_options_exit_2(tmp_path, args):
    out = tmp_path / "x.html"
    result = runner.invoke(app, ["map", "-o", str(out), *args], env={"BIOMAP_TIANDITU_KEY": ""})
    assert result.exit_code == 2, result.output
    assert not out.exists()


def test_missing_registry_exits_3(tmp_path):
    result = runner.invoke(
        app, ["map", "-o", str(tmp_path / "x.html"), "-r", str(tmp_path / "no.geojson")]
    )
    assert result.exit_code == 3
