"""Service settings, read from ``BIOMAP_*`` environment variables (or passed explicitly)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger("biomap.api")


class Settings(BaseSettings):
    """Everything the service can be configured with; every field is ``BIOMAP_<NAME>``.

    Examples: ``BIOMAP_CITY=guangzhou`` (or a profile path), ``BIOMAP_STORE=/path/platforms.geojson``,
    ``BIOMAP_MAX_LIMIT=5000``, ``BIOMAP_LAYERS='{"parks": "/path/parks.geojson"}'``.
    ``BIOMAP_REGISTRY`` still works as a deprecated alias of ``BIOMAP_STORE``.
    """

    model_config = SettingsConfigDict(env_prefix="BIOMAP_", extra="forbid")

    city: str = Field(
        default="guangzhou",
        description="City profile: a shipped id (data/cities/ID.toml) or a profile .toml path.",
    )
    store: str | None = Field(
        default=None,
        description="Registry store: a GeoJSON path or store URL; the shipped "
        "data/platforms.geojson if unset.",
    )
    registry: Path | None = Field(
        default=None, description="Deprecated alias of `store` (a registry GeoJSON path)."
    )
    layers: dict[str, Path] = Field(
        default_factory=dict,
        description="Extra zone layers, name -> GeoJSON (zone_id, name_zh, name_en).",
    )
    host: str = Field(default="127.0.0.1", description="Address `biomap serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    default_limit: int = Field(default=10, ge=1, description="Items per page when not asked.")
    max_limit: int = Field(
        default=1000, ge=1, le=100_000, description="Larger `limit` values are clamped to this."
    )
    cache_max_age: int = Field(
        default=0,
        ge=0,
        description="Cache-Control max-age (s) of data responses. The registry can be edited, "
        "so 0 (no-cache: clients revalidate with the ETag and get 304s) is the default.",
    )
    cache_entries: int = Field(
        default=256, ge=0, description="Filtered responses kept in memory (LRU)."
    )
    cache_bytes: int = Field(
        default=64 * 2**20,
        ge=0,
        description="Bytes the filtered-response cache may hold; an entry over an eighth of it "
        "is not kept.",
    )
    response_cache_entries: int = Field(
        default=1024,
        ge=0,
        description="Whole GET responses of /stats and /collections replayed by raw URL (0: off).",
    )
    response_cache_bytes: int = Field(
        default=64 * 2**20,
        ge=0,
        description="Bytes the raw-URL response cache may hold (bodies over 2 MB are not kept).",
    )
    heavy_workers: int = Field(
        default=2,
        ge=1,
        le=32,
        description="Processes that run clustering statistics, off the event loop.",
    )
    heavy_queue: int = Field(
        default=8,
        ge=1,
        description="Clustering requests admitted at once (running or waiting); more get 503.",
    )
    gzip_min_size: int = Field(default=1024, ge=0, description="Smallest body (bytes) gzipped.")
    unknown_params: Literal["reject", "ignore"] = Field(
        default="reject",
        description="Query parameters an endpoint does not define: 400 (reject) or ignored.",
    )
    reload_poll_s: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description="How often (s) the store is checked for other writers' changes (PostGIS "
        "also notifies at once).",
    )
    reload_coalesce_s: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Shortest time (s) between two snapshot updates: writes that arrive within "
        "it are applied together (an update costs about the same for one record or fifty).",
    )
    snapshot_max_rows: int = Field(
        default=50_000,
        ge=0,
        description="A PostGIS registry with more rows than this is not loaded: the server "
        "goes direct (items, one item and density answered from SQL per request; see the "
        "README, 'Very large registries'). The file store always loads.",
    )
    direct_max_offset: int = Field(
        default=10_000,
        ge=0,
        description="In direct mode, the largest `offset` (SQL OFFSET scans what it skips); "
        "deeper pages follow the `next` link's keyset token.",
    )
    public_url: str | None = Field(
        default=None,
        description="Base URL used in links (behind a proxy); taken from the request if unset.",
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    read_token_required: bool = Field(
        default=False,
        description="Reads need a live token (any role, `Authorization: Bearer ...`); "
        "/healthz and the API docs stay open. Writes always need editor or admin.",
    )
    auth_max_failures: int = Field(
        default=5,
        ge=1,
        description="Failed token attempts one client (IP) may make within "
        "`auth_failure_window` before it is answered 429.",
    )
    auth_failure_window: int = Field(
        default=60,
        ge=1,
        le=86_400,
        description="Seconds over which failed token attempts are counted (and blocked for).",
    )
    auth_tracked_clients: int = Field(
        default=10_000,
        ge=1,
        description="Clients whose failed attempts are remembered (the oldest are forgotten).",
    )

    @property
    def store_location(self) -> str | Path | None:
        """Where the registry is: ``store``, else the deprecated ``registry``, else ``None``."""
        return self.store or self.registry

    @model_validator(mode="after")
    def _limits(self) -> Settings:
        if self.default_limit > self.max_limit:
            raise ValueError(
                f"default_limit ({self.default_limit}) must not exceed max_limit ({self.max_limit})"
            )
        if self.store and self.registry:
            raise ValueError("set BIOMAP_STORE or the deprecated BIOMAP_REGISTRY, not both")
        if self.registry:
            log.warning("BIOMAP_REGISTRY is deprecated: use BIOMAP_STORE (same meaning)")
        if "districts" in self.layers or "platforms" in self.layers:
            raise ValueError("extra layers may not be called 'districts' or 'platforms'")
        return self
