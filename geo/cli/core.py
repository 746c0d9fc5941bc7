"""Core commands: ``biomap assign`` and ``biomap validate``."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from geo.cli import app
from geo.cli._common import EXIT_CODES_HELP, EXIT_PROBLEMS, handle_errors
from geo.cli._options import CityOpt, ExtraLayersOpt, StoreOpt, city_of, layers_of, store_of


@app.command(epilog=EXIT_CODES_HELP)
@handle_errors
def validate(store: StoreOpt = None) -> None:
    """Validate the platform registry and list every problem found."""
    from geo.store import validate_records

    target = store_of(store)
    valid, problems = validate_records(target.read_raw())
    typer.echo(f"{len(valid)} valid records, {len(problems)} problems in {target.location}")
    for p in problems:
        typer.echo(f"  - {p}")
    if problems:
        raise typer.Exit(EXIT_PROBLEMS)


@app.command(epilog=EXIT_CODES_HELP)
@handle_errors
def assign(
    store: StoreOpt = None,
    city: CityOpt = None,
    layer: ExtraLayersOpt = None,
    write: Annotated[
        bool, typer.Option(help="Write the new assignment back to the registry.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Re-assign every platform to its district, managing district and zones, and report.

    Points outside the city and addresses naming another district than the point's are listed.
    Without --write nothing is changed.
    """
    from geo.store import frame_to_records, records_to_frame
    from geo.store import validate_records as _validate
    from geo.zones.assign import assign_platforms

    target, where = store_of(store, writing=write), city_of(city)
    layers = layers_of(where, layer)
    frame, report = assign_platforms(records_to_frame(target.load()), where, layers)
    if as_json:
        typer.echo(json.dumps(report.__dict__, ensure_ascii=False, indent=1))
    else:
        typer.echo("\n".join(report.lines()))
    if write:
        valid, problems = _validate(frame_to_records(frame))
        if problems:  # cannot happen for a registry that loaded, but never write a bad file
            typer.echo("\n".join(problems), err=True)
            raise typer.Exit(EXIT_PROBLEMS)
        target.save(valid)
        typer.echo(f"wrote {target.location}")
    if report.outside_city:
        raise typer.Exit(EXIT_PROBLEMS)
