"""Benchmark the interactive maps: HTML size and time until drawn in headless Chromium.

For each size (synthetic platforms inside Guangzhou) it builds two pages in the same run:

* ``biomap``: :func:`geo.maps.build_map` + :func:`geo.maps.render_html` (standalone, assets
  inlined): compact columnar payload, client-side clustering (Supercluster), canvas dots.
* ``baseline``: the usual Folium recipe, one ``folium.Marker`` (with a tooltip) per point in a
  ``MarkerCluster``, with Leaflet and Leaflet.markercluster served locally next to the page (the
  HTML size counts the page only, not its ~190 KB of scripts).

"Time to drawn" is from navigation start to the second animation frame after the ``load``
event, when every script has run and the first frame with the points has been painted; the
script also checks that the drawn clusters and points account for every platform.

Usage::

    .venv/bin/python benchmarks/bench_maps.py                  # 140, 10,000 and 100,000 points
    .venv/bin/python benchmarks/bench_maps.py --sizes 140 10000 --baseline-max 10000
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely
from _browser import launch as launch_chromium  # benchmarks/ is on sys.path as a script
from _browser import offline_page
from folium.plugins import MarkerCluster
from playwright.sync_api import sync_playwright

from geo import maps
from geo.cities import City, open_city
from geo.taxonomy import LEVELS, SUB_KINDS_BY_TYPE

DRAWN_JS = """async () => {
  const frame = () => new Promise(r => requestAnimationFrame(r));
  if (window.BiomapMap) while (!(window.biomapMaps && window.biomapMaps.length)) await frame();
  await frame(); await frame();
  return performance.now();
}"""
OURS_COUNT_JS = "() => window.biomapMaps[0].points.drawnCount()"
BASELINE_COUNT_JS = """() => { let n = 0; for (const k in window) { const v = window[k];
  if (v && v instanceof L.MarkerClusterGroup) n += v.getLayers().length; } return n; }"""


def synthetic_platforms(n: int, the_city: City, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` random platforms inside the city (Guangzhou) with every column a map shows."""
    rng = np.random.default_rng(seed)
    city = the_city.outline.union_all()
    xmin, ymin, xmax, ymax = city.bounds
    xs, ys = np.empty(0), np.empty(0)
    while len(xs) < n:
        x = rng.uniform(xmin, xmax, n * 3)
        y = rng.uniform(ymin, ymax, n * 3)
        inside = shapely.contains_xy(city, x, y)
        xs, ys = np.concatenate([xs, x[inside]]), np.concatenate([ys, y[inside]])
    types = rng.choice(list(SUB_KINDS_BY_TYPE), n)
    sub = [sorted(SUB_KINDS_BY_TYPE[t])[i % len(SUB_KINDS_BY_TYPE[t])] for i, t in enumerate(types)]
    frame = {
        "id": [f"syn-{i}" for i in range(n)],
        "name_zh": [f"合成平台{i}" for i in range(n)],
        "name_en": [f"Synthetic platform {i}" for i in range(n)],
        "host_zh": rng.choice(["中山大学", "中国科学院", "广州医科大学", "某企业"], n),
        "type": types,
        "sub_kind": sub,
        "fields": [
            ["drug_rnd"] if i % 2 else ["biotechnology", "medical_research"] for i in range(n)
        ],
        "level": rng.choice(list(LEVELS), n),
        "chain_stages": [["basic_research"]] * n,
        "address_zh": None,
        "coord_precision": rng.choice(["campus", "street", "district"], n),
        "coord_uncertainty_m": 1000.0,
        "coord_source": "synthetic",
        "source": "synthetic benchmark data",
        "source_date": "2026-11-27",
        "verification": "unverified",
    }
    return gpd.GeoDataFrame(frame, geometry=shapely.points(xs[:n], ys[:n]), crs="EPSG:4326")


def build_ours(platforms: gpd.GeoDataFrame, layers, city: City, out: Path) -> tuple[Path, float]:
    t0 = time.perf_counter()
    html = maps.render_html(maps.build_map(platforms, layers, city=city))
    path = out / f"biomap-{len(platforms)}.html"
    path.write_text(html, encoding="utf-8")
    return path, time.perf_counter() - t0


