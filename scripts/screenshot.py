"""Take docs/app.png: the web app in headless Chromium, served on 127.0.0.1 with the shipped data.

Starts ``biomap serve`` on a free port (the shipped registry, no network: every request that is
not 127.0.0.1 is aborted), opens ``/`` at 1400x900 with the "363" zones above the points and
the Science City zone selected, waits until the app has drawn, and saves the PNG.

Usage::

    .venv/bin/python scripts/screenshot.py [-o docs/app.png] [--hash 'lang=en&...']
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The view shown: districts by platforms per km², the "363" zones on top, Yuexiu's platforms.
DEFAULT_VIEW = (
    "lang=zh&layer=districts&metric=per_km2&overlays=zones363&sel=districts:440104"
    "&map=10/23.18/113.42"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "app.png")
    parser.add_argument("--hash", default=DEFAULT_VIEW, help="the app state (URL hash)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from benchmarks._browser import launch, offline_page
    from tests.servers import serving

    blocked: list[str] = []
    with (
        tempfile.TemporaryDirectory() as logs,
        serving(Path(logs)) as server,
        sync_playwright() as p,
    ):
        browser = launch(p)
        page = offline_page(browser, blocked, viewport={"width": 1400, "height": 900})
        page.goto(f"{server.url}/#{args.hash}")
        page.wait_for_function(  # drawn, and the server's title for that drawing is in
            "() => Number(document.body.dataset.drawn) > 0"
            " && document.body.dataset.viewed === document.body.dataset.drawn",
            timeout=60_000,
        )
        if "sel=" in args.hash:  # a selected zone: its platforms and chain gaps are listed
            page.wait_for_selector("#bm-chain", timeout=60_000)
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        args.output.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.output))
        browser.close()
    if blocked:
        print(
            f"error: the page asked for {len(blocked)} external URLs: {blocked[:3]}",
            file=sys.stderr,
        )
        return 1
    print(args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
