"""The city profile: a TOML file that describes one city (or region) as data.

A profile names the city, its administrative units, management areas and zone layers, the CRSs
that distances and areas are measured in, the map view, the gazetteer and the wording of its
figure presets. Paths in the file are relative to the file. ``data/cities/guangzhou.toml`` is
the first profile and the default; see the README's "Architecture" section to add a city.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from geo import DATA_DIR
from geo.errors import DataFileError, ValidationError

#: Where ``--city NAME`` looks for ``NAME.toml``.
CITIES_DIR: Path = DATA_DIR / "cities"
DEFAULT_CITY = "guangzhou"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitsSpec(_Model):
    """The city's administrative units (districts, counties) and what goes with them."""

    label_zh: str
    label_en: str
    singular_zh: str = "区"
    singular_en: str = "district"
    path: Path
    web_path: Path | None = None
    outline: Path
    management: Path | None = None
    facts: Path | None = None
    population_year: int | None = None
    population_total: int | None = None
    population_total_source: str | None = None
    historic: dict[str, str] = Field(default_factory=dict)


class CRSSpec(_Model):
    """The projected CRS distances are measured in and the equal-area CRS areas are."""

    metric: str
    metric_name: str
    equal_area: str
    equal_area_name: str


class MapSpec(_Model):
    """The interactive map's initial view."""

    center: tuple[float, float]  # lat, lon (Leaflet order)
    zoom: int = Field(ge=1, le=18)


class SnapshotSpec(_Model):
    """Static snapshots: which units the inset repeats at a larger scale."""

    inset_units: tuple[str, ...] = ()
    inset_title_zh: str = "中心城区"
    inset_title_en: str = "Centre"


class GazetteerSpec(_Model):
    """The offline geocoder's place files (CSV, ``data/gazetteer/README.md`` columns)."""

    files: tuple[Path, ...] = ()


class ZoneLayerSpec(_Model):
    """One zone layer of the city beyond its units (e.g. the "363 layout")."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    path: Path
    title_zh: str
    title_en: str
    provisional: bool = False
    source: str = ""
    licence: str = ""


class FigureSpec(_Model):
    """One figure preset: its titles and what it shows (used by maps and snapshots alike)."""

    number: int = Field(ge=1)
    title_zh: str
    title_en: str
    filter: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    points_by: str = "type"
    layer: str = "districts"
    metric: str = "count"
    overlay: str | None = None

    def title(self, lang: str) -> str:
        """The title in ``lang`` (``zh`` or ``en``)."""
        return self.title_zh if lang == "zh" else self.title_en


class FiguresIndexSpec(_Model):
    """Wording of the page that lists every written figure."""

    title_zh: str = ""
    title_en: str = ""
    note_zh: str = ""
    note_en: str = ""


class CityProfile(_Model):
    """Everything city-specific, as read from a profile file (see :func:`read_profile`)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")
    name_zh: str
    name_en: str
    adcode: str
    #: A region (``prd``) lists its member cities' ids (or profile paths, relative to this file);
    #: its units are theirs, each carrying ``city_adcode``, ``city_zh`` and ``city_en``.
    members: tuple[str, ...] = ()
    province_zh: str = ""
    title_zh: str
    title_en: str
    bbox: tuple[float, float, float, float]
    address_prefixes: tuple[str, ...] = ()
    own_place_names: tuple[str, ...] = ()
    geocoder_city: str = ""
    management_note_zh: str = ""
    management_note_en: str = ""
    units: UnitsSpec
    crs: CRSSpec
    map: MapSpec
    snapshot: SnapshotSpec = SnapshotSpec()
    gazetteer: GazetteerSpec = GazetteerSpec()
    zone_layers: tuple[ZoneLayerSpec, ...] = ()
    figures: tuple[FigureSpec, ...] = ()
    figures_index: FiguresIndexSpec = FiguresIndexSpec()
    #: The file the profile was read from (paths above are resolved against its folder).
    source_path: Path | None = None

    @field_validator("bbox")
    @classmethod
    def _bbox(cls, v: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = v
        if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
            raise ValueError(f"bbox {v} is not (lon_min, lat_min, lon_max, lat_max) in WGS84")
        return v

    @model_validator(mode="after")
    def _unique(self) -> CityProfile:
        names = [z.name for z in self.zone_layers]
        if len(set(names)) != len(names) or "districts" in names:
            raise ValueError(f"zone layer names must be unique and not 'districts': {names}")
        if len(set(self.members)) != len(self.members) or self.id in self.members:
            raise ValueError(f"members must be unique and not the region itself: {self.members}")
        if "cities" in names and self.members:
            raise ValueError("a region's zone layer may not be named 'cities' (it is built in)")
        numbers = [f.number for f in self.figures]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"figure numbers must be unique: {numbers}")
        return self

    def figure(self, number: int) -> FigureSpec:
        """The figure preset ``number``; :class:`KeyError` naming the known ones otherwise."""
        for spec in self.figures:
            if spec.number == number:
                return spec
        known = ", ".join(str(f.number) for f in self.figures) or "none"
        raise KeyError(f"{self.id} has no figure {number} (figures: {known})")


def _resolve(value: Any, base: Path) -> Any:
    """Resolve every relative path of a parsed profile against ``base``."""
    if isinstance(value, Path):
        return value if value.is_absolute() else (base / value).resolve()
    if isinstance(value, BaseModel):
        updates = {k: _resolve(getattr(value, k), base) for k in type(value).model_fields}
        return value.model_copy(update=updates)
    if isinstance(value, tuple):
        return tuple(_resolve(v, base) for v in value)
    return value


def profile_path(name_or_path: str | Path) -> Path:
    """The profile file for a city id (``guangzhou``) or an explicit ``.toml`` path."""
    text = str(name_or_path)
    if text.endswith(".toml") or "/" in text or "\\" in text:
        return Path(text)
    return CITIES_DIR / f"{text}.toml"


def available_cities() -> list[str]:
    """The ids of the shipped profiles (``data/cities/*.toml``)."""
    return sorted(p.stem for p in CITIES_DIR.glob("*.toml"))


def read_profile(name_or_path: str | Path = DEFAULT_CITY) -> CityProfile:
    """Read and check a city profile.

    Parameters
    ----------
    name_or_path
        A shipped city id (``guangzhou``) or the path of a profile ``.toml`` file.

    Raises
    ------
    geo.errors.DataFileError
        If there is no such profile or it is not TOML (the message lists the shipped ids).
    geo.errors.ValidationError
        Listing every problem of the profile's content.
    """
    path = profile_path(name_or_path)
    if not path.exists():
        known = ", ".join(available_cities()) or "none"
        raise DataFileError(
            f"no city profile {str(name_or_path)!r} ({path}); shipped cities: {known}, "
            "or pass the path of a profile .toml file"
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{path} is not a valid TOML city profile: {exc}") from exc
    try:
        profile = CityProfile.model_validate({**raw, "source_path": path.resolve()})
    except PydanticValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or 'profile'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ValidationError(f"{path.name} is not a usable city profile:", problems) from exc
    resolved: CityProfile = _resolve(profile, path.parent)
    return resolved
