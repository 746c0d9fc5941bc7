"""Sustained edits through the API: writes/s, latency, staleness, and no lost or doubled record.

Three scenarios, each on a fresh copy of the shipped registry, measured in one run:

1. ``file``: one ``biomap serve`` on the GeoJSON file store (the baseline of every ratio);
2. ``pg``: one ``biomap serve`` on a PostGIS database;
3. ``pg-N``: ``--servers`` (default 2) ``biomap serve`` processes on one PostGIS database, the
   clients spread over them round-robin.

Each scenario runs ``--clients`` threads (one ``httpx.Client`` each) for ``--duration`` seconds.
A client POSTs new platforms (``/collections/platforms/items``, an editor's bearer token, unique
names: the API refuses a second platform with the same name and host); with ``--patch-share``
it PATCHes one of its own platforms instead (JSON Merge Patch with ``If-Match``: the ETag of its
last acknowledged version). Reported: acknowledged writes/s (requests finished within the
duration), p50/p99 latency, every status (and transport error) counted.

Staleness: a probe posts a platform through server A every ``duration / probes`` s and polls
server B (A itself with one server) until B's snapshot-backed items list shows it
(``/collections/platforms/items?q=NAME``: the ``q`` filter finds the probe whatever page it
would be on; item GETs read the store directly, so they would not show staleness); p50/max in
ms from A's 201 to B listing it, polling every 20 ms.

Verification, after the clients stop, read from the store itself (not through the API):
every acknowledged (201) id is stored exactly once, the store holds exactly the shipped
records plus the acknowledged ones (nothing extra), the history has exactly one ``create`` per
acknowledged id and one ``update`` per acknowledged PATCH, and every patched record holds its
last acknowledged patch. Every server's snapshot (``/healthz`` platforms) must then converge to
the stored count.

``--profile N`` (default 60; 0 skips) then posts N platforms in-process (FastAPI TestClient, no
HTTP server) on each store under cProfile, and prints where a write's time goes: the route's
work (``api.routes.edit._write``: prepare without a lock, then the locked ``store.write``; its
steps), the token check, and the snapshot update the write triggers (``LiveRegistry.refresh``,
a background thread: the changed rows, or a full reload after a gap), with the top functions by
own time. Nothing in the library is changed; the profiler wraps functions in
this process only.

PostgreSQL runs as a throwaway cluster on a unix socket (tests/pg.py; under root its commands
run as the ``postgres`` user; ``--pg-preload`` adds ``shared_preload_libraries='postgis-3'``,
a database setting, to see what loading PostGIS in every new session costs); every server binds
127.0.0.1 (tests/servers.py). Clients, servers and the database share the machine's cores, so
keep runs short on a shared machine.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_writes.py                  # 15 s, 8 clients
    PYTHONPATH=. .venv/bin/python benchmarks/bench_writes.py --duration 20 --clients 16 \\
        --servers 2 --patch-share 0.2 --json /tmp/writes.json
    PYTHONPATH=. .venv/bin/python benchmarks/bench_writes.py --scenarios pg-n --profile 0

Target (issue 14): >= 200 writes/s with 2 servers on one PostGIS database, no lost or
doubled record.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import json
import math
import pstats
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests/ holds the server and cluster helpers

from geo.store import DEFAULT_REGISTRY, open_store  # noqa: E402
from tests import pg  # noqa: E402
from tests.servers import new_platform, seed, serving  # noqa: E402

ITEMS = "/collections/platforms/items"
GEO = "application/geo+json"
MERGE = "application/merge-patch+json"
TARGET_WPS = 200
SCENARIOS = ("file", "pg", "pg-n")
#: Connections one server may hold: its pool (8) and the change listener.
SERVER_CONNECTIONS = 9


def platform(name_zh: str, source: str) -> dict[str, Any]:
    """A new platform as an editor posts it (no point: the address is geocoded offline)."""
    return new_platform(name_zh=name_zh, name_en="Benchmark platform", source=source)


def _rid(response: httpx.Response) -> str:
    return response.headers["Location"].rsplit("/", 1)[1]


@dataclass
class Tally:
    """What one client (or, merged, one scenario) saw."""

    created: list[str] = field(default_factory=list)
    #: id -> the name_en of its last acknowledged PATCH.
    patched: dict[str, str] = field(default_factory=dict)
    patches: int = 0
    #: (method, status or error name, finished at (monotonic), latency s) per request.
    samples: list[tuple[str, str, float, float]] = field(default_factory=list)
    #: Requests without an answer (their write may or may not have happened).
    unanswered: int = 0

    def merge(self, other: Tally) -> None:
        self.created += other.created
        self.patched |= other.patched
        self.patches += other.patches
        self.samples += other.samples
        self.unanswered += other.unanswered


def client(
    index: int,
    base: str,
    *,
    auth: dict[str, str],
    stop: threading.Event,
    args,
    mine: Tally,
    tag: str,
) -> None:
    """POST (or PATCH, ``--patch-share``) until ``stop``, recording into ``mine``."""
    own: list[tuple[str, str]] = []  # (id, ETag of its last acknowledged version)
    rng = random.Random(index)
    n = 0
    with httpx.Client(base_url=base, timeout=args.timeout) as http:
        while not stop.is_set():
            patch = bool(own) and rng.random() < args.patch_share
            method = "PATCH" if patch else "POST"
            t0 = time.monotonic()
            try:
                if patch:
                    k = rng.randrange(len(own))
                    rid, tag_now = own[k]
                    value = f"patched by client {index} at {n}"
                    body = json.dumps({"properties": {"name_en": value}}).encode()
                    headers = {**auth, "Content-Type": MERGE, "If-Match": tag_now}
                    r = http.patch(f"{ITEMS}/{rid}", content=body, headers=headers)
                else:
                    n += 1
                    name = f"压测平台-{tag}-{index:02d}-{n:06d}"
                    body = json.dumps(platform(name, f"bench_writes {tag}"), ensure_ascii=False)
                    r = http.post(ITEMS, content=body.encode(), headers=auth)
            except httpx.TransportError as exc:
                mine.unanswered += 1
                mine.samples.append((method, type(exc).__name__, time.monotonic(), float("nan")))
                continue
            done = time.monotonic()
            mine.samples.append((method, str(r.status_code), done, done - t0))
            if patch and r.status_code == 200:
                own[k] = (rid, r.headers["ETag"])
                mine.patched[rid] = value
                mine.patches += 1
            elif not patch and r.status_code == 201:
                mine.created.append(_rid(r))
                own.append((_rid(r), r.headers["ETag"]))


def probe_one(
    k: int, writer: str, reader: str, *, auth: dict[str, str], args, out: dict, tag: str
) -> None:
    """POST probe ``k`` through ``writer``; poll ``reader``'s list until it shows the probe."""
    name = f"探针平台-{tag}-{k:03d}"
    body = json.dumps(platform(name, f"bench_writes probe {tag}"), ensure_ascii=False)
    with (
        httpx.Client(base_url=writer, timeout=args.timeout) as w,
        httpx.Client(base_url=reader, timeout=args.timeout) as r,
    ):
        made = w.post(ITEMS, content=body.encode(), headers=auth)
        if made.status_code != 201:
            out["failed"].append(made.status_code)
            return
        acked = time.monotonic()
        out["created"].append(_rid(made))
        while time.monotonic() - acked < args.stale_timeout:
            page = r.get(ITEMS, params={"q": name, "limit": 10}).json()
            if page["numberMatched"] >= 1:
                out["stale_ms"].append((time.monotonic() - acked) * 1e3)
                return
            time.sleep(0.02)
        out["stale_ms"].append(float("inf"))


