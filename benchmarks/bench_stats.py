"""Benchmark the spatial analytics (not part of the test run).

* Density for every zone layer and every filter (no filter, each single code of every
  vocabulary, a few ``established_max`` years, and the managing district basis) on N synthetic
  platforms spread uniformly over the city polygon. Baseline measured in the same run: the
  geopandas one-liner an analyst would write for one unfiltered district count
  (``sjoin(points, districts, predicate="within").groupby(...).size()``).
* Ripley's L with S simulations on P points in the city. Baseline in the same run:
  ``pointpats.distance_statistics.l_test`` with the city polygon as hull (n_jobs=1).

Usage: ``python benchmarks/bench_stats.py [--n 100000] [--points 1000] [--simulations 99]
[--city ID|FILE]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np

from geo.cities import City, open_city
from geo.crs import WGS84
from geo.filters import PlatformFilter
from geo.stats.clustering import random_points_in, ripley_l, study_window
from geo.stats.density import density_table
from geo.taxonomy import (
    CHAIN_STAGES,
    FIELDS,
    LEVELS,
    SUB_KINDS_BY_TYPE,
    SUPPORTING_UNITS,
)
from geo.zones.assign import assign_platforms


def synthetic_platforms(n: int, city: City, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` platforms uniformly inside the city with random, consistent taxonomy codes."""
    rng = np.random.default_rng(seed)
    win = study_window(city=city)
    xy = random_points_in(win, n, rng)
    geom = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=win.metric_crs).to_crs(WGS84)
    types = rng.choice(list(SUB_KINDS_BY_TYPE), n)
    sub = [rng.choice(sorted(SUB_KINDS_BY_TYPE[t])) for t in types]
    fields, stages = list(FIELDS), list(CHAIN_STAGES)
    return gpd.GeoDataFrame(
        {
            "id": [f"s{i}" for i in range(n)],
            "type": types,
            "sub_kind": sub,
            "fields": [
                list(rng.choice(fields, rng.integers(1, 3), replace=False)) for _ in range(n)
            ],
            "chain_stages": [
                list(rng.choice(stages, rng.integers(0, 3), replace=False)) for _ in range(n)
            ],
            "level": rng.choice(list(LEVELS), n),
            "supporting_unit": rng.choice(list(SUPPORTING_UNITS), n),
            "established": rng.integers(1980, 2026, n).astype(float),
        },
        geometry=geom.values,
        crs=WGS84,
    )


def all_filters() -> list[PlatformFilter]:
    """No filter, every single code of every filterable vocabulary, and a few years."""
    out = [PlatformFilter()]
    for attr, vocab in PlatformFilter._VOCAB.items():
        from geo.taxonomy import VOCABULARIES

        out += [PlatformFilter(**{attr: (code,)}) for code in VOCABULARIES[vocab]]
    out += [PlatformFilter(established_max=y) for y in (2000, 2010, 2017)]
    return out


def timed(func: Callable[[], object], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_density(city: City, n: int) -> None:
    t0 = time.perf_counter()
    platforms = synthetic_platforms(n, city)
    print(f"synthetic registry: {n:,} platforms in {time.perf_counter() - t0:.1f} s")
    layers = city.zone_layers()
    for layer in layers.values():  # build the point-in-zone indexes outside the timings
        _ = layer.index
    districts = layers["districts"].zones

    def baseline() -> object:
        joined = gpd.sjoin(
            platforms[["geometry"]], districts[["zone_id", "geometry"]], predicate="within"
        )
        return joined.groupby("zone_id").size()

    base = timed(baseline, repeat=3)
    filters = all_filters()
    runs = [(name, flt, "administrative") for name in layers for flt in filters]
    runs += [("districts", flt, "managing") for flt in filters]
    t0 = time.perf_counter()
    for name, flt, basis in runs:
        density_table(platforms, layers[name], city=city, filter=flt, district_basis=basis)  # type: ignore[arg-type]
    total = time.perf_counter() - t0
    one = timed(lambda: density_table(platforms, layers["districts"], city=city), repeat=3)
    # the service's path: the zones assigned once at load are passed in (no point-in-polygon)
    assigned, _ = assign_platforms(platforms, city, layers)
    t0 = time.perf_counter()
    for name, flt, basis in runs:
        column = f"zone_{name}"
        if name == "districts":
            column = "managing_adcode" if basis == "managing" else "district_adcode"
        density_table(assigned, layers[name], city=city, filter=flt, district_basis=basis,  # type: ignore[arg-type]
                      zone_ids=assigned[column])  # fmt: skip
    known = time.perf_counter() - t0
    print(f"baseline (geopandas sjoin + groupby, districts, no filter): {base:.3f} s")
    print(
        f"density_table, districts, no filter:                        {one:.3f} s  ({one / base:.2f}x baseline)"
    )
    print(
        f"density for {len(runs)} (layer, filter, basis) combinations:    {total:.2f} s  "
        f"({total / len(runs):.3f} s each, {total / len(runs) / base:.2f}x baseline each)"
    )
    print(
        f"the same with the zones assigned at load (zone_ids, as the API): {known:.2f} s  "
        f"({known / len(runs):.3f} s each, {known / total:.2f}x the above)"
    )


def bench_ripley(city: City, points: int, simulations: int) -> None:
    from pointpats.distance_statistics import l_test

    win = study_window(city=city)
    rng = np.random.default_rng(1)
    xy = random_points_in(win, points, rng)
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=win.metric_crs)
    ours = timed(lambda: ripley_l(pts, city=city, window=win, n_simulations=simulations, seed=0))
    base = timed(
        lambda: l_test(xy, support=20, hull=win.metric, n_simulations=simulations, n_jobs=1)
    )
    print(
        f"baseline pointpats.l_test ({points} points, {simulations} sims, city hull): {base:.2f} s"
    )
    print(
        f"biomap ripley_l ({points} points, {simulations} sims, city window):       {ours:.2f} s  ({ours / base:.2f}x baseline)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000, help="synthetic platforms for density")
    parser.add_argument("--points", type=int, default=1000, help="points for Ripley's L")
    parser.add_argument("--simulations", type=int, default=99, help="Ripley CSR simulations")
    parser.add_argument("--city", default=None, help="city profile id or file (default city)")
    args = parser.parse_args()
    city = open_city(args.city)
    bench_density(city, args.n)
    bench_ripley(city, args.points, args.simulations)


if __name__ == "__main__":
    main()
