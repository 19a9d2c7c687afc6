"""`warmline calibrate --from-db --write`: the measured thresholds go into a new draft of the
tenant's policy version (comments and layout kept), which then goes through what-if and
publish like any edit (issue 21)."""

from __future__ import annotations

from collections.abc import Mapping

import typer

from warmline.adapters.policy_edit import set_thresholds
from warmline.adapters.policy_files import parse_policy_text
from warmline.adapters.storage.policy_versions import SqlPolicyVersions
from warmline.adapters.storage.sql import SqlStore
from warmline.core.errors import InvalidInput
from warmline.core.handoff import Tenant
from warmline.core.policy.model import Policy
from warmline.service.ports import Store

AUTHOR = "cli calibrate"


def published_policy(store: Store, tenant: Tenant) -> Policy | None:
    """The tenant's published policy version, parsed; None when it has none yet."""
    if not isinstance(store, SqlStore):
        return None
    versions = SqlPolicyVersions(store)
    number = versions.published_number(tenant.id)
    found = None if number is None else versions.get(tenant.id, number)
    if found is None:
        return None
    return parse_policy_text(found.yaml, source=f"tenant {tenant.name}, version {number}")


def write_draft(db: str | None, tenant_name: str | None, changes: Mapping[str, float]) -> None:
    """Save the published version with `changes` (question type -> threshold) as the draft."""
    from warmline.cli.access import open_services
    from warmline.service.handoff_history import find_tenant

    if not changes:
        typer.echo("thresholds already as recommended; no draft written", err=True)
        return
    with open_services(db) as services:
        admin = services.policy_admin
        if admin is None:
            raise InvalidInput("this store keeps no policy versions")
        tenant = find_tenant(services.store, tenant_name)
        base = admin.published(tenant)
        text = set_thresholds(base.yaml, changes)
        listed = ", ".join(f"{k} {v:.2f}" for k, v in sorted(changes.items()))
        draft = admin.save_draft(tenant, text, f"calibrate: {listed}", author=AUTHOR,
                                 if_match=None)
        problems = admin.check(text, f"draft (version {draft.version})")
    for problem in problems:
        typer.echo(f"warning: {problem}", err=True)
    typer.echo(f"tenant {tenant.name}: draft version {draft.version} from version "
               f"{base.version} with {listed}; try it with POST /v1/policy/what-if, then "
               "publish it", err=True)
