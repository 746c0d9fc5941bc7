"""The offline gazetteer of a city: units, streets and towns, places and institutions.

Shipped as CSV (Guangzhou's in ``data/gazetteer/``, listed in its city profile), one row per
entry, with aliases, the district, a WGS84 point, its precision and uncertainty, and its
source. :class:`Gazetteer` finds every entry whose name or alias occurs in a normalised address
in one pass over the text with an Aho-Corasick automaton (``pyahocorasick``), then keeps, at
each start, the longest name that is not inside a longer one already found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import ahocorasick
import pandas as pd

from geo.errors import DataFileError, ValidationError
from geo.geocoding.textnorm import simplify

GAZETTEER_COLUMNS = (
    "id",
    "name_zh",
    "name_en",
    "kind",
    "aliases",
    "district_adcode",
    "lon",
    "lat",
    "coord_crs",
    "precision",
    "uncertainty_m",
    "source",
    "confidence",
    "status",
    "successor",
    "note",
)
#: How specific each kind of entry is: a higher rank wins when several match.
KIND_RANK = {
    "campus": 6,
    "hospital": 6,
    "institute": 6,
    "industry_park": 5,
    "landmark": 5,
    "island": 4,
    "park": 4,
    "road": 3,
    "street": 2,
    "town": 2,
    "historic_street": 2,
    "district": 1,
    "historic_district": 1,
}
#: Entry kind -> the registry's coord_precision code.
KIND_PRECISION = {
    "campus": "campus",
    "hospital": "campus",
    "institute": "campus",
    "industry_park": "landmark",
    "landmark": "landmark",
    "island": "landmark",
    "park": "landmark",
    "road": "road",
    "street": "street",
    "town": "town",
    "district": "district",
    "historic_district": "district",
}
_MIN_NAME = 2


@dataclass(frozen=True)
class Entry:
    """One gazetteer entry."""

    id: str
    name_zh: str
    name_en: str
    kind: str
    district_adcode: str
    lon: float
    lat: float
    precision: str
    uncertainty_m: float | None
    source: str
    confidence: str
    status: str
    successor: str | None
    #: Specificity (see :data:`KIND_RANK`), set from ``kind``.
    rank: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rank", KIND_RANK.get(self.kind, 0))


@dataclass(slots=True)
class Match:
    """An entry found in a text, with the alias that matched and where (``-1`` and ``fuzzy``
    for a fuzzy match)."""

    entry: Entry
    alias: str
    start: int
    fuzzy: bool = False


class Gazetteer:
    """Name lookup over a set of entries.

    Parameters
    ----------
    entries
        A frame with :data:`GAZETTEER_COLUMNS`.
    normalize
        How names and aliases are normalised: the city's
        :meth:`~geo.geocoding.textnorm.TextNormalizer.normalize`, so they compare equal to
        normalised addresses. Plain :func:`~geo.geocoding.textnorm.simplify` (lower-cased) by
        default.
    """

    def __init__(
        self, entries: pd.DataFrame, normalize: Callable[[str], str] | None = None
    ) -> None:
        self.normalize = normalize or (lambda text: simplify(text).lower() if text else "")
        self.frame = entries.reset_index(drop=True)
        self.entries: list[Entry] = [self._entry(r) for r in self.frame.itertuples(index=False)]
        self._names: dict[str, list[int]] = {}
        for i, row in enumerate(self.frame.itertuples(index=False)):
            for alias in _aliases(row.name_zh, row.aliases, self.normalize):
                self._names.setdefault(alias, []).append(i)
        self._automaton = ahocorasick.Automaton()
        for name in self._names:
            self._automaton.add_word(name, len(name))
        if self._names:
            self._automaton.make_automaton()
        self.by_id = {e.id: e for e in self.entries}

    @staticmethod
    def _entry(r) -> Entry:
        kind = str(r.kind)
        if kind == "street" and r.status == "historic":
            kind = "historic_street"
        return Entry(
            id=str(r.id),
            name_zh=str(r.name_zh),
            name_en=str(r.name_en or ""),
            kind=kind,
            district_adcode=str(r.district_adcode),
            lon=float(r.lon),
            lat=float(r.lat),
            precision=KIND_PRECISION.get(str(r.kind), str(r.precision)),
            uncertainty_m=None if pd.isna(r.uncertainty_m) else float(r.uncertainty_m),
            source=str(r.source),
            confidence=str(r.confidence),
            status=str(r.status),
            successor=None if pd.isna(r.successor) or not r.successor else str(r.successor),
        )

    @property
    def names(self) -> list[str]:
        """Every normalised name and alias (for fuzzy matching)."""
        return list(self._names)

    def entries_named(self, name: str) -> list[Entry]:
        """The entries whose normalised name or alias is exactly ``name``."""
        return [self.entries[i] for i in self._names.get(name, [])]

    def find(self, text: str) -> list[Match]:
        """Every entry whose name or alias occurs in ``text`` (already normalised).

        Shorter names inside a longer match (e.g. ``中山`` inside ``中山大学``) are dropped.
        """
        if not self._names or not text:
            return []
        longest: dict[int, int] = {}  # start -> length of the longest name starting there
        for end, length in self._automaton.iter(text):
            start = end - length + 1
            if length > longest.get(start, 0):
                longest[start] = length
        found: list[Match] = []
        reach = 0  # end of the furthest match accepted so far
        for start in sorted(longest):
            end = start + longest[start]
            if end <= reach:
                continue  # inside a longer match already found
            reach = end
            alias = text[start:end]
            found.extend(Match(self.entries[i], alias, start) for i in self._names[alias])
        return found


def _aliases(name_zh: str, aliases: object, normalize: Callable[[str], str]) -> list[str]:
    """The normalised name, then the aliases in file order, once each (a fixed order, so that
    fuzzy ties are broken the same way in every process)."""
    names = [name_zh, *(aliases.split("|") if isinstance(aliases, str) else ())]
    return [n for n in dict.fromkeys(map(normalize, names)) if len(n) >= _MIN_NAME]


def read_gazetteer(paths: Path | str | Iterable[Path | str]) -> pd.DataFrame:
    """Read and check gazetteer CSVs (a list of files, or a folder's ``*.csv``) at once.

    Every problem is reported together.

    Raises
    ------
    geo.errors.DataFileError
        If there are no CSV files, or one is missing.
    geo.errors.ValidationError
        Listing missing columns, duplicate ids and bad coordinates.
    """
    if isinstance(paths, (str, Path)) and Path(paths).is_dir():
        files = sorted(Path(paths).glob("*.csv"))
    else:
        files = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    if not files:
        raise DataFileError(f"no gazetteer CSV files in {paths!r}; list them in the city profile")
    missing = [str(p) for p in files if not p.exists()]
    if missing:
        raise DataFileError(f"gazetteer file(s) not found: {', '.join(missing)}")
    frames, problems = [], []
    for path in files:
        df = pd.read_csv(
            path,
            dtype={"district_adcode": str, "id": str},
            keep_default_na=False,
            na_values={"lon": [""], "lat": [""], "uncertainty_m": [""]},
        )
        missing = [c for c in GAZETTEER_COLUMNS if c not in df.columns]
        if missing:
            problems.append(f"{path.name}: missing columns {missing}")
            continue
        df["file"] = path.name
        frames.append(df[[*GAZETTEER_COLUMNS, "file"]])
    if problems:
        raise ValidationError("the gazetteer is not usable:", problems)
    gaz = pd.concat(frames, ignore_index=True)
    dup = gaz["id"][gaz["id"].duplicated()].tolist()
    problems += [f"duplicate id {d!r}" for d in dup]
    bad = gaz[gaz["lon"].isna() | gaz["lat"].isna() | (gaz["coord_crs"] != "wgs84")]
    problems += [f"{r.file}: {r.id!r} has no WGS84 point" for r in bad.itertuples()]
    if problems:
        raise ValidationError("the gazetteer is not usable:", problems)
    return gaz
