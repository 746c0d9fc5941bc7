"""Build the zone layers and management.geojson from the CSV tables in data/boundaries.

Three tables feed every zone layer:

* ``zone_anchors.csv``: sourced points (a metro station, a Wikipedia point), each with its
  source, the CRS it came in and its precision. Points not in WGS84 are converted with
  :func:`geo.crs.to_wgs84`.
* ``zone_sites.csv``: sourced extents. ``circle`` = a disc of the published area around the
  mean of its anchors, built in the city's equal-area CRS (metres) and clipped to the site's
  district; ``district`` = a district polygon.
* one CSV per layer (``zones_363.csv``, ``value_parks_2025.csv``, ``gba_pharma_zone_2021.csv``):
  one row per zone with its ``sites`` (``;``-separated; empty = no geometry),
  ``geometry_quality``, ``basis``, ``source`` and, for zones that could not be placed,
  ``search_note`` (where we looked).

A zone's geometry is the union of its sites, clipped to the city, stored in WGS84 (7 decimals).
Nothing is placed without a sourced anchor or outline: a zone without sites has no geometry.

Usage: ``python scripts/build_zones.py``
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo._io import write_atomic  # noqa: E402
from geo.cities import open_city  # noqa: E402
from geo.crs import WGS84, normalize_coord_system, to_wgs84  # noqa: E402

CITY = open_city()
EQUAL_AREA_CRS = CITY.equal_area_crs
CITY_OUTLINE = shapely.union_all(CITY.outline.geometry.values)

OUT = ROOT / "data" / "boundaries"
COMPILED = "2026-12-04"
LICENCE = "CC0 (biomap compilation); facts from the cited sources"
QUAD_SEGS = 32  # a disc is a 128-gon; its radius is enlarged so the polygon has the stated area

#: geometry_quality values and the site methods each allows.
QUALITIES = {
    "none": set(),
    "circle_of_published_area": {"circle"},
    "host_district_outline": {"district"},
    "proxy_union_of_sites": {"circle", "district"},
}


@dataclass(frozen=True)
class LayerSpec:
    csv: str
    geojson: str
    source: str


LAYERS = (
    LayerSpec(
        "zones_363.csv",
        "zones_363.geojson",
        "biomap reconstruction of the '363 layout' (shared/reference/facts.md §1.3, hypotheses); "
        "parks from the export-base plan copy http://bjp.tignet.cn/bjpzx/zxShow.aspx?Xid=6752",
    ),
    LayerSpec(
        "value_parks_2025.csv",
        "value_parks_2025.geojson",
        "《广州市生物医药价值园区建设实施方案》(穗工信函〔2025〕54号, 2025-03-14), copy at "
        "http://www.vkbg.cn/new-xiangmu/2596.html; extents: biomap proxies, see each zone",
    ),
    LayerSpec(
        "gba_pharma_zone_2021.csv",
        "gba_pharma_zone_2021.geojson",
        "粤港澳大湾区医药健康综合试验区 (2021), layout '一岛一港一带多组团' as reported by "
        "人民日报 2021-04-21, http://www.stdaily.com/index/h1t8/2021-04/21/content_1118697.shtml",
    ),
)


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(OUT / name, dtype=str, keep_default_na=False)


def load_anchors() -> pd.DataFrame:
    """The anchor points, converted to WGS84 where they came in another system."""
    anchors = _read("zone_anchors.csv").set_index("anchor_id")
    lon = anchors["lon"].astype(float).to_numpy().copy()
    lat = anchors["lat"].astype(float).to_numpy().copy()
    systems = [normalize_coord_system(str(s).split()[0]) for s in anchors["coord_crs_in"]]
    for system in set(systems):
        mask = np.array([s == system for s in systems])
        lon[mask], lat[mask] = to_wgs84(lon[mask], lat[mask], system)
    anchors["lon_wgs84"], anchors["lat_wgs84"] = lon, lat
    return anchors


def _disc(centre_xy: tuple[float, float], area_km2: float) -> shapely.Geometry:
    """A disc of ``area_km2`` (as a 4*QUAD_SEGS-gon) around a point in the equal-area CRS."""
    n = 4 * QUAD_SEGS
    # area of a regular n-gon of circumradius r: n/2 * r^2 * sin(2*pi/n)
    radius = math.sqrt(area_km2 * 1e6 / (n / 2 * math.sin(2 * math.pi / n)))
    return shapely.Point(centre_xy).buffer(radius, quad_segs=QUAD_SEGS)


def build_sites(anchors: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, shapely.Geometry]]:
    """Every site's geometry (WGS84), built in metres and clipped to its district."""
    sites = _read("zone_sites.csv").set_index("site_id")
    by_code = dict(zip(CITY.units["adcode"], CITY.units.geometry, strict=True))
    geoms: dict[str, shapely.Geometry] = {}
    for site_id, row in sites.iterrows():
        district = by_code[row["district_adcode"]]
        if row["method"] == "district":
            geoms[site_id] = district
            continue
        if row["method"] != "circle":
            raise ValueError(f"site {site_id}: unknown method {row['method']!r}")
        ids = [a for a in row["anchors"].split(";") if a]
        if not ids or not row["area_km2"]:
            raise ValueError(f"site {site_id}: a circle needs anchors and area_km2")
        pts = gpd.GeoSeries(
            [shapely.Point(anchors.at[a, "lon_wgs84"], anchors.at[a, "lat_wgs84"]) for a in ids],
            crs=WGS84,
        ).to_crs(EQUAL_AREA_CRS)
        centre = (float(pts.x.mean()), float(pts.y.mean()))
        disc = gpd.GeoSeries([_disc(centre, float(row["area_km2"]))], crs=EQUAL_AREA_CRS)
        geoms[site_id] = disc.to_crs(WGS84).iloc[0].intersection(district)
    return sites, geoms


