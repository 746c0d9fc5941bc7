"""Compare two source trees (before / after a refactor) on the same three measurements, same run.

1. ``assign``: 1,000,000 random points in Guangzhou's bounding box (lon 112.9-114.1, lat
   22.5-24.0, seed 42) assigned to ``districts`` and ``zones363``. *warm*: the lookup loop only,
   index already built (best of 3, as ``bench_core.py``); *cold*: the first call in a fresh
   process, i.e. load the layers + build both indexes + look the points up.
2. ``api``: ``uvicorn api.app:create_app --factory`` (one worker, a free 127.0.0.1 port,
   ``BIOMAP_RESPONSE_CACHE_ENTRIES=0``: no whole-response replay), then requests/s and p50/p99
   of ``/stats/density?layer=districts`` and, as a reference, ``/healthz``: 200 sequential
   warm-up requests, then ``--duration`` s (3) of keep-alive load from 4 connections with
   ``wrk`` when it is installed, else from 4 httpx threads. Also the server's start-up time
   (process start to the first /healthz 200). Note: the prepared density body is still kept in
   the service's own LRU (``BIOMAP_CACHE_ENTRIES``); ``--api-env BIOMAP_CACHE_ENTRIES=0``
   recomputes it on every request.
3. ``snapshot``: ``render_snapshot`` of the districts map, A4 landscape PNG at 300 dpi, warm
   (one untimed render, then the median of 3), as ``bench_snapshot.py``.

Every measurement runs in its own subprocess whose ``PYTHONPATH`` and cwd are the tree under
test. The venv's editable install of /work/main is switched off in those subprocesses (its
import hook would otherwise supply modules the "before" tree lacks, e.g. ``geo.cities``), and
each one checks that every ``geo``/``api`` module it imported comes from its tree. The layout
is detected by importing ``geo.cities`` (new: ``open_city().zone_layers()``,
``geo.zones.assign``, ``geo.store``, ``render_snapshot(..., city=city)``; old:
``geo.zones.builtin_layers``, ``geo.assign``, ``geo.registry``). Inherited ``BIOMAP_*``
variables are dropped so both trees see the same settings; bytecode goes to a cache outside
both trees (``PYTHONPYCACHEPREFIX``).

Trees alternate within each of ``--rounds`` rounds (before first in odd rounds, after first in
even ones); the table shows the median per tree and after/before. A failing tree (say, halfway
through a refactor) is reported per measurement ("after: import failed: ...") and the others
still run. Client and server share the machine's cores.

Usage::

    .venv/bin/python benchmarks/bench_refactor.py                       # /tmp/before vs this repo
    .venv/bin/python benchmarks/bench_refactor.py --rounds 1 --after /tmp/before   # harness check
    .venv/bin/python benchmarks/bench_refactor.py --only assign --only api --json /tmp/r.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve()
MEASUREMENTS = ("assign", "api", "snapshot")
BBOX = (112.9, 22.5, 114.1, 24.0)  # lon_min, lat_min, lon_max, lat_max
SEED = 42
LAYERS = ("districts", "zones363")
URLS = {"healthz": "/healthz", "density": "/stats/density?layer=districts"}
CONNECTIONS = 4
WARMUP_REQUESTS = 200  # sequential, before each timed phase
MAX_REQUESTS = 500_000  # per httpx load phase (wrk is bounded by its duration)
CHILD_TIMEOUT = 300  # s, per assign/snapshot subprocess
SERVER_START_TIMEOUT = 120  # s
PYCACHE = Path(tempfile.gettempdir()) / "bench_refactor_pycache"
RESULT_TAG = "BENCH-RESULT "
ERROR_TAG = "BENCH-ERROR "
INFO_TAG = "BENCH-INFO "

# (measurement, key, label, lower_is_better)
METRICS = [
    ("assign", "warm_s", "assign 1M pts, index built (s)", True),
    ("assign", "cold_s", "assign 1M pts, load+index+lookup (s)", True),
    ("api", "startup_s", "API start-up to first /healthz (s)", True),
    ("api", "density_rps", "/stats/density?layer=districts req/s", False),
    ("api", "density_p50_ms", "/stats/density p50 (ms)", True),
    ("api", "density_p99_ms", "/stats/density p99 (ms)", True),
    ("api", "healthz_rps", "/healthz req/s (reference)", False),
    ("api", "healthz_p50_ms", "/healthz p50 (ms)", True),
    ("api", "healthz_p99_ms", "/healthz p99 (ms)", True),
    ("snapshot", "png300_s", "A4 PNG 300 dpi, warm median (s)", True),
    ("snapshot", "cold_s", "A4 PNG 300 dpi, first render (s)", True),
]

WRK_DONE = """
done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH {\\"requests\\": %d, \\"duration_us\\": %d, \\"non_2xx\\": %d, " ..
    "\\"socket_errors\\": %d, \\"timeouts\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d}\\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


