"""Load benchmark of the HTTP API: one uvicorn worker on 127.0.0.1, driven by wrk.

For the shipped registry and for N synthetic platforms (points sampled uniformly inside
Guangzhou's outline, attributes copied from random shipped records, built in memory in the
server process; nothing is written to data/), measures requests per second and p50/p99
latency of ``/healthz`` (the baseline, same run) and the endpoints the issue names.

Usage::

    .venv/bin/python benchmarks/bench_api.py                 # 100,000 synthetic, 10 s per URL
    .venv/bin/python benchmarks/bench_api.py --synthetic 20000 --duration 5 --connections 32

Needs ``wrk`` (Debian package ``wrk``). Client and server share the machine's cores.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

URLS = {
    "healthz": "/healthz",
    "density": "/stats/density?layer=districts",
    "items100": "/collections/platforms/items?limit=100",
    "items100_bbox": "/collections/platforms/items?limit=100&bbox=113.2,23.0,113.5,23.2",
}


def synthetic_platforms(n: int, seed: int = 0):
    """``n`` platforms inside Guangzhou (uniform), attributes drawn from the shipped records."""
    import numpy as np
    import shapely

    from geo.boundaries import load_city
    from geo.registry import load_registry

    rng = np.random.default_rng(seed)
    city = load_city().geometry.union_all()
    shapely.prepare(city)
    x0, y0, x1, y1 = city.bounds
    xs, ys = [], []
    while sum(len(x) for x in xs) < n:
        x = rng.uniform(x0, x1, n)
        y = rng.uniform(y0, y1, n)
        keep = shapely.contains_xy(city, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
    x = np.concatenate(xs)[:n]
    y = np.concatenate(ys)[:n]
    seed_rows = load_registry()
    frame = seed_rows.iloc[rng.integers(0, len(seed_rows), n)].reset_index(drop=True)
    frame["id"] = [f"syn-{i:06d}" for i in range(n)]
    frame["lon"], frame["lat"] = x, y
    return frame.set_geometry(shapely.points(x, y), crs=seed_rows.crs)


def serve(port: int, synthetic: int) -> None:
    """Run one uvicorn worker (the server side of the benchmark)."""
    import uvicorn

    from api.app import create_app
    from api.settings import Settings

    platforms = synthetic_platforms(synthetic) if synthetic else None
    app = create_app(Settings(), platforms=platforms)
    uvicorn.run(app, host="127.0.0.1", port=port, workers=1, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited during startup")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                return json.loads(r.read())
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("server did not start in time")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def wrk(url: str, *, duration: int, connections: int, threads: int) -> dict:
    """Run wrk against ``url``; return rps, p50 and p99 (ms), requests and non-2xx count."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(pct["50"]),
        "p99_ms": _ms(pct["99"]),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def bench_dataset(label: str, synthetic: int, args: argparse.Namespace) -> list[dict]:
    port = _free_port()
    cmd = [sys.executable, __file__, "--serve", str(port), "--synthetic", str(synthetic)]
    proc = subprocess.Popen(cmd, cwd=Path(__file__).resolve().parent.parent)
    try:
        base = f"http://127.0.0.1:{port}"
        t0 = time.monotonic()
        health = _wait(base, proc)
        print(f"[{label}] {health['platforms']} platforms loaded in {time.monotonic() - t0:.1f} s")
        rows = []
        for name, path in URLS.items():
            wrk(base + path, duration=1, connections=args.connections, threads=args.threads)
            result = wrk(
                base + path,
                duration=args.duration,
                connections=args.connections,
                threads=args.threads,
            )
            rows.append({"dataset": label, "platforms": health["platforms"], "url": name, **result})
            print(f"[{label}] {name:14s} {result['rps']:9.0f} rps  p50 {result['p50_ms']:6.2f} ms"
                  f"  p99 {result['p99_ms']:6.2f} ms  non-2xx {result['non_2xx']}")  # fmt: skip
        return rows
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--synthetic", type=int, default=100_000, help="synthetic platforms (0: skip)"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per URL (bounded)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.synthetic)
        return
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    rows = bench_dataset("shipped", 0, args)
    if args.synthetic:
        rows += bench_dataset("synthetic", args.synthetic, args)
    print("\nratios to /healthz in the same run (rps), p99:")
    for label in dict.fromkeys(r["dataset"] for r in rows):
        base = next(r for r in rows if r["dataset"] == label and r["url"] == "healthz")
        for r in rows:
            if r["dataset"] == label:
                print(
                    f"  {label:9s} {r['url']:14s} {r['rps'] / base['rps']:6.1%}  p99 {r['p99_ms']:.1f} ms"
                )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
