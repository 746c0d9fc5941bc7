"""The Pearl River Delta overview: static snapshots (PNG/SVG/PDF) and the interactive map.

City outlines over the unit choropleth, an inset of the Guangzhou-Foshan central districts,
both languages. PNGs are decoded (size, mode, non-blank pixels), never compared to goldens.
"""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import pytest
from PIL import Image

from geo.cities import City, open_city
from geo.maps import build_map, render_html
from geo.snapshot import PAGES, render_snapshot, save_snapshot, snapshot_figure
from geo.store import load_registry


@cache
def _prd() -> City:
    return open_city("prd")


@pytest.fixture(scope="module")
def platforms():
    return load_registry()


@pytest.fixture(scope="module", params=["zh", "en"])
def overview(request, platforms):
    prd = _prd()
    return request.param, snapshot_figure(
        platforms, prd.zone_layers(), city=prd, lang=request.param
    )


def test_overview_draws_city_outlines_units_and_the_core_inset(overview):
    lang, snap = overview
    prd = _prd()
    gids = {a.get_gid() for a in snap.map_ax.get_children()}
    assert {"choropleth", "cities"} <= gids
    assert "cities" in {a.get_gid() for a in snap.inset_ax.get_children()}
    core = prd.units[prd.units["adcode"].isin(prd.profile.snapshot.inset_units)]
    x0, y0, x1, y1 = core.to_crs(prd.metric_crs).total_bounds
    ix, iy = snap.inset_ax.get_xlim(), snap.inset_ax.get_ylim()
    assert ix[0] <= x0 < x1 <= ix[1]
    assert iy[0] <= y0 < y1 <= iy[1]
    inset = {a.get_text() for a in snap.labels["inset"].artists}
    main = {a.get_text() for a in snap.labels["map"].artists}
    if lang == "zh":
        assert {"越秀区", "天河区", "禅城区"} <= inset
        assert {"福田区", "香洲区", "惠东县", "怀集县", "东莞市"} <= main  # five cities
        assert snap.title.get_text().startswith("珠江三角洲九市")
    else:
        assert {"Yuexiu", "Tianhe", "Chancheng"} <= inset
        assert {"Futian", "Xiangzhou", "Huidong", "Huaiji", "Dongguan"} <= main
        assert snap.title.get_text().startswith("Pearl River Delta")
    legend_titles = {lg.get_title().get_text() for lg in snap.legends}
    assert ("城市" if lang == "zh" else "Cities") in legend_titles
    assert "+proj" not in snap.source.get_text()


def test_overview_png_is_a_valid_non_blank_image(overview):
    _, snap = overview
    png = save_snapshot(snap, fmt="png", dpi=60)
    img = Image.open(io.BytesIO(png))
    img.load()
    assert img.format == "PNG"
    page = PAGES["a4-landscape"]
    assert abs(img.size[0] - page.width_in * 60) <= 1
    assert abs(img.size[1] - page.height_in * 60) <= 1
    assert img.mode in ("RGB", "RGBA")
    pixels = np.asarray(img.convert("L"))
    assert pixels.std() > 10  # drawn, not blank
    assert (pixels < 80).mean() > 0.005  # dark lines: city outlines and text


@pytest.mark.parametrize(("fmt", "magic"), [("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_overview_svg_and_pdf(platforms, fmt, magic):
    prd = _prd()
    data = render_snapshot(platforms, prd.zone_layers(), city=prd, fmt=fmt, lang="en", dpi=72)
    assert data.startswith(magic)


@pytest.mark.parametrize(("lang", "boundary"), [("zh", "地级市边界"), ("en", "City boundaries")])
def test_interactive_overview_has_city_outlines(platforms, lang, boundary):
    prd = _prd()
    m = build_map(platforms, prd.zone_layers(), city=prd, lang=lang)
    html = render_html(m)
    outlines = [c for c in m._children.values() if getattr(c, "layer_name", "") == boundary]
    assert len(outlines) == 1
    features = outlines[0].data["features"]
    assert [f["properties"]["name_zh"] for f in features] == [
        member.profile.name_zh for member in prd.members
    ]
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)
    assert boundary.encode("unicode_escape").decode() in html or boundary in html
    assert "440307" in html  # units of other cities in the choropleth (Longgang)


@pytest.mark.parametrize(("lang", "title"), [("zh", "广佛中心城区"), ("en", "Central districts")])
def test_interactive_overview_has_the_core_inset_in_the_choropleth_fills(platforms, lang, title):
    prd = _prd()
    m = build_map(platforms, prd.zone_layers(), city=prd, lang=lang)
    setup = next(c for c in m._children.values() if type(c).__name__ == "BiomapSetup")
    inset = setup.config["inset"]
    assert inset["title"].startswith(title)
    ids = sorted(prd.profile.snapshot.inset_units)
    core = prd.units_web[prd.units_web["adcode"].isin(ids)]
    assert len(inset["outline"]["features"]) == len(ids) == 5
    (south, west), (north, east) = inset["bounds"]
    assert (west, south, east, north) == pytest.approx(tuple(core.total_bounds), abs=0.01)
    choropleth = next(
        c for c in m._children.values() if getattr(c, "data", None) and "_fill" in str(c.data)
    )
    fills = {
        f["properties"]["zone_id"]: f["properties"]["_fill"] for f in choropleth.data["features"]
    }
    names = dict(zip(core["name_zh" if lang == "zh" else "name_en"], core["adcode"], strict=True))
    for feature in inset["outline"]["features"]:
        assert feature["properties"]["fill"] == fills[names[feature["properties"]["name"]]]
