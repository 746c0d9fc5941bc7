"""Load benchmark of the HTTP API: one uvicorn worker on 127.0.0.1, driven by wrk.

For the shipped registry and for N synthetic platforms (points sampled uniformly inside
Guangzhou's outline, attributes copied from random shipped records, written as a registry
GeoJSON to a temporary directory that the server loads; nothing is written to data/), measures
requests per second and p50/p99 latency of ``/healthz`` (the baseline, same run) and the
endpoints the issue names. ``--cache on|off|both`` runs biomap with its response cache on
(default) and/or off (``BIOMAP_RESPONSE_CACHE_ENTRIES=0`` in the server's environment).

Optional baseline: ``--pygeoapi-python`` points at the Python of a throwaway virtualenv holding
pygeoapi (never a biomap dependency). The benchmark then writes a pygeoapi config with a GeoJSON
provider collection over the *same file* biomap serves (``data/platforms.geojson``, or the
synthetic one), generates its OpenAPI document with pygeoapi's CLI, starts
``uvicorn pygeoapi.starlette_app:APP`` (one worker, 127.0.0.1) and measures the two items URLs
with the same wrk settings, then prints biomap/pygeoapi ratios. Set it up once with::

    python3 -m venv /tmp/pygeoapi-venv
    /tmp/pygeoapi-venv/bin/pip install "pygeoapi==0.21.*" uvicorn starlette

(0.21 is the newest pygeoapi for Python 3.11.) rps counts only the requests answered within
``--timeout`` (wrk's timeout, 2 s); later answers and unanswered requests count as not finished.
pygeoapi keeps working through its backlog after wrk stops, so the benchmark waits (bounded)
until it answers again before the next URL. Every server is killed at the end, also on errors.

Usage::

    .venv/bin/python benchmarks/bench_api.py                 # 100,000 synthetic, 10 s per URL
    .venv/bin/python benchmarks/bench_api.py --synthetic 20000 --duration 5 --connections 32
    .venv/bin/python benchmarks/bench_api.py --cache both --pygeoapi-python /tmp/pygeoapi-venv/bin/python

Needs ``wrk`` (Debian package ``wrk``). Client and servers share the machine's cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BBOX = "113.2,23.0,113.5,23.2"
URLS = {
    "healthz": "/healthz",
    "density": "/stats/density?layer=districts",
    "items100": "/collections/platforms/items?limit=100",
    "items100_bbox": f"/collections/platforms/items?limit=100&bbox={BBOX}",
}
ITEMS = ("items100", "items100_bbox")
PYGEOAPI_URLS = {
    "items100": "/collections/platforms/items?f=json&limit=100",
    "items100_bbox": f"/collections/platforms/items?f=json&limit=100&bbox={BBOX}",
}
CACHE_ENV = "BIOMAP_RESPONSE_CACHE_ENTRIES"

# wrk's done() hook: totals, and how many answers came back within the timeout (the latency
# histogram only records those; wrk's own timeout counter also re-counts slow connections).
WRK_DONE = """
done = function(summary, latency, requests)
  local ok = summary.requests
  if summary.errors.timeout > 0 then
    ok = 0
    for i = 1, #latency do
      local _, count = latency(i)
      ok = ok + count
    end
  end
  io.write(string.format(
    "BENCH {\\"requests\\": %d, \\"ok\\": %d, \\"duration_us\\": %d, \\"non_2xx\\": %d, " ..
    "\\"socket_errors\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d}\\n",
    summary.requests, ok, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    latency:percentile(50), latency:percentile(99)))
