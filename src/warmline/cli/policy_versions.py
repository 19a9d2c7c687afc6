"""`warmline policy push|pull|diff|versions|rollback`: a tenant's policy versions in the
database (`--db`), as `/v1/policy` keeps them — for GitOps and for a server's operator."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from warmline.bootstrap import Services
from warmline.cli.policy_remote import RemotePolicy
from warmline.cli.server import DbOption
from warmline.core.errors import InvalidInput, PolicyError
from warmline.core.handoff import Tenant
from warmline.service.policy_admin import PolicyAdmin, PolicyRefused

TenantOption = Annotated[str | None, typer.Option(help="Tenant name (with --db).")]
NoteOption = Annotated[str, typer.Option(help="Why: kept with the version.")]
ServerOption = Annotated[str | None, typer.Option(
    help="A running server's URL: work through its /v1/policy instead of --db.")]
KeyOption = Annotated[str | None, typer.Option(envvar="WARMLINE_KEY",
                                               help="An API key of the tenant (with --server).")]


@contextmanager
def _remote(server: str, key: str | None) -> Iterator[RemotePolicy]:
    remote = RemotePolicy(server, key)
    try:
        yield remote
    finally:
        remote.close()


@contextmanager
def _local(db: str | None, tenant: str | None) -> Iterator[tuple[PolicyAdmin, Tenant]]:
    from warmline.cli.access import open_services

    if not tenant:
        raise typer.BadParameter("name the tenant (or give --server and --key)",
                                 param_hint="'--tenant'")
    with open_services(db) as services:
        yield _admin(services), services.tenants.existing(tenant)


def _admin(services: Services) -> PolicyAdmin:
    if services.policy_admin is None:
        raise InvalidInput("this store keeps no policy versions")
    return services.policy_admin


def _author() -> str:
    return f"cli {getpass.getuser()}"


def push_command(
    file: Annotated[Path, typer.Argument(help="The policy YAML file.")],
    tenant: TenantOption = None,
    publish: Annotated[bool, typer.Option(help="Publish it at once (refused if invalid).")]
    = False,
    note: NoteOption = "",
    db: DbOption = None,
    server: ServerOption = None,
    key: KeyOption = None,
) -> None:
    """Save FILE as the tenant's draft; with --publish, publish it."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidInput(f"{file}: cannot read it: {err}") from err
    if server is not None:
        with _remote(server, key) as remote:
            draft = remote.call("PUT", "/draft", {"yaml": text, "note": note})
            typer.echo(f"draft: version {draft['version']}")
            if not publish:
                for problem in draft.get("problems", []):
                    typer.echo(f"warning: {file}: line {problem.get('line')}: "
                               f"{problem['message']}", err=True)
                return
            done = remote.call("POST", "/publish", {"note": note or None})
        typer.echo(f"published: version {done['version']}")
        return
    with _local(db, tenant) as (admin, found):
        draft_version = admin.save_draft(found, text, note, author=_author(), if_match=None)
        typer.echo(f"draft: version {draft_version.version} of tenant {found.name}")
        if not publish:
            for problem in admin.check(text, str(file)):
                typer.echo(f"warning: {problem}", err=True)
            return
        try:
            published = admin.publish(found, note or None, by=_author())
        except PolicyRefused as err:
            raise PolicyError(err.problems) from err
    typer.echo(f"published: version {published.version} of tenant {found.name}")


def pull_command(
    tenant: TenantOption = None,
    version: Annotated[int | None, typer.Option(help="This version (default: published).")]
    = None,
    out: Annotated[Path | None, typer.Option(help="Write it here (default: stdout).")] = None,
    db: DbOption = None,
    server: ServerOption = None,
    key: KeyOption = None,
) -> None:
    """Print (or write) the tenant's published policy, or one version of it."""
    if server is not None:
        with _remote(server, key) as remote:
            got = remote.call("GET", "" if version is None else f"/versions/{version}")
        number, text = int(got["version"]), str(got["yaml"])
    else:
        with _local(db, tenant) as (admin, found):
            chosen = (admin.published(found) if version is None
                      else admin.version(found, version))
        number, text = chosen.version, chosen.yaml
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"version {number} -> {out}", err=True)


def diff_command(
    version: Annotated[int, typer.Argument(help="The version to show.")],
    against: Annotated[int | None, typer.Argument(help="From this version (default: the "
                                                       "published one).")] = None,
    tenant: TenantOption = None,
    db: DbOption = None,
    server: ServerOption = None,
    key: KeyOption = None,
) -> None:
    """A unified diff between two versions of the tenant's policy."""
    if server is not None:
        with _remote(server, key) as remote:
            base = int(remote.call("GET", "")["version"]) if against is None else against
            typer.echo(remote.call("GET", f"/versions/{version}?diff={base}")["diff"],
                       nl=False)
        return
    with _local(db, tenant) as (admin, found):
        base = admin.published(found).version if against is None else against
        typer.echo(admin.diff(found, version, base), nl=False)


def versions_command(tenant: TenantOption = None, db: DbOption = None,
                     server: ServerOption = None, key: KeyOption = None) -> None:
    """The tenant's policy versions: number, state, author, time, note."""
    if server is not None:
        with _remote(server, key) as remote:
            rows = remote.call("GET", "/versions")["versions"]
    else:
        with _local(db, tenant) as (admin, found):
            rows = [v.to_dict(with_yaml=False) for v in admin.versions(found)]
    typer.echo(f"{'VERSION':<8} {'STATE':<10} {'AUTHOR':<20} {'AT':<26} NOTE")
    for v in rows:
        by = f" (published by {v['published_by']})" if v["published_by"] else ""
        typer.echo(f"{v['version']:<8} {v['state']:<10} {v['author']:<20} "
                   f"{str(v['at'])[:25]:<26} {v['note']}{by}")


def rollback_command(
    version: Annotated[int, typer.Argument(help="The version to publish again.")],
    tenant: TenantOption = None,
    db: DbOption = None,
    server: ServerOption = None,
    key: KeyOption = None,
) -> None:
    """Publish an earlier version again, as a new version (refused if it no longer
    validates)."""
    if server is not None:
        with _remote(server, key) as remote:
            number = int(remote.call("POST", f"/rollback/{version}")["version"])
    else:
        with _local(db, tenant) as (admin, found):
            try:
                number = admin.rollback(found, version, by=_author()).version
            except PolicyRefused as err:
                raise PolicyError(err.problems) from err
    typer.echo(f"published: version {number} (the text of version {version})")


def register(app: typer.Typer) -> None:
    app.command("push")(push_command)
    app.command("pull")(pull_command)
    app.command("diff")(diff_command)
    app.command("versions")(versions_command)
    app.command("rollback")(rollback_command)
