"""``biomap snapshot`` and ``biomap figures``: files written, exit codes, index page, progress."""

from __future__ import annotations

import html
import io
import re

import pytest
from PIL import Image
from typer.testing import CliRunner

from geo.cli import app
from geo.errors import OutputError, SnapshotError
from geo.filters import PlatformFilter
from geo.snapshot import PAGES, write_figures

runner = CliRunner()


@pytest.mark.parametrize("args", [["snapshot", "--help"], ["figures", "--help"]])
def test_help(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    assert "Exit codes" in result.output


def test_snapshot_writes_the_file(tmp_path):
    out = tmp_path / "basic.png"
    args = ["snapshot", "-o", str(out), "--type", "basic_condition", "--lang", "en"]
    result = runner.invoke(app, [*args, "--dpi", "40", "--page", "a4-portrait"])
    assert result.exit_code == 0, result.output
    img = Image.open(io.BytesIO(out.read_bytes()))
    assert img.size == PAGES["a4-portrait"].pixels(40)


def test_snapshot_svg_from_suffix(tmp_path):
    out = tmp_path / "m.svg"
    result = runner.invoke(app, ["snapshot", "-o", str(out), "--overlay", "zones363"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().lstrip().startswith(b"<?xml")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "x.txt"], "cannot tell the format"),
        (["-o", "x.png", "--metric", "nope"], "unknown metric 'nope'"),
        (["-o", "x.png", "--type", "nope"], "unknown type 'nope'"),
        (["-o", "x.png", "--layer", "wards"], "unknown zone layer 'wards'"),
        (["-o", "x.png", "--page", "a3"], "a3"),
    ],
)
def test_snapshot_bad_options_exit_2(tmp_path, args, message):
    args = [a if a not in {"x.png", "x.txt"} else str(tmp_path / a) for a in args]
    result = runner.invoke(app, ["snapshot", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "x.png").exists()


def test_snapshot_missing_registry_exit_3(tmp_path):
    result = runner.invoke(
        app, ["snapshot", "-o", str(tmp_path / "x.png"), "-r", str(tmp_path / "none.geojson")]
    )
    assert result.exit_code == 3


def test_figures_command(tmp_path):
    result = runner.invoke(
        app, ["figures", str(tmp_path), "--lang", "en", "-f", "png", "--dpi", "40", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [*(f"figure{n}_en.png" for n in range(1, 5)), "index.html"]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert index.count("<figure") == 4
    assert set(re.findall(r'src="([^"]+)"', index)) == {f"figure{n}_en.png" for n in range(1, 5)}
    assert "Figure 4. Achievement transformation" in index


def test_write_figures_progress_and_index_are_deterministic(tmp_path, platforms, layers, city):
    seen = []
    paths = write_figures(
        tmp_path / "a",
        platforms,
        layers,
        city=city,
        langs=("zh",),
        formats=("svg",),
        progress=lambda done, total, path: seen.append((done, total, path.name)),
    )
    assert [p.name for p in paths] == [*(f"figure{n}_zh.svg" for n in range(1, 5)), "index.html"]
    assert seen == [(i + 1, 5, p.name) for i, p in enumerate(paths)]
    again = write_figures(
        tmp_path / "b", platforms, layers, city=city, langs=("zh",), formats=("svg",)
    )
    for p, q in zip(paths, again, strict=True):
        assert p.read_bytes() == q.read_bytes(), p.name
    svg = paths[3].read_text(encoding="utf-8")
    assert "图4 成果转化服务与产业化集群平台分布" in svg  # the title, as an SVG comment


def test_write_figures_rejects_unknown_format(tmp_path, platforms, layers, city):
    with pytest.raises(SnapshotError, match="unknown format 'gif'"):
        write_figures(tmp_path, platforms, layers, city=city, formats=("gif",))
    assert not any(tmp_path.iterdir())


def test_write_figures_refuses_a_file_as_outdir_before_drawing(tmp_path, platforms, layers, city):
    drawn: list[object] = []
    (tmp_path / "figs").write_text("not a folder")
    with pytest.raises(OutputError, match="it is a file; give a folder"):
        write_figures(
            tmp_path / "figs", platforms, layers, city=city, progress=lambda *a: drawn.append(a)
        )
    assert drawn == []
    assert (tmp_path / "figs").read_text() == "not a folder"


def test_html_versions_are_the_interactive_figures(tmp_path, platforms, layers, city):
    paths = write_figures(tmp_path, platforms, layers, city=city, langs=("en",), formats=("html",))
    page = paths[0].read_text(encoding="utf-8")
    assert paths[0].name == "figure1_en.html"
    assert "leaflet" in page.lower()
    assert "://unpkg" not in page
    assert city.figures[0].title_en in page


def test_figures_come_from_the_city_profile(city, platforms, layers):
    """Static and interactive figures are the profile's presets: same platforms, same titles."""
    import geo.maps
    import geo.snapshot
    from geo.maps._layers import BiomapSetup

    assert not hasattr(geo.maps, "FIGURES")
    assert "FIGURES" not in geo.maps.__all__
    assert "CENTRAL_DISTRICTS" not in geo.snapshot.__all__
    expected_filters = [
        {"level": ("national", "provincial", "municipal")},
        {"type": ("basic_condition",)},
        {"type": ("public_technology",)},
        {"type": ("transformation_cluster",)},
    ]
    assert [f.number for f in city.figures] == [1, 2, 3, 4]
    assert [dict(f.filter) for f in city.figures] == expected_filters
    assert city.figures[3].overlay == "zones363"
    assert city.figures[3].title_zh == "图4 成果转化服务与产业化集群平台分布（含“363”布局）"
    for spec in city.figures:
        for lang in ("zh", "en"):
            m = geo.maps.figure_map(spec.number, platforms, layers, city=city, lang=lang)
            setup = next(c for c in m._children.values() if isinstance(c, BiomapSetup))
            panel = next(p for p in setup.config["panels"] if p["className"] == "biomap-title")
            map_title = panel["html"].split("<small>")[0]
            snap = geo.snapshot.snapshot_figure(
                platforms,
                layers,
                city=city,
                filter=PlatformFilter(**spec.filter),
                lang=lang,
                title=spec.title(lang),
                points_by=spec.points_by,
                overlay=spec.overlay,
            )
            assert html.unescape(map_title) == snap.title.get_text() == spec.title(lang)
            assert setup.config["points"]["n"] == snap.shown
