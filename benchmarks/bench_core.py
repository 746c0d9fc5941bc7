"""Benchmark the geography core against baselines measured in the same run.

1. Assign N random points in the city's bounding box (default city: Guangzhou) to every zone
   layer of the city (districts and the 363 zones):
   biomap's grid index (cold: including building the index; warm: index built) vs geopandas
   ``sjoin(predicate="within")`` on the same points, checking the answers agree.
2. GCJ-02 -> WGS84 for N points: the iterative inverse (2 steps, <= 1 cm) vs the single-step
   inverse (about 1.3 m mean error).

Usage: python benchmarks/bench_core.py [--points 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.cities import City, open_city
from geo.crs import gcj02_to_wgs84, haversine_m, wgs84_to_gcj02
from geo.zones.assign import assign_points


def city_box(city: City) -> tuple[float, float, float, float]:
    """The bounding box of the city's outline (lon_min, lat_min, lon_max, lat_max)."""
    x0, y0, x1, y1 = city.outline.total_bounds
    return float(x0), float(y0), float(x1), float(y1)


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs of ``fn`` (seconds) and its result."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def bench_assign(city: City, n: int, repeat: int) -> None:
    box = city_box(city)
    rng = np.random.default_rng(42)
    x = rng.uniform(box[0], box[2], n)
    y = rng.uniform(box[1], box[3], n)
    pts = gpd.GeoDataFrame(geometry=shapely.points(x, y), crs=4326)
    layers = city.zone_layers()

    def sjoin_all():
        out = {}
        for name, layer in layers.items():
            zones = layer.located[["zone_id", "geometry"]]
            j = gpd.sjoin(pts, zones, predicate="within", how="left")
            out[name] = j[~j.index.duplicated()]["zone_id"]
        return out

    def cold():
        fresh = open_city(
            city.profile.source_path or city.id
        ).zone_layers()  # new layers: files read, no index
        return assign_points(x, y, fresh)

    t_sjoin, base = best_of(sjoin_all, repeat)
    t_cold, _ = best_of(cold, repeat)
    for layer in layers.values():
        _ = layer.index  # build once
    t_warm, ours = best_of(lambda: assign_points(x, y, layers), repeat)
    for name in layers:
        same = (ours[name].fillna("-").to_numpy() == base[name].fillna("-").to_numpy()).all()
        assert same, f"answers differ for {name}"
    print(f"assign {n:,} points to {' + '.join(layers)} (same answers as sjoin: yes)")
    print(f"  sjoin(within) baseline : {t_sjoin:7.3f} s")
    print(f"  biomap, cold (builds)  : {t_cold:7.3f} s   {t_sjoin / t_cold:5.2f}x faster")
    print(f"  biomap, warm index     : {t_warm:7.3f} s   {t_sjoin / t_warm:5.2f}x faster")


def bench_crs(city: City, n: int, repeat: int) -> None:
    box = city_box(city)
    rng = np.random.default_rng(1)
    x = rng.uniform(box[0], box[2], n)
    y = rng.uniform(box[1], box[3], n)
    gx, gy = wgs84_to_gcj02(x, y)
    t1, one = best_of(lambda: gcj02_to_wgs84(gx, gy, iterations=1), repeat)
    t2, two = best_of(lambda: gcj02_to_wgs84(gx, gy, iterations=2), repeat)
    e1 = haversine_m(x, y, *one)
    e2 = haversine_m(x, y, *two)
    print(f"GCJ-02 -> WGS84 for {n:,} points")
    print(
        f"  single step (baseline) : {t1:7.3f} s   error mean {e1.mean():.3f} m, max {e1.max():.3f} m"
    )
    print(
        f"  iterative (2 steps)    : {t2:7.3f} s   error mean {e2.mean() * 1000:.3f} mm, "
        f"max {e2.max() * 1000:.3f} mm   {t2 / t1:4.2f}x the single-step time"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--city", default=None, help="city profile id or file (default city)")
    args = parser.parse_args()
    city = open_city(args.city)
    bench_assign(city, args.points, args.repeat)
    bench_crs(city, args.points, args.repeat)


if __name__ == "__main__":
    main()
