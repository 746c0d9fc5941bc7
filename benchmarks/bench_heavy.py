"""Cheap endpoints while heavy statistics run: p99 of /healthz, /stats/density and /locate.

Starts ``biomap serve`` (one uvicorn worker, 127.0.0.1, the shipped data) and measures, one
request at a time, the latency of three cheap URLs: first alone (the baseline, same run), then
while ``--heavy`` clients keep asking for a heavy ``/stats/clustering`` (Gi* on H3 resolution-8
hexagons with 999 permutations, a new seed each time so nothing is answered from a cache).
``/locate`` gets a new random point per request (never cached); ``/stats/density`` is asked
with and without a changing filter. Prints p50/p99 per URL and phase and the ratio
loaded/alone.

``--baseline-tree DIR`` also runs the same measurement against the biomap code in DIR (e.g. a
``git worktree`` of an older commit), to compare before and after a change in one run.

Usage::

    .venv/bin/python benchmarks/bench_heavy.py                       # 20 s per phase, 4 heavy clients
    .venv/bin/python benchmarks/bench_heavy.py --seconds 10 --heavy 4 --baseline-tree /tmp/old
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import serving  # noqa: E402

HEAVY = {"method": "hotspots", "resolution": 8, "permutations": 999}
DISTRICT_TYPES = ("basic_condition", "public_technology", "industrialization")


def cheap_requests(rng: random.Random) -> dict[str, tuple[str, dict]]:
    """One request of each cheap kind (new coordinates and filters each call)."""
    return {
        "healthz": ("/healthz", {}),
        "density (cached)": ("/stats/density", {"layer": "districts"}),
        "density (new filter)": (
            "/stats/density",
            {"layer": "districts", "q": f"no-such-name-{rng.randrange(10**9)}"},
        ),
        "locate (new point)": (
            "/locate",
            {"lon": f"{rng.uniform(113.2, 113.6):.6f}", "lat": f"{rng.uniform(23.0, 23.3):.6f}"},
        ),
    }


def measure(url: str, seconds: float, rng: random.Random) -> dict[str, list[float]]:
    """Round-robin the cheap requests one at a time for ``seconds``; latencies in ms per kind."""
    times: dict[str, list[float]] = {}
    end = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=60) as http:
        while time.monotonic() < end:
            for name, (path, params) in cheap_requests(rng).items():
                start = time.perf_counter()
                r = http.get(path, params=params)
                elapsed = (time.perf_counter() - start) * 1000
                if r.status_code >= 500:
                    raise RuntimeError(f"{path} answered {r.status_code}: {r.text[:200]}")
                times.setdefault(name, []).append(elapsed)
    return times


def heavy_load(url: str, clients: int, stop: threading.Event, done: list[tuple[int, float]]):
    """``clients`` threads asking for heavy statistics until ``stop``; (status, s) per answer."""

    def client(k: int) -> None:
        seed = k * 1000
        with httpx.Client(base_url=url, timeout=600) as http:
            while not stop.is_set():
                seed += 1
                start = time.perf_counter()
                r = http.get("/stats/clustering", params=HEAVY | {"seed": seed})
                done.append((r.status_code, time.perf_counter() - start))

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    return threads


def run(label: str, tree: Path, args: argparse.Namespace) -> list[tuple[str, str, float, float]]:
    """Both phases against the biomap code in ``tree``; rows of (label, url, p50, p99)."""
    env = {"PYTHONPATH": str(tree)}
    rows = []
    with tempfile.TemporaryDirectory() as tmp, serving(Path(tmp), env=env) as server:
        rng = random.Random(0)
        measure(server.url, 2, rng)  # warm up
        print(f"[{label}] measuring alone for {args.seconds:g} s ...", file=sys.stderr)
        alone = measure(server.url, args.seconds, rng)
        stop = threading.Event()
        done: list[tuple[int, float]] = []
        threads = heavy_load(server.url, args.heavy, stop, done)
        time.sleep(1.0)
        print(f"[{label}] measuring with {args.heavy} heavy clients ...", file=sys.stderr)
        loaded = measure(server.url, args.seconds, rng)
        stop.set()
        for t in threads:
            t.join(timeout=600)
        statuses = sorted({s for s, _ in done})
        ok = [s for st, s in done if st == 200]
        print(
            f"[{label}] heavy answers: {len(done)} (statuses {statuses}), "
            f"mean {np.mean(ok) if ok else float('nan'):.1f} s each when 200",
            file=sys.stderr,
        )
        for name in alone:
            for phase, times in (("alone", alone), ("loaded", loaded)):
                p50, p99 = np.percentile(times[name], [50, 99])
                rows.append((label, f"{name} {phase}", p50, p99, len(times[name])))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="length of each phase")
    parser.add_argument("--heavy", type=int, default=4, help="concurrent heavy clients")
    parser.add_argument("--baseline-tree", type=Path, help="also run biomap from this tree")
    args = parser.parse_args(argv)
    trees = [("this tree", ROOT)]
    if args.baseline_tree:
        trees.append((f"baseline {args.baseline_tree}", args.baseline_tree.resolve()))
    rows = []
    for label, tree in trees:
        rows += run(label, tree, args)
    print(f"{'code':<28} {'request':<30} {'n':>5} {'p50 ms':>9} {'p99 ms':>9} {'p99/alone':>10}")
    alone: dict[tuple[str, str], float] = {}
    for label, what, p50, p99, n in rows:
        name, phase = what.rsplit(" ", 1)
        if phase == "alone":
            alone[(label, name)] = p99
        ratio = p99 / alone[(label, name)]
        print(f"{label:<28} {what:<30} {n:>5} {p50:>9.1f} {p99:>9.1f} {ratio:>9.1f}x")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    raise SystemExit(main())
