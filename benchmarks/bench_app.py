"""Benchmark the web app at ``/``: time until drawn and interactive, page weight, filter changes.

For the shipped registry and for N synthetic platforms (points sampled uniformly inside the
city, as ``bench_maps.py`` makes them), one uvicorn worker on 127.0.0.1 serves the API
(``create_app(platforms=...)``), and Debian's headless Chromium opens:

* ``app``: ``/`` (the web app). "Drawn" is from navigation start until the app has drawn its
  first complete view (points clustered, choropleth, table: ``body[data-drawn]``) plus two
  animation frames; from then on every control answers. Cold is the first load after the
  server started (it builds the point payload); warm is the median of the next loads.
* ``baseline``: ``/maps/interactive`` (the Folium map of the same registry, served by the same
  server), measured the same way (its ``window.biomapMaps`` drawn, two frames).

Page weight is every byte the page fetched (navigation and resources: gzip-encoded body bytes
as sent, and decoded). A filter change is a ``change`` event on the type select until the app
has drawn again (points, choropleth, density table and legend classes for the new filter:
the app computes the density and classes itself, as the server does), plus two frames, with
the time until the points alone are redrawn and the time until the server's title and filter
line (``/app/view``, which follows the drawing) have arrived reported beside it; the baseline
for it is loading ``/maps/interactive?type=...`` (a filtered map is a new page there). Every request that is not 127.0.0.1 is aborted and counted (must be 0).

Usage::

    .venv/bin/python benchmarks/bench_app.py                    # shipped + 100,000 synthetic
    .venv/bin/python benchmarks/bench_app.py --synthetic 20000 --repeat 2
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path

import httpx
from _browser import launch as launch_chromium  # benchmarks/ is on sys.path as a script
from _browser import offline_page
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FRAMES = """async () => { const f = () => new Promise(r => requestAnimationFrame(r));
  await f(); await f(); return performance.now(); }"""
WEIGHT = """() => { const e = [performance.getEntriesByType('navigation')[0],
  ...performance.getEntriesByType('resource')];
  return {encoded: e.reduce((s, x) => s + x.encodedBodySize, 0),
          decoded: e.reduce((s, x) => s + x.decodedBodySize, 0), requests: e.length}; }"""
CHANGE = """async (value) => { const before = Number(document.body.dataset.drawn);
  const f = () => new Promise(r => requestAnimationFrame(r));
  const d0 = biomapApp.timings.density || 0;
  const t0 = performance.now(); const s = document.getElementById('bm-f-type');
  s.value = value; s.dispatchEvent(new Event('change'));
  while (Number(document.body.dataset.drawn) === before) await new Promise(r => setTimeout(r, 2));
  const drawn = performance.now(); await f(); await f(); const ms = performance.now() - t0;
  while (document.body.dataset.viewed !== document.body.dataset.drawn)
    await new Promise(r => setTimeout(r, 2));
  return {ms: ms, drawn_ms: drawn - t0, view_ms: performance.now() - t0,
          points_ms: biomapApp.pointsDrawnAt - t0, n: biomapApp.selection.length,
          density_ms: biomapApp.timings.density - d0,
          markers: biomapApp.drawnMarkers}; }"""
TYPES = ["basic_condition", "public_technology", "transformation_cluster", ""]


def _serve(n: int, port: int) -> None:
    """The server process: the shipped registry (n == 0) or n synthetic platforms."""
    import uvicorn

    from api.app import create_app
    from api.settings import Settings

    platforms = None
    if n:
        from bench_maps import synthetic_platforms

        from geo.cities import open_city

        platforms = synthetic_platforms(n, open_city())
    app = create_app(Settings(), platforms=platforms)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: mp.Process, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if not proc.is_alive():
            raise RuntimeError("the server exited")
        time.sleep(0.3)
    raise RuntimeError("the server did not start")


def _page(browser, blocked: list[str]) -> Page:
    return offline_page(browser, blocked, viewport={"width": 1400, "height": 900})


def _load_app(browser, url: str, blocked: list[str]) -> dict:
    page = _page(browser, blocked)
    page.goto(url + "/", wait_until="commit", timeout=300_000)
    page.wait_for_function("() => Number(document.body.dataset.drawn) > 0", timeout=300_000)
    ms = page.evaluate(FRAMES)
    out = {"ms": ms, **page.evaluate(WEIGHT), "n": page.evaluate("biomapApp.points.n")}
    out["markers"] = page.evaluate("biomapApp.drawnMarkers")
    return out | {"page": page}


def _load_baseline(browser, url: str, blocked: list[str], query: str = "") -> dict:
    page = _page(browser, blocked)
    page.goto(f"{url}/maps/interactive{query}", wait_until="load", timeout=300_000)
    page.wait_for_function("() => window.biomapMaps && window.biomapMaps.length", timeout=300_000)
    ms = page.evaluate(FRAMES)
    out = {"ms": ms, **page.evaluate(WEIGHT)}
    out["markers"] = page.evaluate("window.biomapMaps[0].points.drawnCount()")
    page.close()
    return out


def run(n: int, repeat: int) -> dict:
    """Measure one registry size; return the figures."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = mp.get_context("spawn").Process(target=_serve, args=(n, port), daemon=True)
    proc.start()
    blocked: list[str] = []
    try:
        _wait(url, proc)
        with sync_playwright() as p:
            browser = launch_chromium(p)
            cold = _load_app(browser, url, blocked)
            cold.pop("page").close()
            warm = [_load_app(browser, url, blocked) for _ in range(repeat)]
            page = warm[-1]["page"]
            changes = [page.evaluate(CHANGE, t) for t in TYPES]  # server side cold per filter
            again = [page.evaluate(CHANGE, t) for t in TYPES]  # the same filters, cached
            for w in warm:
                w.pop("page").close()
            base_cold = _load_baseline(browser, url, blocked)
            base = [_load_baseline(browser, url, blocked) for _ in range(repeat)]
            base_filter = [_load_baseline(browser, url, blocked, f"?type={t}") for t in TYPES if t]
            browser.close()
    finally:
        proc.terminate()
        proc.join(10)
    return {
        "n": n or cold["n"],
        "cold": cold,
        "warm_ms": statistics.median(w["ms"] for w in warm),
        "weight": warm[-1],
        "changes": changes,
        "again": again,
        "base_cold": base_cold,
        "base_ms": statistics.median(b["ms"] for b in base),
        "base_weight": base[-1],
        "base_filter_ms": statistics.median(b["ms"] for b in base_filter),
        "blocked": len(blocked),
    }


