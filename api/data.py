"""What the service loads once at startup, and the prepared bytes it serves from.

The registry is re-assigned to districts, managing districts and every zone layer at load
(:func:`geo.assign.assign_platforms`), so filters by district or zone agree with ``/locate``.
Every feature is serialised once per coordinate system and pages are joined from those bytes;
filtered density figures are computed on first use and kept in a small LRU cache.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from api.responses import LruCache, dumps
from api.settings import Settings
from geo._io import frame_records
from geo.assign import assign_platforms
from geo.boundaries import load_districts, load_management_areas
from geo.crs import from_wgs84, shift_geometry
from geo.density import DensityResult, density_table
from geo.filters import FilterError, PlatformFilter
from geo.nearest import NearestIndex
from geo.registry import load_registry
from geo.zones import ZoneLayer, builtin_layers, get_layer

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: Coordinate systems features can be served in: WGS84 (CRS84, the default) or GCJ-02 (opt-in).
OutputSystem = Literal["wgs84", "gcj02"]
_PRECISION = 1e-7  # degrees (about 1 cm): output coordinates are rounded to this grid


@dataclass
class Collection:
    """One feature collection: the platforms, or one zone layer."""

    id: str
    kind: Literal["platforms", "zones"]
    title_zh: str
    title_en: str
    ids: list[str]
    geometry: gpd.GeoSeries
    provisional: bool = False
    provenance: dict[str, str] = field(default_factory=dict)
    layer: ZoneLayer | None = None
    _geom_json: dict[str, list[bytes]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.position = {fid: i for i, fid in enumerate(self.ids)}
        geoms = self.geometry.values
        self.located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        bounds = shapely.bounds(geoms)
        self.extent = (
            [float(v) for v in shapely.total_bounds(geoms[self.located])]
            if self.located.any()
            else None
        )
        self.bounds = bounds

    def geometry_json(self, system: OutputSystem) -> list[bytes]:
        """Every feature's GeoJSON geometry (``null`` where none), serialised once per system."""
        if system not in self._geom_json:
            self._geom_json[system] = _geometry_json(self.geometry, system)
        return self._geom_json[system]

    def bbox_mask(self, bbox: tuple[float, float, float, float]) -> np.ndarray:
        """Which features intersect ``bbox`` (WGS84 minx, miny, maxx, maxy)."""
        x0, y0, x1, y1 = bbox
        b = self.bounds
        near = self.located & (b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0)
        if self.kind == "platforms":
            return near  # a point's bounds are the point
        out = np.zeros(len(self.ids), dtype=bool)
        idx = np.flatnonzero(near)
        out[idx] = shapely.intersects(self.geometry.values[idx], shapely.box(x0, y0, x1, y1))
        return out


