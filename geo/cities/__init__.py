"""City profiles: everything that makes one city (or region) differ from another, as data.

``open_city("guangzhou")`` reads ``data/cities/guangzhou.toml`` and returns a :class:`City`,
which the geocoder, assignment, statistics, maps, snapshots and the API are given explicitly.
"""

from geo.cities.city import City, open_city
from geo.cities.profile import (
    CITIES_DIR,
    DEFAULT_CITY,
    CityProfile,
    FigureSpec,
    ZoneLayerSpec,
    available_cities,
    read_profile,
)

__all__ = [
    "CITIES_DIR",
    "DEFAULT_CITY",
    "City",
    "CityProfile",
    "FigureSpec",
    "ZoneLayerSpec",
    "available_cities",
    "open_city",
    "read_profile",
]