def probe(
    writer: str, reader: str, *, auth: dict[str, str], deadline: float, args, out: dict, tag: str
) -> None:
    """Every ``duration / probes`` s start a probe (each in its own thread: a probe's write
    queues behind the clients' and may take longer than the interval)."""
    interval = args.duration / args.probes
    start = time.monotonic()
    threads = []
    for k in range(args.probes):
        wait = start + (k + 0.5) * interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        if time.monotonic() >= deadline:
            break
        t = threading.Thread(
            target=probe_one,
            args=(k, writer, reader),
            kwargs={"auth": auth, "args": args, "out": out, "tag": tag},
            name=f"probe-{k}",
        )
        t.start()
        threads.append(t)
    for t in threads:
        t.join()


# -- stores -------------------------------------------------------------------------------------


SHIPPED = open_store(DEFAULT_REGISTRY).load()


class Databases:
    """A throwaway PostgreSQL cluster (started on first use) and fresh PostGIS databases in it."""

    def __init__(self, max_connections: int, *, preload: bool = False) -> None:
        self.max_connections = max_connections
        self.preload = preload
        self.cluster: pg.Cluster | None = None
        self.count = 0

    def new(self) -> str:
        if self.cluster is None:
            pg.SETTINGS = {**pg.SETTINGS, "max_connections": str(self.max_connections)}
            if self.preload:  # loaded once in the postmaster, not in every new backend
                pg.SETTINGS["shared_preload_libraries"] = "'postgis-3'"
            t0 = time.monotonic()
            self.cluster = pg.Cluster()
            self.cluster.start()
            print(f"[pg] cluster up in {time.monotonic() - t0:.1f} s ({self.cluster.root})")
        self.count += 1
        name = f"bench_writes_{self.count}"
        self.cluster.execute(f"CREATE DATABASE {name}")
        self.cluster.execute("CREATE EXTENSION postgis", name)
        url = self.cluster.url(name)
        with open_store(url) as store:
            store.init()
        return url

    def remove(self) -> None:
        if self.cluster is not None:
            self.cluster.remove()