class ServiceData:
    """Boundaries, zone layers and the registry, loaded once; the service's read-only state.

    Parameters
    ----------
    settings
        Where the registry and extra layers are, and the cache size.
    platforms
        A registry frame to serve instead of reading ``settings.registry`` (benchmarks).
    """

    def __init__(self, settings: Settings, platforms: gpd.GeoDataFrame | None = None) -> None:
        self.settings = settings
        self.layers: dict[str, ZoneLayer] = builtin_layers(dict(settings.layers.items()))
        self.management = load_management_areas()
        raw = load_registry(settings.registry) if platforms is None else platforms
        assigned, self.assignment = assign_platforms(raw, self.layers, self.management)
        self.platforms = assigned.reset_index(drop=True)
        self.lon = self.platforms.geometry.x.to_numpy(dtype=np.float64)
        self.lat = self.platforms.geometry.y.to_numpy(dtype=np.float64)
        self.nearest = NearestIndex(self.lon, self.lat)
        self.collections = {"platforms": self._platform_collection()}
        for name, layer in self.layers.items():
            self.collections[name] = self._zone_collection(layer)
        self.cache = LruCache(settings.cache_entries)
        self._platform_features: dict[str, list[bytes]] = {}
        self.platform_features("wgs84")  # serialise every feature once, before the first request
        self.loaded_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()

    # -- collections ------------------------------------------------------------------------

    def _platform_collection(self) -> Collection:
        return Collection(
            id="platforms",
            kind="platforms",
            title_zh="生物医药科技创新服务平台",
            title_en="Biomedical innovation service platforms",
            ids=self.platforms["id"].astype(str).tolist(),
            geometry=self.platforms.geometry,
            provenance={
                "source": "biomap registry; each record carries its source, date, verification "
                "and coordinate provenance (coord_source, coord_precision, coord_uncertainty_m)",
                "licence": "CC BY 4.0 (biomap registry)",
            },
        )

    def _zone_collection(self, layer: ZoneLayer) -> Collection:
        geometry = layer.zones.geometry
        if layer.name == "districts":  # serve the coverage-simplified outlines made for the web
            web = load_districts(web=True).set_index("adcode").geometry
            geometry = gpd.GeoSeries(
                layer.zones["zone_id"].map(web).where(lambda s: s.notna(), geometry).values,
                crs=geometry.crs,
            )
        return Collection(
            id=layer.name,
            kind="zones",
            title_zh=layer.title_zh,
            title_en=layer.title_en,
            ids=layer.zones["zone_id"].astype(str).tolist(),
            geometry=geometry,
            provisional=layer.provisional,
            provenance=dict(layer.provenance),
            layer=layer,
        )

    def collection(self, collection_id: str) -> Collection | None:
        """The collection called ``collection_id`` or ``None``."""
        return self.collections.get(collection_id)

    # -- selection ----------------------------------------------------------------------------

    def platform_mask(self, flt: PlatformFilter, zones: tuple[str, ...] = ()) -> np.ndarray:
        """Which platforms match the filter and lie in one of ``zones`` (cached, read-only)."""
        key = ("mask", flt, zones)
        mask = self.cache.get(key)
        if mask is None:
            mask = flt.mask(self.platforms) & self._zone_mask(zones)
            mask.setflags(write=False)
            self.cache.put(key, mask)
        return mask

    def _zone_mask(self, zones: tuple[str, ...]) -> np.ndarray:
        if not zones:
            return np.ones(len(self.platforms), dtype=bool)
        keep = np.zeros(len(self.platforms), dtype=bool)
        for spec in zones:
            layer_name, zone_id = self._resolve_zone(spec)
            column = "district_adcode" if layer_name == "districts" else f"zone_{layer_name}"
            keep |= (self.platforms[column] == zone_id).to_numpy(dtype=bool)
        return keep

    def _resolve_zone(self, spec: str) -> tuple[str, str]:
        """``layer:zone_id`` or a bare ``zone_id`` (searched in every layer but districts)."""
        if ":" in spec:
            layer_name, zone_id = spec.split(":", 1)
            layer = get_layer(self.layers, layer_name)
            if zone_id in set(layer.zones["zone_id"].astype(str)):
                return layer_name, zone_id
        else:
            for name, layer in self.layers.items():
                if name != "districts" and spec in set(layer.zones["zone_id"].astype(str)):
                    return name, spec
        raise FilterError(
            f"unknown zone {spec!r}; use a zone_id of a zone layer, or LAYER:ZONE_ID "
            f"(layers: {', '.join(self.layers)}); /collections/LAYER/items lists the zones"
        )

    # -- features -----------------------------------------------------------------------------

    def platform_features(self, system: OutputSystem) -> list[bytes]:
        """Every platform as serialised GeoJSON Feature bytes (built once per system)."""
        if system not in self._platform_features:
            self._platform_features[system] = _platform_features(self.platforms, system)
        return self._platform_features[system]

    def zone_features(
        self, collection: Collection, system: OutputSystem, density: DensityResult
    ) -> list[bytes]:
        """Every zone of ``collection`` as Feature bytes carrying ``density``'s figures."""
        assert collection.layer is not None
        attrs = frame_records(collection.layer.zones.drop(columns="geometry"))
        figures = density.to_dict()["zones"]
        geoms = collection.geometry_json(system)
        out = []
        for fid, attr, fig, geom in zip(collection.ids, attrs, figures, geoms, strict=True):
            props = dumps(attr | {k: v for k, v in fig.items() if k != "zone_id"})
            out.append(
                b'{"type":"Feature","id":' + dumps(fid) + b',"geometry":' + geom
                + b',"properties":' + props + b"}"
            )  # fmt: skip
        return out

    def density(
        self,
        layer_name: str,
        flt: PlatformFilter,
        zones: tuple[str, ...] = (),
        district_basis: str = "administrative",
    ) -> DensityResult:
        """Density of the platforms matching ``flt`` (and ``zones``) by ``layer_name`` (cached)."""
        layer = get_layer(self.layers, layer_name)
        key = ("density", layer_name, flt, zones, district_basis)
        result = self.cache.get(key)
        if result is None:
            platforms = self.platforms[self._zone_mask(zones)] if zones else self.platforms
            result = density_table(
                platforms,
                layer,
                filter=flt,
                district_basis=district_basis,  # type: ignore[arg-type]
            )
            self.cache.put(key, result)
        return result


def _platform_features(platforms: gpd.GeoDataFrame, system: OutputSystem) -> list[bytes]:
    x, y = from_wgs84(platforms.geometry.x.to_numpy(), platforms.geometry.y.to_numpy(), system)
    x, y = np.round(x, 7), np.round(y, 7)
    props = frame_records(
        pd.DataFrame(platforms.drop(columns=["geometry", "lon", "lat"], errors="ignore"))
    )
    return [
        dumps(
            {
                "type": "Feature",
                "id": p["id"],
                "geometry": {"type": "Point", "coordinates": [float(xi), float(yi)]},
                "properties": p,
            }
        )
        for p, xi, yi in zip(props, x, y, strict=True)
    ]


def _geometry_json(geometry: gpd.GeoSeries, system: OutputSystem) -> list[bytes]:
    out = []
    for original in geometry.values:
        if original is None or original.is_empty:
            out.append(b"null")
            continue
        shifted = shift_geometry(original, system) if system != "wgs84" else original
        rounded = shapely.set_precision(shifted, _PRECISION, mode="pointwise")
        out.append(shapely.to_geojson(rounded).encode())
    return out
