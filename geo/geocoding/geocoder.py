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
(``confidence``), and why, when it fell back or found a conflict (``note``).
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
        (by default) its gazetteer.
    gazetteer
        Defaults to the city's.
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
        self._normalize = city.text.normalize
        self.gazetteer = gazetteer or city.gazetteer
        self.providers = list(providers)
        self.fuzzy = fuzzy
        self._district_points = {
            e.district_adcode: e for e in self.gazetteer.entries if e.kind == "district"
        }
        self._fuzzy_names = [n for n in self.gazetteer.names if len(n) >= _FUZZY_MIN_LEN]
        self._managing = {
            e.id: city.managing_adcode(e.lon, e.lat, e.district_adcode)
            for e in self.gazetteer.entries
        }

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
        named = self.city.unit_named_in(text)
        if lon is not None and lat is not None and not (_isnan(lon) or _isnan(lat)):
            return self._supplied(result, lon, lat, crs or "wgs84", named)
        if not text:
            if not name and not host:
                result.notes.append("empty address: nothing to geocode")
                return result
            result.notes.append("empty address: tried the platform's name and host")
        place = self.city.text.foreign_place(self._normalize(text))
        if place:
            result.notes.append(
                f"address is outside {self.city.profile.name_en} ({place}): not geocoded"
            )
            return result
        found = self._gazetteer(result, text, name, host, named)
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
        if not found.resolved:
            found.notes.append("no street, town, place or district recognised")
        return found

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
        result.district_zh = self.city.unit_name(entry.district_adcode)
        result.precision = entry.precision
        result.source = source
        result.matched = alias
        result.uncertainty_m = entry.uncertainty_m
        result.coord_crs_in = "wgs84"
        base = _CONFIDENCE.get(entry.precision, 0.5) + _ENTRY_CONFIDENCE.get(entry.confidence, 0)
        result.confidence = round(base, 2)

    def _check_named(self, result: GeocodeResult, named: str | None) -> GeocodeResult:
        admin = result.district_adcode
        name = self.city.unit_name
        if named and admin and named != admin and result.lon is not None and result.lat is not None:
            if self.city.unit_agrees(named, admin, result.lon, result.lat):
                result.notes.append(
                    f"address names the managing district {name(named)}; the point lies "
                    f"administratively in {name(admin)} ({self.city.profile.management_note_en})"
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
        if self.city.in_bbox(lat, lon) and not self.city.in_bbox(lon, lat):
            lon, lat = lat, lon
            result.notes.append("lon/lat were swapped in the input; swapped back")
        wx, wy = (float(v) for v in to_wgs84(lon, lat, system))
        district = self.city.unit_of(wx, wy)
        if district is None:
            result.notes.append(
                f"supplied point ({lon:.5f}, {lat:.5f}, {system}) is outside "
                f"{self.city.profile.name_en}"
            )
            return result
        result.lon, result.lat = wx, wy
        result.district_adcode = district
        result.district_zh = self.city.unit_name(district)
        result.precision, result.source = "exact", f"supplied:{system}"
        result.coord_crs_in, result.confidence = system, 0.95
        if named and named != district and system == "wgs84":
            gx, gy = (float(v) for v in to_wgs84(lon, lat, "gcj02"))
            if self.city.unit_of(gx, gy) == named:
                result.notes.append(
                    "the point only lies in the district the address names if read as GCJ-02: "
                    "it is probably an Amap/Tencent coordinate declared as WGS84; set its CRS "
                    "to gcj02"
                )
        return self._check_named(result, named)

    def _gazetteer(
        self,
        result: GeocodeResult,
        text: str,
        name: str | None,
        host: str | None,
        named: str | None,
    ) -> GeocodeResult:
        norm = self._normalize(text)
        matches = self.gazetteer.find(norm)
        named = named or _named_by_matches(matches)
        if max((m.entry.rank for m in matches), default=0) < _HINT_BELOW_RANK:
            matches += self._hints(name, host, named)
        places = [m for m in matches if m.entry.kind not in ("district", "historic_district")]
        if not matches and self.fuzzy and norm:
            places = self._fuzzy(norm)
        if places:
            return self._check_named(self._pick(result, places, named), named)
        if named:
            return self._district_point(result, named, matches)
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

    def _pick(self, result: GeocodeResult, places: list[Match], named: str | None) -> GeocodeResult:
        def in_named(e: Entry) -> bool:
            return named is not None and named in (e.district_adcode, self._managing[e.id])

        def key(m: Match) -> tuple:
            # A place in the district the address names beats a more specific one elsewhere.
            return (
                in_named(m.entry),
                m.entry.rank,
                len(m.alias),
                _ENTRY_CONFIDENCE.get(m.entry.confidence, 0),
            )

        best = max(places, key=key)
        rivals = {
            m.entry.district_adcode
            for m in places
            if m.entry.rank == best.entry.rank and len(m.alias) == len(best.alias)
        }
        self._fill(result, best.entry, f"gazetteer:{best.entry.id}", best.alias)
        if len(rivals) > 1 and not named:
            result.confidence -= 0.2
            result.notes.append(
                f"{best.alias!r} matches places in {len(rivals)} districts; picked "
                f"{best.entry.district_adcode}; add the district to the address"
            )
        if best.entry.status == "historic":
            result.notes.append(
                f"historic name {best.entry.name_zh!r} (today {best.entry.successor or '?'})"
            )
        if getattr(best, "fuzzy", False):
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
            m = Match(entry, hit[0], -1)
            object.__setattr__(m, "fuzzy", True)
            out.append(m)
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
        historic = [m for m in matches if m.entry.kind == "historic_district"]
        if historic:
            h = historic[0].entry
            result.notes.append(f"historic name {h.name_zh!r} (today {h.successor or named})")
        return result


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
