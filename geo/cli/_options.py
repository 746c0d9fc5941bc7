"""The options every command shares, declared once: city, store, language, layer, filters.

A command lists the ones it takes in its signature (typer reads options from parameters) using
these aliases, and turns them into library objects with the helpers below, so ``--type``,
``--lang`` or ``--layer`` mean the same thing everywhere.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.cities import City
    from geo.filters import PlatformFilter
    from geo.store import PlatformStore
    from geo.zones import ZoneLayer


class Lang(StrEnum):
    """Label language."""

    zh = "zh"
    en = "en"


CityOpt = Annotated[
    str | None,
    typer.Option(
        "--city",
        envvar="BIOMAP_CITY",
        help="City profile: a shipped id (guangzhou) or a profile .toml file [env BIOMAP_CITY].",
    ),
]
StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        "--registry",
        "-r",
        envvar="BIOMAP_STORE",
        help="Registry store: a GeoJSON path (default: the shipped data/platforms.geojson) "
        "or a postgresql://user@host/db URL [env BIOMAP_STORE].",
    ),
]
LangOpt = Annotated[Lang, typer.Option("--lang", help="Label language: zh (default) or en.")]
LayerOpt = Annotated[
    str,
    typer.Option("--layer", "-l", help="Zone layer: districts, zones363, or a GeoJSON file path."),
]
ExtraLayersOpt = Annotated[
    list[Path] | None,
    typer.Option("--layer", help="Extra zone layer GeoJSON (zone_id, name_zh, name_en); repeat."),
]
_CODES = "code(s); repeat or comma-separate."
TypeOpt = Annotated[list[str] | None, typer.Option("--type", help=f"Platform type {_CODES}")]
SubKindOpt = Annotated[list[str] | None, typer.Option("--sub-kind", help=f"Sub-kind {_CODES}")]
FieldOpt = Annotated[list[str] | None, typer.Option("--field", help=f"Field {_CODES}")]
LevelOpt = Annotated[list[str] | None, typer.Option("--level", help=f"Level {_CODES}")]
StageOpt = Annotated[list[str] | None, typer.Option("--stage", help=f"Chain stage {_CODES}")]
SupportingUnitOpt = Annotated[
    list[str] | None, typer.Option("--supporting-unit", help=f"Supporting unit {_CODES}")
]
DistrictOpt = Annotated[
    list[str] | None, typer.Option("--district", help="Administrative unit adcode(s).")
]
ManagingOpt = Annotated[
    list[str] | None, typer.Option("--managing", help="Managing unit adcode(s) (Bio-Island).")
]
ZoneOpt = Annotated[
    list[str] | None,
    typer.Option("--zone", help="Zone id(s), or LAYER:ZONE_ID (zones363:core-bio-island)."),
]
EstablishedMaxOpt = Annotated[
    int | None,
    typer.Option("--established-max", help="Only platforms established in or before this year."),
]
QueryOpt = Annotated[
    str | None, typer.Option("--q", help="Substring of the name (zh or en) or the host.")
]


def city_of(city: str | None) -> City:
    """The :class:`~geo.cities.City` a ``--city`` value names (the default city for ``None``)."""
    from geo.cities import open_city

    return open_city(city)


def store_of(store: str | None, *, writing: bool = False) -> PlatformStore:
    """The store a ``--store`` value names (the shipped file for ``None``).

    With ``writing``, a store the command could not write (a file in a folder that refuses new
    files) is an :class:`~geo.errors.OutputError` now, before the command changes anything. A
    store with connections to close (PostGIS) is closed when the command ends.
    """
    import click

    from geo.store import open_store

    target = open_store(store)
    if writing:
        target.check_writable()
    close = getattr(target, "close", None)
    ctx = click.get_current_context(silent=True)
    if callable(close) and ctx is not None:
        ctx.call_on_close(close)
    return target


def platforms_of(store: str | None) -> gpd.GeoDataFrame:
    """The validated registry of a ``--store`` value, as a GeoDataFrame."""
    from geo.store import records_to_frame

    return records_to_frame(store_of(store).load())


def layers_of(city: City, extra: list[Path] | None = None) -> dict[str, ZoneLayer]:
    """The city's zone layers plus ``--layer FILE`` extras (named after the file stem)."""
    return city.zone_layers({p.stem: p for p in extra or []})


