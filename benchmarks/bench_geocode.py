"""Benchmark offline geocoding against cpca's district parsing, measured in the same run.

Two address sets:
- ``registry``: the real addresses of data/sources/platforms.csv (district as written);
- ``synthetic``: N addresses made from gazetteer names in varied forms (with or without the
  广州市/district prefix, full-width digits, historic district names, landmarks only). They
  are built from biomap's own gazetteer, which favours biomap: read them as a speed test and a
  check of the normalisation, not as an accuracy claim.

Reports addresses per second after start-up, the share resolved to street/town precision or
better, and the share whose district is right, for biomap and for cpca (``pip install cpca``;
it parses districts only).

Usage: python benchmarks/bench_geocode.py [--n 10000]
"""

from __future__ import annotations

import argparse
import random
import time
import warnings

import pandas as pd

from geo import DATA_DIR
from geo.cities import open_city
from geo.geocoding.gazetteer import read_gazetteer
from geo.geocoding.geocoder import Geocoder

CITY = open_city()
DISTRICTS = CITY.unit_names
district_named_in = CITY.unit_named_in

FINE = {"exact", "building", "campus", "landmark", "road", "street", "town"}
FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def synthetic(n: int, seed: int = 3) -> list[tuple[str, str]]:
    gaz = read_gazetteer(CITY.profile.gazetteer.files)
    gaz = gaz[gaz["kind"] != "district"]
    rng = random.Random(seed)
    rows = list(gaz.itertuples())
    out = []
    for _ in range(n):
        r = rng.choice(rows)
        district = DISTRICTS[r.district_adcode][0]
        number = f"{rng.randint(1, 999)}号"
        form = rng.randrange(5)
        if form == 0:
            text = f"广州市{district}{r.name_zh}{number}"
        elif form == 1:
            text = f"广东省广州市{district}{r.name_zh}{number.translate(FULL)}"
        elif form == 2:
            text = f"{r.name_zh}{number}"
        elif form == 3:
            text = f"{district}{r.name_zh}"
        else:
            text = f"广州 {r.name_zh} {number}"
        out.append((text, r.district_adcode))
    return out


def registry_set() -> list[tuple[str, str]]:
    df = pd.read_csv(DATA_DIR / "sources" / "platforms.csv", dtype=str)
    return [
        (a, district_named_in(d) or "")
        for a, d in zip(df["address_zh"], df["district_zh"], strict=True)
    ]


def run_biomap(items: list[tuple[str, str]]) -> dict[str, float]:
    coder = Geocoder(CITY)
    coder.geocode("广州市天河区")  # start-up: gazetteer, districts index, caches
    t = time.perf_counter()
    results = [coder.geocode(a) for a, _ in items]
    dt = time.perf_counter() - t
    managing_district = CITY.managing_adcode

    def right(r, want: str) -> bool:
        if not r.resolved:
            return False
        return want in (r.district_adcode, managing_district(r.lon, r.lat, r.district_adcode))

    return {
        "per_s": len(items) / dt,
        "fine": sum(r.precision in FINE for r in results) / len(items),
        "district_ok": sum(right(r, want) for r, (_, want) in zip(results, items, strict=True))
        / len(items),
    }


def run_cpca(items: list[tuple[str, str]]) -> dict[str, float] | None:
    try:
        import cpca
    except ImportError:
        return None
    addresses = [a for a, _ in items]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cpca.transform(addresses[:10])  # start-up
        t = time.perf_counter()
        df = cpca.transform(addresses)
        dt = time.perf_counter() - t
    codes = df["adcode"].fillna("").astype(str).tolist()
    return {
        "per_s": len(items) / dt,
        "fine": 0.0,  # district-level parser: never finer than a district
        "district_ok": sum(c == want for c, (_, want) in zip(codes, items, strict=True))
        / len(items),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    for name, items in (
        (f"registry ({len(registry_set())} real addresses)", registry_set()),
        (f"synthetic ({args.n:,})", synthetic(args.n)),
    ):
        print(name)
        for tool, res in (("biomap", run_biomap(items)), ("cpca", run_cpca(items))):
            if res is None:
                print(f"  {tool:7s} not installed (pip install cpca)")
                continue
            print(
                f"  {tool:7s} {res['per_s']:10,.0f} addresses/s   street/town or finer "
                f"{res['fine']:6.1%}   right district {res['district_ok']:6.1%}"
            )


if __name__ == "__main__":
    main()
