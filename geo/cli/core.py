"""Core commands: ``biomap assign`` and ``biomap validate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from geo.cli import app
from geo.cli._common import EXIT_CODES_HELP, EXIT_PROBLEMS, handle_errors

RegistryOpt = Annotated[
    Path | None,
    typer.Option("--registry", "-r", help="Registry GeoJSON (default: the shipped one)."),
]
LayerOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--layer", help="Extra zone layer GeoJSON (zone_id, name_zh, name_en); repeatable."
    ),
]


@app.command(epilog=EXIT_CODES_HELP)
@handle_errors
def validate(registry: RegistryOpt = None) -> None:
    """Validate the platform registry and list every problem found."""
    from geo.registry import REGISTRY_PATH, GeoJSONStore, validate_records

    store = GeoJSONStore(registry or REGISTRY_PATH)
    valid, problems = validate_records(store.read_raw())
    typer.echo(f"{len(valid)} valid records, {len(problems)} problems in {store.path}")
    for p in problems:
        typer.echo(f"  - {p}")
    if problems:
        raise typer.Exit(EXIT_PROBLEMS)


@app.command(epilog=EXIT_CODES_HELP)
@handle_errors
def assign(
    registry: RegistryOpt = None,
    layer: LayerOpt = None,
    write: Annotated[
        bool, typer.Option(help="Write the new assignment back to the registry.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Re-assign every platform to its district, managing district and zones, and report.

    Points outside Guangzhou and addresses naming another district than the point's are listed.
    Without --write nothing is changed.
    """
    from geo.assign import assign_platforms
    from geo.registry import REGISTRY_PATH, GeoJSONStore, frame_to_records, records_to_frame
    from geo.registry import validate_records as _validate
    from geo.zones import builtin_layers

    store = GeoJSONStore(registry or REGISTRY_PATH)
    layers = builtin_layers({p.stem: p for p in layer or []})
    frame, report = assign_platforms(records_to_frame(store.load()), layers)
    if as_json:
        typer.echo(json.dumps(report.__dict__, ensure_ascii=False, indent=1))
    else:
        typer.echo("\n".join(report.lines()))
    if write:
        valid, problems = _validate(frame_to_records(frame))
        if problems:  # cannot happen for a registry that loaded, but never write a bad file
            typer.echo("\n".join(problems), err=True)
            raise typer.Exit(EXIT_PROBLEMS)
        store.save(valid)
        typer.echo(f"wrote {store.path}")
    if report.outside_city:
        raise typer.Exit(EXIT_PROBLEMS)