def history_counts(location: str) -> collections.Counter[tuple[str, str]]:
    """``(id, op) -> count`` over the store's whole history, read in one pass."""
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location) as conn:
            rows = conn.execute("SELECT id, op, count(*) FROM platform_history GROUP BY id, op")
            for rid, op, n in rows:
                counts[(rid, op)] += n
        return counts
    with open_store(location) as store:
        path = store.history_path  # type: ignore[attr-defined]
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                entry = json.loads(line)
                counts[(entry["id"], entry["op"])] += 1
    return counts


def verify(location: str, tally: Tally) -> dict[str, Any]:
    """Check the store against what was acknowledged (see the module docstring)."""
    with open_store(location) as store:
        raw = store.read_raw()
    ids = collections.Counter(str(r["id"]) for r in raw)
    shipped = {r.id for r in SHIPPED}
    acked = set(tally.created)
    history = history_counts(location)
    patches_per_id = collections.Counter()
    for (rid, op), n in history.items():
        if op == "update":
            patches_per_id[rid] += n
    by_id = {str(r["id"]): r for r in raw}
    result = {
        "stored": len(raw),
        "expected": len(shipped) + len(acked),
        "acknowledged": len(acked),
        "acked_twice": len(tally.created) - len(acked),
        "lost": sorted(acked - set(ids)),
        "doubled": sorted(i for i, c in ids.items() if c > 1),
        "extra": sorted(set(ids) - shipped - acked),
        "shipped_missing": sorted(shipped - set(ids)),
        "create_history_wrong": sorted(i for i in acked if history[(i, "create")] != 1),
        "update_history": sum(patches_per_id[i] for i in acked),
        "patches_acked": tally.patches,
        "patch_lost": sorted(
            i for i, v in tally.patched.items() if by_id.get(i, {}).get("name_en") != v
        ),
    }
    problems = [
        k
        for k in (
            "lost",
            "doubled",
            "extra",
            "shipped_missing",
            "create_history_wrong",
            "patch_lost",
        )
        if result[k]
    ]
    if result["stored"] != result["expected"]:
        problems.append("count")
    if result["acked_twice"]:
        problems.append("acked_twice")
    if result["update_history"] != result["patches_acked"]:
        problems.append("update_history")
    result["problems"] = problems
    result["ok"] = not problems
    return result


def converge(urls: list[str], expected: int, timeout: float = 30.0) -> list[float | None]:
    """Seconds until each server's ``/healthz`` counts ``expected`` platforms (None: never)."""
    t0 = time.monotonic()
    out: list[float | None] = []
    for url in urls:
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=5).json()["platforms"] == expected:
                    out.append(time.monotonic() - t0)
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() - t0 > timeout:
                out.append(None)
                break
            time.sleep(0.05)
    return out


# -- one scenario ------------------------------------------------------------------------------


def _acked(sample: tuple[str, str, float, float]) -> bool:
    return (sample[0], sample[1]) in (("POST", "201"), ("PATCH", "200"))


