"""`warmline policy push|pull|diff|versions|rollback`: a tenant's policy versions in the
database (`--db`), as `/v1/policy` keeps them — for GitOps and for a server's operator."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from warmline.bootstrap import Services
from warmline.cli.server import DbOption
from warmline.core.errors import InvalidInput, PolicyError
from warmline.service.policy_admin import PolicyAdmin, PolicyRefused

TenantOption = Annotated[str, typer.Option(help="Tenant name.")]
NoteOption = Annotated[str, typer.Option(help="Why: kept with the version.")]


def _admin(services: Services) -> PolicyAdmin:
    if services.policy_admin is None:
        raise InvalidInput("this store keeps no policy versions")
    return services.policy_admin


def _author() -> str:
    return f"cli {getpass.getuser()}"


def push_command(
    file: Annotated[Path, typer.Argument(help="The policy YAML file.")],
    tenant: TenantOption,
    publish: Annotated[bool, typer.Option(help="Publish it at once (refused if invalid).")]
    = False,
    note: NoteOption = "",
    db: DbOption = None,
) -> None:
    """Save FILE as the tenant's draft; with --publish, publish it."""
    from warmline.cli.access import open_services

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidInput(f"{file}: cannot read it: {err}") from err
    with open_services(db) as services:
        admin, found = _admin(services), services.tenants.existing(tenant)
        draft = admin.save_draft(found, text, note, author=_author(), if_match=None)
        typer.echo(f"draft: version {draft.version} of tenant {tenant}")
        if not publish:
            for problem in admin.check(text, str(file)):
                typer.echo(f"warning: {problem}", err=True)
            return
        try:
            done = admin.publish(found, note or None, by=_author())
        except PolicyRefused as err:
            raise PolicyError(err.problems) from err
    typer.echo(f"published: version {done.version} of tenant {tenant}")


def pull_command(
    tenant: TenantOption,
    version: Annotated[int | None, typer.Option(help="This version (default: published).")]
    = None,
    out: Annotated[Path | None, typer.Option(help="Write it here (default: stdout).")] = None,
    db: DbOption = None,
) -> None:
    """Print (or write) the tenant's published policy, or one version of it."""
    from warmline.cli.access import open_services

    with open_services(db) as services:
        admin, found = _admin(services), services.tenants.existing(tenant)
        chosen = admin.published(found) if version is None else admin.version(found, version)
    if out is None:
        typer.echo(chosen.yaml, nl=False)
    else:
        out.write_text(chosen.yaml, encoding="utf-8")
        typer.echo(f"version {chosen.version} of tenant {tenant} -> {out}", err=True)


def diff_command(
    version: Annotated[int, typer.Argument(help="The version to show.")],
    tenant: TenantOption,
    against: Annotated[int | None, typer.Argument(help="From this version (default: the "
                                                       "published one).")] = None,
    db: DbOption = None,
) -> None:
    """A unified diff between two versions of the tenant's policy."""
    from warmline.cli.access import open_services

    with open_services(db) as services:
        admin, found = _admin(services), services.tenants.existing(tenant)
        base = admin.published(found).version if against is None else against
        typer.echo(admin.diff(found, version, base), nl=False)


def versions_command(tenant: TenantOption, db: DbOption = None) -> None:
    """The tenant's policy versions: number, state, author, time, note."""
    from warmline.cli.access import open_services

    with open_services(db) as services:
        admin, found = _admin(services), services.tenants.existing(tenant)
        kept = admin.versions(found)
    typer.echo(f"{'VERSION':<8} {'STATE':<10} {'AUTHOR':<20} {'AT':<26} NOTE")
    for v in kept:
        by = f" (published by {v.published_by})" if v.published_by else ""
        typer.echo(f"{v.version:<8} {v.state.value:<10} {v.author:<20} "
                   f"{v.at.isoformat(timespec='seconds'):<26} {v.note}{by}")


def rollback_command(
    version: Annotated[int, typer.Argument(help="The version to publish again.")],
    tenant: TenantOption,
    db: DbOption = None,
) -> None:
    """Publish an earlier version again, as a new version (refused if it no longer
    validates)."""
    from warmline.cli.access import open_services

    with open_services(db) as services:
        admin, found = _admin(services), services.tenants.existing(tenant)
        try:
            done = admin.rollback(found, version, by=_author())
        except PolicyRefused as err:
            raise PolicyError(err.problems) from err
    typer.echo(f"published: version {done.version} of tenant {tenant} "
               f"(the text of version {version})")


def register(app: typer.Typer) -> None:
    app.command("push")(push_command)
    app.command("pull")(pull_command)
    app.command("diff")(diff_command)
    app.command("versions")(versions_command)
    app.command("rollback")(rollback_command)
