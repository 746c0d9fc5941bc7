"""Unit tests on the folium objects and the rendered HTML of geo.maps."""

from __future__ import annotations

import dataclasses
import json
import re

import folium
import numpy as np
import pandas as pd
import pytest

from geo import maps
from geo.crs import from_wgs84, haversine_m
from geo.errors import MapOptionError
from geo.filters import PlatformFilter
from geo.legend import classify
from geo.maps._assets import SCRIPTS, STYLESHEETS
from geo.maps._data import class_labels, encode_column, script_json
from geo.maps._layers import BiomapSetup
from tests.maps.conftest import SCRIPT_NAME, XSS_NAME


def setup_of(m: folium.Map) -> BiomapSetup:
    found = [c for c in m._children.values() if isinstance(c, BiomapSetup)]
    assert len(found) == 1
    return found[0]


def geojsons(m: folium.Map) -> list[folium.GeoJson]:
    return [c for c in m._children.values() if isinstance(c, folium.GeoJson)]


def decode_points(payload: dict) -> tuple[np.ndarray, np.ndarray]:
    x = payload["x0"] + np.array(payload["x"]) / payload["scale"]
    y = payload["y0"] + np.array(payload["y"]) / payload["scale"]
    return x, y


@pytest.fixture(scope="module")
def default_map(registry, layers, city):
    return maps.build_map(registry, layers, city=city)


def test_default_map_has_every_platform_and_district(default_map, registry):
    cfg = setup_of(default_map).config
    assert cfg["points"]["n"] == len(registry)
    lon, lat = decode_points(cfg["points"])
    err = haversine_m(lon, lat, registry.geometry.x.to_numpy(), registry.geometry.y.to_numpy())
    assert err.max() < 1.0  # 1e-5 degree integer encoding
    choro = geojsons(default_map)[0]
    assert len(choro.data["features"]) == 11
    assert sum(g["count"] for g in cfg["points"]["groups"]) == len(registry)


def test_no_cdn_in_either_mode(default_map):
    inline = maps.render_html(default_map, assets="inline")
    served = maps.render_html(default_map, assets="url", asset_url_prefix="/maps/assets/")
    assert "cdn" not in served.lower()  # (third-party code inlined may mention CDNs in comments)
    for html in (inline, served):
        assert not re.search(r"<(script|link)[^>]+(src|href)=\"(https?:)?//", html)
    assert "<script src=" not in inline
    assert 'rel="stylesheet"' not in inline
    refs = re.findall(r'(?:src|href)="/maps/assets/([^"]+)"', served)
    assert set(refs) == set(SCRIPTS) | set(STYLESHEETS)
    assert set(refs) <= set(maps.asset_files())


def test_inline_css_images_become_data_uris(default_map):
    inline = maps.render_html(default_map)
    assert "url(images/" not in inline
    assert "data:image/png;base64," in inline


def test_asset_files_exist_and_cover_css_references():
    files = maps.asset_files()
    assert all(p.is_file() and p.stat().st_size > 0 for p in files.values())
    for rel in STYLESHEETS:
        css = files[rel].read_text(encoding="utf-8")
        folder = rel.rsplit("/", 1)[0]
        for ref in re.findall(r"url\(['\"]?(?!data:|#)([^'\")]+)", css):
            assert f"{folder}/{ref}" in files, ref


def test_registry_text_is_escaped(hostile, layers, city):
    m = maps.build_map(hostile, layers, city=city, lang="en")
    html = maps.render_html(m)
    assert XSS_NAME not in html
    assert SCRIPT_NAME not in html
    assert "<b onmouseover" not in html
    assert script_json(XSS_NAME).strip('"') in html  # present, as inert JSON text
    payload = setup_of(m).config["points"]
    assert XSS_NAME in payload["name"]["v"]


def test_unknown_layer_text_is_escaped_in_panels(registry, layers, city):
    m = maps.build_map(registry, layers, city=city, title="<script>alert(3)</script>")
    html = maps.render_html(m)
    assert "<script>alert(3)" not in html
    panel = next(p for p in setup_of(m).config["panels"] if p["className"] == "biomap-title")
    assert panel["html"].startswith("&lt;script&gt;alert(3)&lt;/script&gt;")


