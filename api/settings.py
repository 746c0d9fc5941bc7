"""Service settings, read from ``BIOMAP_*`` environment variables (or passed explicitly)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service can be configured with; every field is ``BIOMAP_<NAME>``.

    Examples: ``BIOMAP_REGISTRY=/path/platforms.geojson``, ``BIOMAP_MAX_LIMIT=5000``,
    ``BIOMAP_LAYERS='{"parks": "/path/parks.geojson"}'``.
    """

    model_config = SettingsConfigDict(env_prefix="BIOMAP_", extra="forbid")

    registry: Path | None = Field(
        default=None, description="Registry GeoJSON; the shipped data/platforms.geojson if unset."
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
        default=300, ge=0, description="Cache-Control max-age (s) of data responses."
    )
    cache_entries: int = Field(
        default=256, ge=0, description="Filtered responses kept in memory (LRU)."
    )
    response_cache_entries: int = Field(
        default=1024,
        ge=0,
        description="Whole GET responses of /stats and /collections replayed by raw URL (0: off).",
    )
    gzip_min_size: int = Field(default=1024, ge=0, description="Smallest body (bytes) gzipped.")
    unknown_params: Literal["reject", "ignore"] = Field(
        default="reject",
        description="Query parameters an endpoint does not define: 400 (reject) or ignored.",
    )
    public_url: str | None = Field(
        default=None,
        description="Base URL used in links (behind a proxy); taken from the request if unset.",
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"

    @model_validator(mode="after")
    def _limits(self) -> Settings:
        if self.default_limit > self.max_limit:
            raise ValueError(
                f"default_limit ({self.default_limit}) must not exceed max_limit ({self.max_limit})"
            )
        if "districts" in self.layers or "platforms" in self.layers:
            raise ValueError("extra layers may not be called 'districts' or 'platforms'")
        return self
