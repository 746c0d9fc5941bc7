"""Benchmark the HTML pages against the JSON answers of the same resources (not a test).

In-process (Starlette's TestClient, no network), response cache off, so every request is
routed, negotiated and rendered. The baseline is the JSON answer of the same URL, measured in
the same run; the figures are per-request medians and their HTML/JSON ratio.

Usage: ``python benchmarks/bench_html.py [--repeat 30] [--limit 100]``
"""

from __future__ import annotations

import argparse
import statistics
import time

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _median_ms(client: TestClient, url: str, accept: str, repeat: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        r = client.get(url, headers={"Accept": accept, "Accept-Encoding": "identity"})
        times.append(time.perf_counter() - start)
        assert r.status_code == 200, r.text
        size = len(r.content)
    return statistics.median(times) * 1000, size


def main() -> None:
    """Print a table: URL, JSON ms and KB, HTML ms and KB, HTML/JSON time ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args()
    urls = [
        "/collections",
        f"/collections/platforms/items?limit={args.limit}",
        f"/collections/districts/items?limit={args.limit}",
        "/collections/platforms/items/gz-aia-innovation-port",
        "/collections/districts/items/440106",
    ]
    settings = Settings(response_cache_entries=0)
    with TestClient(create_app(settings)) as client:
        print("| URL | JSON ms | JSON KB | HTML ms | HTML KB | HTML/JSON time |")
        print("|---|---:|---:|---:|---:|---:|")
        for url in urls:
            _median_ms(client, url, BROWSER, 2)  # warm caches (density, base outlines)
            json_ms, json_size = _median_ms(client, url, "application/json", args.repeat)
            html_ms, html_size = _median_ms(client, url, BROWSER, args.repeat)
            print(
                f"| `{url}` | {json_ms:.2f} | {json_size / 1024:.1f} | {html_ms:.2f} | "
                f"{html_size / 1024:.1f} | {html_ms / json_ms:.2f} |"
            )


if __name__ == "__main__":
    main()