def build_baseline(platforms: gpd.GeoDataFrame, out: Path) -> tuple[Path, float]:
    t0 = time.perf_counter()
    m = folium.Map(location=[23.25, 113.45], zoom_start=9, tiles=None, maxZoom=18)
    m.default_js = [("leaflet", "assets/leaflet/leaflet.js")]
    m.default_css = [("leaflet_css", "assets/leaflet/leaflet.css")]
    cluster = MarkerCluster()
    cluster.default_js = [("markercluster", "assets/mc/leaflet.markercluster.js")]
    cluster.default_css = [
        ("markercluster_css", "assets/mc/MarkerCluster.css"),
        ("markercluster_default_css", "assets/mc/MarkerCluster.Default.css"),
    ]
    cluster.add_to(m)
    for x, y, name in zip(
        platforms.geometry.x, platforms.geometry.y, platforms["name_zh"], strict=True
    ):
        folium.Marker([y, x], tooltip=name).add_to(cluster)
    m.fit_bounds([[22.5, 112.9], [24.0, 114.1]])
    path = out / f"baseline-{len(platforms)}.html"
    m.save(str(path))
    return path, time.perf_counter() - t0


def copy_baseline_assets(out: Path) -> None:
    from xstatic.pkg import leaflet, leaflet_markercluster

    shutil.copytree(leaflet.BASE_DIR, out / "assets" / "leaflet", dirs_exist_ok=True)
    shutil.copytree(leaflet_markercluster.BASE_DIR, out / "assets" / "mc", dirs_exist_ok=True)


def time_to_drawn(
    browser, path: Path, count_js: str, timeout_s: float
) -> tuple[float | None, int | None]:
    blocked: list[str] = []
    page = offline_page(
        browser,
        blocked,
        allowed=("file://", "data:", "blob:"),
        viewport={"width": 1280, "height": 860},
    )
    try:
        page.goto(path.as_uri(), wait_until="load", timeout=timeout_s * 1000)
        drawn_ms = page.evaluate(DRAWN_JS)
        count = page.evaluate(count_js)
    except Exception as exc:  # timeouts: report them, do not stop the run
        print(f"  {path.name}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        return None, None
    finally:
        page.close()
    if blocked:
        print(f"  {path.name}: blocked requests {blocked[:3]}")
    return drawn_ms, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[140, 10_000, 100_000])
    parser.add_argument("--baseline-max", type=int, default=100_000, help="largest baseline size")
    parser.add_argument("--timeout", type=float, default=300, help="page load timeout, seconds")
    parser.add_argument("--out", type=Path, default=None, help="keep the pages in this folder")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_maps_"))
    out.mkdir(parents=True, exist_ok=True)
    copy_baseline_assets(out)
    city = open_city()
    layers = city.zone_layers()
    rows = []
    with sync_playwright() as p:
        browser = launch_chromium(p)
        for n in args.sizes:
            platforms = synthetic_platforms(n, city)
            path, build_s = build_ours(platforms, layers, city, out)
            drawn, count = time_to_drawn(browser, path, OURS_COUNT_JS, args.timeout)
            rows.append(("biomap", n, build_s, path.stat().st_size, drawn, count))
            if n <= args.baseline_max:
                path, build_s = build_baseline(platforms, out)
                drawn, count = time_to_drawn(browser, path, BASELINE_COUNT_JS, args.timeout)
                rows.append(("baseline", n, build_s, path.stat().st_size, drawn, count))
            print_rows(rows[-2:] if n <= args.baseline_max else rows[-1:])
        browser.close()
    print(
        "\n| points | page | build s | HTML MB | drawn ms | drawn/points | size ratio | time ratio |"
    )
    print("|---:|---|---:|---:|---:|---|---:|---:|")
    base = {(n): (size, drawn) for kind, n, _, size, drawn, _ in rows if kind == "baseline"}
    for kind, n, build_s, size, drawn, count in rows:
        b_size, b_drawn = base.get(n, (None, None))
        size_ratio = f"{size / b_size:.2f}" if b_size else "-"
        time_ratio = f"{drawn / b_drawn:.2f}" if drawn and b_drawn else "-"
        drawn_s = f"{drawn:,.0f}" if drawn else "timeout"
        print(f"| {n:,} | {kind} | {build_s:.2f} | {size / 1e6:.2f} | {drawn_s} | {count}/{n} "
              f"| {size_ratio} | {time_ratio} |")  # fmt: skip
    print(f"\npages in {out}")


def print_rows(rows) -> None:
    for kind, n, build_s, size, drawn, count in rows:
        print(f"{kind:9s} n={n:>7,} build {build_s:6.2f} s  html {size / 1e6:7.2f} MB  "
              f"drawn {drawn if drawn is None else round(drawn)} ms  count {count}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
