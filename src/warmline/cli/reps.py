"""`warmline reps set|list`: who takes which queues — a rep's name, skills and capacity, as
the desk's routing reads them. A skill no queue of the tenant's policy asks for is set, with a
warning naming the skills the queues use (a typo would otherwise route nothing)."""

from __future__ import annotations

from typing import Annotated

import typer

from warmline.bootstrap import Services
from warmline.cli.server import DbOption
from warmline.core.errors import InvalidInput
from warmline.core.handoff import Rep, Tenant

reps_app = typer.Typer(help="Reps: skills, capacity, status.", no_args_is_help=True)

TenantOption = Annotated[str, typer.Option(help="Tenant name.")]
SkillsOption = Annotated[str | None, typer.Option(
    help="Comma-separated skills, e.g. general,billing (replaces the rep's skills; \"\" "
         "clears them).")]


def parse_skills(text: str) -> tuple[str, ...]:
    """`"general, billing"` -> ("general", "billing"); empty items are an error."""
    if not text.strip():
        return ()
    items = [item.strip() for item in text.split(",")]
    for i, item in enumerate(items, 1):
        if not item or any(ch.isspace() for ch in item):
            raise typer.BadParameter(
                f"skill {i} of {text!r} is {'empty' if not item else repr(item)}: give "
                "names without spaces, separated by commas", param_hint="'--skills'")
    return tuple(dict.fromkeys(items))


def warn_unused_skills(services: Services, tenant: Tenant, skills: tuple[str, ...]) -> None:
    """Say which of `skills` no queue of the tenant's policy asks for."""
    policy = services.tenants.decider_for(tenant).policy
    used = sorted({s for queue in policy.queues.values() for s in queue.skills})
    for skill in skills:
        if skill not in used:
            typer.echo(f"warning: no queue of tenant {tenant.name!r} asks for skill "
                       f"{skill!r} (queues use: {', '.join(used) or 'none'})", err=True)


def describe(rep: Rep) -> str:
    return (f"{rep.id} ({rep.name}): {rep.status.value}, {rep.active}/{rep.capacity} slots, "
            f"skills: {', '.join(rep.skills) or 'none'}")


@reps_app.command("set")
def reps_set(
    rep: Annotated[str, typer.Argument(help="The rep's id (a rep login's rep id).")],
    tenant: TenantOption,
    skills: SkillsOption = None,
    capacity: Annotated[int | None, typer.Option(
        help="Conversations at once, 1 to 50.")] = None,
    name: Annotated[str | None, typer.Option(help="The name shown on the desk.")] = None,
    db: DbOption = None,
) -> None:
    """Create or update a rep: only the options given change."""
    from warmline.cli.access import open_services

    chosen = None if skills is None else parse_skills(skills)
    if name is not None and not name.strip():
        raise InvalidInput("--name: a rep's name cannot be empty")
    with open_services(db) as services:
        found = services.tenants.existing(tenant)
        updated = services.reps.put(found, rep, name=name, skills=chosen, capacity=capacity)
        if chosen:
            warn_unused_skills(services, found, chosen)
    typer.echo(describe(updated))


@reps_app.command("list")
def reps_list(tenant: TenantOption, db: DbOption = None) -> None:
    """A tenant's reps: id, name, status, load and skills."""
    from warmline.cli.access import open_services

    with open_services(db) as services:
        reps = services.reps.list(services.tenants.existing(tenant))
    typer.echo(f"{'ID':<20} {'NAME':<24} {'STATUS':<10} {'LOAD':<6} SKILLS")
    for rep in reps:
        load = f"{rep.active}/{rep.capacity}"
        typer.echo(f"{rep.id:<20} {rep.name:<24} {rep.status.value:<10} {load:<6} "
                   f"{','.join(rep.skills) or '-'}")
