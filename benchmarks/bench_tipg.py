"""Large PostGIS tables: biomap's items and density against tipg serving the same table.

A throwaway PostgreSQL cluster (tests/pg.py) gets the biomap schema and ``--rows`` synthetic
platforms (default 100,000): points sampled uniformly inside the city's outline, attributes
copied from random shipped records (benchmarks/bench_api.py's generator), each marked
``coord_source = synthetic:bench_tipg`` and ``source = bench_tipg synthetic`` (throwaway data,
never a registry). Rows are COPYed straight into ``platforms`` (record, point, ETag; no history),
then ``ANALYZE``. Then, one after the other on 127.0.0.1:

- ``biomap serve --store URL`` with its response cache off (``BIOMAP_RESPONSE_CACHE_ENTRIES=0``:
  every answer is computed, as tipg computes it; its time to a healthy ``/healthz`` and peak RSS
  are reported);
- tipg (``uvicorn tipg.main:app`` from a separate virtualenv, ``--tipg-python``; never a biomap
  dependency) on the same database, collection ``public.platforms``.

Each URL is requested ``--repeat`` times by one client after 3 warm-ups; reported: the first
answer's ms (nothing cached yet: density is cached by both biomap modes), median and p90
ms, the bytes of the answer, and biomap/tipg ratios for the same query:

- ``first``: ``items?limit=100``; ``bbox``: ``items?limit=100&bbox=`` a 5 km box in the city;
- ``deep``: ``items?limit=100&offset=N-200`` (biomap's and tipg's own offset paging);
- ``density``: biomap ``/stats/density?layer=districts`` (tipg has none).

``--modes snapshot,direct`` runs biomap both ways (``BIOMAP_SNAPSHOT_MAX_ROWS`` above or below
the table): snapshot loads every row at start; direct answers from SQL (``api/direct.py``), its
``deep`` follows the keyset token of the same position (its offset stops at 10,000). The
synthetic points are assigned to their own districts and zones before they are stored (direct
mode counts density by the stored assignment).

Set tipg up once with::

    python3 -m venv /work/venv-tipg && /work/venv-tipg/bin/pip install "tipg==1.6.1" uvicorn

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_tipg.py --rows 100000 --repeat 20
    PYTHONPATH=. .venv/bin/python benchmarks/bench_tipg.py --rows 100000 --modes snapshot,direct
    PYTHONPATH=. .venv/bin/python benchmarks/bench_tipg.py --rows 1000000 --modes direct
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from api.direct import encode_token  # noqa: E402
from benchmarks.bench_api import _peak_rss_mb, synthetic_platforms  # noqa: E402
from geo.cities import open_city  # noqa: E402
from geo.store import etag, frame_to_records, open_store, validate_records  # noqa: E402
from geo.zones.assign import assign_platforms  # noqa: E402
from tests import pg  # noqa: E402
from tests.servers import free_port  # noqa: E402

BBOX = "113.30,23.10,113.35,23.15"


def load_rows(url: str, n: int, chunk: int = 100_000) -> float:
    """COPY ``n`` synthetic platforms into a fresh biomap schema; seconds taken.

    Rows are assigned, validated and copied ``chunk`` at a time (1M records at once would
    hold several GB of Python objects)."""
    import psycopg

    t0 = time.perf_counter()
    frame = synthetic_platforms(n)
    frame["coord_source"] = "synthetic:bench_tipg"
    frame["source"] = "bench_tipg synthetic"
    city = open_city(os.environ.get("BIOMAP_CITY"))
    with open_store(url) as store:
        store.init()
    with psycopg.connect(url, autocommit=True) as conn:
        for lo in range(0, n, chunk):
            # each point's own districts and zones (the copied record's would be another
            # place's): direct mode counts density by the stored assignment
            part, _ = assign_platforms(frame.iloc[lo : lo + chunk], city)
            records, problems = validate_records(frame_to_records(part))
            if problems:
                raise RuntimeError(f"synthetic rows invalid: {problems[:3]}")
            with (
                conn.cursor() as cur,
                cur.copy("COPY platforms (id, record, geom, etag) FROM STDIN") as copy,
            ):
                for rec in records:
                    data = rec.model_dump()
                    copy.write_row(
                        (
                            rec.id,
                            orjson.dumps(data).decode(),
                            f"SRID=4326;POINT({rec.lon} {rec.lat})",
                            etag(data),
                        )
                    )
        conn.execute("UPDATE biomap_registry_version SET version = version + 1")
        conn.execute("ANALYZE platforms")
    return time.perf_counter() - t0


def wait_healthy(url: str, proc: subprocess.Popen, path: str, timeout: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode})")
        try:
            if httpx.get(url + path, timeout=5).status_code == 200:
                return time.monotonic() - t0
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not healthy within {timeout} s")


def timed(url: str, repeat: int) -> dict:
    with httpx.Client(timeout=120) as client:
        t = time.perf_counter()
        r = client.get(url)  # the first answer: computed, nothing cached yet
        first = time.perf_counter() - t
        for _ in range(2):
            r = client.get(url)
        if r.status_code != 200:
            raise RuntimeError(f"{url}: {r.status_code} {r.text[:200]}")
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            r = client.get(url)
            times.append(time.perf_counter() - t)
    times.sort()
    return {
        "first_ms": first * 1e3,
        "p50_ms": statistics.median(times) * 1e3,
        "p90_ms": times[int(0.9 * (len(times) - 1))] * 1e3,
        "bytes": len(r.content),
        "features": len(r.json().get("features", [])) if "features" in r.text[:2000] else None,
    }


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as sink:
        return subprocess.Popen(cmd, env=env, stdout=sink, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="synthetic platforms")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per URL")
    parser.add_argument("--tipg-python", default="/work/venv-tipg/bin/python")
    parser.add_argument("--startup-timeout", type=float, default=900)
    parser.add_argument(
        "--modes",
        default="direct",
        help="biomap modes to run, comma-separated: snapshot (loads every row: ~1.85 GB at "
        "100,000), direct (BIOMAP_SNAPSHOT_MAX_ROWS below --rows: served from SQL)",
    )
    args = parser.parse_args()
    n = args.rows
    deep = max(0, n - 200)
    urls = {
        "first": "items?limit=100",
        "bbox": f"items?limit=100&bbox={BBOX}",
        "deep": f"items?limit=100&offset={deep}",
    }
    results = run(args, urls)
    print(f"\n{n} rows, {args.repeat} timed requests per URL, one client")
    print("deep: offset N-200 (tipg, snapshot); the keyset token of the same position (direct)")
    print(
        f"{'query':22} {'first ms':>9} {'p50 ms':>9} {'p90 ms':>9} {'kB':>8} {'feats':>6}  x tipg (p50)"
    )
    for name, r in results.items():
        kind = name.split()[-1]
        ref = results.get(f"tipg {kind}")
        ratio = f"{r['p50_ms'] / ref['p50_ms']:.2f}" if ref and not name.startswith("tipg") else ""
        print(f"{name:22} {r['first_ms']:9.1f} {r['p50_ms']:9.1f} {r['p90_ms']:9.1f} {r['bytes'] / 1e3:8.1f} "
              f"{r['features'] if r['features'] is not None else '-':>6}  {ratio}")  # fmt: skip


def keyset_deep(url: str, position: int) -> str:
    """The ``after`` token a direct server's next links give for the page at ``position``."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT id FROM platforms ORDER BY id OFFSET %s LIMIT 1", (position - 1,)
        ).fetchone()
    assert row is not None
    return encode_token(row[0], position)


