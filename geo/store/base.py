"""The store interface: every read and write of the registry goes through a :class:`PlatformStore`.

:func:`open_store` turns a location into a store: a path (or ``file:`` URL) is the GeoJSON file
store, the embedded default. Other stores (PostGIS) register a URL scheme in :data:`SCHEMES`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import geopandas as gpd

from geo import DATA_DIR
from geo.errors import DataFileError
from geo.store.schema import PlatformRecord, records_to_frame

#: The shipped registry, the file store's default location.
DEFAULT_REGISTRY: Path = DATA_DIR / "platforms.geojson"


@runtime_checkable
class PlatformStore(Protocol):
    """Read/write access to the registry; the one interface the rest of biomap uses."""

    @property
    def location(self) -> str:
        """Where the records live, for messages (a path or a URL without credentials)."""
        ...

    def exists(self) -> bool:
        """True when the store holds a registry (possibly empty)."""
        ...

    def read_raw(self) -> list[dict[str, Any]]:
        """Every stored record as a plain dict, unvalidated (for ``biomap validate``)."""
        ...

    def load(self) -> list[PlatformRecord]:
        """Every valid record; raise :class:`geo.errors.ValidationError` listing all problems."""
        ...

    def save(self, records: list[PlatformRecord]) -> None:
        """Replace the stored records atomically."""
        ...


#: URL scheme -> factory taking the location string.
SCHEMES: dict[str, Callable[[str], PlatformStore]] = {}


def open_store(location: str | Path | PlatformStore | None = None) -> PlatformStore:
    """The store at ``location``: a path or ``file:`` URL (GeoJSON), or a registered URL scheme.

    ``None`` is the shipped registry (``data/platforms.geojson``). A store passes through.

    Raises
    ------
    geo.errors.DataFileError
        For a URL scheme no store handles (the message lists the known ones).
    """
    from geo.store.file import GeoJSONStore

    if location is None:
        return GeoJSONStore(DEFAULT_REGISTRY)
    if isinstance(location, PlatformStore) and not isinstance(location, (str, Path)):
        return location
    text = str(location)
    scheme, sep, rest = text.partition("://")
    if not sep or len(scheme) < 2:  # a plain path (C:\\ has a one-letter "scheme")
        return GeoJSONStore(Path(text))
    if scheme == "file":
        return GeoJSONStore(Path(rest))
    factory = SCHEMES.get(scheme.split("+")[0])
    if factory is None:
        known = ", ".join(["file", *sorted(SCHEMES)])
        raise DataFileError(
            f"no store handles {scheme}:// URLs (known: {known}); give a GeoJSON path instead"
        )
    return factory(text)


def load_registry(location: str | Path | PlatformStore | None = None) -> gpd.GeoDataFrame:
    """Load and validate the registry as a WGS84 GeoDataFrame (one row per platform).

    Raises
    ------
    geo.errors.DataFileError
        If the store is missing or unreadable.
    geo.errors.ValidationError
        Listing every invalid record and why.
    """
    return records_to_frame(open_store(location).load())
