"""Statistics commands: ``biomap stats density | chain | clustering``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer

from geo.cli import app
from geo.cli._common import EXIT_CODES_HELP, EXIT_PROBLEMS, handle_errors
from geo.cli._options import (
    CityOpt,
    Lang,
    LangOpt,
    LayerOpt,
    StoreOpt,
    city_of,
    filter_options,
    layer_of,
    platforms_of,
)
from geo.tabular import to_csv

if TYPE_CHECKING:
    from geo.filters import PlatformFilter

stats_app = typer.Typer(
    name="stats",
    help="Density by zone, service-chain coverage and gaps, clustering statistics.",
    no_args_is_help=True,
)
app.add_typer(stats_app, name="stats")

_EPILOG = (
    EXIT_CODES_HELP + " A statistic that cannot be computed (too few points) exits 1 with the "
    "reason; an unknown layer, filter value or option exits 2."
)


class Fmt(StrEnum):
    """Output formats."""

    table = "table"
    json = "json"
    csv = "csv"


FormatOpt = Annotated[Fmt, typer.Option("--format", "-f", help="table, json or csv.")]
BasisOpt = Annotated[
    str,
    typer.Option(
        "--district-basis",
        help="On the districts layer, count platforms in a management area under their "
        "administrative unit (administrative) or under the managing one (managing).",
    ),
]


def _usage(func: Callable[[], Any]) -> Any:
    """Run ``func``; turn bad filter/option errors into a usage error (exit 2)."""
    from geo.filters import FilterError
    from geo.stats import ChainOptionError, DistrictBasisError
    from geo.stats.cities import NotARegionError

    try:
        return func()
    except (FilterError, ChainOptionError, DistrictBasisError, NotARegionError) as exc:
        raise typer.BadParameter(str(exc)) from exc


def _echo_frame(frame: pd.DataFrame, fmt: Fmt) -> None:
    if fmt is Fmt.csv:
        typer.echo(to_csv(frame), nl=False)
    else:
        shown = frame.astype(object).where(frame.notna(), "-")
        with pd.option_context("display.width", 200, "display.max_columns", 30):
            typer.echo(shown.to_string(index=False))


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=1, default=_json_default))


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@stats_app.command(epilog=_EPILOG)
@handle_errors
@filter_options
def density(
    layer: LayerOpt = "districts",
    fmt: FormatOpt = Fmt.table,
    lang: LangOpt = Lang.zh,
    district_basis: BasisOpt = "administrative",
    store: StoreOpt = None,
    city: CityOpt = None,
    flt: PlatformFilter | None = None,
) -> None:
    """Platforms per zone: count, share, area, per km², per 100k residents, location quotients.

    Denominators are printed with the table; zones without a population or geometry get null
    rates with the reason in the note column.
    """
    from geo.stats.density import density_table

    where = city_of(city)
    layers = where.zone_layers()
    _usage(lambda: flt.check_zones(layers))
    result = _usage(
        lambda: density_table(
            platforms_of(store),
            layer_of(where, layer, layers),
            city=where,
            filter=flt,
            district_basis=district_basis,  # type: ignore[arg-type]
        )
    )
    if fmt is Fmt.json:
        _echo_json(result.to_dict())
        return
    table = result.table.drop(columns="name_en" if lang is Lang.zh else "name_zh")
    table["population"] = table["population"].round().astype("Int64")
    _echo_frame(table.round(4), fmt)
    if fmt is Fmt.table:
        typer.echo("")
        t = result.totals
        typer.echo(
            f"total {t['count']} platforms, {t['in_zones']} in located zones, "
            f"{t['outside_zones']} outside every zone; district basis: {t['district_basis']}"
        )
        for key, text in result.denominators.items():
            typer.echo(f"  {key}: {text}")


@stats_app.command(epilog=_EPILOG)
@handle_errors
@filter_options
def cities(
    fmt: FormatOpt = Fmt.table,
    lang: LangOpt = Lang.zh,
    store: StoreOpt = None,
    city: CityOpt = None,
    flt: PlatformFilter | None = None,
) -> None:
    """A region's city comparison (--city prd): per city units, platforms, area, population,
    per km², per 100k residents and location quotients.

    A platform's city is its unit's city. Asked of a plain city it is a usage error (exit 2).
    """
    from geo.filters import PlatformFilter
    from geo.stats.cities import city_table

    where = city_of(city)
    chosen = flt or PlatformFilter()
    _usage(lambda: chosen.check_zones(where.zone_layers()))
    result = _usage(lambda: city_table(platforms_of(store), where, filter=chosen))
    if fmt is Fmt.json:
        _echo_json(result.to_dict())
        return
    table = result.table.drop(columns="name_en" if lang is Lang.zh else "name_zh")
    if fmt is Fmt.table:
        table = table.drop(columns=["population_source"])
    table["population"] = table["population"].round().astype("Int64")
    _echo_frame(table.round(4), fmt)
    if fmt is Fmt.table:
        typer.echo("")
        t = result.totals
        typer.echo(f"total {t['count']} platforms, {t['in_zones']} in the region's cities")
        for key, text in result.denominators.items():
            typer.echo(f"  {key}: {text}")


@stats_app.command(epilog=_EPILOG)
@handle_errors
@filter_options
def chain(
    layer: LayerOpt = "districts",
    dimension: Annotated[
        str, typer.Option(help="Columns: stage, type, or type_stage (type x stage).")
    ] = "stage",
    gaps: Annotated[bool, typer.Option("--gaps", help="Print the ranked gap list.")] = False,
    rank_by: Annotated[
        str, typer.Option(help="Rank gaps by zone population or platform count.")
    ] = "population",
    fmt: FormatOpt = Fmt.table,
    lang: LangOpt = Lang.zh,
    district_basis: BasisOpt = "administrative",
    store: StoreOpt = None,
    city: CityOpt = None,
    flt: PlatformFilter | None = None,
) -> None:
    """Zone x service-chain stage (x type) matrix, or (--gaps) the absent stages per zone.

    Zones without a geometry (location unknown) cannot hold platforms and are listed apart,
    not as gaps. A platform serving several stages counts once in each.
    """
    from geo.stats.chain import chain_gaps, chain_matrix, chain_report, unlocated_zones

    where = city_of(city)
    layers = where.zone_layers()
    _usage(lambda: flt.check_zones(layers))
    args = {
        "city": where,
        "dimension": dimension,
        "filter": flt,
        "district_basis": district_basis,
    }
    platforms, zone_layer = platforms_of(store), layer_of(where, layer, layers)
    if fmt is Fmt.json:
        _echo_json(_usage(lambda: chain_report(platforms, zone_layer, rank_by=rank_by, **args)))  # type: ignore[arg-type]
        return
    matrix = _usage(lambda: chain_matrix(platforms, zone_layer, **args))
    gap_rows = _usage(lambda: chain_gaps(matrix, rank_by=rank_by))  # type: ignore[arg-type]
    if gaps:
        drop = ["name_en", "missing_en"] if lang is Lang.zh else ["name_zh", "missing_zh"]
        shown = gap_rows.drop(columns=drop)
        shown["population"] = shown["population"].astype("Float64").round().astype("Int64")
        _echo_frame(shown, fmt)
    else:
        names = matrix.zones.set_index("zone_id")["name_zh" if lang is Lang.zh else "name_en"]
        frame = matrix.counts.rename(columns=matrix.key_labels(lang.value))
        frame.insert(0, "zone", names.reindex(frame.index).to_numpy())
        _echo_frame(frame.reset_index(), fmt)
    unlocated = unlocated_zones(matrix)
    if fmt is Fmt.table and unlocated:
        typer.echo(f"\nno geometry (location unknown), not counted: {', '.join(unlocated)}")


_METHODS = ("all", "ann", "ripley", "kde", "hotspots")


@stats_app.command(epilog=_EPILOG)
@handle_errors
@filter_options
def clustering(
    method: Annotated[
        str, typer.Option(help="all, ann (Clark-Evans), ripley (L), kde, hotspots (Gi*).")
    ] = "all",
    fmt: FormatOpt = Fmt.table,
    lang: LangOpt = Lang.zh,
    simulations: Annotated[int, typer.Option(min=0, help="Ripley CSR simulations.")] = 99,
    seed: Annotated[int, typer.Option(help="Random seed (simulations, permutations).")] = 0,
    bandwidth: Annotated[
        float | None, typer.Option(help="KDE bandwidth in metres (default: ArcGIS rule).")
    ] = None,
    cell: Annotated[float, typer.Option(min=50, help="KDE cell size in metres.")] = 1000.0,
    resolution: Annotated[int, typer.Option(min=0, max=15, help="H3 resolution.")] = 7,
    permutations: Annotated[int, typer.Option(min=0, help="Gi* permutations.")] = 999,
    sites: Annotated[
        bool,
        typer.Option(
            "--sites", help="One point per distinct site (platforms sharing a point count once)."
        ),
    ] = False,
    store: StoreOpt = None,
    city: CityOpt = None,
    flt: PlatformFilter | None = None,
) -> None:
    """Clustering statistics over the city polygon, in metres (the city's metric CRS).

    Average Nearest Neighbor (Clark-Evans), Ripley's L with a CSR envelope simulated inside
    the city, Kernel Density and Hot Spot Analysis (Getis-Ord Gi*) on H3 hexagons. csv needs a
    single --method.
    """
    if method not in _METHODS:
        raise typer.BadParameter(f"unknown method {method!r}; use one of {', '.join(_METHODS)}")
    if fmt is Fmt.csv and method == "all":
        raise typer.BadParameter("csv output needs a single --method (ann, ripley, kde, hotspots)")
    where = city_of(city)
    _usage(lambda: flt.check_zones(where.zone_layers()))
    points = flt.apply(platforms_of(store))
    if fmt is Fmt.csv:
        if sites:
            from geo.stats.clustering.sites import distinct_sites

            points = distinct_sites(points)
        _clustering_csv(
            points, where, method, simulations, seed, bandwidth, cell, resolution, permutations
        )
        return
    from geo.stats.clustering import METHODS, clustering_report

    report = clustering_report(
        points, METHODS if method == "all" else (method,), city=where,
        n_simulations=simulations, seed=seed,
        bandwidth_m=bandwidth, cell_m=cell, resolution=resolution, permutations=permutations,
        sites=sites, progress=_progress(),
    )  # fmt: skip
    problems = report["problems"]
    if fmt is Fmt.json:
        _echo_json(report)
    else:
        shared = report["points"]
        typer.echo(
            f"{shared['points']} points on {shared['distinct_sites']} distinct sites "
            f"({shared['coincident']} share a site); statistics on: {shared['basis']}"
        )
        for name in (k for k in report if k not in ("problems", "points")):
            typer.echo(f"== {report[name]['tool']}")
            typer.echo(report[name]["interpretation"][lang.value])
            if report[name].get("caution"):
                typer.echo(f"   caution: {report[name]['caution']}")
    for name, text in problems.items():
        typer.echo(f"{name}: not computed: {text}", err=True)
    if problems:
        raise typer.Exit(EXIT_PROBLEMS)


def _clustering_csv(points: Any, city: Any, method: str, *opts: Any) -> None:
    from geo.errors import InsufficientDataError
    from geo.stats import clustering as ps

    simulations, seed, bandwidth, cell, resolution, permutations = opts
    calls: dict[str, Callable[[], Any]] = {
        "ann": lambda: ps.clark_evans(points, city=city),
        "ripley": lambda: ps.ripley_l(
            points, city=city, n_simulations=simulations, seed=seed, progress=_progress()
        ),
        "kde": lambda: ps.kernel_density(points, city=city, bandwidth_m=bandwidth, cell_m=cell),
        "hotspots": lambda: ps.hex_hotspots(
            points, city=city, resolution=resolution, permutations=permutations, seed=seed
        ),
    }
    try:
        result = calls[method]()
    except InsufficientDataError as exc:
        typer.echo(f"{method}: not computed: {exc}", err=True)
        raise typer.Exit(EXIT_PROBLEMS) from exc
    _echo_frame(_clustering_frame(method, result), Fmt.csv)


def _progress() -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = tqdm(desc="Ripley simulations", unit="sim", file=sys.stderr, leave=False)

    def step(done: int, total: int) -> None:
        bar.total = total
        bar.update(1)
        if done == total:
            bar.close()

    return step


def _clustering_frame(name: str, res: Any) -> pd.DataFrame:
    if name == "ripley":
        return pd.DataFrame(
            {"distance_m": res.distances_m, "l_observed": res.l_observed,
             "l_low": res.l_low, "l_high": res.l_high}
        )  # fmt: skip
    if name == "hotspots":
        return pd.DataFrame(res.bins.drop(columns="geometry"))
    if name == "kde":
        import shapely

        xy = shapely.get_coordinates(shapely.centroid(res.grid.geometry.to_numpy()))
        return pd.DataFrame(
            {"lon": xy[:, 0], "lat": xy[:, 1], "density_per_km2": res.grid["density_per_km2"]}
        )
    d = res.to_dict()
    d.pop("interpretation")
    return pd.DataFrame([d])
