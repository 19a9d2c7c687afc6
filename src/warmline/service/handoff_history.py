"""Reading a tenant's handoff history for the analytics commands (`calibrate --from-db`,
`roi --db`, `experiment report`): one read-only transaction, the arithmetic stays in core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from warmline.core.analytics.metrics import CustomerContact
from warmline.core.errors import InvalidInput, NotFound, Problem
from warmline.core.handoff import Handoff, Tenant
from warmline.service.ports import Store

#: Handoffs read at most; beyond it `truncated` is set.
MAX_HANDOFFS = 200_000


@dataclass(frozen=True, slots=True)
class HandoffWindow:
    tenant: Tenant
    since: datetime
    until: datetime
    handoffs: list[Handoff]
    contacts: list[CustomerContact]
    """The handoffs' customers' conversations up to `follow_days` after `until`."""
    conversations: int
    truncated: bool


def find_tenant(store: Store, name: str | None) -> Tenant:
    """The tenant by name; with no name, the only tenant there is.

    Raises:
        NotFound: no such tenant. InvalidInput: no name and several tenants.
    """
    with store.read() as tx:
        if name is not None:
            tenant = tx.find_tenant(name)
            if tenant is None:
                known = ", ".join(t.name for t in tx.list_tenants()) or "none"
                raise NotFound(f"no tenant named {name!r} (tenants: {known})")
            return tenant
        tenants = tx.list_tenants()
    if len(tenants) == 1:
        return tenants[0]
    names = ", ".join(t.name for t in tenants) or "none yet"
    raise InvalidInput([Problem(f"name the tenant with --tenant (tenants: {names})",
                                path="--tenant")])


def read_window(store: Store, tenant: Tenant, since: datetime, until: datetime, *,
                follow_days: int) -> HandoffWindow:
    """Handoffs created in since <= t < until, and their customers' later contacts."""
    with store.read() as tx:
        handoffs = tx.handoffs_between(tenant.id, since, until, limit=MAX_HANDOFFS + 1)
        keys = {h.customer_key for h in handoffs if h.customer_key}
        contacts = tx.contacts_between(tenant.id, since, until + timedelta(days=follow_days),
                                       keys)
        conversations = tx.conversations_between(tenant.id, since, until)
    return HandoffWindow(tenant, since, until, handoffs[:MAX_HANDOFFS], contacts,
                         conversations, len(handoffs) > MAX_HANDOFFS)
