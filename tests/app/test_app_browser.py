"""The web app in Debian's headless Chromium against a real ``biomap serve`` on 127.0.0.1.

One server (the shipped registry, with two platforms renamed to hostile names, and an editor
token) and one browser serve the whole module. Every request that is not 127.0.0.1, data: or
blob: is aborted and recorded; each test checks none was made and no console error appeared.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page

from geo.maps._assets import NODE_MODULES
from geo.store import DEFAULT_REGISTRY, open_store
from tests.auth_tokens import issue_token
from tests.browser import Visit, chromium, open_page
from tests.maps.conftest import SCRIPT_NAME, XSS_NAME
from tests.servers import Server, new_platform, serving

pytestmark = pytest.mark.browser

AXE = NODE_MODULES / "axe-core" / "axe.min.js"
DRAWN = "() => Number(document.body.dataset.drawn || 0)"
#: The app has drawn and the server's title for that drawing has arrived (it follows the numbers).
SETTLED = "() => document.body.dataset.viewed === document.body.dataset.drawn"


@dataclass
class Site:
    server: Server
    token: str
    hostile_ids: list[str]

    @property
    def total(self) -> int:
        """Platforms served now (the editor test adds one; test order does not matter)."""
        url = f"{self.server.url}/collections/platforms/items?limit=1"
        return httpx.get(url, timeout=30).json()["numberMatched"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """``biomap serve`` on a copy of the shipped registry with two hostile platform names."""
    folder = tmp_path_factory.mktemp("app")
    location = str(folder / "platforms.geojson")
    records = open_store(DEFAULT_REGISTRY).load()
    hostile = [
        records[0].model_copy(update={"name_zh": XSS_NAME, "name_en": XSS_NAME}),
        records[1].model_copy(update={"name_zh": SCRIPT_NAME, "name_en": SCRIPT_NAME}),
    ]
    with open_store(location) as store:
        store.save(hostile + records[2:], actor="test")
        token = issue_token(store, role="editor", name="planner")
    with serving(folder, "--store", location) as server:
        yield Site(server, token, [r.id for r in hostile])


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


class AppVisit(Visit):
    def drawn(self) -> int:
        return self.page.evaluate(DRAWN)

    def redraw(self, action) -> None:
        """Run ``action`` and wait until the app has drawn again."""
        before = self.drawn()
        action()
        self.page.wait_for_function(
            f"() => ({DRAWN})() > {before} && ({SETTLED})()", timeout=15_000
        )

    def count_text(self) -> str:
        return self.page.text_content("#bm-count") or ""

    def table(self) -> dict[str, int]:
        """Zone id -> count, from the density table on screen."""
        return self.page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('#bm-table tbody tr')]
                 .map(r => [r.dataset.zone, Number(r.children[1].textContent)]))"""
        )


@pytest.fixture
def visit(browser, site) -> Iterator:
    pages: list[Page] = []

    def open_(hash_: str = "", *, path: str = "/") -> AppVisit:
        v = open_page(
            browser,
            site.server.url + path + hash_,
            visit=AppVisit,
            viewport={"width": 1400, "height": 900},
            accept_downloads=True,
        )
        page = v.page
        pages.append(page)
        page.wait_for_function(f"() => ({DRAWN})() > 0 && ({SETTLED})()", timeout=20_000)
        return v

    yield open_
    for page in pages:
        page.close()


def api(site: Site, path: str) -> httpx.Response:
    return httpx.get(site.server.url + path, timeout=30)


def test_loading_the_app(visit, site):
    v = visit()
    page = v.page
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    total = site.total
    assert v.count_text() == f"显示 {total} / {total} 个平台"
    density = api(site, "/stats/density?layer=districts").json()
    assert v.table() == {z["zone_id"]: z["count"] for z in density["zones"]}
    assert page.text_content("#bm-title") == api(site, "/app/view").json()["title"]
    state = page.evaluate(
        """() => ({markers: biomapApp.drawnMarkers, zones: document.querySelectorAll(
             '.leaflet-bm-zonesTop-pane path').length, choro: document.querySelectorAll(
             '.leaflet-bm-choro-pane path').length, legend: document.querySelectorAll(
             '#bm-legend .row[data-type]').length})"""
    )
    assert state["markers"] == total  # the whole city is in view: every platform drawn
    assert state["choro"] == 11
    assert state["zones"] == 3  # the located "363" zones, in the pane above the clusters
    z = page.evaluate(
        """() => ['bm-zonesTop', 'marker', 'bm-dots', 'bm-choro'].map(
             n => Number(getComputedStyle(biomapApp.map.getPane(n + (n === 'marker' ? 'Pane' : '')))
             .zIndex))"""
    )
    assert z[0] > z[1] > z[2] > z[3]
    assert state["legend"] == 3
    assert page.locator("#bm-legend .row[data-overlay=zones363]").count() == 1
    page.uncheck("#bm-ov-zones363")  # the overlay switch takes the zones and their legend row
    assert page.locator(".leaflet-bm-zonesTop-pane path").count() == 0
    assert page.locator("#bm-legend .row[data-overlay]").count() == 0
    assert "overlays=&" in page.evaluate("location.hash") + "&"
    v.clean()