# ---------------------------------------------------------------------------------------------
# Child side: runs inside the tree under test (PYTHONPATH=tree, cwd=tree).
# ---------------------------------------------------------------------------------------------


class StageError(Exception):
    """A failure in one stage of a child (import, setup, run, check), with where it happened."""

    def __init__(self, stage: str, exc: BaseException, tree: Path | None = None) -> None:
        if isinstance(exc, (ImportError, SyntaxError)):
            stage = "import"  # also when a lazy import inside a function fails
        super().__init__(f"{stage} failed: {type(exc).__name__}: {exc}{_where(exc, tree)}")
        self.stage = stage


def _where(exc: BaseException, tree: Path | None) -> str:
    """`` (at geo/x.py:12)``: the innermost traceback frame (or SyntaxError file) in ``tree``."""
    if tree is None:
        return ""
    spots = []
    if isinstance(exc, SyntaxError) and exc.filename:
        spots.append((exc.filename, exc.lineno))
    spots += [(f.filename, f.lineno) for f in reversed(traceback.extract_tb(exc.__traceback__))]
    for filename, line in spots:
        path = Path(filename).resolve()
        if path.is_relative_to(tree) and path != SCRIPT:
            return f" (at {path.relative_to(tree)}:{line})"
    return ""


def _isolate(tree: Path) -> None:
    """Switch off the editable install's import hooks; the tree must supply geo and api."""

    def editable(obj: object) -> bool:
        return "__editable__" in (getattr(obj, "__module__", "") or "")

    sys.meta_path[:] = [f for f in sys.meta_path if not editable(f)]
    sys.path_hooks[:] = [h for h in sys.path_hooks if not editable(h)]
    script_dir = str(SCRIPT.parent)
    sys.path[:] = [p for p in sys.path if "__editable__" not in p and p != script_dir]
    if str(tree) not in sys.path:
        sys.path.insert(0, str(tree))
    sys.path_importer_cache.clear()


def _check_origin(tree: Path) -> str:
    """Assert every imported geo/api module lives in ``tree``; return geo.__file__."""
    bad = []
    for name, mod in list(sys.modules.items()):
        if name.split(".")[0] not in ("geo", "api"):
            continue
        where = getattr(mod, "__file__", None)
        paths = [where] if where else list(getattr(mod, "__path__", []) or [])
        for p in paths:
            if not Path(p).resolve().is_relative_to(tree):
                bad.append(f"{name} from {p}")
    if bad:
        raise AssertionError(f"modules not from {tree}: {', '.join(sorted(bad)[:5])}")
    import geo

    return str(geo.__file__)


