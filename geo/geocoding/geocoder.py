"""Offline-first geocoding of a city's addresses: a chain of resolvers, first confident wins.

1. ``supplied``: coordinates that came with the record, in their declared CRS (wgs84, gcj02,
   bd09), converted to WGS84; swapped lon/lat is detected and undone (with a note), points
   outside the city are refused, and WGS84-declared points that only fit the address's
   district when read as GCJ-02 are flagged.
2. ``gazetteer``: names and aliases from the city's gazetteer found in the normalised address
   (and in the platform's name and host), most specific first, preferring entries in the
   district the address names; fuzzy matching (rapidfuzz) when nothing matches exactly.
3. ``district``: the district named in the text, as a labelled district-level point (never the
   city centre).
4. ``online`` providers (opt-in): see :mod:`geo.geocoding.providers`.

Every result says where it came from (``source``), how precise it is (``precision``), how sure
(``confidence``), and why, when it fell back or found a conflict (``note``), and names the unit
(``district_adcode``) and its city (``city_adcode``).

A region (a city with ``members``, the Pearl River Delta) is geocoded over all its cities at
once (:mod:`geo.geocoding.region`): the city an address starts with is its context, a former name
that was split is resolved by the rest of the address or answered at city level (no point).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from rapidfuzz import fuzz, process

from geo.crs import normalize_coord_system, to_wgs84
from geo.errors import BiomapError, CoordinateError
from geo.geocoding.gazetteer import Entry, Gazetteer, Match
from geo.geocoding.region import RegionText, Units, member_cities

if TYPE_CHECKING:
    from geo.cities import City

_CONFIDENCE = {
    "campus": 0.9,
    "landmark": 0.8,
    "road": 0.6,
    "street": 0.7,
    "town": 0.7,
    "district": 0.3,
}
_ENTRY_CONFIDENCE = {"high": 0.0, "medium": -0.05, "low": -0.15}
_FUZZY_CUTOFF = 90
_HINT_BELOW_RANK = 4  # use name/host hints only when the address gives less than a landmark
_FUZZY_MIN_LEN = 4


@dataclass
class GeocodeResult:
    """What the geocoder found for one input."""

    input: str
    lon: float | None = None
    lat: float | None = None
    district_adcode: str | None = None
    district_zh: str | None = None
    city_adcode: str | None = None
    precision: str | None = None
    source: str | None = None
    confidence: float = 0.0
    note: str | None = None
    matched: str | None = None
    uncertainty_m: float | None = None
    coord_crs_in: str | None = None
    conflict: bool = False
    notes: list[str] = field(default_factory=list, repr=False)

    @property
    def resolved(self) -> bool:
        """True when a point was found."""
        return self.lon is not None and self.lat is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``notes`` joined into ``note``)."""
        out = asdict(self)
        out.pop("notes")
        out["note"] = "; ".join(self.notes) or None
        return out


class Provider(Protocol):
    """An online geocoder adapter (see :mod:`geo.geocoding.providers`)."""

    name: str

    def geocode(self, address: str) -> GeocodeResult | None:
        """Return a WGS84 result, or ``None`` when the provider found nothing."""
        ...