end
"""


def synthetic_platforms(n: int, seed: int = 0):
    """``n`` platforms inside the city (``BIOMAP_CITY``, default Guangzhou; uniform), attributes
    drawn from the shipped records."""
    import numpy as np
    import shapely

    from geo.cities import open_city
    from geo.store import load_registry

    rng = np.random.default_rng(seed)
    city = open_city(os.environ.get("BIOMAP_CITY")).outline.geometry.union_all()
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


def write_synthetic(path: Path, n: int) -> Path:
    """Write ``n`` synthetic platforms as a registry GeoJSON (the file every server loads)."""
    from geo.store import GeoJSONStore, frame_to_records, validate_records

    records, problems = validate_records(frame_to_records(synthetic_platforms(n)))
    if problems:
        raise RuntimeError(f"synthetic registry invalid: {problems[:3]}")
    GeoJSONStore(path).save(records)
    return path


def serve(port: int) -> None:
    """Run one uvicorn worker (the server side of the benchmark; settings from BIOMAP_*)."""
    import uvicorn

    from api.app import create_app
    from api.settings import Settings

    app = create_app(Settings())
    uvicorn.run(app, host="127.0.0.1", port=port, workers=1, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def _wait(url: str, proc: subprocess.Popen, timeout: float = 600) -> bytes:
    """Poll ``url`` until it answers (the server is up, or has worked off its backlog)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited (code {proc.returncode})")
        try:
            return _get(url, timeout=max(1.0, deadline - time.monotonic()))
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"no answer from {url} within {timeout:.0f} s")