def report(r: dict) -> None:
    """Print one size's figures, as ratios to the baseline of the same run."""
    n = r["n"]
    change = statistics.median(c["ms"] for c in r["changes"])
    points = statistics.median(c["points_ms"] for c in r["changes"])
    again = statistics.median(c["ms"] for c in r["again"])
    w, bw = r["weight"], r["base_weight"]
    print(f"\n{n:,} platforms (blocked external requests: {r['blocked']})")
    print(
        f"  app drawn, cold:      {r['cold']['ms']:8.0f} ms  (baseline cold {r['base_cold']['ms']:.0f} ms)"
    )
    print(
        f"  app drawn, warm:      {r['warm_ms']:8.0f} ms  baseline {r['base_ms']:.0f} ms"
        f"  ratio {r['warm_ms'] / r['base_ms']:.2f}"
    )
    print(
        f"  page weight:          {w['encoded']:8,d} B sent ({w['decoded']:,d} B decoded, "
        f"{w['requests']} requests); baseline {bw['encoded']:,d} B ({bw['decoded']:,d}), "
        f"ratio {w['encoded'] / bw['encoded']:.2f}"
    )
    print(
        f"  filter change:        {change:8.0f} ms median (new filters; {again:.0f} ms repeated)"
        f"  baseline new page {r['base_filter_ms']:.0f} ms  ratio {change / r['base_filter_ms']:.2f}"
    )
    view = statistics.median(c["view_ms"] for c in r["changes"])
    print(f"  filter change, points redrawn: {points:.0f} ms median")
    print(f"  filter change, server's title and filter line in: {view:.0f} ms median")
    for c in r["changes"]:
        print(
            f"    -> {c['n']:,} selected, {c['markers']:,} drawn: points {c['points_ms']:.0f} ms,"
            f" all {c['ms']:.0f} ms (density and classes {c['density_ms']:.1f} ms),"
            f" title {c['view_ms']:.0f} ms"
        )
    assert r["cold"]["markers"] == r["cold"]["n"], "the first view must account for every point"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--synthetic", type=int, default=100_000, help="0: shipped data only")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [0] + ([args.synthetic] if args.synthetic else [])
    for n in sizes:
        report(run(n, args.repeat))


if __name__ == "__main__":
    main()
