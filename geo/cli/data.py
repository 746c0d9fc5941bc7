"""Data commands: ``biomap geocode`` and ``biomap ingest``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from geo.cli import app
from geo.cli._common import EXIT_CODES_HELP, EXIT_PROBLEMS, handle_errors
from geo.cli._options import CityOpt, StoreOpt, city_of, store_of

OnlineOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--online",
        help="Also ask these online providers when offline gives at most a district: amap, "
        "tianditu, nominatim (repeatable). Off by default.",
    ),
]
AmapKey = Annotated[
    str | None, typer.Option(envvar="BIOMAP_AMAP_KEY", help="Amap Web Service key.")
]
TiandituKey = Annotated[
    str | None, typer.Option(envvar="BIOMAP_TIANDITU_KEY", help="Tianditu key.")
]
NominatimUrl = Annotated[
    str | None, typer.Option(envvar="BIOMAP_NOMINATIM_URL", help="Nominatim server URL.")
]
CacheOpt = Annotated[
    Path, typer.Option(envvar="BIOMAP_GEOCODE_CACHE", help="On-disk cache of online answers.")
]
DEFAULT_CACHE = Path.home() / ".cache" / "biomap" / "geocode.sqlite"


def _geocoder(city, online, amap_key, tianditu_key, nominatim_url, cache):
    from geo.geocoding.geocoder import Geocoder
    from geo.geocoding.providers import AmapProvider, NominatimProvider, TiandituProvider

    providers = []
    for name in online or []:
        if name == "amap":
            providers.append(AmapProvider(amap_key or "", city=city, cache=cache))
        elif name == "tianditu":
            providers.append(TiandituProvider(tianditu_key or "", city=city, cache=cache))
        elif name == "nominatim":
            kwargs = {"base_url": nominatim_url} if nominatim_url else {}
            providers.append(NominatimProvider(city=city, cache=cache, **kwargs))
        else:
            raise typer.BadParameter(f"unknown provider {name!r}; use amap, tianditu or nominatim")
    return Geocoder(city, providers=providers)


def _address_lines(file: Path) -> list[str]:
    """The non-blank lines of ``file``; a missing or unreadable file is exit 3, like any input."""
    from geo.errors import DataFileError

    if not file.exists():
        raise DataFileError(f"no such file: {str(file)!r}; check the --file path")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"cannot read {str(file)!r} as UTF-8 text: {exc}") from exc
    return [line.strip() for line in text.splitlines() if line.strip()]


@app.command(epilog=EXIT_CODES_HELP)
@handle_errors
def geocode(
    addresses: Annotated[list[str] | None, typer.Argument(help="Addresses to geocode.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="A text file, one address per line.")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="json (one object per line) or table.")
    ] = "table",
    city: CityOpt = None,
    online: OnlineOpt = None,
    amap_key: AmapKey = None,
    tianditu_key: TiandituKey = None,
    nominatim_url: NominatimUrl = None,
    cache: CacheOpt = DEFAULT_CACHE,
) -> None:
    """Geocode the city's addresses offline (gazetteer), printing WGS84 points with provenance.

    A region (--city prd) is geocoded over all its cities; every result names its unit and city.

    Exit code 1 when any address could not be resolved.
    """
    items = list(addresses or []) + (_address_lines(file) if file else [])
    if not items:
        raise typer.BadParameter("give addresses as arguments or --file FILE")
    if fmt not in ("json", "table"):
        raise typer.BadParameter("use json or table", param_hint="--format")
    coder = _geocoder(city_of(city), online, amap_key, tianditu_key, nominatim_url, cache)
    results = [coder.geocode(a) for a in items]
    for r in results:
        d = r.to_dict()
        if fmt == "json":
            typer.echo(json.dumps(d, ensure_ascii=False))
        else:
            where = f"{d['lon']:.5f},{d['lat']:.5f}" if r.resolved else "-"
            typer.echo(
                f"{d['input']}\t{where}\t{d['district_zh'] or '-'}\t{d['precision'] or '-'}"
                f"\t{d['source'] or '-'}\t{d['confidence']}\t{d['note'] or ''}"
            )
    if not all(r.resolved for r in results):
        raise typer.Exit(EXIT_PROBLEMS)


@app.command(epilog=EXIT_CODES_HELP)
@handle_errors
def ingest(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or GeoJSON with one platform per row.")],
    store: StoreOpt = None,
    city: CityOpt = None,
    replace: Annotated[
        bool, typer.Option(help="Make the registry exactly the accepted rows of FILE.")
    ] = False,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet name (default: the first).")] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(help="Map a header to a field, e.g. --column '机构=host_zh' (repeatable)."),
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write the per-row report (.md or .csv) to this file.")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Check everything, write nothing.")] = False,
    online: OnlineOpt = None,
    amap_key: AmapKey = None,
    tianditu_key: TiandituKey = None,
    nominatim_url: NominatimUrl = None,
    cache: CacheOpt = DEFAULT_CACHE,
) -> None:
    """Geocode, validate, assign and merge a platform list into the registry.

    Every row is reported as accepted, accepted with warnings, or rejected with the reason;
    rejected rows never disturb the others, and FILE is never modified. Exits non-zero only
    when it could not run.
    """
    from tqdm import tqdm

    from geo._io import check_output_file, write_atomic
    from geo.ingest.pipeline import ingest_file, read_table

    mapping = {}
    for item in column or []:
        src, sep, dst = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"{item!r} is not HEADER=FIELD", param_hint="--column")
        mapping[src.strip()] = dst.strip()
    rows = len(read_table(file, sheet=sheet))
    if report:
        check_output_file(report)
    target = store_of(store, writing=not dry_run)  # every output checked before any is written
    where = city_of(city)
    coder = _geocoder(where, online, amap_key, tianditu_key, nominatim_url, cache)
    with tqdm(total=rows, unit="row", file=sys.stderr, disable=rows < 50 or None) as bar:
        result = ingest_file(
            file,
            target,
            city=where,
            replace=replace,
            sheet=sheet,
            columns=mapping,
            geocoder=coder,
            progress=bar.update,
            dry_run=dry_run,
        )
    for row in result.rows:
        if row.status != "accepted":
            typer.echo(f"row {row.row} ({row.id}): {row.status}: {'; '.join(row.reasons)}")
    typer.echo(result.summary())
    if report:
        text = result.to_csv() if report.suffix.lower() == ".csv" else result.to_markdown()
        write_atomic(report, text.encode("utf-8"))
        typer.echo(f"report: {report}")