def _clean(geom: shapely.Geometry, city: shapely.Geometry) -> shapely.Geometry:
    geom = shapely.set_precision(shapely.make_valid(geom.intersection(city)), 1e-7)
    if geom.geom_type == "GeometryCollection":  # keep the areal part of a clip
        geom = shapely.union_all([g for g in geom.geoms if g.geom_type.endswith("Polygon")])
    return geom


def _provenance(names: list[str], sites: pd.DataFrame, anchors: pd.DataFrame) -> dict:
    """Area, centre and coordinate provenance of a zone, from its sites and their anchors."""
    if not names:
        return {
            "area_stated_km2": None,
            "area_source": None,
            "geometry_basis": None,
            "coord_crs_in": None,
            "coord_precision": "none: no geometry",
        }
    rows = sites.loc[names]
    anchor_ids = [a for s in rows["anchors"] for a in s.split(";") if a]
    areas = [float(a) for a in rows["area_km2"] if a]
    basis = []
    for site_id, row in rows.iterrows():
        if row["method"] == "circle":
            names_ = ", ".join(anchors.loc[row["anchors"].split(";"), "name_zh"])
            basis.append(
                f"{site_id}: circle of {row['area_km2']} km² around {row['centre_basis']} "
                f"({names_}), built in metres and clipped to district {row['district_adcode']}"
            )
        else:
            basis.append(f"{site_id}: outline of district {row['district_adcode']}")
    crs_in = sorted({str(c) for c in anchors.loc[anchor_ids, "coord_crs_in"]}) if anchor_ids else []
    anchor_src = sorted({str(s) for s in anchors.loc[anchor_ids, "source"]})
    return {
        "area_stated_km2": round(sum(areas), 4) if len(areas) == len(rows) else None,
        "area_source": " | ".join(f"{i}: {r['area_source']}" for i, r in rows.iterrows()),
        "geometry_basis": "; ".join(basis),
        "anchor_source": " | ".join(anchor_src) or None,
        "coord_crs_in": "; ".join(crs_in) if crs_in else "wgs84 (district polygons, converted)",
        "coord_precision": (
            "circle of the published area around a landmark (km-scale: the edge is not a "
            "boundary; the landmark is not the centroid)"
            if any(rows["method"] == "circle")
            else "district outline (boundaries: metres); the zone itself fills only part of it"
        ),
    }