def run_biomap(
    args: argparse.Namespace,
    mode: str,
    *,
    url: str,
    urls: dict[str, str],
    env: dict[str, str],
    work: Path,
) -> dict[str, dict]:
    """Time one ``biomap serve`` (``mode``: snapshot or direct) on the table at ``url``."""
    if mode not in ("snapshot", "direct"):
        raise SystemExit(f"unknown mode {mode!r}: snapshot or direct")
    results: dict[str, dict] = {}
    port = free_port()
    biomap = Path(sys.executable).with_name("biomap")
    cmd = [str(biomap), "serve", "--host", "127.0.0.1", "--port", str(port)]
    benv = {**env, "BIOMAP_RESPONSE_CACHE_ENTRIES": "0"}  # compute every answer, as tipg
    # snapshot: the threshold above the table; direct: below it
    benv["BIOMAP_SNAPSHOT_MAX_ROWS"] = str(args.rows * 2 if mode == "snapshot" else 0)
    log = work / f"biomap-{mode}.log"
    proc = start([*cmd, "--store", url, "--log-level", "warning"], benv, log)
    base = f"http://127.0.0.1:{port}"
    label = f"biomap-{mode}"
    if mode == "direct":
        deep = max(1, args.rows - 200)
        urls = {**urls, "deep": f"items?limit=100&after={keyset_deep(url, deep)}"}
    try:
        up = wait_healthy(base, proc, "/healthz", args.startup_timeout)
        print(f"[{label}] healthy after {up:.1f} s, RSS {_peak_rss_mb(proc.pid):.0f} MB")
        for key, path in urls.items():
            results[f"{label} {key}"] = timed(f"{base}/collections/platforms/{path}", args.repeat)
        results[f"{label} density"] = timed(f"{base}/stats/density?layer=districts", args.repeat)
        rss = _peak_rss_mb(proc.pid)
        print(f"[{label}] peak RSS {rss:.0f} MB")
    finally:
        stop(proc)
    return results