@pytest.mark.parametrize(
    ("values", "k", "n_bins"),
    [([0, 0, 1, 3, 7, 7, 12, 30], 5, 5), ([2, 2, 2], 5, 1), ([0, 1, np.nan], 5, 2), ([], 5, 0)],
)
def test_classify(values, k, n_bins):
    breaks = classify(pd.Series(values, dtype=float), k=k)
    bins, classes = breaks.bins, breaks.index
    assert len(bins) == n_bins
    assert breaks.has_no_data == bool(np.isnan(np.asarray(values, dtype=float)).any())
    y = np.asarray(values, dtype=float)
    assert (classes[np.isnan(y)] == -1).all()
    for v, c in zip(y[~np.isnan(y)], classes[~np.isnan(y)], strict=True):
        assert v <= bins[c]
        assert c == 0 or v > bins[c - 1]


def test_class_labels_integer_and_float():
    assert class_labels([0, 2, 9], 0, integer=True) == ["0", "1–2", "3–9"]
    assert class_labels([0.5, 1.25], 0.1, integer=False) == ["0.100 – 0.500", "> 0.500 – 1.25"]


def test_legend_shows_the_breaks(default_map, registry, layers, city):
    from geo.stats.density import density_table
    from geo.zones import get_layer

    counts = density_table(registry, get_layer(layers, "districts"), city=city).table["count"]
    bins = list(classify(counts).bins)
    legend = next(
        p for p in setup_of(default_map).config["panels"] if p["className"] == "biomap-legend"
    )
    for text in class_labels(bins, float(counts.min()), integer=True):
        assert text in legend["html"]
    assert "基础条件服务平台" in legend["html"]


def test_per_100k_marks_missing_population_as_no_data(registry, layers, city):
    # every shipped district has a 2020 figure now; blank Liwan's to see how a gap is drawn
    zones = layers["districts"].zones.copy()
    zones.loc[zones["zone_id"] == "440103", "population_2020"] = np.nan
    gappy = {**layers, "districts": dataclasses.replace(layers["districts"], zones=zones)}
    m = maps.build_map(registry, gappy, city=city, metric="per_100k", lang="en")
    feats = geojsons(m)[0].data["features"]
    tips = {f["properties"]["zone_id"]: f["properties"]["_tip"] for f in feats}
    assert "no data" in tips["440103"]
    assert "census" in tips["440103"]
    assert "no data" not in tips["440104"]
    legend = next(p for p in setup_of(m).config["panels"] if p["className"] == "biomap-legend")
    assert "no data" in legend["html"]
    note = next(p for p in setup_of(m).config["panels"] if p["className"] == "biomap-note")
    assert "Liwan" in note["html"]


def test_per_100k_of_the_shipped_districts_has_no_gap(registry, layers, city):
    m = maps.build_map(registry, layers, city=city, metric="per_100k", lang="en")
    tips = [f["properties"]["_tip"] for f in geojsons(m)[0].data["features"]]
    assert len(tips) == 11
    assert not any("no data" in t for t in tips)
    note = next(p for p in setup_of(m).config["panels"] if p["className"] == "biomap-note")
    assert "no figure for" not in note["html"]


def test_amap_shifts_every_drawn_coordinate(registry, layers, city):
    plain = maps.build_map(registry, layers, city=city, tiles="none")
    amap = maps.build_map(registry, layers, city=city, tiles="amap")
    lon, lat = decode_points(setup_of(amap).config["points"])
    glon, glat = from_wgs84(registry.geometry.x, registry.geometry.y, "gcj02")
    assert haversine_m(lon, lat, glon, glat).max() < 1.0
    moved = haversine_m(lon, lat, *decode_points(setup_of(plain).config["points"]))
    assert moved.min() > 400
    assert moved.max() < 800
    a = first_vertex(geojsons(amap)[0])
    p = first_vertex(geojsons(plain)[0])
    assert 400 < haversine_m(a[0], a[1], p[0], p[1]) < 800
    assert "autonavi" in maps.render_html(amap)