@contextmanager
def running(
    cmd: list[str], env: dict[str, str], port: int, ready_path: str
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start a server (its own process group, 127.0.0.1:``port``); always kill it after.

    Yields the base URL and the process once ``ready_path`` answers.
    """
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(base + ready_path, proc)
        yield base, proc
    finally:
        _kill(proc)


def _kill(proc: subprocess.Popen) -> None:
    """Terminate the server's process group (only what this script started); kill if stuck."""
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue


def wrk(url: str, args: argparse.Namespace, script: Path, duration: int) -> dict:
    """Run wrk against ``url``; rps and p50/p99 (ms) of the answers within ``args.timeout``."""
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s"]
    cmd += [f"--timeout={args.timeout}s", "-s", str(script), url]
    out = subprocess.run(
        cmd, capture_output=True, text=True, check=True, timeout=duration + 60
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    raw = json.loads(line.removeprefix("BENCH "))
    ok = raw["ok"]
    return {
        "rps": ok / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1e3 if ok else None,
        "p99_ms": raw["p99_us"] / 1e3 if ok else None,
        "requests": raw["requests"],
        "finished": ok,
        "late": raw["requests"] - ok,
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["socket_errors"],
    }


def measure(run: dict, base: str, urls: dict[str, str], *, drain: str | None) -> list[dict]:
    """Measure every URL for ``--duration`` s after a warm-up.

    ``run`` holds args, the wrk script, the server process and the row labels. The warm-up is
    one request plus 1 s of wrk; with ``drain`` (a server that keeps working off requests wrk
    gave up on) it is that one request only, and after wrk the benchmark waits until ``drain``
    answers again.
    """
    args, proc = run["args"], run["proc"]
    rows = []
    for name, path in urls.items():
        t0 = time.monotonic()
        size = len(_get(base + path, timeout=args.timeout_first))
        single_ms = (time.monotonic() - t0) * 1e3
        if not drain:
            wrk(base + path, args, run["script"], 1)
        result = wrk(base + path, args, run["script"], args.duration)
        if drain:
            t0 = time.monotonic()
            _wait(base + drain, proc)
            result["drain_s"] = round(time.monotonic() - t0, 1)
        labels = {k: run[k] for k in ("server", "dataset", "platforms")}
        rows.append({**labels, "url": name, "bytes": size, "single_ms": single_ms, **result})
        print(_line(rows[-1]), flush=True)
    return rows


def _fmt_ms(value: float | None) -> str:
    return "     --" if value is None else f"{value:7.2f}"


def _line(r: dict) -> str:
    return (
        f"[{r['dataset']} {r['server']}] {r['url']:14s} {r['rps']:9.1f} rps"
        f"  p50 {_fmt_ms(r['p50_ms'])} ms  p99 {_fmt_ms(r['p99_ms'])} ms"
        f"  late {r['late']}  non-2xx {r['non_2xx']}  {r['bytes'] / 1e3:.0f} kB"
        + f"  alone {r['single_ms']:.0f} ms"
        + (f"  backlog worked off in {r['drain_s']} s" if "drain_s" in r else "")
    )


def bench_biomap(dataset: str, registry: Path, cache: str, ctx: dict) -> list[dict]:
    """One biomap server (response cache ``on`` or ``off``) over ``registry``."""
    env = {**os.environ, "BIOMAP_STORE": str(registry)}
    env.pop("BIOMAP_REGISTRY", None)  # the deprecated alias may not be set alongside
    if cache == "off":
        env[CACHE_ENV] = "0"
    elif env.get(CACHE_ENV) == "0":
        del env[CACHE_ENV]
    port = _free_port()
    cmd = [sys.executable, str(Path(__file__).resolve()), "--serve", str(port)]
    t0 = time.monotonic()
    with running(cmd, env, port, "/healthz") as (base, proc):
        platforms = json.loads(_get(base + "/healthz", timeout=10))["platforms"]
        print(f"[{dataset} biomap-cache-{cache}] {platforms} platforms, up in "
              f"{time.monotonic() - t0:.1f} s", flush=True)  # fmt: skip
        run = {**ctx, "proc": proc, "platforms": platforms}
        run |= {"server": f"biomap-cache-{cache}", "dataset": dataset}
        return measure(run, base, URLS, drain=None)


def pygeoapi_config(registry: Path, port: int) -> str:
    """A minimal pygeoapi config: one GeoJSON collection ``platforms`` over ``registry``."""
    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "limits": {"default_items": 10, "max_items": 1000},  # as biomap's max_limit
            "map": {"url": "http://127.0.0.1/{z}/{x}/{y}.png", "attribution": "none"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "biomap benchmark baseline",
                "description": "pygeoapi over the biomap registry GeoJSON",
                "keywords": ["benchmark"],
                "url": "http://127.0.0.1",
                "terms_of_service": "https://creativecommons.org/licenses/by/4.0/",
            },
            "license": {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": "biomap", "url": "http://127.0.0.1"},
            "contact": {"name": "biomap"},
        },
        "resources": {
            "platforms": {
                "type": "collection",
                "title": "platforms",
                "description": "biomap platforms",
                "keywords": ["platforms"],
                "extents": {"spatial": {"bbox": [112.9, 22.5, 114.1, 24.0]}},
                "providers": [
                    {
                        "type": "feature",
                        "name": "GeoJSON",
                        "data": str(registry),
                        "id_field": "id",
                    }
                ],
            }
        },
    }
    return json.dumps(config, indent=1)  # JSON is YAML


def bench_pygeoapi(dataset: str, registry: Path, workdir: Path, ctx: dict) -> list[dict]:
    """pygeoapi (GeoJSON provider over ``registry``) on one uvicorn worker: the items URLs."""
    python = ctx["args"].pygeoapi_python
    port = _free_port()
    config = workdir / f"pygeoapi-{dataset}.yml"
    config.write_text(pygeoapi_config(registry, port), encoding="utf-8")
    openapi = workdir / f"pygeoapi-{dataset}-openapi.yml"
    cli = "from pygeoapi import cli; cli()"
    gen = [python, "-c", cli, "openapi", "generate", str(config), "--output-file", str(openapi)]
    done = subprocess.run(
        gen, check=False, capture_output=True, text=True, timeout=600, cwd=workdir
    )
    if done.returncode:
        raise RuntimeError(f"pygeoapi openapi generate failed:\n{done.stderr[-2000:]}")
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    cmd = [python, "-m", "uvicorn", "pygeoapi.starlette_app:APP", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log"]
    ready = "/conformance?f=json"
    t0 = time.monotonic()
    with running(cmd, env, port, ready) as (base, proc):
        hits = _get(base + "/collections/platforms/items?f=json&resulttype=hits", 600)
        platforms = json.loads(hits)["numberMatched"]
        print(f"[{dataset} pygeoapi] {platforms} platforms, up in "
              f"{time.monotonic() - t0:.1f} s", flush=True)  # fmt: skip
        run = {
            **ctx,
            "proc": proc,
            "platforms": platforms,
            "server": "pygeoapi",
            "dataset": dataset,
        }
        rows = measure(run, base, PYGEOAPI_URLS, drain=ready)
        rows[-1]["peak_rss_mb"] = _peak_rss_mb(proc.pid)
        return rows


def _peak_rss_mb(pid: int) -> float | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    line = next((x for x in text.splitlines() if x.startswith("VmHWM:")), None)
    return int(line.split()[1]) / 1024 if line else None


def bench_dataset(dataset: str, registry: Path, workdir: Path, ctx: dict) -> list[dict]:
    """Every configured server over one registry file, one after the other."""
    rows = []
    for cache in ("on", "off") if ctx["args"].cache == "both" else (ctx["args"].cache,):
        rows += bench_biomap(dataset, registry, cache, ctx)
    if ctx["args"].pygeoapi_python:
        rows += bench_pygeoapi(dataset, registry, workdir, ctx)
    return rows


def _ratio(a: dict, b: dict) -> str:
    if not b["finished"]:
        return "pygeoapi: none finished"
    return f"{a['rps'] / b['rps']:.1f}x"


def report(rows: list[dict]) -> None:
    """Ratios to /healthz (same server and run) and biomap/pygeoapi on the items URLs."""
    print("\nratios to /healthz in the same run (rps), p99:")
    for r in rows:
        base = next(
            (b for b in rows if b["server"] == r["server"] and b["dataset"] == r["dataset"]
             and b["url"] == "healthz"), None,
        )  # fmt: skip
        if base and r["server"] != "pygeoapi":
            print(f"  {r['dataset']:9s} {r['server']:17s} {r['url']:14s} "
                  f"{r['rps'] / base['rps']:6.1%}  p99 {_fmt_ms(r['p99_ms'])} ms")  # fmt: skip
    baselines = [r for r in rows if r["server"] == "pygeoapi"]
    if not baselines:
        return
    print("\nbiomap / pygeoapi (requests/s answered within the timeout), same run:")
    for b in baselines:
        for r in rows:
            if r["dataset"] == b["dataset"] and r["url"] == b["url"] and r is not b:
                print(f"  {r['dataset']:9s} {r['url']:14s} {r['server']:17s} {_ratio(r, b)}")


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
    parser.add_argument(
        "--timeout", type=int, default=2, help="wrk timeout (s): later answers do not count"
    )
    parser.add_argument(
        "--cache", choices=("on", "off", "both"), default="on", help="biomap's response cache"
    )
    parser.add_argument(
        "--pygeoapi-python", help="Python of a venv with pygeoapi: also measure it (baseline)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    args.timeout_first = 600  # one plain request before wrk (pygeoapi at 100,000: seconds)
    # SIGTERM/SIGHUP unwind like Ctrl-C, so every `finally` kills its server.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit("stopped by signal; servers killed"))
    with tempfile.TemporaryDirectory(prefix="bench_api-") as tmp:
        workdir = Path(tmp)
        script = workdir / "done.lua"
        script.write_text(WRK_DONE, encoding="utf-8")
        ctx = {"args": args, "script": script}
        from geo.store import DEFAULT_REGISTRY

        rows = bench_dataset("shipped", DEFAULT_REGISTRY, workdir, ctx)
        if args.synthetic:
            t0 = time.monotonic()
            registry = write_synthetic(workdir / "synthetic.geojson", args.synthetic)
            print(f"[synthetic] {args.synthetic} platforms written "
                  f"({registry.stat().st_size / 1e6:.0f} MB) in {time.monotonic() - t0:.1f} s")  # fmt: skip
            rows += bench_dataset("synthetic", registry, workdir, ctx)
    report(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