def run(args: argparse.Namespace, urls: dict[str, str]) -> dict[str, dict]:
    """Load the rows, then time biomap and tipg one after the other."""
    n = args.rows
    cluster = pg.Cluster()
    work = Path(tempfile.mkdtemp(prefix="bench-tipg-"))
    results: dict[str, dict] = {}
    try:
        # tipg (asyncpg) needs a TCP host: this cluster also listens on 127.0.0.1, a free port
        cluster.port = free_port()
        with (cluster.data / "postgresql.conf").open("a", encoding="utf-8") as fh:
            fh.write(f"listen_addresses = '127.0.0.1'\nport = {cluster.port}\n")
        cluster.start()
        cluster.execute("CREATE DATABASE tipg_bench")
        url = cluster.url("tipg_bench")
        print(f"loading {n} synthetic rows ...", flush=True)
        print(f"loaded in {load_rows(url, n):.1f} s", flush=True)
        env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}

        for mode in args.modes.split(","):
            results.update(run_biomap(args, mode, url=url, urls=urls, env=env, work=work))

        port = free_port()
        tipg_url = f"postgresql://postgres@127.0.0.1:{cluster.port}/tipg_bench"
        tenv = {**env, "DATABASE_URL": tipg_url, "TIPG_DB_SCHEMAS": '["public"]'}
        tcmd = [args.tipg_python, "-m", "uvicorn", "tipg.main:app", "--port", str(port)]
        proc = start([*tcmd, "--host", "127.0.0.1"], tenv, work / "tipg.log")
        base = f"http://127.0.0.1:{port}"
        try:
            up = wait_healthy(base, proc, "/collections", args.startup_timeout)
            print(f"[tipg] healthy after {up:.1f} s, RSS {_peak_rss_mb(proc.pid):.0f} MB")
            for key, path in urls.items():
                results[f"tipg {key}"] = timed(
                    f"{base}/collections/public.platforms/{path}", args.repeat
                )
        finally:
            stop(proc)
    finally:
        cluster.remove()
    return results


if __name__ == "__main__":
    main()
