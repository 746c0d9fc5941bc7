"""Response models: they document the API (OpenAPI) and let clients validate what they get.

Routes send prepared bytes, not these objects; the models describe those bytes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Link(BaseModel):
    """A web link (OGC API style)."""

    href: str
    rel: str
    type: str | None = None
    title: str | None = None
    hreflang: str | None = None


class LandingPage(BaseModel):
    """The landing page: what this service is and where everything is."""

    model_config = ConfigDict(extra="allow")
    title: str
    description: str
    links: list[Link]


class Conformance(BaseModel):
    """The OGC API conformance classes this service implements."""

    conformsTo: list[str]  # noqa: N815 (OGC name)


class Extent(BaseModel):
    """Spatial extent of a collection (CRS84)."""

    model_config = ConfigDict(extra="allow")
    spatial: dict[str, Any]


class CollectionInfo(BaseModel):
    """One collection: the platforms or a zone layer."""

    model_config = ConfigDict(extra="allow")
    id: str
    title: str
    description: str
    links: list[Link]
    itemType: Literal["feature"] = "feature"  # noqa: N815
    extent: Extent | None = None
    crs: list[str] = Field(default_factory=list)


class Collections(BaseModel):
    """Every collection this service offers."""

    links: list[Link]
    collections: list[CollectionInfo]


class Feature(BaseModel):
    """A GeoJSON Feature (RFC 7946); geometry is null for zones whose location is unknown."""

    model_config = ConfigDict(extra="allow")
    type: Literal["Feature"]
    id: str | int
    geometry: dict[str, Any] | None
    properties: dict[str, Any] | None


class FeatureCollection(BaseModel):
    """A page of features with OGC paging members."""

    model_config = ConfigDict(extra="allow")
    type: Literal["FeatureCollection"]
    features: list[Feature]
    numberMatched: int = Field(ge=0)  # noqa: N815
    numberReturned: int = Field(ge=0)  # noqa: N815
    links: list[Link]


class Problem(BaseModel):
    """An error (RFC 9457 problem details)."""

    model_config = ConfigDict(extra="allow")
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None


class DensityZone(BaseModel):
    """Density figures of one zone; null where the denominator is unknown (see ``note``)."""

    zone_id: str
    name_zh: str | None
    name_en: str | None
    count: int
    share: float
    area_km2: float | None
    per_km2: float | None
    population: float | None
    per_100k: float | None
    lq_area: float | None
    lq_population: float | None
    note: str | None


class DensityResponse(BaseModel):
    """Platform density by zone, with totals and the meaning of every denominator."""

    layer: str
    title_zh: str
    title_en: str
    provisional: bool
    filter: dict[str, Any]
    zones: list[DensityZone]
    totals: dict[str, Any]
    denominators: dict[str, str]
    provenance: dict[str, Any]


class ZoneRef(BaseModel):
    """A zone a point falls in."""

    zone_id: str
    name_zh: str | None = None
    name_en: str | None = None


class LocateResponse(BaseModel):
    """Which district (administrative and managing) and zones a point is in."""

    input: dict[str, Any]
    wgs84: dict[str, float]
    inside_city: bool
    district: ZoneRef | None
    managing_district: ZoneRef | None
    zones: dict[str, ZoneRef | None]
    notes: list[str]


class NearestPlatform(BaseModel):
    """A platform and its straight-line distance from the query point."""

    model_config = ConfigDict(extra="allow")
    id: str
    name_zh: str
    distance_m: float = Field(ge=0)
    lon: float
    lat: float


class NearestResponse(BaseModel):
    """The nearest matching platforms, nearest first."""

    query: dict[str, Any]
    distance: str
    platforms: list[NearestPlatform]


class Health(BaseModel):
    """Liveness and what was loaded."""

    status: Literal["ok"]
    platforms: int
    collections: list[str]
    loaded_at: str
