"""Store commands: ``biomap store init | import | export``.

They work on every store ``--store`` names (a GeoJSON path or a ``postgresql://`` URL), so
``export`` from one and ``import`` into another moves the registry between stores.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from geo.cli import app
from geo.cli._common import EXIT_CODES_HELP, EXIT_PROBLEMS, handle_errors
from geo.cli._options import StoreOpt, store_of

store_app = typer.Typer(
    name="store",
    help="Create a registry store (PostGIS schema or GeoJSON file), and import or export its "
    "records as GeoJSON or GeoPackage.",
    no_args_is_help=True,
)
app.add_typer(store_app, name="store")

FileArg = Annotated[
    Path, typer.Argument(help="A .geojson/.json or .gpkg file; the suffix gives the format.")
]


def _checked_format(file: Path) -> None:
    from geo.store.transfer import file_format

    try:
        file_format(file)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="FILE") from exc


@store_app.command("init", epilog=EXIT_CODES_HELP)
@handle_errors
def init(store: StoreOpt = None) -> None:
    """Create or upgrade the store's schema (PostGIS), or an empty registry file (GeoJSON).

    Safe to run again: a store that is up to date is left as it is.
    """
    target = store_of(store, writing=True)
    migrate = getattr(target, "init", None)
    if callable(migrate):
        applied = migrate()
        done = f"applied {', '.join(applied)}" if applied else "schema already up to date"
        typer.echo(f"{target.location}: {done}")
    elif target.exists():
        typer.echo(f"{target.location}: a registry is already there; nothing to do")
    else:
        target.save([], actor="init")
        typer.echo(f"{target.location}: created an empty registry")


@store_app.command("import", epilog=EXIT_CODES_HELP)
@handle_errors
def import_(
    file: FileArg,
    store: StoreOpt = None,
    merge: Annotated[
        bool, typer.Option(help="Keep the store's records that FILE does not have.")
    ] = False,
) -> None:
    """Make the store's records those of FILE (GeoJSON or GeoPackage), all validated first.

    One invalid record and nothing is written (exit 1, every problem listed). Each changed
    record gets a history entry by actor `import`.
    """
    from tqdm import tqdm

    from geo.store import validate_records
    from geo.store.transfer import read_records

    _checked_format(file)
    target = store_of(store, writing=True)
    raw = read_records(file)
    valid, problems = validate_records(
        tqdm(raw, unit="record", file=sys.stderr, disable=len(raw) < 1000 or None)
    )
    if problems:
        typer.echo(f"{file}: {len(problems)} problem(s); nothing imported", err=True)
        for p in problems:
            typer.echo(f"  - {p}", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    with target.locked():
        records = {r.id: r for r in (target.load() if merge and target.exists() else [])}
        records.update((r.id, r) for r in valid)
        changes = target.save([records[k] for k in sorted(records)], actor="import")
    removed = sum(c.after is None for c in changes)
    added = sum(c.before is None for c in changes)
    typer.echo(
        f"imported {len(valid)} records from {file} into {target.location}: {added} added, "
        f"{len(changes) - added - removed} changed, {removed} removed"
    )


@store_app.command("export", epilog=EXIT_CODES_HELP)
@handle_errors
def export(file: FileArg, store: StoreOpt = None) -> None:
    """Write every record of the store to FILE: GeoJSON (.geojson, .json) or GeoPackage (.gpkg).

    GeoJSON is written exactly as the file store keeps it; FILE is replaced atomically.
    """
    from geo._io import check_output_file
    from geo.store.transfer import write_records

    _checked_format(file)
    check_output_file(file)
    target = store_of(store)
    records = target.load()
    write_records(records, file)
    typer.echo(f"exported {len(records)} records from {target.location} to {file}")