def test_changing_a_filter_changes_map_counts_and_table(visit, site):
    v = visit()
    page = v.page
    before = v.table()
    v.redraw(lambda: page.select_option("#bm-f-type", "basic_condition"))
    expected = api(site, "/stats/density?layer=districts&type=basic_condition").json()
    n = expected["totals"]["count"]
    assert 0 < n < site.total
    assert v.count_text() == f"显示 {n} / {site.total} 个平台"
    assert v.table() == {z["zone_id"]: z["count"] for z in expected["zones"]} != before
    assert page.evaluate("biomapApp.drawnMarkers") == n
    assert "basic_condition" in page.evaluate("location.hash")
    assert "筛选：类型: 基础条件服务平台" in page.text_content("#bm-subtitle")
    legend = page.text_content("#bm-legend .row[data-type=basic_condition]")
    assert f"({n})" in legend
    # the metric switch recolours the same zones with the server's classes
    v.redraw(lambda: page.select_option("#bm-metric", "per_100k"))
    view = api(site, "/app/view?type=basic_condition&metric=per_100k").json()
    fills = page.evaluate(
        "() => [...document.querySelectorAll('.leaflet-bm-choro-pane path')].map(p => p.getAttribute('fill'))"
    )
    assert sorted(fills) == sorted(view["classes"]["fill"].values())
    v.clean()


#: Filters of the app's URL (its keys) and the same filter as the API's query string.
FILTERS = [
    ("", ""),
    ("type=basic_condition", "type=basic_condition"),
    ("level=national", "level=national"),
    ("district=440104&stage=applied_rnd", "district_adcode=440104&chain_stages=applied_rnd"),
    ("type=transformation_cluster", "type=transformation_cluster"),
    ("q=no-such-platform-zz", "q=no-such-platform-zz"),  # nothing matches: LQs null
]
METRICS = ["count", "per_km2", "per_100k", "lq_area", "lq_population"]
TABLE_CELLS = """(zones) => {
  const shown = Object.fromEntries([...document.querySelectorAll('#bm-table tbody tr')]
    .map(r => [r.dataset.zone, [...r.children].slice(1).map(td => td.textContent)]));
  const want = Object.fromEntries(zones.map(z => [String(z.zone_id),
    ['count', 'per_km2', 'per_100k', 'lq_area', 'lq_population'].map(c => biomapApp.fmt(z[c], c))]));
  return {shown, want, note: document.getElementById('bm-table-note').textContent};
}"""


def test_the_browsers_density_and_classes_equal_the_servers(visit, site):
    """The numbers and classes the app computes itself equal /stats/density and /app/view."""
    v = visit()
    page = v.page
    seen = {"null_per_km2": 0, "null_per_100k": 0, "lq": 0, "null_lq": 0, "schemes": set()}
    for layer in ("districts", "zones363"):
        for app_filter, api_filter in FILTERS:
            density = api(site, f"/stats/density?layer={layer}&{api_filter}").json()
            for metric in METRICS:
                state = f"#layer={layer}&metric={metric}&{app_filter}"
                v.redraw(lambda s=state: page.evaluate("h => { location.hash = h; }", s))
                mine = page.evaluate("biomapApp.density")
                assert mine["zones"] == density["zones"], (layer, api_filter)
                assert mine["totals"] == density["totals"], (layer, api_filter)
                cells = page.evaluate(TABLE_CELLS, density["zones"])
                assert cells["shown"] == cells["want"]
                view = api(site, f"/app/view?layer={layer}&metric={metric}&{api_filter}").json()
                classes = page.evaluate("biomapApp.classes")
                assert classes == view["classes"], (layer, metric, api_filter)
                legend = page.evaluate(
                    "() => [...document.querySelectorAll('#bm-legend .row[data-class]')]"
                    ".map(r => r.textContent)"
                )
                assert legend == view["classes"]["labels"]
                fills = page.evaluate(
                    "() => Object.fromEntries([...document.querySelectorAll("
                    "'.leaflet-bm-choro-pane path[data-zone]')]"
                    ".map(p => [p.dataset.zone, p.getAttribute('fill')]))"
                )
                located = {str(z["zone_id"]) for z in density["zones"] if z["area_km2"] is not None}
                assert fills == {z: c for z, c in view["classes"]["fill"].items() if z in located}
                assert page.text_content("#bm-subtitle") == view["subtitle"]
                seen["schemes"].add(view["classes"]["scheme"])
            zones = density["zones"]
            seen["null_per_km2"] += sum(z["per_km2"] is None for z in zones)
            seen["null_per_100k"] += sum(z["per_100k"] is None for z in zones)
            seen["lq"] += sum(z["lq_population"] is not None for z in zones)
            seen["null_lq"] += sum(
                z["lq_area"] is None and z["area_km2"] is not None for z in zones
            )
    # the cases compared include zones without geometry or population, LQs and null LQs
    assert min(seen["null_per_km2"], seen["null_per_100k"], seen["lq"], seen["null_lq"]) > 0
    assert {"Fisher-Jenks", "unique values", "single value"} <= seen["schemes"]
    v.clean()