def layer_of(
    city: City, name_or_file: str, layers: dict[str, ZoneLayer] | None = None
) -> ZoneLayer:
    """One layer by name, or a GeoJSON file loaded as one; a usage error (exit 2) otherwise."""
    from geo.errors import UnknownZoneLayerError
    from geo.zones import resolve_layer

    try:
        return resolve_layer(
            layers if layers is not None else city.zone_layers(),
            name_or_file,
            equal_area_crs=city.equal_area_crs,
        )
    except UnknownZoneLayerError as exc:
        raise typer.BadParameter(str(exc), param_hint="--layer") from exc


def filter_of(**params: Any) -> PlatformFilter:
    """A :class:`~geo.filters.PlatformFilter` from the filter options; usage error if bad."""
    from geo.filters import FilterError, PlatformFilter

    try:
        return PlatformFilter.from_params(**{k: v for k, v in params.items() if v})
    except FilterError as exc:
        raise typer.BadParameter(str(exc)) from exc


#: The platform filter options: parameter name -> (its option alias, the PlatformFilter field).
FILTER_OPTIONS: dict[str, tuple[Any, str]] = {
    "type_": (TypeOpt, "type"),
    "sub_kind": (SubKindOpt, "sub_kind"),
    "field": (FieldOpt, "field"),
    "level": (LevelOpt, "level"),
    "stage": (StageOpt, "stage"),
    "supporting_unit": (SupportingUnitOpt, "supporting_unit"),
    "district": (DistrictOpt, "district"),
    "managing": (ManagingOpt, "managing"),
    "zone": (ZoneOpt, "zone"),
    "established_max": (EstablishedMaxOpt, "established_max"),
    "q": (QueryOpt, "q"),
}


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command every platform filter option; it receives them as ``flt``.

    The command declares ``flt: PlatformFilter`` (keyword-only, last); the options (``--type``
    ... ``--q``) are added to its signature here, once for every command, and turned into one
    :class:`~geo.filters.PlatformFilter` (a bad code is a usage error, exit 2).
    """
    signature = inspect.signature(func)
    kept = [  # typer needs the evaluated aliases (the modules use postponed annotations)
        p.replace(annotation=eval(p.annotation, func.__globals__))
        if isinstance(p.annotation, str)
        else p
        for p in signature.parameters.values()
        if p.name != "flt"
    ]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=alias)
        for name, (alias, _) in FILTER_OPTIONS.items()
    ]

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {FILTER_OPTIONS[n][1]: kwargs.pop(n, None) for n in FILTER_OPTIONS}
        return func(*args, flt=filter_of(**given), **kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*kept, *added], return_annotation=None)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {
        **{p.name: p.annotation for p in kept},
        **{name: alias for name, (alias, _) in FILTER_OPTIONS.items()},
        "return": None,
    }
    return wrapper


def with_layer(city: City, name_or_file: str, layers: dict[str, ZoneLayer]) -> str:
    """Add a ``--layer FILE`` to ``layers`` (a usage error if unknown); return its name."""
    zone_layer = layer_of(city, name_or_file, layers)
    layers.setdefault(zone_layer.name, zone_layer)
    return zone_layer.name


def checked_zones(flt: PlatformFilter, layers: dict[str, ZoneLayer]) -> PlatformFilter:
    """``flt`` once its ``--zone`` values name zones of ``layers`` (usage error otherwise)."""
    from geo.filters import FilterError

    try:
        flt.check_zones(layers)
    except FilterError as exc:
        raise typer.BadParameter(str(exc), param_hint="--zone") from exc
    return flt
