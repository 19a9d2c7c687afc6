"""`warmline db upgrade`: migrate a database to the schema this Warmline needs;
`warmline db redact`: mask text stored before it was masked on write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from warmline.adapters.storage.engine import DEFAULT_URL, safe_url
from warmline.adapters.storage.remask import Tally
from warmline.adapters.storage.sql import SqlStore
from warmline.bootstrap import Services, build_services
from warmline.cli.server import DbOption, settings_from
from warmline.core.errors import InvalidInput, Problem
from warmline.core.handoff import Tenant
from warmline.core.policy.model import Policy

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


@db_app.command("redact")
def redact_command(
    db: DbOption = None,
    tenant: Annotated[str | None, typer.Option(
        help="Only this tenant (default: every tenant).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Count what would be masked; write nothing.")] = False,
    policy: Annotated[str | None, typer.Option(
        help="The policy of tenants that name none, as given to `warmline serve`.")] = None,
) -> None:
    """Mask text stored before it was masked on write (an older Warmline, or a `redact:`
    list that has grown), under each tenant's policy: conversations, decisions, handoffs
    and pending or kept notifications. A second run changes nothing."""
    from warmline.adapters.storage.remask import remask_tenant

    settings = settings_from(db=db, policy=policy)
    store = _open_sql_store(settings.db)
    services = build_services(settings, store=store)
    try:
        tenants = _chosen_tenants(services, tenant)
        total = 0
        for chosen in tenants:
            masking = _masking_policy(services, chosen, settings.policy)
            kinds = masking.redact
            if not kinds:
                typer.echo(f"tenant {chosen.name}: its policy masks nothing (no `redact:`)")
                continue
            typer.echo(f"tenant {chosen.name}: masking {', '.join(sorted(kinds))}"
                       + (" (dry run: nothing is written)" if dry_run else ""))
            tallies = remask_tenant(store, chosen.id, masking,
                                    dry_run=dry_run, progress=_progress(dry_run))
            for t in tallies:
                busy = f", {t.busy:,} changed meanwhile (run again)" if t.busy else ""
                verb = "to mask" if dry_run else "masked"
                typer.echo(f"  {t.table:<14} {t.rows:>9,} rows  {t.changed:>9,} {verb}{busy}")
                total += t.changed
        if total and not dry_run:
            _compact(store)
    finally:
        services.close()


def _progress(dry_run: bool) -> Callable[[Tally], None]:
    verb = "to mask" if dry_run else "masked"

    def show(tally: Tally) -> None:  # on stderr: stdout keeps the counts alone
        typer.echo(f"  … {tally.table}: {tally.rows:,} rows read, {tally.changed:,} {verb}",
                   err=True)

    return show


def _compact(store: SqlStore) -> None:
    from warmline.adapters.storage.remask import compact

    if store.engine.dialect.name == "sqlite":
        if compact(store):
            typer.echo("vacuumed the database file and emptied its WAL: the replaced text is "
                       "gone from both")
        else:
            typer.echo("the database is in use, so it was not vacuumed: the replaced text may "
                       "linger in free pages and the WAL until `warmline db redact` runs "
                       "again with the server stopped", err=True)
    else:
        typer.echo("PostgreSQL keeps old row versions until VACUUM reclaims them, and its WAL "
                   "and backups keep them longer: see docs/deployment.md, Security")


def _open_sql_store(url: str) -> SqlStore:
    """The database as it is: never created, never migrated here."""
    from warmline.bootstrap import build_store

    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise InvalidInput([Problem("no such database file (give --db or WARMLINE_DB)",
                                        file=str(path))])
    store = build_store(url, migrate_sqlite=False)
    if not isinstance(store, SqlStore):
        raise InvalidInput([Problem("db redact works on SQLite and PostgreSQL databases",
                                    path="--db")])
    return store


def _masking_policy(services: Services, tenant: Tenant, default: str | None) -> Policy:
    """The tenant's policy in force (its published version) masking also what its policy file
    (or `--policy`) names: a file given here still widens `redact:` as it did before policies
    were versioned, and masking more only hides more."""
    from dataclasses import replace

    from warmline.adapters.policy_files import load_policy

    policy = services.tenants.decider_for(tenant).policy
    try:
        named = load_policy(tenant.policy or default).redact
    except InvalidInput:
        return policy  # the file is gone: the version in force decides alone
    return replace(policy, redact=policy.redact | named)


def _chosen_tenants(services: Services, name: str | None) -> list[Tenant]:
    if name is None:
        with services.store.read() as tx:
            return sorted(tx.list_tenants(), key=lambda t: t.name)
    found = services.tenants.find(name)
    if found is None:
        raise InvalidInput([Problem(f"no tenant called {name!r}", path="--tenant")])
    return [found]
