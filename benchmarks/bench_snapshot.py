"""Benchmark of static snapshots against a headless-Chromium screenshot of the web map.

Measured in one run, on the shipped registry:

* ``render_snapshot`` of an A4 landscape page: PNG at 300 dpi, SVG and PDF, warm (after one
  untimed render, so fonts and imports are loaded), median of ``--repeat`` runs;
* ``write_figures`` as a whole (Figures 1-4, zh and en, PNG at 300 dpi, SVG and HTML), i.e.
  what ``biomap figures`` does after loading the data;
* the baseline: headless Chromium (Debian ``/usr/bin/chromium`` through Playwright) opening the
  equivalent interactive map (``geo.maps.figure_map(1, ...)`` rendered with inline assets),
  waiting until the map has drawn (two animation frames after the map objects exist, never a
  sleep) and taking a screenshot at the same pixel size as the 300-dpi PNG. Warm = browser
  already running, a new page per run; the browser launch is reported separately.

Target (issue 6): <= 1.5 s per A4 300-dpi PNG once warm.

Usage::

    .venv/bin/python benchmarks/bench_snapshot.py              # 5 repeats
    .venv/bin/python benchmarks/bench_snapshot.py --repeat 3 --out /tmp/snapbench
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _browser import launch as launch_chromium  # benchmarks/ is on sys.path as a script

from geo.cities import open_city
from geo.snapshot import PAGES, render_snapshot, write_figures
from geo.store import load_registry

# geo.maps pages register their maps in window.biomapMaps once drawn; then wait two frames so
# the paint has happened.
DRAWN_JS = """async () => {
  const frame = () => new Promise(r => requestAnimationFrame(r));
  while (!(window.biomapMaps && window.biomapMaps.length)) await frame();
  await frame(); await frame();
  return document.querySelectorAll('.leaflet-overlay-pane path, .leaflet-marker-icon').length;
}"""


def median_time(func: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``func()`` over ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def interactive_page(platforms, layers, city) -> tuple[str, str]:
    """The HTML to screenshot and what it is."""
    from geo import maps

    m = maps.figure_map(1, platforms, layers, city=city, lang="zh")
    return maps.render_html(m, assets="inline"), "geo.maps figure_map(1), inline assets"


def chromium_times(html_path: Path, shot: Path, repeat: int) -> dict[str, float]:
    """Browser launch time, and median load-to-screenshot time on a warm browser."""
    from playwright.sync_api import sync_playwright

    page_spec = PAGES["a4-landscape"]
    viewport = {
        "width": round(page_spec.width_in * 100),
        "height": round(page_spec.height_in * 100),
    }
    with sync_playwright() as p:
        t = time.perf_counter()
        browser = launch_chromium(p)
        launch = time.perf_counter() - t
        drawn: list[int] = []

        def one() -> None:
            page = browser.new_page(viewport=viewport, device_scale_factor=3.0)
            page.route(
                "**/*",
                lambda r: (
                    r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort()
                ),
            )
            page.goto(html_path.as_uri(), wait_until="load")
            drawn.append(page.evaluate(DRAWN_JS))
            page.screenshot(path=str(shot), type="png")
            page.close()

        one()  # warm-up
        warm = median_time(one, repeat)
        browser.close()
    return {"launch_s": launch, "screenshot_s": warm, "drawn_elements": float(drawn[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement")
    parser.add_argument("--out", type=Path, default=None, help="keep outputs in this folder")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_snapshot_"))
    out.mkdir(parents=True, exist_ok=True)

    platforms = load_registry()
    city = open_city()
    layers = city.zone_layers()
    kw = {"city": city, "points_by": "level", "page": "a4-landscape"}
    t = time.perf_counter()
    render_snapshot(platforms, layers, dpi=300, **kw)
    cold = time.perf_counter() - t

    results = {"cold_png300_s": cold}
    for fmt, dpi in (("png", 300), ("svg", 150), ("pdf", 150)):
        data: list[bytes] = []
        results[f"{fmt}_s"] = median_time(
            lambda fmt=fmt, dpi=dpi, data=data: data.append(
                render_snapshot(platforms, layers, dpi=dpi, fmt=fmt, **kw)
            ),
            args.repeat,
        )
        (out / f"snapshot.{fmt}").write_bytes(data[-1])
        results[f"{fmt}_bytes"] = len(data[-1])

    formats = ("png", "svg", "html")
    t = time.perf_counter()
    files = write_figures(out / "figures", platforms, layers, city=city, formats=formats, dpi=300)
    results["figures_s"] = time.perf_counter() - t
    results["figures_files"] = len(files)

    html, what = interactive_page(platforms, layers, city)
    html_path = out / "interactive.html"
    html_path.write_text(html, encoding="utf-8")
    results |= chromium_times(html_path, out / "chromium.png", args.repeat)

    base = results["screenshot_s"]
    print(f"platforms: {len(platforms)}; repeats: {args.repeat}; outputs in {out}")
    print(f"baseline: headless Chromium screenshot of {what}, 3507x2481 px")
    print("\n| what | seconds | vs Chromium screenshot (warm) |")
    print("|---|---:|---:|")
    rows = [
        ("A4 PNG 300 dpi, first render in process (cold)", results["cold_png300_s"]),
        ("A4 PNG 300 dpi (warm, median)", results["png_s"]),
        ("A4 SVG (warm, median)", results["svg_s"]),
        ("A4 PDF (warm, median)", results["pdf_s"]),
        (
            f"write_figures: {results['figures_files']} files ({', '.join(formats)})",
            results["figures_s"],
        ),
        ("Chromium: launch browser", results["launch_s"]),
        ("Chromium: load page, wait until drawn, screenshot (warm, median)", base),
    ]
    for name, secs in rows:
        print(f"| {name} | {secs:.3f} | {secs / base:.2f}x |")
    target = "met" if results["png_s"] <= 1.5 else "MISSED"
    print(f"\ntarget <= 1.5 s per warm A4 300-dpi PNG: {target} ({results['png_s']:.3f} s)")
    (out / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
