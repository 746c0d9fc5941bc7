"""The ``biomap`` command line. Each capability registers its commands from its own module."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    name="biomap",
    help="biomap: biomedical innovation service platforms of a city, mapped and counted.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from geo import __version__

        typer.echo(f"biomap {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version."
        ),
    ] = False,
) -> None:
    """Options before any command (``--version``)."""


# Command modules register themselves on ``app`` when imported.
from geo.cli import core as _core  # noqa: E402, F401
from geo.cli import data as _data  # noqa: E402, F401
from geo.cli import history as _history  # noqa: E402, F401
from geo.cli import maps as _maps  # noqa: E402, F401
from geo.cli import serve as _serve  # noqa: E402, F401
from geo.cli import snapshot as _snapshot  # noqa: E402, F401
from geo.cli import stats as _stats  # noqa: E402, F401
from geo.cli import store as _store  # noqa: E402, F401
from geo.cli import tokens as _tokens  # noqa: E402, F401


def main() -> None:
    """Entry point of the ``biomap`` console script."""
    app()
