"""``biomap snapshot`` and ``biomap figures``: files written, exit codes, index page, progress."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from typer.testing import CliRunner

from geo.cli import app
from geo.errors import SnapshotError
from geo.snapshot import PAGES, html_maps_available, write_figures

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


def test_write_figures_progress_and_index_are_deterministic(tmp_path, platforms, layers):
    seen = []
    paths = write_figures(
        tmp_path / "a",
        platforms,
        layers,
        langs=("zh",),
        formats=("svg",),
        progress=lambda done, total, path: seen.append((done, total, path.name)),
    )
    assert [p.name for p in paths] == [*(f"figure{n}_zh.svg" for n in range(1, 5)), "index.html"]
    assert seen == [(i + 1, 5, p.name) for i, p in enumerate(paths)]
    again = write_figures(tmp_path / "b", platforms, layers, langs=("zh",), formats=("svg",))
    for p, q in zip(paths, again, strict=True):
        assert p.read_bytes() == q.read_bytes(), p.name
    svg = paths[3].read_text(encoding="utf-8")
    assert "图4 成果转化服务与产业化集群平台分布" in svg  # the title, as an SVG comment


def test_write_figures_rejects_unknown_format(tmp_path, platforms, layers):
    with pytest.raises(SnapshotError, match="unknown format 'gif'"):
        write_figures(tmp_path, platforms, layers, formats=("gif",))
    assert not any(tmp_path.iterdir())


def test_html_versions_follow_the_interactive_maps(tmp_path, platforms, layers):
    """With geo.maps installed, html writes the interactive figure; without, a clear error."""
    if html_maps_available():
        from geo import maps

        paths = write_figures(tmp_path, platforms, layers, langs=("en",), formats=("html",))
        page = paths[0].read_text(encoding="utf-8")
        assert paths[0].name == "figure1_en.html"
        assert "leaflet" in page.lower()
        assert "://unpkg" not in page
        assert maps.FIGURES[1].filter == {"level": ("national", "provincial", "municipal")}
    else:
        with pytest.raises(SnapshotError, match=r"geo\.maps"):
            write_figures(tmp_path, platforms, layers, formats=("html",))


def test_figure_specs_match_the_interactive_maps():
    """Static and interactive Figures 1-4 must show the same platforms under the same titles."""
    from geo._snapshot_figures import FIGURES

    expected_filters = [
        {"level": ("national", "provincial", "municipal")},
        {"type": ("basic_condition",)},
        {"type": ("public_technology",)},
        {"type": ("transformation_cluster",)},
    ]
    for spec, flt in zip(FIGURES, expected_filters, strict=True):
        assert {k: v for k, v in vars(spec.filter).items() if v} == flt
    assert FIGURES[3].overlay == "zones363"
    if html_maps_available():
        from geo import maps

        for spec in FIGURES:
            preset = maps.FIGURES[spec.number]
            assert preset.title_zh.replace("(", "（").replace(")", "）") == spec.title_zh
            assert preset.title_en == spec.title_en
            assert preset.filter == {k: v for k, v in vars(spec.filter).items() if v}
