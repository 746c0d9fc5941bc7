"""``biomap history ID``: every change of one platform, oldest first (who, when, what)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer

from geo.cli import app
from geo.cli._common import EXIT_CODES_HELP, handle_errors
from geo.cli._options import StoreOpt, store_of
from geo.errors import RecordNotFoundError


class HistoryFormat(StrEnum):
    """Output of ``history``."""

    table = "table"
    json = "json"


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """The fields whose value differs between ``before`` and ``after`` (all of one side's
    fields when the other is ``None``), in the record's order."""
    if before is None or after is None:
        return list(after or before or {})
    return [k for k in {**before, **after} if before.get(k) != after.get(k)]


@app.command("history", epilog=EXIT_CODES_HELP)
@handle_errors
def history(
    record_id: Annotated[str, typer.Argument(metavar="ID", help="The platform's id.")],
    fmt: Annotated[
        HistoryFormat,
        typer.Option(
            "--format",
            help="table (default: one line per change, with the fields it changed) or json "
            '({"id", "history"} with before and after, as the API\'s .../items/ID/history).',
        ),
    ] = HistoryFormat.table,
    store: StoreOpt = None,
) -> None:
    """Show every change of platform ID, oldest first: seq, when, operation, actor, fields.

    A deleted platform keeps its history; restore it through the API (POST .../restore).
    """
    from geo.store.base import history_document

    target = store_of(store)
    changes = target.history(record_id)
    if not changes:
        raise RecordNotFoundError(
            f"platform {record_id!r} has no history in {target.location} (check the id with "
            "`biomap validate`, or the API's /collections/platforms/items)"
        )
    if fmt is HistoryFormat.json:
        typer.echo(json.dumps(history_document(record_id, changes), ensure_ascii=False, indent=1))
        return
    typer.echo("seq\tat\top\tactor\tfields")
    for c in changes:
        fields = changed_fields(c.before, c.after)
        shown = "(all)" if c.before is None or c.after is None else ", ".join(fields) or "-"
        typer.echo(f"{c.seq}\t{c.at}\t{c.op}\t{c.actor}\t{shown}")