class Tree:
    """The tree under test: its layout, and each entry point imported only when first asked
    for (so a module broken mid-refactor fails only the measurements that need it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.city = None
        import geo

        geo_file = Path(geo.__file__).resolve()
        assert geo_file.is_relative_to(path), f"geo imported from {geo_file}, not from {path}"
        try:
            import geo.cities
        except ModuleNotFoundError as exc:
            if exc.name != "geo.cities":
                raise
            self.layout = "old"
        else:
            self.layout = "new"

    def assign_points(self):
        if self.layout == "old":
            from geo.assign import assign_points
        else:
            from geo.zones.assign import assign_points
        return assign_points

    def make_layers(self) -> dict:
        """Fresh zone layers (a new City in the new layout: nothing cached from before)."""
        if self.layout == "old":
            from geo.zones import builtin_layers

            return builtin_layers()
        from geo.cities import open_city

        self.city = open_city()
        return self.city.zone_layers()

    def load_registry(self):
        if self.layout == "old":
            from geo.registry import load_registry
        else:
            from geo.store import load_registry
        return load_registry()

    def render(self, platforms, layers, **kw) -> bytes:
        from geo.snapshot import render_snapshot

        if self.layout == "old":
            return render_snapshot(platforms, layers, **kw)
        if self.city is None:
            from geo.cities import open_city

            self.city = open_city()
        return render_snapshot(platforms, layers, city=self.city, **kw)


def _stage(name: str, tree: Path, fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except Exception as exc:
        raise StageError(name, exc, tree) from exc


def _pick_layers(layers: dict) -> dict:
    missing = [n for n in LAYERS if n not in layers]
    if missing:
        raise KeyError(f"layers {missing} missing; have {sorted(layers)}")
    return {n: layers[n] for n in LAYERS}


def child_assign(path: Path, points: int) -> dict:
    import numpy as np

    tree = _stage("import", path, Tree, path)
    assign = _stage("import", path, tree.assign_points)
    rng = np.random.default_rng(SEED)
    x = rng.uniform(BBOX[0], BBOX[2], points)
    y = rng.uniform(BBOX[1], BBOX[3], points)

    t0 = time.perf_counter()
    layers = _stage("setup", path, lambda: _pick_layers(tree.make_layers()))
    t1 = time.perf_counter()
    _stage("setup", path, lambda: [layer.index for layer in layers.values()])
    t2 = time.perf_counter()
    out = _stage("run", path, assign, x, y, layers)
    t3 = time.perf_counter()
    warm = []
    for _ in range(3):
        t = time.perf_counter()
        out = _stage("run", path, assign, x, y, layers)
        warm.append(time.perf_counter() - t)
    digest = hashlib.sha256()
    assigned = {}
    for name in LAYERS:
        col = out[name]
        counts = col.fillna("-").astype(str).value_counts().sort_index()
        digest.update(f"{name}:{counts.to_dict()}".encode())
        assigned[name] = int(col.notna().sum())
    return {
        "layout": tree.layout,
        "geo_file": _stage("check", path, _check_origin, path),
        "points": points,
        "warm_s": min(warm),
        "warm_all_s": warm,
        "cold_s": t3 - t0,
        "load_s": t1 - t0,
        "index_s": t2 - t1,
        "first_lookup_s": t3 - t2,
        "assigned": assigned,
        "answer_sha": digest.hexdigest()[:16],
    }


def child_snapshot(path: Path, repeat: int = 3) -> dict:
    tree = _stage("import", path, Tree, path)
    _stage("import", path, __import__, "geo.snapshot")
    platforms = _stage("setup", path, tree.load_registry)
    layers = _stage("setup", path, tree.make_layers)
    kw = {"dpi": 300, "fmt": "png", "page": "a4-landscape"}
    t = time.perf_counter()
    png = _stage("run", path, tree.render, platforms, layers, **kw)
    cold = time.perf_counter() - t
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        png = _stage("run", path, tree.render, platforms, layers, **kw)
        times.append(time.perf_counter() - t)
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise StageError("check", ValueError("render_snapshot did not return a PNG"), path)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    return {
        "layout": tree.layout,
        "geo_file": _stage("check", path, _check_origin, path),
        "platforms": len(platforms),
        "png300_s": statistics.median(times),
        "png300_all_s": times,
        "cold_s": cold,
        "png_bytes": len(png),
        "png_px": f"{width}x{height}",
        "answer_sha": hashlib.sha256(png).hexdigest()[:16],
    }


def child_prime(path: Path, kinds: list[str]) -> dict:
    """Untimed: import what the measurements use (and render once at 36 dpi) so that the
    bytecode cache is warm for both trees before round 1; errors are left to the real runs."""

    def render() -> None:
        tree = Tree(path)
        tree.render(tree.load_registry(), tree.make_layers(), dpi=36, fmt="png")

    steps = {
        "assign": lambda: Tree(path).assign_points(),
        "api": lambda: (__import__("api.app"), __import__("uvicorn.main")),
        "snapshot": render,
    }
    done, skipped = [], []
    for kind in kinds:
        try:
            steps[kind]()
            done.append(kind)
        except Exception as exc:
            skipped.append(f"{kind}: {type(exc).__name__}: {exc}")
    return {"primed": done, "skipped": "; ".join(skipped)}


def child_serve(path: Path, port: int) -> None:
    """Check the imports, then hand over to uvicorn's CLI: api.app:create_app --factory."""
    try:
        tree = _stage("import", path, Tree, path)
        _stage("import", path, __import__, "api.app")
        import uvicorn

        info = {"layout": tree.layout, "geo_file": _stage("check", path, _check_origin, path)}
    except StageError as exc:
        print(ERROR_TAG + str(exc), file=sys.stderr, flush=True)
        traceback.print_exc()
        sys.exit(3)
    print(INFO_TAG + json.dumps(info), file=sys.stderr, flush=True)
    sys.argv = ["uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1"]
    sys.argv += ["--port", str(port), "--workers", "1", "--log-level", "warning"]
    sys.argv += ["--no-access-log"]
    uvicorn.main()


