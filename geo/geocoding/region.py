"""Geocoding over several cities at once: a region's members (the Pearl River Delta's nine).

A geocoder covers ``member_cities(city)``: a region's members, or the city itself. Over one
city everything is that city's own (its normaliser, unit names, gazetteer). Over several:

- :class:`RegionText` normalises an address with the prefixes every member shares (country,
  province) and then drops one leading member city (``深圳市``, ``中山市``; a bare ``中山`` only
  when nothing follows or 市 does, so ``中山大学`` keeps it), remembering which city it named:
  that city is the address's context;
- :class:`Units` answers for the union of the members' units: names (current and historic,
  with their suffix), the city each belongs to, the unit containing a point.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from geo.geocoding.textnorm import TextNormalizer, keeps_prefix

if TYPE_CHECKING:
    from geo.cities import City


def member_cities(city: City) -> tuple[City, ...]:
    """The cities a geocoder for ``city`` covers: a region's members, else the city itself.

    A region (``--city prd``) is a :class:`~geo.cities.City` whose ``members`` are its cities;
    a plain city has none.
    """
    return city.members or (city,)


class RegionText:
    """A region's address normaliser: shared prefixes, then one leading member city.

    Parameters
    ----------
    members
        The region's cities, each with its profile's ``address_prefixes``.
    """

    def __init__(self, members: Sequence[City]) -> None:
        lists = [m.profile.address_prefixes for m in members]
        common = [p for p in lists[0] if all(p in other for other in lists[1:])]
        own = [n for m in members for n in (m.profile.own_place_names or (m.name("zh")[:-1],))]
        province = members[0].profile.province_zh
        #: Prefixes shared by all (country, province) and the foreign-place test.
        self.text = TextNormalizer(common, own, province)
        leads = {p: i for i, m in enumerate(members) for p in m.profile.address_prefixes}
        self._leads: dict[str, list[tuple[str, int]]] = {}  # first character -> longest first
        for p, i in sorted(leads.items(), key=lambda t: -len(t[0])):
            if p not in common:
                self._leads.setdefault(p[0], []).append((p, i))
        #: Bare city names (``深圳``, ``中山``): context only when a place of that city follows.
        self.bare = tuple(
            (p, i) for first in self._leads.values() for p, i in first if not p.endswith("市")
        )
        self.split = lru_cache(maxsize=65536)(self._split)

    def _split(self, text: str) -> tuple[str, int | None]:
        """``(normalised text, index of the member city it starts with or None)``."""
        out = self.text.normalize(text)
        for prefix, index in self._leads.get(out[:1], ()):
            if out.startswith(prefix) and not keeps_prefix(out, prefix):
                return out[len(prefix) :], index
        return out, None

    def normalize(self, text: str) -> str:
        """The normalised text alone (gazetteer names are normalised with this)."""
        return self.split(text)[0]


class Units:
    """The units of one or more cities: names, owning city, point lookup.

    Over one city it defers to that city (so a single city behaves exactly as before).
    """

    def __init__(self, members: Sequence[City]) -> None:
        self.members = tuple(members)
        self.single = len(self.members) == 1
        self._city_of: dict[str, City] = {}
        self.names: dict[str, tuple[str, str]] = {}
        by_name: dict[str, str] = {}
        for m in self.members:
            for code, names in m.unit_names.items():
                self._city_of[code] = m
                self.names[code] = names
                by_name[names[0]] = code
        for m in self.members:
            for name, code in m.profile.units.historic.items():
                by_name.setdefault(name, code)
        self.by_name = by_name
        self._pattern = re.compile("|".join(sorted(map(re.escape, by_name), key=len, reverse=True)))

    def city_of(self, adcode: str | None) -> City | None:
        """The member city a unit belongs to (``None`` for an unknown code)."""
        return self._city_of.get(str(adcode)) if adcode else None

    def city_adcode(self, adcode: str | None) -> str | None:
        """The adcode of the city a unit belongs to."""
        city = self.city_of(adcode)
        return city.profile.adcode if city is not None else None

    def unit_name(self, adcode: str | None) -> str:
        """A unit's Chinese name (empty for an unknown code)."""
        names = self.names.get(str(adcode)) if adcode else None
        return "" if names is None else names[0]

    def named_in(self, text: str | None) -> str | None:
        """The unit an address names (full names with their suffix; first one wins)."""
        if self.single:
            return self.members[0].unit_named_in(text)
        if not text:
            return None
        match = self._pattern.search(str(text))
        return self.by_name[match.group(0)] if match else None

    def unit_of(self, lon: float, lat: float) -> str | None:
        """The unit containing a WGS84 point, or ``None`` outside every member."""
        if self.single:
            return self.members[0].unit_of(lon, lat)
        for m in self.members:
            if bool(m.in_bbox(lon, lat)):
                found = m.unit_of(lon, lat)
                if found is not None:
                    return found
        return None

    def in_bbox(self, lon: float, lat: float) -> bool:
        """True when the point lies in any member's loose bbox."""
        return any(bool(m.in_bbox(lon, lat)) for m in self.members)
