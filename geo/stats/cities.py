"""A region's city-level comparison: one row per member city (``biomap stats cities``).

Per city: its number of county-level units, platforms, area (the units' polygons in the
region's equal-area CRS), 2020 census population (the city total, with source and status: it
is known for every PRD city, whereas 24 of the 50 units have none), platforms per km² and per
100k residents, and location quotients against area and population. A platform's city is its
unit's city, so the city counts always add up to the unit table's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from geo.errors import BiomapError
from geo.stats.density import DensityResult, density_table

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.cities import City
    from geo.filters import PlatformFilter

CITY_COLUMNS = [
    "zone_id",
    "name_zh",
    "name_en",
    "units",
    "count",
    "share",
    "area_km2",
    "per_km2",
    "population",
    "per_100k",
    "lq_area",
    "lq_population",
    "population_status",
    "population_source",
    "note",
]


class NotARegionError(BiomapError, ValueError):
    """A city-level comparison was asked of a plain city (it has no member cities)."""


def city_table(
    platforms: gpd.GeoDataFrame,
    region: City,
    *,
    filter: PlatformFilter | None = None,
) -> DensityResult:
    """Compare a region's member cities: units, platforms, area, population, rates, LQs.

    Parameters
    ----------
    platforms
        Registry frame (WGS84 points); points outside every unit count in no city.
    region
        A region (``open_city("prd")``).
    filter
        Which platforms to count.

    Returns
    -------
    DensityResult
        ``layer == "cities"``, ``table`` with :data:`CITY_COLUMNS`.

    Raises
    ------
    NotARegionError
        If ``region`` has no member cities.

    Examples
    --------
    >>> from geo.cities import open_city
    >>> from geo.store import open_store, records_to_frame
    >>> platforms = records_to_frame(open_store(None).load())
    >>> t = city_table(platforms, open_city("prd")).table
    >>> list(t["name_en"])[:2]
    ['Guangzhou', 'Shenzhen']
    """
    if not region.is_region:
        raise NotARegionError(
            f"{region.id!r} is a city, not a region: compare cities with --city prd"
        )
    layer = region.zone_layers()["cities"]
    result = density_table(platforms, layer, city=region, filter=filter)
    zones = layer.zones.set_index("zone_id")
    table = result.table
    units = pd.Series(region.unit_city).value_counts()
    table["units"] = table["zone_id"].map(units).fillna(0).astype(int)
    for col in ("population_status", "population_source"):
        table[col] = table["zone_id"].map(zones[col]) if col in zones else None
    own_note = table["zone_id"].map(zones["note"]) if "note" in zones else None
    if own_note is not None:
        table["note"] = [
            "; ".join(str(p) for p in (a, b) if isinstance(p, str) and p) or None
            for a, b in zip(table["note"], own_note, strict=True)
        ]
    result.table = table[CITY_COLUMNS]
    result.denominators["units"] = "county-level units of the city in the region's unit layer"
    result.denominators["population"] = (
        "the city's 2020 census total (population_source; where it covers more than the "
        "polygons, the note says so)"
    )
    return result