def run_scenario(name: str, location: str, n_servers: int, args, log_dir: Path) -> dict:
    """Seed ``location``, start the servers, write for ``--duration`` s, verify."""
    auth = seed(location, name="bench")
    t0 = time.monotonic()
    with ExitStack() as stack:
        servers = [
            stack.enter_context(serving(log_dir, "--store", location)) for _ in range(n_servers)
        ]
        urls = [s.url for s in servers]
        print(f"[{name}] {n_servers} server(s) up in {time.monotonic() - t0:.1f} s: "
              f"{', '.join(urls)}", flush=True)  # fmt: skip
        # Warm-up (not timed): a server's first write builds its geocoder.
        warm: list[str] = []
        for i, url in enumerate(urls):
            body = json.dumps(platform(f"预热平台-{name}-{i}", "bench_writes warm-up"))
            r = httpx.post(f"{url}{ITEMS}", content=body.encode(), headers=auth, timeout=60)
            if r.status_code != 201:
                raise RuntimeError(f"warm-up write refused: {r.status_code} {r.text[:300]}")
            warm.append(_rid(r))
        time.sleep(1.0)  # the reloads the warm-up caused

        stop = threading.Event()
        tallies = [Tally() for _ in range(args.clients)]
        probes: dict[str, list] = {"created": [], "stale_ms": [], "failed": []}
        start = time.monotonic()
        deadline = start + args.duration
        threads = [
            threading.Thread(
                target=client,
                args=(i, urls[i % n_servers]),
                kwargs={"auth": auth, "stop": stop, "args": args, "mine": tallies[i], "tag": name},
                name=f"client-{i}",
            )
            for i in range(args.clients)
        ]
        reader = urls[1 % n_servers]
        threads.append(
            threading.Thread(
                target=probe,
                args=(urls[0], reader),
                kwargs={
                    "auth": auth,
                    "deadline": deadline,
                    "args": args,
                    "out": probes,
                    "tag": name,
                },
                name="probe",
            )
        )
        for t in threads:
            t.start()
        last, last_n = start, 0
        while (now := time.monotonic()) < deadline:
            time.sleep(min(args.progress, deadline - now))
            now = time.monotonic()
            n = sum(sum(1 for s in list(t.samples) if _acked(s)) for t in tallies)
            other = sum(len(t.samples) for t in tallies) - n
            print(f"[{name}] {now - start:5.1f} s: {n} writes acknowledged "
                  f"({(n - last_n) / (now - last):.0f}/s lately), {other} other answers, "
                  f"{len(probes['stale_ms'])} probes seen", flush=True)  # fmt: skip
            last, last_n = now, n
        stop.set()
        for t in threads:
            t.join(timeout=args.timeout + args.stale_timeout + 5)
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            raise RuntimeError(f"threads still running after the run: {stuck}")

        tally = Tally()
        for t in tallies:
            tally.merge(t)
        everything = Tally()
        everything.merge(tally)
        everything.created += warm + probes["created"]
        expected = len(SHIPPED) + len(set(everything.created))
        converged = converge(urls, expected)
        check = verify(location, everything)
    return summarise(
        name,
        n_servers,
        args,
        tally,
        deadline=deadline,
        probes=probes,
        converged=converged,
        check=check,
    )


def summarise(name, n_servers, args, tally: Tally, *, deadline, probes, converged, check) -> dict:
    """One row of figures from what the clients saw."""
    in_window = [s for s in tally.samples if s[2] <= deadline]
    acked = [s for s in in_window if _acked(s)]
    lat = np.array([s[3] for s in tally.samples if _acked(s)]) * 1e3
    statuses = collections.Counter(f"{s[0]} {s[1]}" for s in tally.samples)
    stale = np.array(probes["stale_ms"] or [np.nan])
    return {
        "scenario": name,
        "servers": n_servers,
        "clients": args.clients,
        "duration_s": args.duration,
        "writes_per_s": len(acked) / args.duration,
        "posts_per_s": sum(1 for s in acked if s[0] == "POST") / args.duration,
        "p50_ms": float(np.percentile(lat, 50)) if len(lat) else None,
        "p99_ms": float(np.percentile(lat, 99)) if len(lat) else None,
        "statuses": dict(sorted(statuses.items())),
        "errors": sum(1 for s in tally.samples if not _acked(s)),
        "unanswered": tally.unanswered,
        "stale_p50_ms": float(np.nanpercentile(stale, 50)),
        "stale_max_ms": float(np.nanmax(stale)),
        "probes": len(probes["stale_ms"]),
        "probe_failures": probes["failed"],
        "converged_s": converged,
        "verify": check,
    }