def test_the_browsers_classifier_equals_geo_legend(visit):
    """The app's port of the legend classifier (mapclassify's Fisher-Jenks in float32, the
    labels' Python number format) on random values, against geo.legend itself."""
    import random

    import numpy as np

    from geo.legend import classify
    from geo.maps._data import class_labels

    rng = random.Random(13)
    cases = []
    for t in range(400):
        n = rng.randint(1, 50)
        scale = rng.choice([1, 10, 1000, 1e5])
        if t % 4 == 0:
            values = [float(rng.randint(0, 40)) for _ in range(n)]
        elif t % 4 == 1:
            values = [rng.random() * scale for _ in range(n)]
        elif t % 4 == 2:
            values = [rng.randint(0, 400) / rng.choice([3.7, 8.0, 12.31]) for _ in range(n)]
        else:  # a large offset: float32 sums lose digits, so only its arithmetic gives its breaks
            values = [scale * 100 + rng.random() * scale / 100 for _ in range(n)]
        values = [None if rng.random() < 0.1 else x for x in values]
        breaks = classify(np.array([np.nan if x is None else x for x in values]))
        integer = t % 4 == 0
        labels = (
            class_labels(list(breaks.bins), breaks.lowest, integer=integer)
            if breaks.lowest is not None
            else []
        )
        cases.append(
            {
                "values": values,
                "integer": integer,
                "want": [list(breaks.bins), breaks.index.tolist(), breaks.scheme, labels],
            }
        )
    v = visit()
    got = v.page.evaluate(
        """(cases) => cases.map(c => { const b = biomapApp.classify(c.values, 5);
             return [b.bins, b.index, b.scheme,
                     b.lowest === null ? [] : biomapApp.classLabels(b.bins, b.lowest, c.integer)]; })""",
        cases,
    )
    assert [c["want"] for c in cases] == got
    assert sum(c["want"][2] == "Fisher-Jenks" for c in cases) > 250
    v.clean()


def test_a_table_row_zooms_to_its_zone_and_lists_its_platforms(visit, site):
    v = visit()
    page = v.page
    zoom0 = page.evaluate("biomapApp.map.getZoom()")
    row = page.locator("#bm-table tr[data-zone='440104'] button")  # Yuexiu
    row.focus()
    page.keyboard.press("Enter")  # keyboard operable
    page.wait_for_function(f"() => biomapApp.map.getZoom() > {zoom0}")
    centre = page.evaluate(
        "(() => { const c = biomapApp.map.getCenter(); return [c.lng, c.lat]; })()"
    )
    assert 113.2 < centre[0] < 113.35
    assert 23.08 < centre[1] < 23.2
    count = v.table()["440104"]
    assert page.locator("#bm-panel .bm-list button[data-id]").count() == count
    assert f"越秀区的平台({count} 个)" in page.text_content("#bm-list-h")
    # the chain-gap view: every stage's count, the API's gaps marked
    chain = api(site, "/stats/chain?layer=districts").json()
    counts = next(z["counts"] for z in chain["zones"] if z["zone_id"] == "440104")
    for stage, n in counts.items():
        assert (
            page.text_content(f"#bm-chain li[data-stage={stage}]").split(": ")[1].startswith(str(n))
        )
    gaps = {g["missing"] for g in chain["gaps"] if g["zone_id"] == "440104"}
    assert {
        s for s in counts if page.locator(f"#bm-chain li[data-stage={s}] .bm-gap").count()
    } == gaps
    assert "sel=districts%3A440104" in page.evaluate("location.hash")
    # sorting by keyboard
    page.locator("#bm-table th button[data-sort=per_100k]").focus()
    page.keyboard.press("Enter")
    assert page.get_attribute("#bm-table th:nth-child(4)", "aria-sort") == "descending"
    values = page.evaluate(
        """() => [...document.querySelectorAll('#bm-table tbody tr')]
             .map(r => r.children[3].textContent).filter(t => t !== '–').map(Number)"""
    )
    assert values == sorted(values, reverse=True)
    assert len(values) > 2
    v.clean()


