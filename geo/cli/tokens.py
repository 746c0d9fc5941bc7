"""``biomap token create|list|revoke``: API tokens kept (as hashes) beside the registry."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from geo.cli import app
from geo.cli._common import EXIT_CODES_HELP, handle_errors
from geo.cli._options import StoreOpt, store_of
from geo.errors import RecordExistsError, RecordNotFoundError, TokenError

token_app = typer.Typer(
    help="API tokens: create (shown once), list, revoke. Only their SHA-256 hashes are kept.",
    no_args_is_help=True,
)
app.add_typer(token_app, name="token")

_COLUMNS = ("id", "name", "role", "created", "revoked")


class RoleChoice(StrEnum):
    """A token's role (each includes the lower ones)."""

    viewer = "viewer"
    editor = "editor"
    admin = "admin"


class ListFormat(StrEnum):
    """Output of ``token list``."""

    table = "table"
    json = "json"


@token_app.command("create", epilog=EXIT_CODES_HELP)
@handle_errors
def create(
    role: Annotated[
        RoleChoice,
        typer.Option(help="viewer (read), editor (read and write), admin (everything)."),
    ],
    name: Annotated[
        str, typer.Option(help="Who or what uses the token (1-80 characters); the writes' actor.")
    ],
    store: StoreOpt = None,
) -> None:
    """Create a token and print it on stdout, once: it cannot be shown again, only revoked."""
    from geo.auth import create_token

    try:
        plaintext, record = create_token(
            store_of(store, writing=True).tokens(), name=name, role=role.value
        )
    except TokenError as exc:
        raise typer.BadParameter(str(exc), param_hint="--name") from exc
    typer.echo(
        f"created token {record.id} ({record.name}, {record.role}); copy it now, "
        "it will not be shown again",
        err=True,
    )
    typer.echo(plaintext)


@token_app.command("list", epilog=EXIT_CODES_HELP)
@handle_errors
def list_(
    fmt: Annotated[
        ListFormat, typer.Option("--format", help="table (default) or json (an array).")
    ] = ListFormat.table,
    store: StoreOpt = None,
) -> None:
    """List every token (id, name, role, created, revoked), oldest first; never the hashes."""
    rows = [{c: getattr(t, c) for c in _COLUMNS} for t in store_of(store).tokens().all()]
    if fmt is ListFormat.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    typer.echo("\t".join(_COLUMNS))
    for row in rows:
        typer.echo("\t".join(str(row[c] or "-") for c in _COLUMNS))


@token_app.command("revoke", epilog=EXIT_CODES_HELP)
@handle_errors
def revoke(
    id_or_name: Annotated[
        str, typer.Argument(help="The token's id, or the name of its one live token.")
    ],
    store: StoreOpt = None,
) -> None:
    """Revoke a token: from now on the API answers it with 403 (an id may be revoked twice)."""
    tokens = store_of(store, writing=True).tokens()
    before = {t.id: t.revoked for t in tokens.all()}
    try:
        hit = tokens.revoke(id_or_name)
    except (RecordNotFoundError, RecordExistsError) as exc:
        raise typer.BadParameter(str(exc), param_hint="ID_OR_NAME") from exc
    if before.get(hit.id):
        typer.echo(f"token {hit.id} ({hit.name}) was already revoked on {hit.revoked}")
    else:
        typer.echo(f"revoked token {hit.id} ({hit.name}, {hit.role}) on {hit.revoked}")
