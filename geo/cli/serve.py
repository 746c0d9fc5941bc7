"""``biomap serve``: run the HTTP API (api.app) with uvicorn.

The web stack is imported inside the command only, so ``geo`` stays free of it. Settings other
than host, port and workers come from ``BIOMAP_*`` environment variables (api/settings.py).
"""

from __future__ import annotations

from typing import Annotated

import typer

from geo.cli import app
from geo.cli._common import EXIT_CODES_HELP, EXIT_ERROR, EXIT_USAGE, handle_errors
from geo.cli._options import CityOpt, StoreOpt


@app.command(epilog=EXIT_CODES_HELP)
@handle_errors
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default 127.0.0.1, BIOMAP_HOST).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port (default 8000, BIOMAP_PORT)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Worker processes (default 1, BIOMAP_WORKERS)."),
    ] = None,
    log_level: Annotated[
        str | None, typer.Option(help="critical, error, warning, info or debug.")
    ] = None,
    city: CityOpt = None,
    store: StoreOpt = None,
) -> None:
    """Serve the API (OGC API - Features, density, locate, nearest, maps) on the shipped data.

    Open http://127.0.0.1:8000/?f=html for the landing page, /docs for the API docs.
    Configure the city, registry store and extra layers with --city/BIOMAP_CITY,
    --store/BIOMAP_STORE and BIOMAP_LAYERS.
    """
    from pydantic import ValidationError as SettingsError

    from api.app import run
    from api.settings import Settings

    try:
        settings = Settings(**{k: v for k, v in {"city": city, "store": store}.items() if v})
    except SettingsError as exc:
        typer.echo(f"error: invalid BIOMAP_* settings:\n{exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from exc
    from geo.cities import open_city

    # Fail fast, before any worker starts: an unknown city or a bad BIOMAP_LAYERS file (a point
    # layer, a missing file) is a one-line error and exit 3, not a traceback in the server log.
    open_city(settings.city).zone_layers(dict(settings.layers.items()))
    config = {
        "host": host or settings.host,
        "port": port or settings.port,
        "workers": workers or settings.workers,
        "log_level": log_level or settings.log_level,
    }
    typer.echo(
        f"biomap API on http://{config['host']}:{config['port']}/ "
        f"({config['workers']} worker(s)); Ctrl+C stops it",
        err=True,
    )
    try:
        run(overrides={"city": city, "store": store}, **config)
    except OSError as exc:
        typer.echo(f"error: cannot serve on {config['host']}:{config['port']}: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from exc
    except SystemExit as exc:  # uvicorn exits 1 (cannot bind) or 3 (startup failed)
        if exc.code not in (0, None):
            typer.echo("error: the server could not start (see the log above)", err=True)
            raise typer.Exit(EXIT_ERROR) from exc