def _ms(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "--"
    return "inf" if value == float("inf") else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def print_row(r: dict) -> None:
    v = r["verify"]
    conv = ", ".join("never" if c is None else f"{c:.1f} s" for c in r["converged_s"])
    print(f"[{r['scenario']}] {r['writes_per_s']:.1f} writes/s ({r['posts_per_s']:.1f} creates/s)"
          f"  p50 {_ms(r['p50_ms'])} ms  p99 {_ms(r['p99_ms'])} ms  staleness p50 "
          f"{_ms(r['stale_p50_ms'])} / max {_ms(r['stale_max_ms'])} ms over {r['probes']} probes"
          f"\n[{r['scenario']}] statuses {r['statuses']}  unanswered {r['unanswered']}"
          f"\n[{r['scenario']}] verify: {'OK' if v['ok'] else 'FAILED ' + str(v['problems'])}: "
          f"stored {v['stored']} = shipped {len(SHIPPED)} + acknowledged {v['acknowledged']}"
          f" (lost {len(v['lost'])}, doubled {len(v['doubled'])}, extra {len(v['extra'])}); "
          f"history: creates ok, updates {v['update_history']}/{v['patches_acked']} acked "
          f"patches; snapshots converged in {conv}", flush=True)  # fmt: skip


def report(rows: list[dict]) -> None:
    """The table, with ratios to the file-store baseline of this run."""
    base = next((r for r in rows if r["scenario"] == "file"), None)
    print("\nsustained writes (acknowledged POST 201 + PATCH 200 per second); ratios to 'file':")
    head = (
        f"{'scenario':9s} {'srv':>3s} {'cli':>3s} {'writes/s':>9s} {'x file':>7s} "
        f"{'p50 ms':>7s} {'x file':>7s} {'p99 ms':>7s} {'x file':>7s} "
        f"{'stale p50':>9s} {'stale max':>9s} {'errors':>6s}  verified"
    )
    print(head)
    print("-" * len(head))

    def ratio(key: str, r: dict) -> str:
        if base is None or not base[key] or r[key] is None:
            return "--"
        return f"{r[key] / base[key]:.2f}"

    for r in rows:
        print(f"{r['scenario']:9s} {r['servers']:3d} {r['clients']:3d} {r['writes_per_s']:9.1f} "
              f"{ratio('writes_per_s', r):>7s} {_ms(r['p50_ms']):>7s} {ratio('p50_ms', r):>7s} "
              f"{_ms(r['p99_ms']):>7s} {ratio('p99_ms', r):>7s} {_ms(r['stale_p50_ms']):>9s} "
              f"{_ms(r['stale_max_ms']):>9s} {r['errors']:6d}  "
              f"{'yes' if r['verify']['ok'] else 'NO'}")  # fmt: skip
    multi = [r for r in rows if r["servers"] >= 2]
    for r in multi:
        met = r["writes_per_s"] >= TARGET_WPS and r["verify"]["ok"]
        print(f"\ntarget (>= {TARGET_WPS} writes/s with {r['servers']} servers, no lost or doubled"
              f" record): {'met' if met else 'NOT met'} ({r['writes_per_s']:.1f} writes/s, "
              f"verification {'ok' if r['verify']['ok'] else 'failed'})")  # fmt: skip


# -- where a write's time goes -----------------------------------------------------------------

#: (file suffix, function) -> label: the steps of a write reported per write.
STEPS = {
    ("geo/store/schema.py", "validate_records"): "  validate_records (pydantic, every record)",
    ("geo/store/postgis.py", "read_raw"): "  read_raw (SELECT every record)",
    ("geo/store/file.py", "read_raw"): "  read_raw (parse the GeoJSON file)",
    ("geo/ingest/edit.py", "prepare_record"): "prepare_record (checks, geocode, zones)",
    ("geo/geocoding/geocoder.py", "geocode"): "  geocode",
    ("geo/ingest/edit.py", "check_duplicates"): "  duplicate check (the same-name records)",
    ("geo/zones/assign.py", "assign_record"): "  assign_record (one record)",
    ("api/data.py", "apply"): "snapshot update (ServiceData.apply)",
    ("geo/zones/assign.py", "assign_platforms"): "  assign_platforms (one record)",
    ("geo/store/postgis.py", "write"): "store.write (PostGIS transaction)",
    ("geo/store/file.py", "write"): "store.write (rewrite the file + history)",
    ("geo/store/_pgconn.py", "session_lock"): "writers' lock session (connect + advisory lock)",
    ("geo/store/_pgconn.py", "connect"): "  psycopg.connect (a new session per write)",
}


def _step_times(prof: cProfile.Profile, writes: int) -> list[tuple[str, float]]:
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    out = []
    for (suffix, func), label in STEPS.items():
        total = sum(
            v[3]
            for (path, _line, name), v in stats.items()
            if name == func and path.replace("\\", "/").endswith(suffix)
        )
        if total:
            out.append((label, total / writes * 1e3))
    return out


def _top(prof: cProfile.Profile, n: int) -> str:
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(n)
    lines = buf.getvalue().splitlines()
    start = next(i for i, x in enumerate(lines) if "ncalls" in x)
    return "\n".join("    " + x.strip() for x in lines[start : start + n + 1] if x.strip())


@contextmanager
def _wrapped(targets: list[tuple[Any, str, str, cProfile.Profile]], times: dict):
    """Time (and profile) ``owner.attr`` wherever it runs; put the originals back after."""
    saved = []
    for owner, attr, key, prof in targets:
        original = getattr(owner, attr)
        saved.append((owner, attr, original))

        def wrapper(*a, _f=original, _key=key, _prof=prof, **kw):
            t = time.perf_counter()
            _prof.enable()
            try:
                return _f(*a, **kw)
            finally:
                _prof.disable()
                times[_key].append(time.perf_counter() - t)

        setattr(owner, attr, wrapper)
    try:
        yield
    finally:
        for owner, attr, original in saved:
            setattr(owner, attr, original)


def profile_writes(kind: str, location: str, n: int) -> dict:
    """``n`` sequential POSTs through an in-process app (TestClient) under cProfile."""
    from fastapi.testclient import TestClient

    import api.auth
    import api.routes.edit
    from api.app import create_app
    from api.live import LiveRegistry
    from api.settings import Settings

    auth = seed(location, name="bench")
    route, token, reload_ = cProfile.Profile(), cProfile.Profile(), cProfile.Profile()
    times: dict[str, list[float]] = collections.defaultdict(list)
    targets = [
        (api.routes.edit, "_write", "write", route),
        (api.auth, "check_token", "token", token),
        (LiveRegistry, "refresh", "reload", reload_),
    ]
    walls = []
    with _wrapped(targets, times), TestClient(create_app(Settings(store=location))) as http:
        body = json.dumps(platform(f"剖析预热-{kind}", "bench_writes profile"), ensure_ascii=False)
        http.post(ITEMS, content=body.encode(), headers=auth)  # builds the geocoder
        time.sleep(1.0)
        for key in list(times):
            times[key].clear()
        for p in (route, token, reload_):
            p.clear()  # type: ignore[attr-defined]
        t_all = time.perf_counter()
        for i in range(n):
            name = f"剖析平台-{kind}-{i:05d}"
            body = json.dumps(platform(name, "bench_writes profile"), ensure_ascii=False)
            t = time.perf_counter()
            r = http.post(ITEMS, content=body.encode(), headers=auth)
            walls.append(time.perf_counter() - t)
            if r.status_code != 201:
                raise RuntimeError(f"profile write refused: {r.status_code} {r.text[:300]}")
        elapsed = time.perf_counter() - t_all
        time.sleep(1.0)  # the last reload
    wall = float(np.mean(walls)) * 1e3
    write = float(np.mean(times["write"])) * 1e3
    tok = float(np.mean(times["token"])) * 1e3
    reloads = times["reload"]
    return {
        "kind": kind,
        "writes": n,
        "writes_per_s": n / elapsed,
        "wall_ms": wall,
        "write_ms": write,
        "token_ms": tok,
        "rest_ms": wall - write - tok,
        "reloads": len(reloads),
        "reload_ms": float(np.mean(reloads)) * 1e3 if reloads else 0.0,
        "reload_ms_per_write": sum(reloads) / n * 1e3,
        "steps": _step_times(route, n),
        "top": _top(route, 12),
        "top_reload": _top(reload_, 8) if reloads else "",
    }


def lock_hold(kind: str, location: str, n: int = 30) -> dict[str, float]:
    """Median ms of a create's two steps as ``api.routes.edit._write`` runs them, measured alone.

    One thread, no server and no snapshot update competing: ``prepare_record`` (geocode,
    checks, zones; no lock), then ``store.write`` with the duplicate check, which takes the
    writers' lock, checks and writes (the lock is held only inside it). Writes of every server
    sharing a store are serialised by that lock, so ``1000 / write`` is about the ceiling of
    their writes/s together (for the file store a group commit shares one write among many).
    """
    import functools

    from geo.cities import open_city
    from geo.geocoding import Geocoder
    from geo.ingest.edit import check_duplicates, prepare_record

    seed(location)
    city = open_city()
    layers = city.zone_layers()
    geocoder = Geocoder(city)
    steps: dict[str, list[float]] = collections.defaultdict(list)
    with open_store(location) as store:
        for i in range(n + 1):  # the first one warms up
            feature = platform(f"锁内计时-{kind}-{i:04d}", "bench_writes lock hold")
            t0 = time.perf_counter()
            record, _ = prepare_record(feature, city=city, geocoder=geocoder, layers=layers)
            t1 = time.perf_counter()
            store.write(
                record.id,
                record,
                actor="bench",
                op="create",
                expect=None,
                check=functools.partial(check_duplicates, record),
            )
            t2 = time.perf_counter()
            if i:
                steps["prepare"].append(t1 - t0)
                steps["write"].append(t2 - t1)
    return {key: statistics.median(v) * 1e3 for key, v in steps.items()}


def pg_session_costs(url: str, repeat: int = 10) -> dict[str, float]:
    """Median ms: a new session, its first PostGIS call, the same call on a warm session.

    The writers' lock (``PostGISStore.locked``) opens a new session per write and the write's
    statements run in it, so each write pays the first two.
    """
    import psycopg

    query = "SELECT ST_AsText(ST_SetSRID(ST_MakePoint(113.3, 23.1), 4326))"
    connect, first, warm = [], [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as conn:
            t1 = time.perf_counter()
            conn.execute(query).fetchone()
            t2 = time.perf_counter()
            conn.execute(query).fetchone()
            t3 = time.perf_counter()
        connect.append(t1 - t0)
        first.append(t2 - t1)
        warm.append(t3 - t2)
    return {
        "connect_ms": statistics.median(connect) * 1e3,
        "first_postgis_ms": statistics.median(first) * 1e3,
        "warm_postgis_ms": statistics.median(warm) * 1e3,
    }


def print_profile(p: dict) -> None:
    print(
        f"\n[profile {p['kind']}] {p['writes']} sequential POSTs in-process: "
        f"{p['writes_per_s']:.1f} writes/s, {p['wall_ms']:.1f} ms per POST = "
        f"{p['write_ms']:.1f} ms route work (_write: prepare, then the locked store.write) + "
        f"{p['token_ms']:.1f} ms token check + {p['rest_ms']:.1f} ms HTTP/ASGI/response"
    )
    print(
        f"[profile {p['kind']}] snapshot updates in the background: {p['reloads']} x "
        f"{p['reload_ms']:.1f} ms = {p['reload_ms_per_write']:.1f} ms of work per write (a thread "
        "of the same process: it competes with the writes for the GIL)"
    )
    print(f"[profile {p['kind']}] per write, cumulative (ms):")
    for label, ms in p["steps"]:
        print(f"    {ms:7.2f}  {label}")
    print(f"[profile {p['kind']}] top functions by own time, inside _write:\n{p['top']}")
    if p["top_reload"]:
        print(f"[profile {p['kind']}] top functions by own time, snapshot reload:\n"
              f"{p['top_reload']}")  # fmt: skip
    if "hold" in p:
        h = p["hold"]
        print(f"[profile {p['kind']}] alone (one thread, no server, no snapshot update): "
              f"prepare_record {h['prepare']:.1f} ms without a lock, then store.write "
              f"{h['write']:.1f} ms (lock, checks, write): about "
              f"{1000 / h['write']:.0f} writes/s over all servers sharing the store, one at a "
              "time")  # fmt: skip
    if "session" in p:
        c = p["session"]
        print(f"[profile {p['kind']}] a new session per write (the writers' lock opens one and the "
              f"write runs in it): connect {c['connect_ms']:.1f} ms + first PostGIS call "
              f"{c['first_postgis_ms']:.1f} ms (the backend loads PostGIS); on a warm session the "
              f"call takes {c['warm_postgis_ms']:.2f} ms")  # fmt: skip


# -- main --------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    """The command line, checked (bounded counts: the machine is shared)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=15, help="seconds per scenario (1-120)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (1-64)")
    parser.add_argument("--servers", type=int, default=2, help="servers of the pg-n scenario (2-4)")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated, of {', '.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument(
        "--patch-share", type=float, default=0.0, help="share of PATCHes among writes (0-0.9)"
    )
    parser.add_argument("--probes", type=int, default=20, help="staleness probes per scenario")
    parser.add_argument(
        "--stale-timeout", type=float, default=10.0, help="s a probe waits for B to list it"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="client timeout (s)")
    parser.add_argument("--progress", type=float, default=5.0, help="s between progress lines")
    parser.add_argument(
        "--profile", type=int, default=60, help="in-process profiled writes per store (0: skip)"
    )
    parser.add_argument(
        "--pg-preload",
        action="store_true",
        help="run PostgreSQL with shared_preload_libraries='postgis-3' (a server setting, "
        "not biomap's): new sessions then skip loading PostGIS",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; choose from {', '.join(SCENARIOS)}")
    if not (1 <= args.duration <= 120 and 1 <= args.clients <= 64 and 2 <= args.servers <= 4):
        parser.error("keep --duration in 1-120 s, --clients in 1-64, --servers in 2-4")
    if not (0 <= args.patch_share <= 0.9 and 1 <= args.probes <= 100 and 0 <= args.profile <= 500):
        parser.error("keep --patch-share in 0-0.9, --probes in 1-100, --profile in 0-500")
    args.chosen = chosen
    return args


def main() -> None:
    args = parse_args()
    chosen = args.chosen
    # SIGTERM/SIGHUP unwind like Ctrl-C, so every server and the cluster are stopped.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit("stopped by signal; servers stopped"))

    needed = args.clients + SERVER_CONNECTIONS * args.servers + 10
    databases = Databases(max_connections=max(60, needed), preload=args.pg_preload)
    rows, profiles = [], []
    print(f"bench_writes: {args.clients} clients, {args.duration:g} s per scenario, "
          f"scenarios {chosen}, patch share {args.patch_share:g}, {len(SHIPPED)} shipped "
          f"records{', PostGIS preloaded' if args.pg_preload else ''}", flush=True)  # fmt: skip
    try:
        with tempfile.TemporaryDirectory(prefix="bench_writes-") as tmp:
            work = Path(tmp)
            for scenario in SCENARIOS:
                if scenario not in chosen:
                    continue
                if scenario == "file":
                    (work / "file").mkdir()
                    location, n_servers = str(work / "file" / "platforms.geojson"), 1
                else:
                    location = databases.new()
                    n_servers = 1 if scenario == "pg" else args.servers
                label = scenario if scenario != "pg-n" else f"pg-{n_servers}"
                rows.append(run_scenario(label, location, n_servers, args, work))
                print_row(rows[-1])
            if args.profile:
                (work / "profile").mkdir()
                for kind in ("file", "pg"):
                    location = (
                        str(work / "profile" / "platforms.geojson")
                        if kind == "file"
                        else databases.new()
                    )
                    print(f"\n[profile {kind}] {args.profile} writes in-process ...", flush=True)
                    profiles.append(profile_writes(kind, location, args.profile))
                    alone = (
                        str(work / "profile" / "hold.geojson")
                        if kind == "file"
                        else databases.new()
                    )
                    profiles[-1]["hold"] = lock_hold(kind, alone)
                    if kind == "pg":
                        profiles[-1]["session"] = pg_session_costs(location)
                    print_profile(profiles[-1])
    finally:
        databases.remove()
    report(rows)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "profiles": profiles}, indent=1))


if __name__ == "__main__":
    main()
