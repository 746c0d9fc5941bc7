"""Zone layers (a city's units, the 363 layout, user layers) and assigning points to them."""

from geo.zones.layers import (
    ZONE_COLUMNS,
    ZoneLayer,
    get_layer,
    load_zone_layer,
    profile_layer,
    resolve_layer,
    units_layer,
)

__all__ = [
    "ZONE_COLUMNS",
    "ZoneLayer",
    "get_layer",
    "load_zone_layer",
    "profile_layer",
    "resolve_layer",
    "units_layer",
]
