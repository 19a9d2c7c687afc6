"""`warmline keys create|list|revoke` and `warmline users add|list|remove|passwd`: who may
call the API and log in to the desk. Keys are printed once, at creation; listings show a
key's id and prefix, never the key or its hash."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from warmline.bootstrap import Services, build_services
from warmline.cli.reps import SkillsOption, parse_skills, warn_unused_skills
from warmline.cli.server import DbOption, settings_from
from warmline.core.handoff import Role

keys_app = typer.Typer(help="API keys (one tenant each).", no_args_is_help=True)
users_app = typer.Typer(help="Desk logins.", no_args_is_help=True)

ROLES = ", ".join(r.value for r in Role)
TenantOption = Annotated[str, typer.Option(help="Tenant name.")]
UsernameOption = Annotated[str, typer.Option(help="Login name.")]
PasswordStdin = Annotated[bool, typer.Option(
    help="Read the password from stdin's first line (also when stdin is not a terminal).")]


@contextmanager
def open_services(db: str | None) -> Iterator[Services]:
    services = build_services(settings_from(db=db))
    try:
        yield services
    finally:
        services.close()


def _role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a role; use one of: {ROLES}",
                                 param_hint="'--role'") from None


def _password(from_stdin: bool) -> str:
    """The new password: stdin's first line when asked or when stdin is not a terminal
    (no echo warning from getpass), else a hidden prompt, asked twice."""
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="Tenant name; created if new.")],
    db: DbOption = None,
) -> None:
    """Create the tenant if new and print a new API key, alone, on stdout."""
    with open_services(db) as services:
        typer.echo(services.tenants.create_key(tenant))


@keys_app.command("list")
def keys_list(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's keys.")] = None,
    db: DbOption = None,
) -> None:
    """Every key's id, tenant, prefix, creation time and state (never the key)."""
    with open_services(db) as services:
        scope = services.tenants.existing(tenant) if tenant else None
        names = {t.id: t.name for t in services.tenants.all_tenants()}
        keys = services.tenants.list_keys(scope)
    typer.echo(f"{'ID':<16} {'TENANT':<20} {'PREFIX':<11} {'CREATED (UTC)':<20} STATE")
    for key in keys:
        state = "revoked" if key.revoked else "active"
        typer.echo(f"{key.id:<16} {names.get(key.tenant_id, key.tenant_id):<20} "
                   f"{key.prefix:<11} {key.created_at:%Y-%m-%d %H:%M:%S}  {state}")


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="The key's id or prefix (see `keys list`).")],
    tenant: Annotated[str | None, typer.Option(help="Only look in this tenant.")] = None,
    db: DbOption = None,
) -> None:
    """Revoke a key: 401 on every route at once here, on running servers within 5 s."""
    with open_services(db) as services:
        scope = services.tenants.existing(tenant) if tenant else None
        record = services.tenants.revoke_key(scope, key)
    typer.echo(f"revoked key {record.id} ({record.prefix}...)", err=True)


@users_app.command("add")
def users_add(
    tenant: Annotated[str, typer.Option(help="Tenant name; created if new.")],
    username: UsernameOption,
    role: Annotated[str, typer.Option(help=f"One of: {ROLES}.")] = Role.REP.value,
    rep_id: Annotated[str | None, typer.Option(help="The rep this login acts as.")] = None,
    skills: SkillsOption = None,
    password_stdin: PasswordStdin = False,
    db: DbOption = None,
) -> None:
    """Add a desk login (the password is asked for, or read from stdin); a rep login gets
    a rep, with `--skills` the queues it can take."""
    chosen = _role(role)
    wanted = None if skills is None else parse_skills(skills)
    if wanted is not None and chosen is not Role.REP:
        raise typer.BadParameter(f"only a rep login has skills, not a {chosen.value}",
                                 param_hint="'--skills'")
    password = _password(password_stdin)
    with open_services(db) as services:
        services.tenants.add_user(tenant, username, password, chosen, rep_id or username)
        if chosen is Role.REP:
            tenant_obj = services.tenants.ensure_tenant(tenant)
            services.reps.put(tenant_obj, rep_id or username, name=username, skills=wanted)
            if wanted:
                warn_unused_skills(services, tenant_obj, wanted)
    typer.echo(f"added {chosen.value} {username!r} to tenant {tenant!r}", err=True)


@users_app.command("list")
def users_list(tenant: TenantOption, db: DbOption = None) -> None:
    """A tenant's desk logins: username, role and rep."""
    with open_services(db) as services:
        users = services.tenants.list_users(services.tenants.existing(tenant))
    typer.echo(f"{'USERNAME':<24} {'ROLE':<11} REP")
    for user in users:
        typer.echo(f"{user.username:<24} {user.role.value:<11} {user.rep_id or '-'}")


@users_app.command("remove")
def users_remove(tenant: TenantOption, username: UsernameOption, db: DbOption = None) -> None:
    """Remove a desk login; its sessions end at once, on every server."""
    with open_services(db) as services:
        services.tenants.remove_user(services.tenants.existing(tenant), username)
    typer.echo(f"removed {username!r} from tenant {tenant!r}; its sessions have ended",
               err=True)


@users_app.command("passwd")
def users_passwd(tenant: TenantOption, username: UsernameOption,
                 password_stdin: PasswordStdin = False, db: DbOption = None) -> None:
    """Set a new password; the user's sessions end at once, on every server."""
    with open_services(db) as services:
        found = services.tenants.existing(tenant)
        password = _password(password_stdin)
        services.tenants.change_user(found, username, password=password)
    typer.echo(f"new password for {username!r} in tenant {tenant!r}; its sessions have "
               "ended", err=True)