def child_main(args: argparse.Namespace) -> None:
    tree = Path(args.tree).resolve()
    _isolate(tree)
    if args.child == "serve":
        child_serve(tree, args.port)
        return
    try:
        if args.child == "prime":
            result = child_prime(tree, args.only or list(MEASUREMENTS))
        elif args.child == "assign":
            result = child_assign(tree, args.points)
        else:
            result = child_snapshot(tree)
    except StageError as exc:
        traceback.print_exc()
        result = {"error": str(exc), "stage": exc.stage}
    except Exception as exc:
        traceback.print_exc()
        result = {
            "error": f"failed: {type(exc).__name__}: {exc}{_where(exc, tree)}",
            "stage": "other",
        }
    print(RESULT_TAG + json.dumps(result), flush=True)


# ---------------------------------------------------------------------------------------------
# Parent side.
# ---------------------------------------------------------------------------------------------


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def child_env(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIOMAP_")}
    env["PYTHONPATH"] = str(tree)
    # Bytecode is cached outside both trees (so neither is written to); without a cache every
    # subprocess would compile all of geo, api, fastapi... again (PYTHONDONTWRITEBYTECODE).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env["MPLBACKEND"] = "Agg"
    return env


def _tail(text: str, n: int = 400) -> str:
    text = text.strip()
    return ("..." + text[-n:]) if len(text) > n else text


def _kill(proc: subprocess.Popen) -> None:
    """Stop the process group of ``proc`` (started by this script in its own session)."""
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue


def run_child(kind: str, tree: Path, args: argparse.Namespace) -> dict:
    """Run an assign/snapshot child; its result, or ``{"error": ...}``."""
    cmd = [sys.executable, str(SCRIPT), "--child", kind, "--tree", str(tree)]
    cmd += ["--points", str(args.points)]
    for measurement in args.kinds if kind == "prime" else ():
        cmd += ["--only", measurement]
    proc = subprocess.Popen(
        cmd,
        cwd=tree,
        env=child_env(tree),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.communicate()
        return {"error": f"timed out after {CHILD_TIMEOUT} s"}
    line = next((x for x in reversed(out.splitlines()) if x.startswith(RESULT_TAG)), None)
    if line is None:
        return {"error": f"subprocess exited with code {proc.returncode}: {_tail(err)}"}
    result = json.loads(line.removeprefix(RESULT_TAG))
    if "error" in result:
        result["stderr_tail"] = _tail(err, 2000)
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 30) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _server_error(proc: subprocess.Popen, err_path: Path) -> str:
    text = err_path.read_text(errors="replace")
    tagged = [x.removeprefix(ERROR_TAG) for x in text.splitlines() if x.startswith(ERROR_TAG)]
    if tagged:
        return tagged[-1]
    return f"server exited with code {proc.returncode} before answering: {_tail(text)}"


def load_wrk(url: str, duration: float, script: Path) -> dict:
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{max(1, round(duration))}s", "--timeout=5s"]
    cmd += ["-s", str(script), url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH "))
    raw = json.loads(line.removeprefix("BENCH "))
    return {
        "requests": raw["requests"],
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1e3,
        "p99_ms": raw["p99_us"] / 1e3,
        "errors": raw["non_2xx"] + raw["socket_errors"] + raw["timeouts"],
    }


def load_httpx(url: str, duration: float) -> dict:
    """``CONNECTIONS`` threads, each a keep-alive httpx client, for ``duration`` s."""
    import httpx

    deadline = time.perf_counter() + duration
    lat: list[list[float]] = [[] for _ in range(CONNECTIONS)]
    errors = [0] * CONNECTIONS
    cap = MAX_REQUESTS // CONNECTIONS

    def worker(i: int) -> None:
        with httpx.Client(timeout=5.0) as client:
            while time.perf_counter() < deadline and len(lat[i]) < cap:
                t = time.perf_counter()
                try:
                    ok = client.get(url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                lat[i].append(time.perf_counter() - t)
                errors[i] += not ok

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    all_lat = sorted(x for xs in lat for x in xs)
    n = len(all_lat)
    return {
        "requests": n,
        "rps": n / wall,
        "p50_ms": all_lat[n // 2] * 1e3 if n else None,
        "p99_ms": all_lat[min(n - 1, int(n * 0.99))] * 1e3 if n else None,
        "errors": sum(errors),
    }


def run_api(tree: Path, args: argparse.Namespace, workdir: Path) -> dict:
    """Start the tree's API server, load it, stop it; the figures or ``{"error": ...}``."""
    port = _free_port()
    env = child_env(tree) | {"BIOMAP_RESPONSE_CACHE_ENTRIES": "0"} | dict(args.api_env)
    log_path = workdir / f"server-{port}.log"
    cmd = [sys.executable, str(SCRIPT), "--child", "serve", "--tree", str(tree)]
    cmd += ["--port", str(port)]
    with open(log_path, "w") as log_file:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=tree, env=env, stdout=log_file, stderr=log_file, start_new_session=True
        )
    try:
        result = _load_server(proc, f"http://127.0.0.1:{port}", t0, log_path, args)
    except Exception as exc:
        result = {"error": f"load test failed: {type(exc).__name__}: {exc}"}
    finally:
        _kill(proc)
    text = log_path.read_text(errors="replace")
    info = [x.removeprefix(INFO_TAG) for x in text.splitlines() if x.startswith(INFO_TAG)]
    if info:
        result |= json.loads(info[-1])
    if "error" in result:
        result["stderr_tail"] = _tail(text, 2000)
    return result


def _wait_ready(proc: subprocess.Popen, base: str, t0: float, log_path: Path) -> str | None:
    """Poll /healthz until it answers 200; the reason when the server dies or never answers."""
    deadline = t0 + SERVER_START_TIMEOUT
    while True:
        if proc.poll() is not None:
            return _server_error(proc, log_path)
        if time.perf_counter() > deadline:
            return f"server did not answer /healthz in {SERVER_START_TIMEOUT} s"
        try:
            if _get(base + "/healthz", timeout=2)[0] == 200:
                return None
        except OSError:
            pass
        time.sleep(0.1)


def _load_server(
    proc: subprocess.Popen, base: str, t0: float, log_path: Path, args: argparse.Namespace
) -> dict:
    error = _wait_ready(proc, base, t0, log_path)
    if error:
        return {"error": error}
    result: dict = {"startup_s": time.perf_counter() - t0, "client": args.client}
    for name, path in URLS.items():
        status, body = _get(base + path)
        if status != 200:
            return {"error": f"{path} answered {status}: {_tail(body.decode(errors='replace'))}"}
        result[f"{name}_bytes"] = len(body)
        if name == "density":
            result["answer_sha"] = hashlib.sha256(body).hexdigest()[:16]
        for _ in range(WARMUP_REQUESTS):
            _get(base + path)
        if args.client == "wrk":
            stats = load_wrk(base + path, args.duration, args.wrk_script)
        else:
            stats = load_httpx(base + path, args.duration)
        if stats["errors"]:
            result[f"{name}_errors"] = stats["errors"]
        for key in ("rps", "p50_ms", "p99_ms", "requests"):
            result[f"{name}_{key}"] = stats[key]
    if proc.poll() is not None:
        return {"error": _server_error(proc, log_path)}
    return result


def _brief(kind: str, r: dict) -> str:
    if "error" in r:
        return r["error"]
    if kind == "assign":
        return f"warm {r['warm_s']:.3f} s, cold {r['cold_s']:.3f} s ({r['layout']} layout)"
    if kind == "snapshot":
        return f"warm {r['png300_s']:.3f} s, first {r['cold_s']:.3f} s, {r['png_px']} px"
    return (
        f"density {r['density_rps']:.0f} req/s (p99 {r['density_p99_ms']:.1f} ms), "
        f"healthz {r['healthz_rps']:.0f} req/s, start-up {r['startup_s']:.1f} s"
    )


def _spread(results: list[dict], key: str) -> float:
    """(max - min) / median of one metric over the rounds of one tree (0 with one round)."""
    vals = [r[key] for r in results if "error" not in r and r.get(key) is not None]
    if len(vals) < 2 or not statistics.median(vals):
        return 0.0
    return (max(vals) - min(vals)) / statistics.median(vals)


def summarise(runs: list[dict], kinds: list[str]) -> dict:
    summary: dict = {}
    for kind, key, label, lower in METRICS:
        if kind not in kinds:
            continue
        row: dict = {"measurement": kind, "metric": key, "label": label, "lower_is_better": lower}
        per_tree = {}
        for tree in ("before", "after"):
            rs = [r["result"] for r in runs if r["kind"] == kind and r["tree"] == tree]
            per_tree[tree] = rs
            vals = [r[key] for r in rs if "error" not in r and r.get(key) is not None]
            row[tree] = statistics.median(vals) if vals else None
            row[f"{tree}_n"] = len(vals)
            row[f"{tree}_errors"] = sorted({r["error"] for r in rs if "error" in r})
        b, a = row["before"], row["after"]
        rs_b, rs_a = per_tree["before"], per_tree["after"]
        row["ratio"] = a / b if a is not None and b else None
        row["spread"] = max((_spread(r, key) for r in (rs_b, rs_a)), default=None)
        summary[f"{kind}.{key}"] = row
    for kind in kinds:  # do both trees give the same answers (assign ids, density body, PNG)?
        shas = {
            tree: {
                r["result"]["answer_sha"]
                for r in runs
                if r["kind"] == kind and r["tree"] == tree and "answer_sha" in r["result"]
            }
            for tree in ("before", "after")
        }
        if shas["before"] and shas["after"]:
            summary[f"{kind}.same_output"] = shas["before"] == shas["after"]
    return summary


def _num(v: float | None) -> str:
    if v is None:
        return "--"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}" if v < 1000 else f"{v:,.0f}"


def print_table(summary: dict, kinds: list[str], args: argparse.Namespace) -> None:
    print(f"\nbefore = {args.before}\nafter  = {args.after}")
    print(f"rounds = {args.rounds}; median per tree; api load: {args.client}, {CONNECTIONS} "
          f"connections, {args.duration:g} s per URL, response cache off")  # fmt: skip
    rows = [r for k, r in summary.items() if isinstance(r, dict)]
    width = max(len(r["label"]) for r in rows) if rows else 10
    if args.api_env:
        print("API server env: " + " ".join(f"{k}={v}" for k, v in args.api_env))
    print(f"load average (1 min) at start {args.load_start:.2f}, at end {os.getloadavg()[0]:.2f}")
    head = f"{'before':>9}  {'after':>9}  {'after/before':>12}  better  spread"
    print(f"\n{'metric':{width}}  {head}")
    print("-" * (width + len(head) + 2))
    for r in rows:
        ratio = "--" if r["ratio"] is None else f"{r['ratio']:.3f}"
        better = "lower" if r["lower_is_better"] else "higher"
        spread = "" if r["spread"] is None or args.rounds < 2 else f"{r['spread']:6.0%}"
        print(f"{r['label']:{width}}  {_num(r['before']):>9}  {_num(r['after']):>9}  "
              f"{ratio:>12}  {better:6}  {spread}")  # fmt: skip
    if args.rounds > 1:
        print("spread: (max - min) / median over the rounds, the larger of the two trees")
    for kind in kinds:
        same = summary.get(f"{kind}.same_output")
        if same is not None:
            what = {"assign": "zone ids", "api": "density body", "snapshot": "PNG bytes"}[kind]
            print(f"{kind}: same {what} in both trees: {'yes' if same else 'NO'}")
    errors = [
        (tree, r["measurement"], e)
        for r in rows
        for tree in ("before", "after")
        for e in r[f"{tree}_errors"]
    ]
    seen = set()
    for tree, kind, e in errors:
        if (tree, kind, e) not in seen:
            seen.add((tree, kind, e))
            print(f"{tree}: {kind}: {e}")


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Measurements: assign, api, snapshot (see the module docstring).",
    )
    parser.add_argument("--before", type=Path, default=Path("/tmp/before"), help="old tree")
    parser.add_argument("--after", type=Path, default=REPO, help=f"new tree (default {REPO})")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per tree (default 3)")
    parser.add_argument(
        "--only", action="append", choices=MEASUREMENTS, help="run only this (repeatable)"
    )
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument(
        "--duration", type=float, default=3.0, help="seconds of load per URL (default 3)"
    )
    parser.add_argument(
        "--client", choices=("auto", "wrk", "httpx"), default="auto", help="API load generator"
    )
    parser.add_argument(
        "--api-env",
        action="append",
        default=[],
        type=_key_value,
        metavar="KEY=VALUE",
        help="extra environment of both API servers, e.g. BIOMAP_CACHE_ENTRIES=0 (repeatable)",
    )
    parser.add_argument("--points", type=int, default=1_000_000, help=argparse.SUPPRESS)
    parser.add_argument(
        "--child", choices=("prime", "assign", "snapshot", "serve"), help=argparse.SUPPRESS
    )
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return args
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not 0.5 <= args.duration <= 60:
        parser.error("--duration must be 0.5-60 s")
    args.before, args.after = args.before.resolve(), args.after.resolve()
    for name in ("before", "after"):
        tree = getattr(args, name)
        if not (tree / "geo" / "__init__.py").is_file():
            parser.error(f"--{name} {tree}: no geo/__init__.py there")
    args.kinds = [k for k in MEASUREMENTS if not args.only or k in args.only]
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "httpx"
    elif args.client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk), use --client httpx")
    return args