def build_layer(
    spec: LayerSpec, sites: pd.DataFrame, site_geoms: dict, anchors: pd.DataFrame
) -> gpd.GeoDataFrame:
    """One zone layer from its CSV: geometries, provenance, checks; written as GeoJSON."""
    src = _read(spec.csv)
    city = CITY_OUTLINE
    geoms, extra = [], []
    for row in src.itertuples():
        names = [s for s in row.sites.split(";") if s]
        allowed = QUALITIES.get(row.geometry_quality)
        if allowed is None:
            raise ValueError(f"{row.zone_id}: unknown geometry_quality {row.geometry_quality!r}")
        methods = {sites.at[n, "method"] for n in names}
        if bool(names) != bool(allowed) or not methods <= allowed:
            raise ValueError(f"{row.zone_id}: sites {names} do not fit {row.geometry_quality}")
        if row.geometry_quality == "proxy_union_of_sites" and not names:
            raise ValueError(f"{row.zone_id}: a proxy needs sites")
        if not names and not row.search_note:
            raise ValueError(f"{row.zone_id}: a zone without geometry needs a search_note")
        geoms.append(
            _clean(shapely.union_all([site_geoms[n] for n in names]), city) if names else None
        )
        extra.append(_provenance(names, sites, anchors))
    zones = gpd.GeoDataFrame(
        pd.concat([src.drop(columns=["search_note"]), pd.DataFrame(extra)], axis=1),
        geometry=geoms,
        crs=WGS84,
    )
    zones["rank"] = zones["rank"].astype(int)
    zones["note"] = src["search_note"].replace("", None)
    for col in ("district_adcode", "managing_adcode"):
        zones[col] = zones[col].replace("", None)
    zones["provisional"] = True
    zones["licence"] = LICENCE
    zones["compiled"] = COMPILED
    zones["layer_source"] = spec.source
    for g, zid in zip(zones.geometry, zones["zone_id"], strict=True):
        if g is not None and (not g.is_valid or g.is_empty):
            raise ValueError(f"{zid}: invalid or empty geometry")
    write_atomic(OUT / spec.geojson, zones.to_json(drop_id=True, to_wgs84=True).encode())
    print(f"wrote {spec.geojson} ({len(zones)} zones, {zones.geometry.notna().sum()} drawn)")
    return zones


def build_management(site_geoms: dict) -> None:
    """The Bio-Island management area (administratively Haizhu, managed by Huangpu)."""
    mgmt = gpd.GeoDataFrame(
        {
            "area_id": ["bio-island"],
            "name_zh": ["广州国际生物岛(官洲岛)"],
            "name_en": ["Guangzhou International Bio-Island (Guanzhou Island)"],
            "admin_adcode": ["440105"],
            "managing_adcode": ["440112"],
            "basis": [
                "GDD Administrative Committee runs the island since 2001 [S] "
                "http://bio-island.com/en/Park.aspx?c=0204; 'Bio Island in Huangpu' [S] "
                "http://eng.gdd.gov.cn/2023-10/08/c_927068.htm; formal division unclear, read as "
                "administratively Haizhu (facts.md §3.3)"
            ],
            "geometry_quality": ["circle_of_published_area"],
            "geometry_basis": ["zone_sites.csv bio-island: 1.83 km² around Wikipedia's point"],
            "coord_precision": ["circle of the island's published area; not its shoreline"],
            "source": ["biomap compilation; see zone_sites.csv and zone_anchors.csv"],
            "licence": [LICENCE],
            "compiled": [COMPILED],
        },
        geometry=[_clean(site_geoms["bio-island"], CITY_OUTLINE)],
        crs=WGS84,
    )
    write_atomic(OUT / "management.geojson", mgmt.to_json(drop_id=True).encode())
    print("wrote management.geojson (1 area)")


def build() -> dict[str, gpd.GeoDataFrame]:
    """Build every zone layer and the management areas."""
    anchors = load_anchors()
    sites, site_geoms = build_sites(anchors)
    layers = {spec.geojson: build_layer(spec, sites, site_geoms, anchors) for spec in LAYERS}
    build_management(site_geoms)
    return layers


if __name__ == "__main__":
    build()