def first_vertex(layer: folium.GeoJson) -> np.ndarray:
    coords = layer.data["features"][0]["geometry"]["coordinates"]
    while isinstance(coords[0], list | tuple):
        coords = coords[0]
    return np.asarray(coords, dtype=float)


def test_tianditu_needs_key_and_uses_it(registry, layers, city):
    with pytest.raises(MapOptionError, match="key"):
        maps.build_map(registry, layers, city=city, tiles="tianditu")
    m = maps.build_map(
        registry, layers, city=city, tiles="tianditu", tianditu_key="abc123", lang="en"
    )
    html = maps.render_html(m)
    assert "tk=abc123" in html
    assert "eva_w" in html


@pytest.mark.parametrize("tiles", ["osm", "cartodb", "amap"])
def test_tiles_have_attribution(registry, layers, tiles, city):
    html = maps.render_html(maps.build_map(registry, layers, city=city, tiles=tiles))
    assert re.search(r'"attribution": "(\\u0026|&)copy; .', html)


def test_bad_options_raise(registry, layers, city):
    with pytest.raises(MapOptionError):
        maps.build_map(registry, layers, city=city, tiles="google")
    with pytest.raises(MapOptionError):
        maps.build_map(registry, layers, city=city, metric="per_person")
    with pytest.raises(MapOptionError):
        maps.build_map(registry, layers, city=city, lang="fr")
    with pytest.raises(MapOptionError):
        maps.figure_map(5, registry, layers, city=city)
    with pytest.raises(MapOptionError, match="fixes type"):
        maps.figure_map(
            2, registry, layers, city=city, filter=PlatformFilter(type=("basic_condition",))
        )
    with pytest.raises(MapOptionError):
        maps.render_html(maps.build_map(registry, layers, city=city), assets="cdn")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "case",
    [
        (1, "level", {"national", "provincial", "municipal"}, "level"),
        (2, "type", {"basic_condition"}, "sub_kind"),
        (3, "type", {"public_technology"}, "sub_kind"),
        (4, "type", {"transformation_cluster"}, "sub_kind"),
    ],
)
def test_figure_presets(registry, layers, case, city):
    n, column, allowed, group_by = case
    m = maps.figure_map(n, registry, layers, city=city, lang="en")
    cfg = setup_of(m).config
    expected = registry[registry[column].isin(allowed)]
    assert cfg["points"]["n"] == len(expected) > 0
    codes = {g["code"] for g in cfg["points"]["groups"]}
    assert codes == set(expected[group_by])
    title = next(p for p in cfg["panels"] if p["className"] == "biomap-title")["html"]
    assert title.startswith(f"Figure {n}.")


def test_figure4_draws_363_zones_dashed_and_lists_unlocated(registry, layers, city):
    m = maps.figure_map(4, registry, layers, city=city)
    zones = [g for g in geojsons(m) if "363" in g.layer_name]
    assert len(zones) == 1
    assert zones[0].show
    located = layers["zones363"].located
    assert len(zones[0].data["features"]) == len(located)
    style = zones[0].style_function(zones[0].data["features"][0])
    assert style["dashArray"]
    note = next(p for p in setup_of(m).config["panels"] if p["className"] == "biomap-note")
    unlocated = layers["zones363"].zones
    unlocated = unlocated[unlocated.geometry.isna() | unlocated.geometry.is_empty]
    assert len(unlocated) > 0
    for name in unlocated["name_zh"]:
        assert name in note["html"]
    assert "暂定" in note["html"]


def test_default_map_hides_363_zones_but_offers_them(default_map):
    zones = [g for g in geojsons(default_map) if "363" in g.layer_name]
    assert len(zones) == 1
    assert not zones[0].show
    assert any("363" in o.label_json for o in setup_of(default_map).overlays)


