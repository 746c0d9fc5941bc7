"""A city at run time: its profile plus the layers, rules and lookups built from it.

A :class:`City` is made from a profile (:func:`open_city`) and passed explicitly to whatever
needs it: the geocoder, assignment, density, maps, snapshots and the API's service data. It
loads its files on first use and keeps them for its own lifetime; there is no module-level
"current city".

A *region* (``prd``: the nine Pearl River Delta cities) is a City too: its profile lists
``members``, its units are theirs (each row carrying ``city_adcode``, ``city_zh``, ``city_en``),
its facts, management areas and historic names are the members' together, and it has one more
zone layer, ``cities`` (the member outlines, ``zone_id`` = the city's adcode).

The managing-district rule lives here once (:meth:`City.managing_adcodes`): a management area
(Guangzhou's Bio-Island) lies inside one unit's administrative polygon but is run by another.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from geo.cities.boundaries import read_facts, read_management, read_outline, read_units
from geo.cities.profile import (
    CITIES_DIR,
    DEFAULT_CITY,
    CityProfile,
    FigureSpec,
    profile_path,
    read_profile,
)
from geo.errors import ValidationError

if TYPE_CHECKING:
    from geo.geocoding.gazetteer import Gazetteer
    from geo.geocoding.textnorm import TextNormalizer
    from geo.zones import ZoneLayer


class City:
    """One city's profile with its boundary layers, zone layers, gazetteer and rules.

    Parameters
    ----------
    profile
        The checked profile (:func:`geo.cities.profile.read_profile`).
    """

    def __init__(self, profile: CityProfile) -> None:
        self.profile = profile

    def __repr__(self) -> str:
        return f"City({self.profile.id!r})"

    # -- names --------------------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The profile id (``guangzhou``)."""
        return self.profile.id

    def name(self, lang: str) -> str:
        """The city's name in ``lang`` (``广州市`` / ``Guangzhou``)."""
        return self.profile.name_zh if lang == "zh" else self.profile.name_en

    def title(self, lang: str) -> str:
        """The subject of every heading (``广州市生物医药科技创新服务平台``)."""
        return self.profile.title_zh if lang == "zh" else self.profile.title_en

    @property
    def metric_crs(self) -> str:
        """The projected CRS distances are measured in."""
        return self.profile.crs.metric

    @property
    def equal_area_crs(self) -> str:
        """The equal-area CRS areas are measured in."""
        return self.profile.crs.equal_area

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """Loose WGS84 rectangle around the city (lon_min, lat_min, lon_max, lat_max)."""
        return self.profile.bbox

    def in_bbox(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
        """Which points lie inside :attr:`bbox` (vectorised)."""
        x0, y0, x1, y1 = self.bbox
        x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)

    # -- region -------------------------------------------------------------------------------

    @cached_property
    def members(self) -> tuple[City, ...]:
        """The member cities of a region, in profile order; empty for a plain city.

        Raises
        ------
        geo.errors.ValidationError
            If a member is itself a region.
        """
        base = self.profile.source_path.parent if self.profile.source_path else CITIES_DIR
        out = []
        for name in self.profile.members:
            path = profile_path(name)
            if path.suffix == ".toml" and not path.is_absolute():
                path = base / path
            member = City(read_profile(path))
            if member.profile.members:
                raise ValidationError(
                    f"{self.id}: member {name!r} is itself a region; list plain cities"
                )
            out.append(member)
        return tuple(out)

    @property
    def is_region(self) -> bool:
        """True for a region (a profile with ``members``)."""
        return bool(self.profile.members)

    @cached_property
    def unit_city(self) -> dict[str, str]:
        """``unit adcode -> city adcode`` (a plain city: its own adcode for every unit)."""
        u = self.units
        if "city_adcode" in u and self.is_region:
            return dict(zip(u["adcode"].astype(str), u["city_adcode"].astype(str), strict=True))
        return {str(a): self.profile.adcode for a in u["adcode"]}

    def member(self, adcode: str) -> City:
        """The member city with ``adcode``; :class:`KeyError` naming the members otherwise."""
        for m in self.members:
            if m.profile.adcode == str(adcode):
                return m
        known = ", ".join(m.profile.adcode for m in self.members) or "none"
        raise KeyError(f"{self.id} has no member city {adcode!r} (members: {known})")

    # -- boundaries ---------------------------------------------------------------------------

    @cached_property
    def units(self) -> gpd.GeoDataFrame:
        """The administrative units (full resolution), one row per ``adcode``, WGS84.

        A region's rows also carry ``city_zh`` and ``city_en`` (from the member profiles).
        """
        return self._region_units(read_units(self.profile.units.path))

    @cached_property
    def units_web(self) -> gpd.GeoDataFrame:
        """The units simplified for web maps (the full ones when the profile has none)."""
        web = self.profile.units.web_path
        return self._region_units(read_units(web)) if web else self.units

    def _region_units(self, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Check a region's units against its members and add the member names."""
        if not self.is_region:
            return units
        names = {m.profile.adcode: (m.profile.name_zh, m.profile.name_en) for m in self.members}
        if "city_adcode" not in units:
            raise ValidationError(f"{self.id}: the region's units have no city_adcode column")
        codes = units["city_adcode"].astype(str)
        problems = [
            f"unit {a} has city_adcode {c!r}, which is not a member city"
            for a, c in zip(units["adcode"], codes, strict=True)
            if c not in names
        ]
        problems += [
            f"member {c} ({n[1]}) has no unit" for c, n in names.items() if c not in set(codes)
        ]
        if problems:
            raise ValidationError(
                f"{self.id}: the region's units do not fit its members:", problems
            )
        out = units.copy()
        pos = out.columns.get_loc("city_adcode") + 1
        out.insert(pos, "city_zh", codes.map(lambda c: names[c][0]))
        out.insert(pos + 1, "city_en", codes.map(lambda c: names[c][1]))
        return out

    @cached_property
    def outline(self) -> gpd.GeoDataFrame:
        """The city's outline (one or more polygons), WGS84."""
        return read_outline(self.profile.units.outline)

    @cached_property
    def management(self) -> gpd.GeoDataFrame:
        """Management areas (``admin_adcode``, ``managing_adcode``); empty when there are none.

        A region without its own file has its members' areas.
        """
        own = read_management(self.profile.units.management)
        if not self.is_region or self.profile.units.management is not None:
            return own
        parts = [m.management for m in self.members if len(m.management)]
        if not parts:
            return own
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=own.crs)

    @cached_property
    def facts(self) -> pd.DataFrame:
        """Official area and population per unit, each with source and status (may be empty).

        A region without its own table has its members' tables, one after the other, with
        ``city_adcode`` added.
        """
        if not self.is_region or self.profile.units.facts is not None:
            return read_facts(self.profile.units.facts)
        parts = [m.facts.assign(city_adcode=m.profile.adcode) for m in self.members]
        return pd.concat(parts, ignore_index=True)

    @cached_property
    def historic_names(self) -> dict[str, str]:
        """Former unit names -> today's adcode (a region: its members' and its own)."""
        out: dict[str, str] = {}
        for m in self.members:
            out |= m.historic_names
        return out | dict(self.profile.units.historic)

    @cached_property
    def unit_names(self) -> dict[str, tuple[str, str]]:
        """``adcode -> (name_zh, name_en)`` of every unit."""
        u = self.units
        return {
            str(a): (str(zh), str(en))
            for a, zh, en in zip(u["adcode"], u["name_zh"], u["name_en"], strict=True)
        }

    def unit_name(self, adcode: str | None, lang: str = "zh") -> str:
        """A unit's name in ``lang`` (empty for an unknown code)."""
        names = self.unit_names.get(str(adcode)) if adcode else None
        return "" if names is None else names[0 if lang == "zh" else 1]

    @cached_property
    def _unit_name_re(self) -> tuple[re.Pattern[str], dict[str, str]]:
        by_name = {zh: code for code, (zh, _) in self.unit_names.items()}
        by_name |= self.historic_names
        pattern = re.compile("|".join(sorted(map(re.escape, by_name), key=len, reverse=True)))
        return pattern, by_name

    def unit_named_in(self, text: str | None) -> str | None:
        """The adcode of the unit an address names, or ``None``.

        Only full names with their suffix count (``天河区``, ``萝岗区``, ``从化市``), so a road such
        as ``黄埔大道`` does not name Huangpu District. Historic names map to today's units. When
        an address names two units the first one wins.
        """
        if not text:
            return None
        pattern, by_name = self._unit_name_re
        match = pattern.search(str(text))
        return by_name[match.group(0)] if match else None

    # -- zone layers --------------------------------------------------------------------------

    @cached_property
    def units_layer(self) -> ZoneLayer:
        """The units as the ``districts`` zone layer (``zone_id`` is the adcode)."""
        from geo.zones.layers import units_layer

        return units_layer(self)

    @cached_property
    def cities_layer(self) -> ZoneLayer:
        """A region's member cities as the ``cities`` zone layer (``zone_id`` is the adcode)."""
        from geo.zones.layers import cities_layer

        return cities_layer(self)

    def zone_layers(self, extra: dict[str, Path | str] | None = None) -> dict[str, ZoneLayer]:
        """``districts``, the profile's zone layers, then any ``extra`` ``name -> GeoJSON``."""
        from geo.zones.layers import load_zone_layer

        layers = dict(self._profile_layers)
        for name, path in (extra or {}).items():
            layers[name] = load_zone_layer(path, name=name, equal_area_crs=self.equal_area_crs)
        return layers

    @cached_property
    def _profile_layers(self) -> dict[str, ZoneLayer]:
        from geo.zones.layers import profile_layer

        layers = {"districts": self.units_layer}
        if self.is_region:
            layers["cities"] = self.cities_layer
        for spec in self.profile.zone_layers:
            layers[spec.name] = profile_layer(spec, equal_area_crs=self.equal_area_crs)
        return layers

    # -- rules --------------------------------------------------------------------------------

    def unit_of(self, lon: float, lat: float) -> str | None:
        """The adcode of the unit containing a WGS84 point, or ``None`` outside the city."""
        layer = self.units_layer
        pos = layer.index.lookup(np.array([lon], dtype=float), np.array([lat], dtype=float))[0]
        return None if pos < 0 else str(layer.zone_ids[pos])

    def managing_adcodes(
        self, lon: ArrayLike, lat: ArrayLike, admin: ArrayLike
    ) -> NDArray[np.object_]:
        """The managing unit of every point: the management area's where one covers the point
        and belongs to the point's administrative unit, else the administrative unit itself.

        This is the one managing-district rule (assignment, geocoding and density use it).
        """
        x = np.asarray(lon, dtype=float)
        y = np.asarray(lat, dtype=float)
        out = np.array(admin, dtype=object, copy=True).reshape(-1)
        areas = self._management_rules
        if not areas or not len(out):
            return out
        points = shapely.points(x, y)
        for geom, area_admin, managing in areas:
            inside = shapely.covers(geom, points) & (out == area_admin)
            out[inside] = managing
        return out

    @cached_property
    def _management_rules(self) -> list[tuple[shapely.Geometry, str, str]]:
        """(geometry, administrative adcode, managing adcode) of every management area."""
        areas = self.management
        return [
            (geom, str(admin), str(managing))
            for geom, admin, managing in zip(
                areas.geometry.values, areas["admin_adcode"], areas["managing_adcode"], strict=True
            )
        ]

    def managing_adcode(self, lon: float, lat: float, admin: str | None) -> str | None:
        """:meth:`managing_adcodes` for one point."""
        if admin is None:
            return None
        return str(self.managing_adcodes([lon], [lat], [admin])[0])

    def unit_agrees(self, named: str | None, admin: str | None, lon: float, lat: float) -> bool:
        """True unless ``named`` is neither the point's administrative nor its managing unit.

        Nothing named, or no unit for the point, counts as agreement (nothing to check).
        """
        return (
            not named
            or not admin
            or named == admin
            or self.managing_adcode(lon, lat, admin) == named
        )

    # -- gazetteer and figures ----------------------------------------------------------------

    @cached_property
    def text(self) -> TextNormalizer:
        """The city's address normaliser (its prefixes and own place names)."""
        from geo.geocoding.textnorm import TextNormalizer

        p = self.profile
        own = p.own_place_names or (p.name_zh.removesuffix("市"),)
        return TextNormalizer(p.address_prefixes, own, p.province_zh)

    @cached_property
    def gazetteer(self) -> Gazetteer:
        """The offline gazetteer of the profile's files (a region: its own and its members')."""
        from geo.geocoding.gazetteer import Gazetteer, read_gazetteer

        return Gazetteer(read_gazetteer(self.gazetteer_files), self.text.normalize)

    @property
    def gazetteer_files(self) -> tuple[Path, ...]:
        """The gazetteer CSVs: the profile's, then each member's (duplicates once)."""
        files = [*self.profile.gazetteer.files]
        for m in self.members:
            files += m.gazetteer_files
        return tuple(dict.fromkeys(files))

    @property
    def figures(self) -> tuple[FigureSpec, ...]:
        """The figure presets (used by maps and snapshots alike)."""
        return self.profile.figures


def open_city(name_or_path: str | Path | None = None) -> City:
    """A :class:`City` from a shipped id (``guangzhou``) or a profile file; the default city
    when ``None``. Each call reads the profile anew: keep the returned object and pass it on.
    """
    return City(read_profile(name_or_path or DEFAULT_CITY))
