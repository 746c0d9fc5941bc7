"""Debian's headless Chromium loads the items and item pages from a real `biomap serve`.

Every request not to 127.0.0.1 is aborted and recorded (there must be none): Leaflet comes from
the API's own /maps/assets/ and there are no tiles. The registry holds hostile names; they must
show as text, run nothing and open no dialog. Both stores (file and PostGIS).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.browser import Visit, chromium, open_page
from tests.conftest import PG_TEMPLATE
from tests.maps.conftest import SCRIPT_NAME, XSS_NAME
from tests.servers import Server, serving

from .hostile import SCRIPT_ID, XSS_ID, fill_hostile

pytestmark = pytest.mark.browser

ALLOWED = ("http://127.0.0.1", "about:", "data:")
STATE_JS = """() => ({
  drawn: Number(document.getElementById("map").dataset.drawn),
  shapes: document.querySelectorAll("#map path.leaflet-interactive").length,
  base: document.querySelectorAll("#map path:not(.leaflet-interactive)").length,
  rows: document.querySelectorAll("tbody tr").length,
  images: document.querySelectorAll("img[src='x']").length,
  bold: document.querySelectorAll("tbody b, .leaflet-pane b").length,
  pwned: window.__pwned === 1,
})"""


class PageVisit(Visit):
    def state(self) -> dict:
        return self.page.evaluate(STATE_JS)

    def assert_clean(self) -> None:
        self.clean()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


@pytest.fixture(scope="module", params=["file", "postgis"])
def served(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Server]:
    """`biomap serve` on the shipped registry plus the hostile records."""
    folder = tmp_path_factory.mktemp("html-browser")
    if request.param == "file":
        location = str(folder / "platforms.geojson")
    else:
        cluster = request.getfixturevalue("pg_cluster")
        name = "biomap_html_browser"
        cluster.execute(f"DROP DATABASE IF EXISTS {name}")
        cluster.execute(f"CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE} STRATEGY FILE_COPY")
        location = cluster.url(name)
    fill_hostile(location)
    with serving(folder, "--store", location) as running:
        yield running


def visit(browser: Browser, url: str) -> PageVisit:
    v = open_page(
        browser, url, visit=PageVisit, allowed=ALLOWED, viewport={"width": 1280, "height": 900}
    )
    page = v.page
    page.wait_for_function("() => document.getElementById('map').dataset.drawn", timeout=10_000)
    return v


def test_items_page_draws_every_feature_offline(browser, served, tmp_path):
    v = visit(browser, f"{served.url}/collections/platforms/items?f=html&limit=1000")
    try:
        s = v.state()
        assert s["rows"] > 100  # the shipped registry and the two hostile records
        assert s["drawn"] == s["rows"]  # every platform has a point
        assert s["shapes"] == s["drawn"]
        assert s["base"] >= 11  # the unit outlines under the points
        assert (s["images"], s["bold"], s["pwned"]) == (0, 0, False)
        cells = v.page.locator("tbody td").all_text_contents()
        assert XSS_NAME in cells
        assert SCRIPT_NAME in cells
        v.page.screenshot(path=str(tmp_path / "items.png"))
        v.assert_clean()
    finally:
        v.page.close()


@pytest.mark.parametrize(("fid", "lang"), [(XSS_ID, "en"), (SCRIPT_ID, "zh")])
def test_item_page_shows_a_hostile_name_as_text(browser, served, fid, lang):
    v = visit(browser, f"{served.url}/collections/platforms/items/{fid}?f=html&lang={lang}")
    try:
        s = v.state()
        assert s["drawn"] == s["shapes"] == 1
        marker = v.page.locator("#map path.leaflet-interactive")
        marker.hover()
        tip = v.page.locator(".leaflet-tooltip")
        name = XSS_NAME if fid == XSS_ID else SCRIPT_NAME
        assert tip.text_content() == name
        marker.click()
        popup = v.page.locator(".leaflet-popup-content a")
        assert popup.text_content() == name
        assert popup.get_attribute("href").endswith(
            f"/collections/platforms/items/{fid}?f=html&lang={lang}"
        )
        assert v.page.locator("h1").text_content() == name
        assert v.state()["images"] == 0
        assert not v.state()["pwned"]
        v.assert_clean()
    finally:
        v.page.close()


def test_zone_pages_draw_their_polygons(browser, served):
    v = visit(browser, f"{served.url}/collections/districts/items?f=html&limit=50")
    try:
        s = v.state()
        assert s["rows"] == 11
        assert s["drawn"] == 11
        assert s["shapes"] >= 11
        v.assert_clean()
    finally:
        v.page.close()
    v = visit(browser, f"{served.url}/collections/districts/items/440106?f=html")
    try:
        assert v.state()["drawn"] == 1
        v.assert_clean()
    finally:
        v.page.close()
