"""Benchmark: assign points to the 50 Pearl River Delta units, biomap vs geopandas ``sjoin``.

Two point sets of N points each, in the same process:

- *uniform*: uniform in the bounding box of the region's outline (sea and land; many fall
  outside every unit, which both methods must answer too);
- *border*: within 500 m of a unit border (a random position along the units' boundaries,
  moved by a random offset of up to 500 m in the region's metric CRS), the hard case for a
  grid index, whose border cells need exact tests.

For each set: geopandas ``sjoin(predicate="within")`` against the units (the baseline; it builds
its STRtree on every call), biomap's ``assign_points`` with the index already built (warm) and
with a fresh layer (cold: reading nothing, but building the index), and the index build time
alone. The answers must agree point for point with ``sjoin`` (a point that ``sjoin`` puts in two
units, exactly on an edge, takes biomap's documented tie rule instead and is counted apart).

Usage: python benchmarks/bench_prd_assign.py [--points 1000000] [--repeat 3] [--border-m 500]
"""

from __future__ import annotations

import argparse
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from bench_core import best_of  # benchmarks/ is on sys.path as a script

from geo.cities import City, open_city
from geo.crs import WGS84
from geo.zones._index import ZoneIndex
from geo.zones.assign import assign_points
from geo.zones.layers import ZoneLayer


def uniform_points(city: City, n: int, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """N points uniform in the bounding box of the region's outline."""
    x0, y0, x1, y1 = city.outline.total_bounds
    rng = np.random.default_rng(seed)
    return rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)


def border_points(
    city: City, n: int, within_m: float, seed: int = 7
) -> tuple[np.ndarray, np.ndarray]:
    """N points within ``within_m`` metres of a unit border (metric CRS), as WGS84."""
    metric = city.units.to_crs(city.metric_crs)
    lines = shapely.get_parts(shapely.boundary(metric.geometry.values))
    xy, which = shapely.get_coordinates(lines, return_index=True)
    same = which[1:] == which[:-1]
    a, b = xy[:-1][same], xy[1:][same]  # every edge (shared edges twice: same weight per side)
    length = np.hypot(*(b - a).T)
    rng = np.random.default_rng(seed)
    edge = rng.choice(len(a), size=n, p=length / length.sum())
    t = rng.uniform(0, 1, n)[:, None]
    at = a[edge] + t * (b[edge] - a[edge])
    r = within_m * np.sqrt(rng.uniform(0, 1, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    bx, by = at[:, 0] + r * np.cos(angle), at[:, 1] + r * np.sin(angle)
    to_wgs = pyproj.Transformer.from_crs(city.metric_crs, WGS84, always_xy=True)
    return to_wgs.transform(bx, by)


def _sjoin(x: np.ndarray, y: np.ndarray, zones: gpd.GeoDataFrame) -> tuple[np.ndarray, int]:
    pts = gpd.GeoDataFrame(geometry=shapely.points(x, y), crs=WGS84)
    j = gpd.sjoin(pts, zones, predicate="within", how="left")
    ties = int(j.index.duplicated().sum())
    return j[~j.index.duplicated()]["zone_id"].to_numpy(dtype=object), ties


def bench_set(name: str, x: np.ndarray, y: np.ndarray, city: City, repeat: int) -> dict:
    """Time sjoin, biomap warm and cold on one point set and check the answers."""
    layer = city.units_layer
    zones = layer.located[["zone_id", "geometry"]]
    t_sjoin, (base, ties) = best_of(lambda: _sjoin(x, y, zones), repeat)

    def cold() -> Any:
        fresh = ZoneLayer(
            name="districts",
            zones=layer.zones,
            title_zh="",
            title_en="",
            equal_area_crs=layer.equal_area_crs,
        )
        return assign_points(x, y, {"districts": fresh})["districts"]

    t_cold, _ = best_of(cold, repeat)
    _ = layer.index
    t_warm, ours = best_of(lambda: assign_points(x, y, {"districts": layer})["districts"], repeat)
    got = ours.fillna("-").to_numpy()
    differ = int((got != pd.Series(base).fillna("-").to_numpy()).sum())
    return {
        "set": name,
        "n": len(x),
        "inside": int((got != "-").sum()),
        "sjoin": t_sjoin,
        "warm": t_warm,
        "cold": t_cold,
        "differ": differ,
        "ties": ties,
    }


def bench_build(city: City, repeat: int) -> tuple[float, dict]:
    """Build time of the units' index alone, and its shape."""
    layer = city.units_layer
    area = layer.area_km2.fillna(np.inf).to_numpy()
    order = np.lexsort((layer.zones["zone_id"].astype(str).to_numpy(), area))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    t, index = best_of(lambda: ZoneIndex(layer.zones.geometry.values, rank), repeat)
    return t, index.describe()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="points per set")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--border-m", type=float, default=500.0)
    parser.add_argument("--city", default="prd", help="region or city profile (default prd)")
    args = parser.parse_args()
    city = open_city(args.city)
    t_build, shape = bench_build(city, args.repeat)
    rows = [
        bench_set("uniform", *uniform_points(city, args.points), city, args.repeat),
        bench_set(
            f"border <= {args.border_m:g} m",
            *border_points(city, args.points, args.border_m),
            city,
            args.repeat,
        ),
    ]
    units = len(city.units)
    print(f"assign points to the {units} units of {city.profile.name_en} (best of {args.repeat})")
    print(f"index build: {t_build:.3f} s  ({shape})")
    print(
        "| points | n | in a unit | sjoin s | biomap warm s | x faster | biomap cold s "
        "| x faster | differ | sjoin ties |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['set']} | {r['n']:,} | {r['inside']:,} | {r['sjoin']:.3f} | {r['warm']:.3f} | "
            f"{r['sjoin'] / r['warm']:.1f} | {r['cold']:.3f} | {r['sjoin'] / r['cold']:.1f} | "
            f"{r['differ']} | {r['ties']} |"
        )
    bad = [r["set"] for r in rows if r["differ"] > r["ties"]]
    if bad:
        raise SystemExit(f"answers differ from sjoin beyond edge ties: {bad}")


if __name__ == "__main__":
    main()
