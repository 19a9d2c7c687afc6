"""What the integration tests read back from the store: a tenant's conversation (by the
tenant's name, as the platforms name it) and the handoff it escalated to."""

from __future__ import annotations

from warmline.bootstrap import Services
from warmline.core.handoff import Handoff
from warmline.service.ports import StoredConversation


def conversation(services: Services, tenant: str, conversation_id: str
                 ) -> StoredConversation | None:
    found = services.tenants.find(tenant)
    assert found is not None, f"no tenant {tenant!r}"
    with services.store.read() as tx:
        return tx.get_conversation(found.id, conversation_id)


def handoff_of(services: Services, tenant: str, conversation_id: str) -> Handoff | None:
    stored = conversation(services, tenant, conversation_id)
    if stored is None or stored.handoff_id is None:
        return None
    with services.store.read() as tx:
        return tx.get_handoff(stored.tenant_id, stored.handoff_id)


def turns(services: Services, tenant: str, conversation_id: str) -> list[object]:
    stored = conversation(services, tenant, conversation_id)
    return [] if stored is None else list(stored.data["turns"])
