"""What the service loads once at startup, and the prepared bytes it serves from.

The registry is re-assigned to districts, managing districts and every zone layer at load
(:func:`geo.zones.assign.assign_platforms`), so filters by district or zone agree with ``/locate``.
Every feature is serialised once per coordinate system and pages are joined from those bytes;
filtered density figures are computed on first use and kept in a small LRU cache.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from api.responses import LruCache, dumps
from api.rows import feature_bytes, flat_row, merge_order, new_columns, replace_rows
from api.schemas import Properties, frame_property_schemas, geometry_format, integer_properties
from api.settings import Settings
from geo._io import frame_records
from geo.cities import City, open_city
from geo.cql import FilterLang, cql2_mask, parse_cql2
from geo.crs import from_wgs84, shift_geometry
from geo.errors import DirectModeError
from geo.filters import PlatformFilter
from geo.geocoding import Geocoder
from geo.nearest import NearestIndex
from geo.stats.clustering import study_window
from geo.stats.density import DensityResult, density_from_counts, density_table
from geo.store import PlatformRecord, etag, open_store, records_to_frame
from geo.store.schema import record_property_schemas
from geo.zones import ZoneLayer, get_layer
from geo.zones.assign import assign_many, assign_platforms

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: Coordinate systems features can be served in: WGS84 (CRS84, the default) or GCJ-02 (opt-in).
OutputSystem = Literal["wgs84", "gcj02"]
DistrictBasis = Literal["administrative", "managing"]
_PRECISION = 1e-7  # degrees (about 1 cm): output coordinates are rounded to this grid
#: A frame to build later: the frame it derives from and the rows changed since (None: gone).
_FrameSource = tuple[gpd.GeoDataFrame, dict[str, PlatformRecord | None]]


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
    #: JSON Schema of each feature property, in feature order (see :mod:`api.schemas`).
    properties: Properties = field(default_factory=dict)
    #: The property that equals the feature id.
    id_property: str = "id"
    #: The property ``datetime`` selects on (``established`` years, a layer's date), if any.
    temporal: str | None = None
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
        self.geometry_format = geometry_format(geoms)
        if self.temporal is None and self.kind == "zones":
            dates = [n for n, p in self.properties.items() if p.get("format") == "date"]
            self.temporal = dates[0] if len(dates) == 1 else None

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
        The city, where the registry and extra layers are, and the cache size.
    platforms
        A registry frame to serve instead of reading the store (benchmarks).
    city
        The city to serve instead of opening ``settings.city``.
    reuse
        A previous snapshot whose city, layers, store and geocoder are reused (a reload after a
        change in the store; only the registry is read again).

    Raises
    ------
    geo.errors.DataFileError
        For an unknown city, a missing store or layer file (the service does not start).
    geo.errors.ValidationError
        For an invalid city profile or registry.
    """

    def __init__(
        self,
        settings: Settings,
        platforms: gpd.GeoDataFrame | None = None,
        city: City | None = None,
        reuse: ServiceData | None = None,
    ) -> None:
        self.settings = settings
        if reuse is not None:
            self.city, self.layers, self.store = reuse.city, reuse.layers, reuse.store
            self._geocoder = reuse._geocoder
        else:
            self.city = city or open_city(settings.city)
            self.layers = self.city.zone_layers(dict(settings.layers.items()))
            self.store = open_store(settings.store_location)
            self._geocoder = None
        #: The store's version the registry was read at (read first: a later write reloads).
        self.version = self.store.version() if platforms is None else "fixed"
        #: Rows in the store (the planner's estimate above 10,000) when direct, else loaded.
        self.platform_count = 0
        #: Direct mode: a PostGIS registry over ``snapshot_max_rows`` is not loaded; items,
        #: one item and density are answered from SQL (:mod:`api.direct`).
        self.direct = platforms is None and _too_large(self.store, settings, self)
        self._direct_ready = False
        if self.direct:
            raw, self.etags = records_to_frame([]), {}
        elif platforms is None:
            records = self.store.load()
            #: The stored records' ETags (what a write's If-Match is checked against).
            self.etags = {r.id: etag(r) for r in records}
            raw = records_to_frame(records)
        else:
            raw, self.etags = platforms, {}
        assigned, self.assignment = assign_platforms(raw, self.city, self.layers)
        self._platforms: gpd.GeoDataFrame | None = assigned.reset_index(drop=True)
        self._frame_source: _FrameSource | None = None
        self._lazy_lock = threading.Lock()
        self._nearest: NearestIndex | None = None
        #: The frame's columns (the feature properties, in order, but geometry, lon and lat).
        self.columns = [str(c) for c in self._platforms.columns]
        self.lon = self._platforms.geometry.x.to_numpy(dtype=np.float64)
        self.lat = self._platforms.geometry.y.to_numpy(dtype=np.float64)
        self.collections = {"platforms": self._platform_collection()}
        for name, layer in self.layers.items():
            self.collections[name] = self._zone_collection(layer)
        self.cache = LruCache(settings.cache_entries, max_bytes=settings.cache_bytes)
        self._platform_features: dict[str, list[bytes]] = {}
        self.platform_features("wgs84")  # serialise every feature once, before the first request
        if not self.direct:
            self.platform_count = len(self.collections["platforms"].ids)
        else:
            from geo.store import direct as sqlq

            self.collections["platforms"].extent = sqlq.extent(self.store)  # type: ignore[arg-type]
        self._direct_ready = self.direct
        self.loaded_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()

    @property
    def platforms(self) -> gpd.GeoDataFrame:
        """The assigned registry, one row per platform in the collection's order.

        After :meth:`apply` it is built on first use from the previous snapshot's frame and
        the changed rows, then kept.
        """
        if self._direct_ready:
            raise DirectModeError(
                "this needs the whole registry in memory, and this server's is too large to "
                f"load (direct mode: over {self.settings.snapshot_max_rows} rows); items, one "
                "item and /stats/density are served / 登记库过大(直连模式),此功能不可用"
            )
        frame = self._platforms
        if frame is not None:
            return frame
        with self._lazy_lock:
            if self._platforms is None:
                assert self._frame_source is not None
                base, changed = self._frame_source
                ids = self.collections["platforms"].ids
                self._platforms = replace_rows(base, changed, ids, self.columns)
                self._frame_source = None
            return self._platforms

    @property
    def nearest(self) -> NearestIndex:
        """The nearest-platform index (built on first use)."""
        index = self._nearest
        if index is None:
            with self._lazy_lock:
                if self._nearest is None:
                    metric = self.city.metric_crs
                    self._nearest = NearestIndex(self.lon, self.lat, metric_crs=metric)
                index = self._nearest
        return index

    # -- incremental updates ------------------------------------------------------------------

    def advanced(self, version: str) -> ServiceData:
        """Direct mode: this snapshot at store version ``version`` (nothing is held but the
        city and layers, so only the caches go)."""
        new = object.__new__(ServiceData)
        new.__dict__.update(self.__dict__)
        new.version = version
        new.cache = LruCache(self.settings.cache_entries, max_bytes=self.settings.cache_bytes)
        new.loaded_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        return new

    def apply(self, changed: Mapping[str, PlatformRecord | None], version: str) -> ServiceData:
        """A new snapshot: this one with the records ``changed`` (id -> the stored record, or
        ``None`` for a deleted one) replaced, inserted or removed, at store version ``version``.

        Only the changed records are assigned (:func:`geo.zones.assign.assign_many`) and
        serialised; the other rows' feature bytes, the zone layers and the city are shared with
        this snapshot, which stays valid for the requests still reading it. The frame and the
        nearest index are rebuilt when first asked for; filter masks and density figures start
        afresh (computed on first use, then cached). The result equals a snapshot rebuilt from
        the store at ``version`` (tests check it).
        """
        stored = {rid: rec for rid, rec in changed.items() if rec is not None}
        assigned = assign_many(list(stored.values()), self.city, self.layers)
        upserts = {
            rid: type(rec).model_validate(data)
            for (rid, rec), data in zip(stored.items(), assigned, strict=True)
        }
        rows = {rid: flat_row(rec) for rid, rec in upserts.items()}
        old = self.collections["platforms"]
        ids = merge_order(old.ids, changed.keys(), rows.keys())
        new = object.__new__(ServiceData)
        new.__dict__.update(self.__dict__)
        new.version = version
        new._lazy_lock = threading.Lock()
        new._nearest = None
        new.columns = new_columns(self.columns, rows.values())
        if self._platforms is not None:
            new._frame_source = (self._platforms, {rid: upserts.get(rid) for rid in changed})
        else:  # the frame was never needed since an older snapshot: build from that one
            assert self._frame_source is not None
            base, pending = self._frame_source
            new._frame_source = (base, {**pending, **{rid: upserts.get(rid) for rid in changed}})
        new._platforms = None
        source = np.array([old.position.get(fid, -1) for fid in ids], dtype=np.int64)
        kept = np.flatnonzero(source >= 0)
        fresh = np.array([k for k, fid in enumerate(ids) if fid in rows], dtype=np.intp)
        new.lon, new.lat = np.empty(len(ids)), np.empty(len(ids))
        new.lon[kept], new.lat[kept] = self.lon[source[kept]], self.lat[source[kept]]
        new.lon[fresh] = [rows[ids[k]]["lon"] for k in fresh]
        new.lat[fresh] = [rows[ids[k]]["lat"] for k in fresh]
        points = np.empty(len(ids), dtype=object)  # the kept rows' points are shared, not rebuilt
        points[kept] = np.asarray(old.geometry.values, dtype=object)[source[kept]]
        points[fresh] = shapely.points(new.lon[fresh], new.lat[fresh])
        geometry = gpd.GeoSeries(points, crs=old.geometry.crs)
        same = new.columns == self.columns
        props = old.properties if same else platform_properties(new.platforms)
        new.collections = {
            **self.collections,
            "platforms": new._platform_collection(ids=ids, geometry=geometry, properties=props),
        }
        integers = [name for name in _record_integers() if name in new.columns]
        new._platform_features = {}
        for system, features in self._platform_features.items():
            fresh = feature_bytes(list(rows.values()), new.columns, system, integers)
            made = dict(zip(rows, fresh, strict=True))
            new._platform_features[system] = [
                made[fid] if fid in made else features[old.position[fid]] for fid in ids
            ]
        new.etags = {k: v for k, v in self.etags.items() if k not in changed}
        new.etags.update({rid: etag(rec) for rid, rec in changed.items() if rec is not None})
        new.cache = LruCache(self.settings.cache_entries, max_bytes=self.settings.cache_bytes)
        new.loaded_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        return new

    # -- collections ------------------------------------------------------------------------

    def _platform_collection(
        self,
        *,
        ids: list[str] | None = None,
        geometry: gpd.GeoSeries | None = None,
        properties: Properties | None = None,
    ) -> Collection:
        """The platforms collection (from :attr:`platforms` where not given)."""
        return Collection(
            id="platforms",
            kind="platforms",
            title_zh="生物医药科技创新服务平台",
            title_en="Biomedical innovation service platforms",
            ids=self.platforms["id"].astype(str).tolist() if ids is None else ids,
            geometry=self.platforms.geometry if geometry is None else geometry,
            properties=platform_properties(self.platforms) if properties is None else properties,
            temporal="established",
            provenance={
                "source": "biomap registry; each record carries its source, date, verification "
                "and coordinate provenance (coord_source, coord_precision, coord_uncertainty_m)",
                "licence": "CC BY 4.0 (biomap registry)",
            },
        )

    def _zone_collection(self, layer: ZoneLayer) -> Collection:
        geometry = layer.zones.geometry
        if layer.name == "districts":  # serve the coverage-simplified outlines made for the web
            web = self.city.units_web.set_index("adcode").geometry
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
            properties=self._zone_properties(layer),
            id_property="zone_id",
        )

    @functools.cached_property
    def window_km2(self) -> float:
        """The clustering study window's area (the city polygon) in km²."""
        return study_window(None, city=self.city).area_m2 / 1e6

    def _zone_properties(self, layer: ZoneLayer) -> Properties:
        """The layer's columns, then the density figures (typed by the density table)."""
        figures = density_table(self.platforms, layer, city=self.city).table.drop(columns="zone_id")
        return frame_property_schemas(layer.zones) | frame_property_schemas(figures)

    @property
    def geocoder(self) -> Geocoder:
        """The city's offline geocoder (built on first use, kept across reloads)."""
        if self._geocoder is None:
            self._geocoder = Geocoder(self.city)
        return self._geocoder

    def collection(self, collection_id: str) -> Collection | None:
        """The collection called ``collection_id`` or ``None``."""
        return self.collections.get(collection_id)

    # -- selection ----------------------------------------------------------------------------

    def platform_mask(self, flt: PlatformFilter, zones: tuple[str, ...] = ()) -> np.ndarray:
        """Which platforms match the filter, its ``zone`` included (cached, read-only).

        ``zones`` is added to ``flt.zone``; prefer ``PlatformFilter(zone=...)`` (kept for the
        callers that pass zones apart).

        Raises
        ------
        geo.filters.FilterError
            For a zone that no layer has (:meth:`PlatformFilter.check_zones`).
        """
        flt = _with_zones(flt, zones)
        key = ("mask", flt)
        mask = self.cache.get(key)
        if mask is None:
            flt.check_zones(self.layers)
            mask = flt.mask(self.platforms)
            mask.flags.writeable = False
            self.cache.put(key, mask)
        return mask

    def filter_mask(
        self, coll: Collection, text: str, lang: FilterLang, flt: PlatformFilter
    ) -> np.ndarray:
        """Which features of ``coll`` a CQL2 filter keeps (cached, read-only).

        On a zone layer the filter sees the zone's properties and its density figures for the
        platforms ``flt`` selects, as the features carry them.

        Raises
        ------
        geo.filters.FilterError
            For a syntax error, an unknown property or a value of the wrong type.
        """
        key = ("cql2", coll.id, text, lang, flt if coll.kind == "zones" else None)
        mask = self.cache.get(key)
        if mask is None:
            expr = parse_cql2(text, lang)
            mask = cql2_mask(expr, self._filter_frame(coll, flt), queryable_types(coll))
            mask.flags.writeable = False
            self.cache.put(key, mask)
        return mask

    def temporal_spans(self, coll: Collection) -> tuple[np.ndarray, np.ndarray] | None:
        """Start and end (``datetime64[s]``, NaT where unknown) of each feature's temporal
        property: a platform established in year Y spans that whole year, a zone its day."""
        if coll.temporal is None or (coll.layer is None and self.direct):
            return None
        if coll.layer is None:
            years = pd.to_numeric(self.platforms[coll.temporal], errors="coerce")
            start = pd.to_datetime(years.astype("Int64").astype(str) + "-01-01", errors="coerce")
            end = start + pd.offsets.YearBegin(1)
        else:
            start = pd.to_datetime(coll.layer.zones[coll.temporal], errors="coerce")
            end = start + pd.Timedelta(days=1)
        to = "datetime64[s]"
        return start.to_numpy(dtype=to), (end - pd.Timedelta(seconds=1)).to_numpy(dtype=to)

    def temporal_mask(
        self, coll: Collection, start: np.datetime64 | None, end: np.datetime64 | None
    ) -> np.ndarray:
        """Which features' temporal property overlaps ``start..end`` (open where ``None``);
        features whose date is unknown never match (the collection must have one)."""
        spans = self.temporal_spans(coll)
        assert spans is not None
        first, last = spans
        keep = ~np.isnat(first)
        if start is not None:
            keep &= last >= start
        if end is not None:
            keep &= first <= end
        return keep

    def _filter_frame(self, coll: Collection, flt: PlatformFilter) -> pd.DataFrame:
        if coll.layer is None:
            return self.platforms
        figures = self.density(coll.id, flt).table.drop(columns="zone_id")
        attrs = coll.layer.zones.drop(columns=["geometry", *figures.columns], errors="ignore")
        frame = pd.concat([attrs.reset_index(drop=True), figures.reset_index(drop=True)], axis=1)
        return gpd.GeoDataFrame(frame, geometry=coll.geometry.values, crs=coll.geometry.crs)

    # -- features -----------------------------------------------------------------------------

    def platform_features(self, system: OutputSystem) -> list[bytes]:
        """Every platform as serialised GeoJSON Feature bytes (built once per system)."""
        if self._direct_ready:
            self.platforms  # noqa: B018 (raises DirectModeError: nothing is loaded)
        if system not in self._platform_features:
            self._platform_features[system] = platform_feature_bytes(self.platforms, system)
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
        district_basis: DistrictBasis = "administrative",
    ) -> DensityResult:
        """Density of the platforms matching ``flt`` (zones included) by ``layer_name`` (cached).

        Raises
        ------
        geo.errors.UnknownZoneLayerError
            For a layer the service does not have.
        geo.filters.FilterError
            For a zone that no layer has.
        """
        layer = get_layer(self.layers, layer_name)
        key = ("density", layer_name, flt, district_basis)
        result = self.cache.get(key)
        if result is None and self.direct:
            flt.check_zones(self.layers)
            result = self._direct_density(layer, flt, district_basis)
            self.cache.put(key, result)
        if result is None:
            flt.check_zones(self.layers)
            result = density_table(
                self.platforms,
                layer,
                city=self.city,
                filter=flt,
                district_basis=district_basis,
                zone_ids=self._assigned_zones(layer_name, district_basis),
            )
            self.cache.put(key, result)
        return result

    def _assigned_zones(self, layer_name: str, district_basis: str) -> pd.Series | None:
        """The zone of every platform as the service assigned it (at load, and each edited
        record again); ``None``: density assigns the points itself."""
        if layer_name == "districts":
            column = "managing_adcode" if district_basis == "managing" else "district_adcode"
        else:
            column = f"zone_{layer_name}"
        return self.platforms.get(column)

    def _direct_density(
        self, layer: ZoneLayer, flt: PlatformFilter, district_basis: DistrictBasis
    ) -> DensityResult:
        """Density counted in SQL by the stored zone (``GROUP BY``), then the snapshot's rates."""
        from geo.store import direct as sqlq

        if layer.name == "districts":
            field = "managing_adcode" if district_basis == "managing" else "district_adcode"
        else:
            field = f"zones.{layer.name}"
        counts, total = sqlq.zone_counts(self.store, sqlq.where(flt), field)  # type: ignore[arg-type]
        return density_from_counts(
            counts, total, layer, city=self.city, filter=flt, district_basis=district_basis
        )