def run_all(args: argparse.Namespace) -> list[dict]:
    """Every measurement, both trees, ``--rounds`` times (tree order flips each round)."""
    trees = {"before": args.before, "after": args.after}
    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench_refactor_") as tmp:
        workdir = Path(tmp)
        args.wrk_script = workdir / "done.lua"
        args.wrk_script.write_text(WRK_DONE, encoding="utf-8")
        for tree in ("before", "after"):
            t = time.perf_counter()
            primed = run_child("prime", trees[tree], args)
            what = primed.get("error") or (
                f"skipped for {', '.join(x.split(':')[0] for x in primed['skipped'].split('; '))}"
                " (see below)"
                if primed.get("skipped")
                else "ok"
            )
            log(f"[prime] {tree}: bytecode cache warm-up {what}  [{time.perf_counter() - t:.1f} s]")
        for rnd in range(1, args.rounds + 1):
            order = ("before", "after") if rnd % 2 else ("after", "before")
            for kind in args.kinds:
                for tree in order:
                    log(f"[round {rnd}/{args.rounds}] {kind:8s} {tree:6s} ({trees[tree]}) ...")
                    t = time.perf_counter()
                    if kind == "api":
                        result = run_api(trees[tree], args, workdir)
                    else:
                        result = run_child(kind, trees[tree], args)
                    took = time.perf_counter() - t
                    runs.append({"round": rnd, "kind": kind, "tree": tree, "result": result})
                    log(f"    {tree}: {_brief(kind, result)}  [{took:.1f} s]")
    return runs


def main() -> None:
    args = parse_args()
    if args.child:
        child_main(args)
        return
    t_start = time.perf_counter()
    args.load_start = os.getloadavg()[0]
    runs = run_all(args)
    summary = summarise(runs, args.kinds)
    elapsed = time.perf_counter() - t_start
    log(f"done in {elapsed:.0f} s")
    print_table(summary, args.kinds, args)
    if args.json:
        config = {
            "before": str(args.before),
            "after": str(args.after),
            "rounds": args.rounds,
            "measurements": args.kinds,
            "points": args.points,
            "bbox": BBOX,
            "seed": SEED,
            "client": args.client,
            "connections": CONNECTIONS,
            "duration_s": args.duration,
            "python": sys.executable,
            "elapsed_s": elapsed,
            "load_average_start": args.load_start,
        }
        payload = {"config": config, "summary": summary, "runs": runs}
        args.json.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
        log(f"results written to {args.json}")


if __name__ == "__main__":
    main()
