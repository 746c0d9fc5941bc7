"""Decoded outputs: page sizes, non-blank pixels, SVG text as paths, determinism, CJK font."""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
import pytest
from PIL import Image

from geo.errors import SnapshotError, UnknownZoneLayerError
from geo.filters import PlatformFilter
from geo.snapshot import PAGES, render_snapshot, save_snapshot


def _png(data: bytes) -> Image.Image:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("dpi", [40, 72])
def test_png_size_follows_page_and_dpi(platforms, layers, page, dpi, city):
    img = _png(render_snapshot(platforms, layers, city=city, page=page, dpi=dpi, lang="en"))
    assert img.size == PAGES[page].pixels(dpi)
    w_in, h_in = PAGES[page].width_in, PAGES[page].height_in
    assert (w_in > h_in) == (img.size[0] > img.size[1])


def test_a4_at_300_dpi_is_print_size(level_zh):
    img = _png(save_snapshot(level_zh, fmt="png", dpi=300))
    assert img.size == (3507, 2481)  # 297 x 210 mm


def test_png_is_not_blank(level_zh):
    rgb = np.asarray(_png(save_snapshot(level_zh, fmt="png", dpi=60)).convert("RGB"))
    not_white = (rgb < 245).any(axis=2)
    assert 0.15 < not_white.mean() < 0.9  # a map fills a good part of the page, not all of it
    colours = {tuple(c) for c in rgb.reshape(-1, 3)[::7]}
    assert len(colours) > 50  # choropleth classes, dots, anti-aliased text


def test_svg_text_is_paths_and_holds_the_labels(fig4_en):
    svg = save_snapshot(fig4_en, fmt="svg").decode("utf-8")
    assert "<text" not in svg  # svg.fonttype = "path": pastes into Word without the font
    assert re.search(r'<path id="[^"]*Noto[^"]*"', svg)  # glyph outlines from the CJK font
    comments = re.findall(r"<!-- (.*?) -->", svg, flags=re.S)
    for expected in ("Figure 4 test", "Central districts: Yuexiu, Liwan, Haizhu, Tianhe"):
        assert any(expected in c for c in comments), expected
    ids = set(re.findall(r'<g id="label-[a-z]+-([^"]+)"', svg))
    assert {"Tianhe", "Huadu", "Yuexiu", "Guangzhou_Science_City_approx._"} <= ids
    assert 'id="title"' in svg
    assert 'id="source"' in svg


def test_svg_chinese_labels(level_zh):
    svg = save_snapshot(level_zh, fmt="svg").decode("utf-8")
    comments = " ".join(re.findall(r"<!-- (.*?) -->", svg, flags=re.S))
    for expected in ("按级别测试图", "国家级", "公里", "北"):
        assert expected in comments, expected
    ids = set(re.findall(r'<g id="label-[a-z]+-([^"]+)"', svg))
    assert {"天河区", "越秀区", "从化区", "南沙区"} <= ids


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_byte_identical_on_a_second_run(platforms, layers, fmt, city):
    kw = {
        "filter": PlatformFilter(type=("basic_condition",)),
        "overlay": "zones363",
        "page": "a4-portrait",
        "dpi": 50,
        "fmt": fmt,
    }
    first = render_snapshot(platforms, layers, city=city, **kw)
    second = render_snapshot(platforms, layers, city=city, **kw)
    assert first == second


def test_no_dates_or_software_in_metadata(level_zh):
    png = _png(save_snapshot(level_zh, fmt="png", dpi=40))
    assert "Software" not in png.info
    svg = save_snapshot(level_zh, fmt="svg")
    assert b"<dc:date>" not in svg
    pdf = save_snapshot(level_zh, fmt="pdf")
    assert b"/CreationDate" not in pdf
    assert b"/ModDate" not in pdf


def test_cjk_font_is_the_one_used(level_zh):
    from matplotlib import font_manager

    from geo.snapshot._fonts import CJK_FAMILY, find_cjk_font

    assert level_zh.font_family == CJK_FAMILY
    used = font_manager.findfont(level_zh.title.get_fontproperties(), fallback_to_default=False)
    assert "CJK" in used
    assert font_manager.FontProperties(fname=used).get_name().startswith("Noto Sans CJK")
    assert find_cjk_font().exists()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        save_snapshot(level_zh, fmt="png", dpi=40)
    glyph = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert glyph == []


def test_missing_font_gives_the_fix():
    from geo.errors import FontNotFoundError
    from geo.snapshot._fonts import find_cjk_font, register_cjk_font

    with pytest.raises(FontNotFoundError, match="fonts-noto-cjk"):
        find_cjk_font(("/nonexistent/NotoSansCJK-Regular.ttc",))
    with pytest.raises(FontNotFoundError, match=r"scripts/setup\.sh"):
        register_cjk_font("/nonexistent/font.ttc")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"page": "a3"}, "unknown page 'a3'"),
        ({"fmt": "jpg"}, "unknown format 'jpg'"),
        ({"metric": "density"}, "unknown metric 'density'"),
        ({"lang": "fr"}, "unknown language 'fr'"),
        ({"points_by": "colour"}, "unknown points_by 'colour'"),
        ({"dpi": 5000}, "dpi 5000 is out of range"),
    ],
)
def test_bad_options_raise_clear_errors(platforms, layers, kwargs, match, city):
    with pytest.raises(SnapshotError, match=match):
        render_snapshot(platforms, layers, city=city, **kwargs)


def test_unknown_layer(platforms, layers, city):
    with pytest.raises(UnknownZoneLayerError, match="known layers"):
        render_snapshot(platforms, layers, city=city, layer="wards")