def test_a_stacked_platform_is_reached(visit, site):
    v = visit()
    page = v.page
    # the most shared point of the registry: many platforms on one campus coordinate
    stack = page.evaluate(
        """() => { const p = biomapApp.points, seen = {};
             for (let i = 0; i < p.n; i++) { const k = p.lon[i] + ',' + p.lat[i]; seen[k] = (seen[k] || 0) + 1; }
             const [k, n] = Object.entries(seen).sort((a, b) => b[1] - a[1])[0];
             return {lon: Number(k.split(',')[0]), lat: Number(k.split(',')[1]), n}; }"""
    )
    assert stack["n"] > 1
    page.evaluate(
        f"biomapApp.map.setView([{stack['lat']}, {stack['lon']}], 18, {{animate: false}})"
    )
    marker = page.locator(".bm-cluster[data-stack='1']").first
    marker.wait_for()
    assert int(marker.get_attribute("data-count")) >= stack["n"]
    marker.focus()
    page.keyboard.press("Enter")
    heading = page.locator("#bm-list-h")
    heading.wait_for()
    assert "同一坐标" in heading.text_content()
    items = page.locator("#bm-panel .bm-list button[data-id]")
    assert items.count() >= stack["n"]
    first_id = items.first.get_attribute("data-id")
    items.first.click()
    page.locator("#bm-platform-h").wait_for()
    record = api(site, f"/collections/platforms/items/{first_id}").json()["properties"]
    assert page.text_content("#bm-platform-h") == record["name_zh"]
    for key in ("source", "source_date", "verification", "coord_precision", "coord_source"):
        if record.get(key) not in (None, ""):
            assert page.locator(f"#bm-panel dd[data-field={key}]").count() == 1, key
    assert page.locator("#bm-panel a[href$='/history']").count() == 1
    v.clean()