def _too_large(store: object, settings: Settings, data: ServiceData) -> bool:
    """Whether ``store`` is a PostGIS registry over ``settings.snapshot_max_rows`` rows
    (sets ``data.platform_count`` to its row count when it is)."""
    from geo.store.postgis import PostGISStore

    if not isinstance(store, PostGISStore):
        return False
    rows = store.estimate_count()
    if rows <= settings.snapshot_max_rows:
        return False
    data.platform_count = rows
    return True


def queryable_types(coll: Collection) -> dict[str, str]:
    """Property name -> type a filter compares it as (``date`` for a date string)."""
    return {
        name: spec["format"] if spec.get("format") in ("date", "date-time") else spec["type"]
        for name, spec in coll.properties.items()
    }


def _with_zones(flt: PlatformFilter, zones: tuple[str, ...]) -> PlatformFilter:
    """``flt`` also restricted to ``zones`` (LAYER:ZONE_ID or bare zone ids)."""
    return (
        dataclasses.replace(flt, zone=tuple(dict.fromkeys((*flt.zone, *zones)))) if zones else flt
    )


def platform_properties(platforms: gpd.GeoDataFrame) -> Properties:
    """JSON Schema of each property of a platform feature: the record's fields (typed by the
    record model) and the assigned ``zone_<layer>`` columns."""
    record = record_property_schemas()
    frame = frame_property_schemas(_property_frame(platforms))
    return {name: record.get(name, spec) for name, spec in frame.items()}


@functools.cache
def record_integers() -> tuple[str, ...]:
    """The record's integer fields (written as integers in features)."""
    return _record_integers()


@functools.cache
def _record_integers() -> tuple[str, ...]:
    return integer_properties(record_property_schemas())


def _property_frame(platforms: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame(platforms.drop(columns=["geometry", "lon", "lat"], errors="ignore"))


def platform_feature_bytes(platforms: gpd.GeoDataFrame, system: OutputSystem) -> list[bytes]:
    """Every platform of an assigned frame as GeoJSON Feature bytes, coordinates in ``system``.

    Integer fields of the record (``established``) are written as integers even where the
    frame holds them as floats (a column with missing values).
    """
    x, y = from_wgs84(platforms.geometry.x.to_numpy(), platforms.geometry.y.to_numpy(), system)
    x, y = np.round(x, 7), np.round(y, 7)
    props = frame_records(_property_frame(platforms))
    integers = [name for name in _record_integers() if name in platforms]
    for p in props:
        for name in integers:
            if p[name] is not None:
                p[name] = int(p[name])
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