def test_zones363_choropleth_is_dashed(registry, layers, city):
    m = maps.build_map(registry, layers, city=city, layer="zones363", metric="per_km2", lang="en")
    choro = next(g for g in geojsons(m) if "_fill" in g.data["features"][0]["properties"])
    assert choro.style_function(choro.data["features"][0])["dashArray"]
    assert len(choro.data["features"]) == len(layers["zones363"].located)


def test_languages(registry, layers, city):
    zh = setup_of(maps.build_map(registry, layers, city=city)).config
    en = setup_of(maps.build_map(registry, layers, city=city, lang="en")).config
    assert zh["strings"]["search"] == "搜索平台名称"
    assert en["strings"]["search"] == "Search platform name"
    assert next(r["label"] for r in zh["points"]["rows"]) == "依托单位"
    assert next(r["label"] for r in en["points"]["rows"]) == "Host"
    assert {g["label"] for g in en["points"]["groups"]} <= {
        "Basic condition service", "Public & professional technology service",
        "Achievement transformation & industrialization cluster",
    }  # fmt: skip


def test_filter_and_empty_result(registry, layers, city):
    m = maps.build_map(
        registry, layers, city=city, filter=PlatformFilter(q="no such platform at all")
    )
    cfg = setup_of(m).config
    assert cfg["points"]["n"] == 0
    assert cfg["points"]["groups"] == []
    assert "<script" in maps.render_html(m)


def test_popup_rows_carry_provenance(registry, layers, city):
    cfg = setup_of(maps.build_map(registry, layers, city=city, lang="en")).config["points"]
    rows = {r["label"]: r["col"] for r in cfg["rows"]}
    assert {
        "Host",
        "Type",
        "Sub-kind",
        "Fields",
        "Address",
        "District",
        "Coordinates",
        "Source",
    } <= set(rows)

    def value(col, i):
        return col["d"][col["i"][i]] if "d" in col else col["v"][i]

    first = registry.iloc[0]
    assert first["source"] in value(rows["Source"], 0)
    assert "m" in value(rows["Coordinates"], 0)


def test_encode_column_and_script_json():
    assert encode_column(["a", "a", None, "a"]) == {"d": ["a"], "i": [0, 0, -1, 0]}
    assert encode_column(["a", "b"]) == {"v": ["a", "b"]}
    text = script_json({"k": "</script><!-- \u2028 &"})
    assert "<" not in text
    assert ">" not in text
    assert "\u2028" not in text
    assert json.loads(text) == {"k": "</script><!-- \u2028 &"}


def test_large_payload_is_gzipped_and_lossless(registry, layers, city):
    import base64
    import gzip

    many = registry.loc[registry.index.repeat(25)].reset_index(drop=True)
    many["name_zh"] = [f"{n}{i}" for i, n in enumerate(many["name_zh"])]
    setup = setup_of(maps.build_map(many, layers, city=city))
    packed = json.loads(setup.config_json)
    assert packed["points"] is None
    inflated = json.loads(gzip.decompress(base64.b64decode(packed["pointsGz"])))
    assert inflated == json.loads(json.dumps(setup.config["points"]))
    small = json.loads(setup_of(maps.build_map(registry, layers, city=city)).config_json)
    assert "pointsGz" not in small


def test_titles_and_view_come_from_the_city(default_map, city):
    cfg = setup_of(default_map).config
    title = next(p for p in cfg["panels"] if p["className"] == "biomap-title")["html"]
    assert title.startswith(city.title("zh") + "分布")
    assert default_map.location == list(city.profile.map.center)
    assert default_map.options["zoom"] == city.profile.map.zoom


def test_metric_wording_is_the_vocabulary(registry, layers, city):
    from geo.vocab import metric_label

    m = maps.build_map(registry, layers, city=city, metric="per_100k")
    legend = next(p for p in setup_of(m).config["panels"] if p["className"] == "biomap-legend")
    assert metric_label("per_100k", "zh") == "每10万常住人口平台数"
    assert "每10万常住人口平台数" in legend["html"]
    en = setup_of(maps.build_map(registry, layers, city=city, lang="en")).config
    title = next(p for p in en["panels"] if p["className"] == "biomap-title")["html"]
    assert "Number of platforms" in title