def test_downloads_png_and_csv_of_the_view(visit, site):
    v = visit("#type=public_technology&layer=districts&metric=per_km2")
    page = v.page
    with page.expect_download() as d:
        page.click("#bm-dl-png")
    png = Path(d.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    assert image.size[0] > 1000
    assert image.getextrema() != (
        (255, 255),
        (255, 255),
        (255, 255),
        (255, 255),
    )
    assert d.value.suggested_filename == "biomap_districts_per_km2.png"
    with page.expect_download() as d:
        page.click("#bm-dl-csv")
    text = Path(d.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["zone_id"]: int(r["count"]) for r in rows} == v.table()
    href = page.get_attribute("#bm-dl-geojson", "href")
    features = api(site, href).json()["features"]
    assert len(features) == page.evaluate("biomapApp.selection.length")
    assert {f["properties"]["type"] for f in features} == {"public_technology"}
    for fmt in ("svg", "pdf"):
        assert "type=public_technology" in page.get_attribute(f"#bm-dl-{fmt}", "href")
    v.clean()


def test_the_url_restores_the_view(visit, site):
    state = "#lang=en&layer=zones363&metric=per_km2&level=national&map=12/23.10000/113.40000&overlays=value_parks"
    v = visit(state)
    page = v.page
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.input_value("#bm-layer") == "zones363"
    assert page.input_value("#bm-metric") == "per_km2"
    assert page.input_value("#bm-f-level") == "national"
    assert page.evaluate("biomapApp.map.getZoom()") == 12
    centre = page.evaluate(
        "(() => { const c = biomapApp.map.getCenter(); return [c.lat, c.lng]; })()"
    )
    assert centre == pytest.approx([23.1, 113.4], abs=1e-4)
    assert page.is_checked("#bm-ov-value_parks")
    assert not page.is_checked("#bm-ov-zones363")
    n = api(site, "/stats/density?layer=zones363&level=national").json()["totals"]["count"]
    assert v.count_text() == f"{n} of {site.total} platforms shown"
    assert (
        page.text_content("#bm-title")
        == api(site, "/app/view?layer=zones363&metric=per_km2&level=national&lang=en").json()[
            "title"
        ]
    )
    # the share box holds the URL of this view; the language switch goes back to Chinese
    assert page.input_value("#bm-share-url").endswith(page.evaluate("location.hash"))
    v.redraw(lambda: page.click("#bm-lang"))
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.input_value("#bm-f-level") == "national"
    v.clean()
    # a code the app does not know is dropped, not sent to the server (the select shows it)
    v2 = visit("#type=nonsense&level=national,provincial")
    assert v2.page.input_value("#bm-f-type") == ""
    assert v2.page.input_value("#bm-f-level") == "national"
    assert "type=" not in v2.page.evaluate("location.hash")
    v2.clean()


def test_hostile_names_stay_text(visit, site):
    v = visit()
    page = v.page
    v.redraw(lambda: page.fill("#bm-f-q", "onerror"))
    assert page.evaluate("biomapApp.selection.length") == 1
    zone = next(z for z, n in v.table().items() if n == 1)
    page.click(f"#bm-table tr[data-zone='{zone}'] button")
    item = page.locator("#bm-panel .bm-list button[data-id]")
    assert item.text_content() == XSS_NAME
    item.click()
    page.locator("#bm-platform-h").wait_for()
    assert page.text_content("#bm-platform-h") == XSS_NAME
    v.redraw(lambda: page.fill("#bm-f-q", "__pwned"))
    zone = next(z for z, n in v.table().items() if n == 1)
    page.click(f"#bm-table tr[data-zone='{zone}'] button")
    assert page.locator("#bm-panel .bm-list button[data-id]").text_content() == SCRIPT_NAME
    assert (
        page.evaluate(
            "document.querySelectorAll('img[src=\"x\"], script:not([src]):not([type])').length"
        )
        == 0
    )
    assert page.evaluate("window.__pwned === undefined")
    v.clean()


def _serious(page: Page) -> list[str]:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `bash scripts/setup.sh` (npm ci in geo/maps/_static)")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .filter(v => v.impact === 'serious' || v.impact === 'critical')
             .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(', '))"""
    )


def test_axe_finds_no_serious_violations(visit, site):
    v = visit()
    page = v.page
    assert _serious(page) == []
    page.click("#bm-table tr[data-zone='440106'] button")
    page.locator("#bm-panel .bm-list button[data-id]").first.click()
    page.locator("#bm-platform-h").wait_for()
    page.fill("#bm-token", "not-a-real-token")
    page.click("#bm-token-use")
    page.click("#bm-new")
    assert _serious(page) == []
    v2 = visit("#lang=en&layer=zones363")
    assert _serious(v2.page) == []
    v.clean()
    v2.clean()


def test_the_editor_creates_and_corrects_a_platform(visit, site):
    v = visit()
    page = v.page
    before = site.total
    page.fill("#bm-token", site.token)
    page.click("#bm-token-use")
    page.click("#bm-new")
    props = new_platform(name_zh="规划应用新建平台", name_en="Created in the app")["properties"]
    for key in ("name_zh", "name_en", "host_zh", "address_zh", "source", "source_date"):
        page.fill(f"#bm-e-{key}", props[key])
    for key in ("type", "sub_kind", "level", "verification", "supporting_unit", "fields"):
        page.select_option(f"#bm-e-{key}", props[key])
    page.click("#bm-edit button[type=submit]")
    page.wait_for_function(f"() => biomapApp.points.n === {before + 1}", timeout=20_000)
    assert "已保存" in page.text_content("#bm-status")
    page.locator("#bm-platform-h").wait_for()
    assert page.text_content("#bm-platform-h") == "规划应用新建平台"
    new_id = page.evaluate("biomapApp.state.platform.id")
    page.click("#bm-edit-this")
    page.fill("#bm-e-name_en", "Corrected in the app")
    page.click("#bm-edit button[type=submit]")
    page.wait_for_function(
        "() => document.getElementById('bm-status').textContent.includes('已保存')"
    )
    record = api(site, f"/collections/platforms/items/{new_id}").json()["properties"]
    assert record["name_en"] == "Corrected in the app"
    history = json.loads(api(site, f"/collections/platforms/items/{new_id}/history").text)
    assert [c["actor"] for c in history["history"]] == ["planner", "planner"]
    v.clean()
