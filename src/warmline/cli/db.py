"""`warmline db upgrade`: migrate a database to the schema this Warmline needs."""

from __future__ import annotations

from typing import Annotated

import typer

from warmline.adapters.storage.engine import DEFAULT_URL, safe_url

db_app = typer.Typer(help="Manage the database.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command(
    db: Annotated[str, typer.Option(
        "--db", envvar="WARMLINE_DB", show_default=True,
        help="Database URL (else $WARMLINE_DB). PostgreSQL: postgresql://user@host/db",
    )] = DEFAULT_URL,
) -> None:
    """Apply the migrations the database lacks; a database already at the newest schema is
    left as it is."""
    from warmline.adapters.storage.migrations import upgrade

    before, after = upgrade(db)
    where = safe_url(db)
    if before == after:
        typer.echo(f"{where}: already at revision {after}")
    else:
        typer.echo(f"{where}: upgraded from {before or 'an empty database'} to {after}")
