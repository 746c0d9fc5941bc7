"""Exit code 3 and one line on stderr when a command cannot run: an output it cannot write, an
input file that is missing or unusable (README, Commands). Every output is checked before any
is written, so a refused command changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import shapely
from typer.testing import CliRunner

from geo import DATA_DIR
from geo.cli import app
from geo.store import DEFAULT_REGISTRY

runner = CliRunner()
SOURCES = str(DATA_DIR / "sources" / "platforms.csv")
BIOMAP = str(Path(sys.executable).with_name("biomap"))
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="uses /proc, a folder that refuses new files"
)


def _layer(path: Path, geom: shapely.Geometry) -> Path:
    feature = {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(geom),
        "properties": {"zone_id": "a", "name_zh": "甲", "name_en": "A"},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), "utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A registry copy, a plain file, a folder, a point layer and a 1e308-coordinate layer."""
    registry = tmp_path / "p.geojson"
    shutil.copy(DEFAULT_REGISTRY, registry)
    (tmp_path / "plain.txt").write_text("x")
    (tmp_path / "folder.html").mkdir()
    return {
        "dir": tmp_path,
        "registry": registry,
        "plain": tmp_path / "plain.txt",
        "folder": tmp_path / "folder.html",
        "points": _layer(tmp_path / "points.geojson", shapely.Point(113.3, 23.1)),
        "huge": _layer(tmp_path / "huge.geojson", shapely.box(0, 0, 1e308, 1e308)),
        "missing": tmp_path / "missing.txt",
    }


#: (command line, the path its error names, what it says); ``{name}``: a path from ``files``.
WRITE = "cannot write"
CASES = [
    (["map", "-o", "/proc/x.html"], "/proc/x.html", WRITE),
    (["map", "-o", "{folder}"], "{folder}", WRITE),
    (["snapshot", "-o", "/proc/x.png"], "/proc/x.png", WRITE),
    (["snapshot", "-o", "{plain}/x.svg"], "{plain}/x.svg", WRITE),
    (["figures", "/proc/x"], "/proc/x", WRITE),
    (["figures", "{plain}"], "{plain}", WRITE),
    (["ingest", SOURCES, "-r", "/proc/r.geojson"], "/proc/r.geojson", WRITE),
    (["ingest", SOURCES, "-r", "{registry}", "--report", "/proc/rep.csv"], "/proc/rep.csv", WRITE),
    (["ingest", SOURCES, "-r", "{registry}", "--report", "{folder}"], "{folder}", WRITE),
    (
        ["ingest", SOURCES, "-r", "{registry}", "--dry-run", "--report", "/proc/r.md"],
        "/proc/r.md",
        WRITE,
    ),
    (["assign", "--write", "-r", "/proc/r.geojson"], "/proc/r.geojson", WRITE),
    (["store", "init", "-r", "/proc/r.geojson"], "/proc/r.geojson", WRITE),
    (["store", "import", "{registry}", "-r", "/proc/r.geojson"], "/proc/r.geojson", WRITE),
    (["store", "export", "/proc/x.geojson", "-r", "{registry}"], "/proc/x.geojson", WRITE),
    (["store", "export", "/proc/x.gpkg", "-r", "{registry}"], "/proc/x.gpkg", WRITE),
    (
        ["token", "create", "--role", "viewer", "--name", "a", "-r", "/proc/r.geojson"],
        "/proc/r",
        WRITE,
    ),
    (
        ["geocode", "天河区", "--online", "nominatim", "--cache", "/proc/c.sqlite"],
        "/proc/c.sqlite",
        WRITE,
    ),
    (["geocode", "--file", "{missing}"], "{missing}", "no such file"),
    (["geocode", "--file", "{folder}"], "{folder}", "cannot read"),
    (["ingest", "{missing}", "-r", "{registry}"], "{missing}", "no such file"),
    (["assign", "--layer", "{missing}"], "{missing}", "no such file"),
    (["assign", "--layer", "{points}"], "{points}", "not a usable polygon layer"),
    (
        ["assign", "--layer", "{huge}", "-r", "{registry}", "--write"],
        "{huge}",
        "not a usable polygon layer",
    ),
    (["stats", "density", "--layer", "{points}"], "{points}", "not a usable polygon layer"),
    (["stats", "chain", "--layer", "{huge}"], "{huge}", "not a usable polygon layer"),
    (
        ["map", "-o", "{dir}/m.html", "--layer", "{points}"],
        "{points}",
        "not a usable polygon layer",
    ),
    (
        ["snapshot", "-o", "{dir}/m.png", "--layer", "{huge}"],
        "{huge}",
        "not a usable polygon layer",
    ),
]


@pytest.mark.parametrize(
    ("args", "named", "says"), CASES, ids=[" ".join(c[0]).replace(SOURCES, "SRC") for c in CASES]
)
def test_cannot_run_is_exit_3_one_line_naming_the_path(files, args, named, says):
    fill = {k: str(v) for k, v in files.items()}
    before = files["registry"].read_bytes()
    result = runner.invoke(app, [a.format(**fill) for a in args])
    assert result.exit_code == 3, (result.output, result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert named.format(**fill) in lines[0]
    assert says in lines[0]
    assert files["registry"].read_bytes() == before  # nothing was written before the refusal
    assert not list(files["registry"].parent.glob(".*.tmp"))


def test_serve_refuses_a_point_layer_at_once(files):
    env = {**os.environ, "BIOMAP_LAYERS": json.dumps({"parks": str(files["points"])})}
    with socket.socket() as sock:  # a free port, in case the server did start
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    proc = subprocess.run(
        [BIOMAP, "serve", "--port", port], check=False, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 3
    assert proc.stderr.splitlines() == [
        f"error: {str(files['points'])!r} is not a usable polygon layer: row 'a': Point, not "
        "Polygon or MultiPolygon; a zone layer needs the zones' areas, not points or lines"
    ]