class Geocoder:
    """The resolver chain. Offline unless ``providers`` are given.

    Parameters
    ----------
    city
        The city addresses are in: its units, management areas, bbox, text normalisation and
        (by default) its gazetteer. A region (a city with ``members``, e.g. the Pearl River
        Delta) is geocoded over all its members at once (see :mod:`geo.geocoding.region`).
    gazetteer
        Defaults to the city's (a region's: its members' together).
    providers
        Online adapters tried, in order, when the offline resolvers give at most a
        district-level answer.
    fuzzy
        Try fuzzy matching when no gazetteer name occurs exactly.
    """

    def __init__(
        self,
        city: City,
        gazetteer: Gazetteer | None = None,
        providers: Sequence[Provider] = (),
        *,
        fuzzy: bool = True,
    ) -> None:
        self.city = city
        self.members = member_cities(city)
        self.units = Units(self.members)
        if self.units.single:
            self.region_text = None
            self._split = _single_split(self.members[0].text.normalize)
            self._foreign = self.members[0].text.foreign_place
            self.gazetteer = gazetteer or self.members[0].gazetteer
        else:
            self.region_text = RegionText(self.members)
            self._split = self.region_text.split
            self._foreign = self.region_text.text.foreign_place
            self.gazetteer = gazetteer or _joined_gazetteer(self.members, self.region_text)
        self._normalize = lambda text: self._split(text)[0]
        self.providers = list(providers)
        self.fuzzy = fuzzy
        self._district_points = {
            e.district_adcode: e for e in self.gazetteer.entries if e.kind == "district"
        }
        self._fuzzy_names = [n for n in self.gazetteer.names if len(n) >= _FUZZY_MIN_LEN]
        self._managing = {
            e.id: self._member(e.district_adcode).managing_adcode(e.lon, e.lat, e.district_adcode)
            for e in self.gazetteer.entries
        }
        self._successors = {
            e.id: frozenset(self.units.by_name[n] for n in e.successor.split("|"))
            for e in self.gazetteer.entries
            if e.kind == "historic_district" and e.successor and "|" in e.successor
        }
        self._city_ids = {m.profile.adcode: i for i, m in enumerate(self.members)}
        self._order = {  # a region's member order (all 0 for one city)
            code: self._city_ids[self.units.city_adcode(code) or ""] for code in self.units.names
        }
        self._single_unit = {
            m.profile.adcode: next(iter(m.unit_names))
            for m in self.members
            if len(m.unit_names) == 1 and not self.units.single
        }

    def _member(self, adcode: str | None) -> City:
        return self.units.city_of(adcode) or self.members[0]

    @property
    def _name_en(self) -> str:
        return self.city.profile.name_en

    def geocode(
        self,
        address: str | None,
        *,
        name: str | None = None,
        host: str | None = None,
        lon: float | None = None,
        lat: float | None = None,
        crs: str | None = None,
    ) -> GeocodeResult:
        """Geocode one record: supplied coordinates, else its address (and name/host)."""
        text = str(address or "").strip()
        result = GeocodeResult(input=text)
        named = self.units.named_in(text)
        if lon is not None and lat is not None and not (_isnan(lon) or _isnan(lat)):
            return self._supplied(result, lon, lat, crs or "wgs84", named)
        if not text:
            if not name and not host:
                result.notes.append("empty address: nothing to geocode")
                return result
            result.notes.append("empty address: tried the platform's name and host")
        norm, context = self._split(text)
        matches = self.gazetteer.find(norm)
        if context is None and self.region_text is not None:
            context = self._bare_context(norm, matches)
        place = self._foreign(self._foreign_text(text, norm, context))
        if place and not _names_a_place(place, matches):
            result.notes.append(f"address is outside {self._name_en} ({place}): not geocoded")
            return result
        found = self._gazetteer(
            result, norm, matches, context=context, name=name, host=host, named=named
        )
        if found.resolved and found.precision != "district":
            return found
        for provider in self.providers:
            try:
                online = provider.geocode(text)
            except BiomapError as exc:  # a provider's own error: note it, try the next one
                found.notes.append(str(exc))
                continue
            if online is not None and online.resolved:
                online.notes = [*found.notes, *online.notes]
                return self._check_named(online, named)
        if not found.resolved and found.precision != "city":
            found.notes.append("no street, town, place or district recognised")
        return found

    def _bare_context(self, norm: str, matches: list[Match]) -> int | None:
        """The member a bare leading city name (``广州``, ``中山``) stands for, when a place of
        that city follows it directly (``中山小榄镇``; not ``中山大学``, a name of its own)."""
        for prefix, index in self.region_text.bare if self.region_text else ():
            if norm.startswith(prefix):
                city = self.members[index].profile.adcode
                if any(
                    m.start == len(prefix)
                    and self.units.city_adcode(m.entry.district_adcode) == city
                    for m in matches
                ):
                    return index
        return None

    def _foreign_text(self, text: str, norm: str, context: int | None) -> str:
        """The text the foreign-place test reads: a single city's normalised address; in a
        region, the address with only the shared prefixes dropped (so ``深圳市...`` is seen)."""
        if self.region_text is None:
            return norm
        return "" if context is not None else self.region_text.text.normalize(text)

    def geocode_many(
        self,
        addresses: Iterable[str],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> list[GeocodeResult]:
        """Geocode many addresses; ``progress(n)`` is called after each one."""
        out = []
        for addr in addresses:
            out.append(self.geocode(addr))
            if progress:
                progress(1)
        return out

    def _fill(self, result: GeocodeResult, entry: Entry, source: str, alias: str) -> None:
        result.lon, result.lat = entry.lon, entry.lat
        result.district_adcode = entry.district_adcode
        result.district_zh = self.units.unit_name(entry.district_adcode)
        result.city_adcode = self.units.city_adcode(entry.district_adcode)
        result.precision = entry.precision
        result.source = source
        result.matched = alias
        result.uncertainty_m = entry.uncertainty_m
        result.coord_crs_in = "wgs84"
        base = _CONFIDENCE.get(entry.precision, 0.5) + _ENTRY_CONFIDENCE.get(entry.confidence, 0)
        result.confidence = round(base, 2)

    def _check_named(
        self, result: GeocodeResult, named: str | None, allowed: frozenset[str] = frozenset()
    ) -> GeocodeResult:
        admin = result.district_adcode
        name = self.units.unit_name
        if admin and result.city_adcode is None:
            result.city_adcode = self.units.city_adcode(admin)
        if (
            named
            and admin
            and named != admin
            and admin not in allowed
            and result.lon is not None
            and result.lat is not None
        ):
            member = self._member(admin)
            if member.unit_agrees(named, admin, result.lon, result.lat):
                result.notes.append(
                    f"address names the managing district {name(named)}; the point lies "
                    f"administratively in {name(admin)} ({member.profile.management_note_en})"
                )
            else:
                result.conflict = True
                result.confidence = round(result.confidence - 0.2, 2)
                result.notes.append(
                    f"address names {name(named)} ({named}) but the point is in "
                    f"{name(admin)} ({admin})"
                )
        result.confidence = round(max(0.0, min(1.0, result.confidence)), 2)
        return result

    # -- resolvers -------------------------------------------------------------------------

    def _supplied(
        self, result: GeocodeResult, lon: float, lat: float, crs: str, named: str | None
    ) -> GeocodeResult:
        try:
            system = normalize_coord_system(crs)
            lon, lat = float(lon), float(lat)
        except (CoordinateError, TypeError, ValueError) as exc:
            result.notes.append(f"supplied coordinates unusable: {exc}")
            return result
        if self.units.in_bbox(lat, lon) and not self.units.in_bbox(lon, lat):
            lon, lat = lat, lon
            result.notes.append("lon/lat were swapped in the input; swapped back")
        wx, wy = (float(v) for v in to_wgs84(lon, lat, system))
        district = self.units.unit_of(wx, wy)
        if district is None:
            result.notes.append(
                f"supplied point ({lon:.5f}, {lat:.5f}, {system}) is outside {self._name_en}"
            )
            return result
        result.lon, result.lat = wx, wy
        result.district_adcode = district
        result.district_zh = self.units.unit_name(district)
        result.city_adcode = self.units.city_adcode(district)
        result.precision, result.source = "exact", f"supplied:{system}"
        result.coord_crs_in, result.confidence = system, 0.95
        if named and named != district and system == "wgs84":
            gx, gy = (float(v) for v in to_wgs84(lon, lat, "gcj02"))
            if self.units.unit_of(gx, gy) == named:
                result.notes.append(
                    "the point only lies in the district the address names if read as GCJ-02: "
                    "it is probably an Amap/Tencent coordinate declared as WGS84; set its CRS "
                    "to gcj02"
                )
        return self._check_named(result, named)

    def _gazetteer(
        self,
        result: GeocodeResult,
        norm: str,
        matches: list[Match],
        *,
        context: int | None,
        name: str | None,
        host: str | None,
        named: str | None,
    ) -> GeocodeResult:
        named = named or _named_by_matches(matches)
        named, city, allowed, split = self._scope(result, matches, context, named)
        if max((m.entry.rank for m in matches), default=0) < _HINT_BELOW_RANK:
            matches = matches + self._hints(name, host, named)
        places = [m for m in matches if m.entry.kind not in ("district", "historic_district")]
        if not matches and self.fuzzy and norm:
            places = self._fuzzy(norm)
        if city is not None:
            places = self._in_city(result, places, city)
        if places:
            picked = self._pick(result, places, named, allowed)
            return self._check_named(picked, named, allowed)
        if named:
            return self._district_point(result, named, matches)
        if split is not None or city is not None:
            return self._city_level(result, city, split)
        return result

    def _scope(
        self, result: GeocodeResult, matches: list[Match], context: int | None, named: str | None
    ) -> tuple[str | None, str | None, frozenset[str], Entry | None]:
        """What the address says about where it is: ``(named unit, city adcode, units a
        historic name allows, the split historic entry)``.

        A historic name with several successors (新会市: 新会区 or 蓬江区) names no single
        unit: the rest of the address decides, among its successors. A current name that
        used to cover more (宝安区, before Longhua and Guangming were carved out) keeps its
        unit but lets a street in a successor stand without a conflict.
        """
        city = self.members[context].profile.adcode if context is not None else None
        allowed: frozenset[str] = frozenset()
        split = None
        for m in matches:
            successors = self._successors.get(m.entry.id)
            if successors is None or (named is not None and named not in successors):
                continue
            split, allowed = m.entry, allowed | successors
            current = any(
                o.alias == m.alias and o.entry.kind == "district" and o.entry.status == "current"
                for o in matches
            )
            today = " or ".join(self.units.unit_name(a) for a in sorted(successors))
            if current:
                result.notes.append(
                    f"{m.entry.name_zh} used to cover what is today {today}: a street or town "
                    "in those is not a conflict"
                )
            else:
                named = None
                result.notes.append(f"historic name {m.entry.name_zh!r} is today {today}")
        if named is not None:
            named_city = self.units.city_adcode(named)
            if city is not None and named_city != city:
                result.notes.append(
                    f"address names {self.units.unit_name(named)}, which is not in the city it "
                    "starts with; the unit is ignored"
                )
                named = None
            else:
                city = named_city if not self.units.single else city
        elif split is not None and city is None:
            city = self.units.city_adcode(split.district_adcode)
        if named is None and city is not None and split is None:
            named = self._single_unit.get(city)  # Dongguan, Zhongshan: the city is the unit
        return named, city, allowed, split

    def _in_city(self, result: GeocodeResult, places: list[Match], city: str) -> list[Match]:
        """Only the places of the city the address names (a region's context)."""
        if self.units.single:
            return places
        inside = [m for m in places if self.units.city_adcode(m.entry.district_adcode) == city]
        if places and not inside:
            names = sorted({m.alias for m in places})
            result.notes.append(
                f"{', '.join(names)} is known only outside "
                f"{self.members[self._city_ids[city]].name('zh')}: not used"
            )
        return inside

    def _city_level(
        self, result: GeocodeResult, city: str | None, split: Entry | None
    ) -> GeocodeResult:
        """Only the city is known: no point (never the city centre), the city named."""
        result.city_adcode = city
        result.precision = "city"
        result.source = f"city:{city}" if city else None
        result.notes.append(
            "city-level only: the address names no street, town or place that decides the "
            "unit; no point given (add the district or town)"
            if split is not None
            else "city-level only: the address names the city but no district, street or place; "
            "no point given"
        )
        return result

    def _hints(self, name: str | None, host: str | None, named: str | None) -> list[Match]:
        """Campus-level entries named in the platform's name or host, in the named district."""
        out = []
        for extra in (name, host):
            if extra:
                out += [
                    m
                    for m in self.gazetteer.find(self._normalize(extra))
                    if m.entry.rank >= 5 and named in (None, m.entry.district_adcode)
                ]
        return out

    def _pick(
        self,
        result: GeocodeResult,
        places: list[Match],
        named: str | None,
        allowed: frozenset[str] = frozenset(),
    ) -> GeocodeResult:
        def in_named(e: Entry) -> bool:
            if e.district_adcode in allowed:
                return True
            return named is not None and named in (e.district_adcode, self._managing[e.id])

        def key(m: Match) -> tuple:
            # A place in the district the address names beats a more specific one elsewhere;
            # among equals a current name beats a historic one, then the earlier member city
            # (a region's first: Guangzhou for the Pearl River Delta).
            return (
                in_named(m.entry),
                m.entry.rank,
                len(m.alias),
                _ENTRY_CONFIDENCE.get(m.entry.confidence, 0),
                m.entry.status == "current",
                -self._order[m.entry.district_adcode],
            )

        best = max(places, key=key)
        rivals = {
            m.entry.district_adcode
            for m in places
            if m.entry.rank == best.entry.rank and len(m.alias) == len(best.alias)
        }
        self._fill(result, best.entry, f"gazetteer:{best.entry.id}", best.alias)
        if len(rivals) > 1 and not named and not allowed:
            result.confidence -= 0.2
            result.notes.append(
                f"{best.alias!r} matches places in {len(rivals)} districts; picked "
                f"{best.entry.district_adcode}; add the district to the address"
            )
        if best.entry.status == "historic":
            result.notes.append(
                f"historic name {best.entry.name_zh!r} (today {best.entry.successor or '?'})"
            )
        if best.fuzzy:
            result.confidence -= 0.15
            result.notes.append(f"fuzzy match on {best.alias!r}")
        return result

    def _fuzzy(self, norm: str) -> list[Match]:
        hit = process.extractOne(
            norm, self._fuzzy_names, scorer=fuzz.partial_ratio, score_cutoff=_FUZZY_CUTOFF
        )
        if not hit:
            return []
        out = []
        for entry in self.gazetteer.entries_named(hit[0]):
            out.append(Match(entry, hit[0], -1, fuzzy=True))
        return out

    def _district_point(
        self, result: GeocodeResult, named: str, matches: list[Match]
    ) -> GeocodeResult:
        entry = self._district_points.get(named)
        if entry is None:
            result.notes.append(f"district {named} named but the gazetteer has no point for it")
            return result
        self._fill(result, entry, f"district:{named}", entry.name_zh)
        result.notes.append(
            "district-level fallback: the district's representative point, not the place itself"
        )
        historic = [
            m
            for m in matches
            if m.entry.kind == "historic_district" and m.entry.id not in self._successors
        ]
        if historic:
            h = historic[0].entry
            result.notes.append(f"historic name {h.name_zh!r} (today {h.successor or named})")
        return result


def _single_split(normalize: Callable[[str], str]) -> Callable[[str], tuple[str, int | None]]:
    """One city's normaliser in the ``(text, context)`` form of :class:`RegionText`."""
    return lambda text: (normalize(text), None)


def _joined_gazetteer(members: Sequence[City], text: RegionText) -> Gazetteer:
    """The members' gazetteers as one, names normalised the region's way."""
    import pandas as pd

    frame = pd.concat([m.gazetteer.frame for m in members], ignore_index=True)
    return Gazetteer(frame, text.normalize)


def _names_a_place(place: str, matches: list[Match]) -> bool:
    """True when a gazetteer name at the start of the address begins with the foreign name
    (``北京大学深圳医院``, ``香港中文大学(深圳)``): the address names that place, not the city."""
    bare = place.removesuffix("省").removesuffix("市")
    return any(
        m.start == 0 and m.alias.startswith(bare) and len(m.alias) > len(bare) for m in matches
    )


def _named_by_matches(matches: list[Match]) -> str | None:
    for m in matches:
        if m.entry.kind in ("district", "historic_district"):
            return m.entry.district_adcode
    return None


def _isnan(v: object) -> bool:
    try:
        return bool(np.isnan(float(v)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def geocode(address: str | None, *, city: City, **kwargs: Any) -> GeocodeResult:
    """Geocode one address offline in ``city`` (see :meth:`Geocoder.geocode`).

    Builds a :class:`Geocoder` each call: for many addresses make one and reuse it.
    """
    return Geocoder(city).geocode(address, **kwargs)
