"""Benchmark offline geocoding over the nine Pearl River Delta cities.

Two sets, each geocoded after start-up (gazetteer, unit index and caches built on one address):

- ``prd``: N addresses made from the nine cities' gazetteer entries (not the unit rows) in
  varied forms: with the province, city and unit, without them, with full-width numbers, with a
  road number, the place alone; plus the real addresses of data/sources/platforms.csv. They are
  built from biomap's own gazetteer, which favours biomap: read them as a speed test and a check
  of the context rules (an address written with its city must land in that city), not as an
  accuracy claim.
- ``baseline``: the Guangzhou-only geocoder on N Guangzhou addresses made the same way
  (benchmarks/bench_geocode.py's set), measured in the same run.

Reports addresses per second of wall-clock time and per CPU-second of this process (the
machine is shared: CPU time is what the geocoder itself costs), each as a ratio to the baseline,
and the share landing in the expected unit and city. The target is >= 10,000 addresses/s over
the PRD set.

Usage: python benchmarks/bench_geocode_prd.py [--n 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_geocode
from geo import DATA_DIR
from geo.cities import open_city
from geo.geocoding.geocoder import Geocoder
from geo.geocoding.region import member_cities

FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def prd_set(region, n: int, seed: int = 11) -> list[tuple[str, str, str]]:
    """``(address, expected unit, expected city)`` from the members' gazetteer entries."""
    rng = random.Random(seed)
    rows = []
    for city in member_cities(region):
        gaz = city.gazetteer.frame
        gaz = gaz[~gaz["kind"].isin(["district", "historic_district"])]
        for r in gaz.itertuples():
            rows.append((city, r.name_zh, r.district_adcode))
    out = []
    for _ in range(n):
        city, name, unit = rng.choice(rows)
        city_zh, unit_zh = city.name("zh"), city.unit_name(unit)
        unit_part = "" if unit_zh == city_zh else unit_zh
        number = f"{rng.randint(1, 999)}号"
        form = rng.randrange(6)
        if form == 0:
            text = f"{city_zh}{unit_part}{name}{number}"
        elif form == 1:
            text = f"广东省{city_zh}{unit_part}{name}{number.translate(FULL)}"
        elif form == 2:
            text = f"{name}{number}"
        elif form == 3:
            text = f"{unit_part or city_zh}{name}"
        elif form == 4:
            text = f"{city_zh[:-1]} {name} {number}"
        else:
            text = f"中国广东省{city_zh}{unit_part}{name}{rng.randint(1, 30)}栋{rng.randint(101, 2999)}室"
        out.append((text, unit, city.profile.adcode))
    return out


def registry_set() -> list[tuple[str, str, str]]:
    """The shipped registry's real addresses (all in Guangzhou)."""
    df = pd.read_csv(DATA_DIR / "sources" / "platforms.csv", dtype=str, keep_default_na=False)
    gz = open_city()
    return [
        (a, gz.unit_named_in(d) or "", "440100")
        for a, d in zip(df["address_zh"], df["district_zh"], strict=True)
    ]


def timed(coder: Geocoder, items: list[tuple[str, str, str]]) -> tuple[float, float, list]:
    """One pass over ``items`` with every normaliser cache emptied first (a cold pass):
    ``(wall seconds, CPU seconds of this process, results)``."""
    for cache in _caches(coder):
        cache.cache_clear()
    t, c = time.perf_counter(), time.process_time()
    results = [coder.geocode(a) for a, _, _ in items]
    return time.perf_counter() - t, time.process_time() - c, results


def shares(results: list, items: list[tuple[str, str, str]]) -> tuple[float, float]:
    """The share of results in the expected unit, and in the expected city."""
    pairs = list(zip(results, items, strict=True))
    unit = sum(r.district_adcode == u for r, (_, u, _) in pairs) / len(items)
    city = sum(r.city_adcode == c for r, (_, _, c) in pairs) / len(items)
    return unit, city


def _caches(coder: Geocoder) -> list:
    """The lru caches of the geocoder's normalisers and foreign-place tests."""
    texts = [m.text for m in coder.members]
    out = []
    if coder.region_text is not None:
        texts.append(coder.region_text.text)
        out.append(coder.region_text.split)
    return out + [f for t in texts for f in (t.normalize, t.foreign_place)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    t = time.perf_counter()
    region = open_city("prd")
    prd = Geocoder(region)
    start_prd = time.perf_counter() - t
    t = time.perf_counter()
    gz = Geocoder(open_city())
    start_gz = time.perf_counter() - t
    base = [(a, u, "440100") for a, u in bench_geocode.synthetic(args.n)]
    sets = {
        "baseline: Guangzhou geocoder, Guangzhou synthetic": (gz, base),
        "PRD geocoder, Guangzhou synthetic (same addresses)": (prd, base),
        f"PRD geocoder, PRD synthetic ({args.n:,})": (prd, prd_set(region, args.n)),
        f"PRD geocoder, registry ({len(registry_set())} real)": (prd, registry_set()),
    }
    print(f"start-up: PRD {start_prd:.2f} s ({len(prd.gazetteer.entries)} entries), "
          f"Guangzhou {start_gz:.2f} s ({len(gz.gazetteer.entries)} entries)")  # fmt: skip
    for coder, _ in sets.values():
        coder.geocode("广东省广州市天河区")  # start-up
    wall = dict.fromkeys(sets, float("inf"))
    cpu = dict.fromkeys(sets, float("inf"))
    found = {}
    for _ in range(args.repeat):  # interleaved, best of each: the machine is shared
        for label, (coder, items) in sets.items():
            dt, dc, found[label] = timed(coder, items)
            wall[label], cpu[label] = min(wall[label], dt), min(cpu[label], dc)
    print(f"{'':55s} {'wall /s':>9s}  ratio  {'CPU /s':>9s}  ratio")
    base_wall = base_cpu = None
    for label, (_, items) in sets.items():
        per_s, per_cpu_s = len(items) / wall[label], len(items) / cpu[label]
        base_wall, base_cpu = base_wall or per_s, base_cpu or per_cpu_s
        unit, city = shares(found[label], items)
        print(
            f"{label:55s} {per_s:9,.0f}  x{per_s / base_wall:4.2f}  {per_cpu_s:9,.0f}  "
            f"x{per_cpu_s / base_cpu:4.2f}  unit {unit:6.1%}  city {city:6.1%}"
        )


if __name__ == "__main__":
    main()
