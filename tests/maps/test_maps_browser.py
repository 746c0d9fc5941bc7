"""Real-browser tests: Debian's headless Chromium loads the maps with the network unreachable.

Every request that is not file://, data:, blob: or 127.0.0.1 is aborted and recorded. One browser
serves the whole module. ``scripts/setup.sh`` installs Chromium and a CJK font when missing.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from geo import maps
from tests.browser import LOCAL, Visit, chromium, open_page
from tests.maps.conftest import SCRIPT_NAME, XSS_NAME

pytestmark = pytest.mark.browser


STATE_JS = """() => {
  const app = window.biomapMaps[0], map = app.map;
  const districts = new Set(), zones = new Set();
  let dots = 0;
  map.eachLayer(l => {
    const id = l.feature && l.feature.properties && l.feature.properties.zone_id;
    if (l instanceof L.Polygon && id) (/^4401/.test(id) ? districts : zones).add(id);
    if (l instanceof L.CircleMarker && l.options.biomapCount === 1) dots++;
  });
  return {
    n: app.points.n, drawn: app.points.drawnCount(), dots: dots,
    districts: districts.size, zones: zones.size,
    legendRows: document.querySelectorAll('.biomap-legend .row').length,
    title: document.querySelector('.biomap-title').textContent,
    note: document.querySelector('.biomap-note').textContent,
    controls: document.querySelectorAll('.leaflet-control-layers-overlays label').length,
    minimap: document.querySelectorAll('.leaflet-control-minimap').length,
    fullscreen: document.querySelectorAll('.leaflet-control-zoom-fullscreen, [class*=fullscreen]').length,
    scale: document.querySelectorAll('.leaflet-control-scale').length,
  };
}"""


class MapVisit(Visit):
    def state(self) -> dict:
        return self.page.evaluate(STATE_JS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


def visit(browser: Browser, url: str) -> MapVisit:
    v = open_page(
        browser,
        url,
        visit=MapVisit,
        allowed=("file://", *LOCAL),
        viewport={"width": 1280, "height": 860},
    )
    page = v.page
    page.wait_for_function(
        "() => window.biomapMaps && window.biomapMaps.length > 0", timeout=10_000
    )
    return v


@pytest.fixture(scope="module")
def pages(tmp_path_factory, hostile, layers, city) -> dict[str, tuple[Path, int]]:
    """Every preset in both languages plus a default map, written as standalone files."""
    out = tmp_path_factory.mktemp("maps")
    built = {}
    for n in (1, 2, 3, 4):
        for lang in ("zh", "en"):
            m = maps.figure_map(n, hostile, layers, city=city, lang=lang)
            built[f"fig{n}-{lang}"] = m
    built["default-zh"] = maps.build_map(hostile, layers, city=city)
    result = {}
    for key, m in built.items():
        path = out / f"{key}.html"
        path.write_text(maps.render_html(m), encoding="utf-8")
        n_points = next(c for c in m._children.values() if hasattr(c, "config")).config["points"][
            "n"
        ]
        result[key] = (path, n_points)
    return result


@pytest.mark.parametrize(
    "key",
    [f"fig{n}-{lang}" for n in (1, 2, 3, 4) for lang in ("zh", "en")] + ["default-zh"],
)
def test_preset_draws_offline(browser, pages, key):
    path, n = pages[key]
    v = visit(browser, path.as_uri())
    try:
        s = v.state()
        assert s["n"] == n > 0
        assert s["drawn"] == n  # clusters + single points at the start view cover every platform
        assert s["districts"] == 11
        assert s["legendRows"] >= 5
        assert s["controls"] >= 3
        assert (s["minimap"], s["scale"]) == (1, 1)
        assert s["fullscreen"] >= 1
        if key.startswith("fig4"):
            assert s["zones"] >= 1  # the located "363" zones, dashed
            assert ("暂定" if key.endswith("zh") else "provisional") in s["note"]
        v.page.click(".biomap-cluster-toggle")  # unclustered: one dot per platform
        assert v.state()["dots"] == n
        assert v.blocked == []
        assert v.errors == []
        assert v.dialogs == []
    finally:
        v.page.close()


def test_hostile_names_show_as_text_and_never_run(browser, pages):
    v = visit(browser, pages["default-zh"][0].as_uri())
    try:
        page = v.page
        page.fill(".biomap-search input", "<img")
        page.click(".biomap-search-results li")
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert XSS_NAME in popup.inner_text()
        assert "<b onmouseover=alert(2)>host</b>" in popup.inner_text()
        page.fill(".biomap-search input", "__pwned")
        assert page.locator(".biomap-search-results li").first.inner_text() == SCRIPT_NAME
        page.click(".biomap-search-results li")
        page.wait_for_timeout(200)
        page.mouse.move(640, 430)
        assert (
            page.evaluate("document.querySelectorAll('img[src=\"x\"], b[onmouseover]').length") == 0
        )
        assert page.evaluate("window.__pwned === undefined")
        assert v.dialogs == []
        assert v.errors == []
        assert v.blocked == []
    finally:
        v.page.close()


def test_heat_layer_toggles(browser, pages):
    v = visit(browser, pages["default-zh"][0].as_uri())
    try:
        assert v.page.locator("canvas.leaflet-heatmap-layer").count() == 0
        v.page.locator(".leaflet-control-layers-overlays label", has_text="热力图").click()
        assert v.page.locator("canvas.leaflet-heatmap-layer").count() == 1
        assert v.errors == []
    finally:
        v.page.close()


def test_inset_of_the_centre_draws_and_zooms_the_map_there(browser, pages):
    v = visit(browser, pages["default-zh"][0].as_uri())
    try:
        inset = v.page.locator(".biomap-inset")
        v.page.wait_for_function("() => document.querySelector('.biomap-inset').dataset.drawn")
        assert inset.locator("path").count() == 4  # Yuexiu, Liwan, Haizhu, Tianhe
        before = v.page.evaluate("() => window.biomapMaps[0].map.getZoom()")
        inset.get_by_role("button", name="中心城区").click()
        v.page.wait_for_function(f"() => window.biomapMaps[0].map.getZoom() > {before}")
        # The main map now shows the centre: Tianhe's and Liwan's centres are in view.
        assert v.page.evaluate(
            """() => { const b = window.biomapMaps[0].map.getBounds();
                 return b.contains([23.13, 113.33]) && b.contains([23.12, 113.24]); }"""
        )
        assert v.errors == []
    finally:
        v.page.close()


@pytest.fixture(scope="module")
def asset_server(tmp_path_factory, hostile, layers, city):
    """Serve the assets under /assets/ and one url-mode page on 127.0.0.1 (like the API)."""
    root = tmp_path_factory.mktemp("served")
    for rel, src in maps.asset_files().items():
        (root / "assets" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, root / "assets" / rel)
    m = maps.build_map(hostile, layers, city=city, lang="en", heat=True)
    (root / "map.html").write_text(maps.render_html(m, assets="url"), encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


def test_url_mode_loads_assets_from_local_server(browser, asset_server, hostile):
    v = visit(browser, asset_server + "/map.html")
    try:
        s = v.state()
        assert s["drawn"] == len(hostile)
        assert s["districts"] == 11
        assert v.page.locator("canvas.leaflet-heatmap-layer").count() == 1
        assert v.blocked == []
        assert v.errors == []
    finally:
        v.page.close()


def test_amap_only_tile_requests_leave(browser, tmp_path, registry, layers, city):
    path = tmp_path / "amap.html"
    path.write_text(
        maps.render_html(maps.build_map(registry, layers, city=city, tiles="amap")),
        encoding="utf-8",
    )
    v = visit(browser, path.as_uri())
    try:
        assert v.state()["drawn"] == len(registry)
        assert v.blocked  # the tiles were asked for (and blocked here) ...
        assert all("autonavi.com/appmaptile" in u for u in v.blocked)  # ... and nothing else
    finally:
        v.page.close()


def test_large_payload_is_packed_and_still_draws(browser, tmp_path, registry, layers, city):
    import numpy as np

    rng = np.random.default_rng(1)
    many = registry.loc[registry.index.repeat(25)].reset_index(drop=True)
    many["id"] = [f"p{i}" for i in range(len(many))]
    many["name_zh"] = [f"{n}{i}" for i, n in enumerate(many["name_zh"])]
    import shapely

    x = many.geometry.x.to_numpy() + rng.normal(0, 0.01, len(many))
    y = many.geometry.y.to_numpy() + rng.normal(0, 0.01, len(many))
    many = many.set_geometry(shapely.points(x, y))
    html = maps.render_html(maps.build_map(many, layers, city=city))
    assert '"pointsGz":"' in html
    path = tmp_path / "many.html"
    path.write_text(html, encoding="utf-8")
    v = visit(browser, path.as_uri())
    try:
        assert v.state()["drawn"] == len(many)
        assert v.errors == []
        assert v.blocked == []
    finally:
        v.page.close()
