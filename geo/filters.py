"""One filter specification for platforms, shared by maps, snapshots, statistics and the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import BiomapError
from geo.taxonomy import VOCABULARIES

if TYPE_CHECKING:
    from geo.zones.layers import ZoneLayer


class FilterError(BiomapError, ValueError):
    """A filter names a value that is not in its vocabulary."""


@dataclass(frozen=True)
class PlatformFilter:
    """Which platforms to keep. Every set attribute must match (AND); lists match any (OR).

    Attributes
    ----------
    type, sub_kind, field, level, stage, supporting_unit
        Taxonomy codes (see :mod:`geo.taxonomy`); ``field`` and ``stage`` match platforms that
        list the code among their ``fields`` / ``chain_stages``.
    district
        Administrative district adcode(s); ``managing`` matches the managing district instead.
    zone
        Zone(s) the platform lies in: ``LAYER:ZONE_ID`` (``zones363:core-bio-island``,
        ``districts:440106``) or a bare ``ZONE_ID`` searched in every zone layer but the
        districts. Check the ids against the loaded layers with :meth:`check_zones`.
    established_max
        Keep platforms established in or before this year (unknown years are kept and
        flagged by the caller), e.g. 2017 for the state of the study.
    q
        Case-insensitive substring of the Chinese or English name, the host or the address.
    """

    type: tuple[str, ...] = ()
    sub_kind: tuple[str, ...] = ()
    field: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    stage: tuple[str, ...] = ()
    supporting_unit: tuple[str, ...] = ()
    district: tuple[str, ...] = ()
    managing: tuple[str, ...] = ()
    zone: tuple[str, ...] = ()
    established_max: int | None = None
    q: str | None = None

    _VOCAB: ClassVar[dict[str, str]] = {
        "type": "type",
        "sub_kind": "sub_kind",
        "field": "fields",
        "level": "level",
        "stage": "chain_stages",
        "supporting_unit": "supporting_unit",
    }

    def __post_init__(self) -> None:
        problems = []
        for attr, vocab in self._VOCAB.items():
            known = VOCABULARIES[vocab]
            problems += [
                f"unknown {attr} {v!r}; expected one of {', '.join(known)}"
                for v in getattr(self, attr)
                if v not in known
            ]
        if problems:
            raise FilterError("; ".join(problems))

    @classmethod
    def from_params(cls, **params: object) -> PlatformFilter:
        """Build a filter from loose parameters (strings, comma-separated strings or lists)."""
        names = {f.name for f in fields(cls)}
        unknown = set(params) - names
        if unknown:
            raise FilterError(f"unknown filter(s) {sorted(unknown)}; known: {sorted(names)}")
        kwargs: dict[str, object] = {}
        for name, value in params.items():
            if value is None or (isinstance(value, (str, list, tuple)) and len(value) == 0):
                continue
            if name in ("established_max",):
                kwargs[name] = int(value)  # type: ignore[call-overload]
            elif name == "q":
                kwargs[name] = str(value)
            else:
                items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
                kwargs[name] = tuple(str(v).strip() for v in items if str(v).strip())
        return cls(**kwargs)  # type: ignore[arg-type]

    @property
    def is_empty(self) -> bool:
        """True when the filter keeps everything."""
        return self == PlatformFilter()

    def mask(self, platforms: pd.DataFrame) -> np.ndarray:
        """Boolean array: which rows of ``platforms`` the filter keeps."""
        keep = np.ones(len(platforms), dtype=bool)
        for attr, column in (
            ("type", "type"),
            ("sub_kind", "sub_kind"),
            ("level", "level"),
            ("supporting_unit", "supporting_unit"),
            ("district", "district_adcode"),
            ("managing", "managing_adcode"),
        ):
            wanted = getattr(self, attr)
            if wanted and column in platforms:
                keep &= platforms[column].isin(wanted).to_numpy()
        for attr, column in (("field", "fields"), ("stage", "chain_stages")):
            wanted = set(getattr(self, attr))
            if wanted and column in platforms:
                keep &= np.array(
                    [bool(wanted & set(v or ())) for v in platforms[column]], dtype=bool
                )
        if self.zone:
            keep &= self._zone_mask(platforms)
        if self.established_max is not None and "established" in platforms:
            year = pd.to_numeric(platforms["established"], errors="coerce")
            keep &= (year.isna() | (year <= self.established_max)).to_numpy()
        if self.q:
            needle = self.q.lower()
            text = pd.Series("", index=platforms.index)
            for column in ("name_zh", "name_en", "host_zh", "host_en", "address_zh"):
                if column in platforms:
                    text = text + "\n" + platforms[column].fillna("").astype(str).str.lower()
            keep &= text.str.contains(needle, regex=False).to_numpy()
        return keep

    def _zone_mask(self, platforms: pd.DataFrame) -> np.ndarray:
        hit = np.zeros(len(platforms), dtype=bool)
        zone_columns = [c for c in platforms.columns if str(c).startswith("zone_")]
        for spec in self.zone:
            if ":" in spec:
                layer, zone_id = spec.split(":", 1)
                column = "district_adcode" if layer == "districts" else f"zone_{layer}"
                columns = [column] if column in platforms else []
            else:
                zone_id, columns = spec, zone_columns
            for column in columns:
                hit |= (platforms[column].astype(object) == zone_id).to_numpy(dtype=bool)
        return hit

    def check_zones(self, layers: Mapping[str, ZoneLayer]) -> None:
        """Raise :class:`FilterError` for a ``zone`` that names no zone of ``layers``."""
        for spec in self.zone:
            layer_name, _, zone_id = spec.rpartition(":")
            candidates = [layer_name] if layer_name else [n for n in layers if n != "districts"]
            if not any(
                n in layers and zone_id in set(layers[n].zones["zone_id"].astype(str))
                for n in candidates
            ):
                raise FilterError(
                    f"unknown zone {spec!r}; use a zone_id of a zone layer, or LAYER:ZONE_ID "
                    f"(layers: {', '.join(layers)}); /collections/LAYER/items lists the zones"
                )

    def apply(self, platforms: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """The rows of ``platforms`` the filter keeps (a view-safe copy)."""
        return platforms[self.mask(platforms)].copy()
