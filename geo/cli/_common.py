"""Shared CLI helpers: exit codes and error reporting."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import typer

from geo.errors import BiomapError

#: Exit codes of every biomap command.
EXIT_OK = 0
EXIT_PROBLEMS = 1  # ran, but found problems the user must look at (e.g. invalid records)
EXIT_USAGE = 2  # bad arguments (typer/click's own code)
EXIT_ERROR = 3  # could not run: missing, unreadable or unusable input; an unwritable output

EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 ran but found problems, 2 bad usage, 3 could not run (missing or "
    "unusable input, an output that cannot be written)."
)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn :class:`BiomapError` into a one-line message on stderr and exit code 3."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BiomapError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_ERROR) from exc

    return wrapper
