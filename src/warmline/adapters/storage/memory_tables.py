"""The in-memory store's tables: one dataclass of dicts, shared by `InMemoryStore` and its
transaction mixins (`memory_access`, `memory_outbox`), which import it from here."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from warmline.core.handoff import Handoff, Rep, Tenant
from warmline.service.ports import ApiKey, Event, OutboxMessage, StoredConversation, User


@dataclass
class Tables:
    tenants: dict[str, Tenant] = field(default_factory=dict)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    conversations: dict[tuple[str, str], StoredConversation] = field(default_factory=dict)
    decisions: dict[tuple[str, str, str], Mapping[str, Any]] = field(default_factory=dict)
    handoffs: dict[tuple[str, str], Handoff] = field(default_factory=dict)
    reps: dict[tuple[str, str], Rep] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    last_event_id: int = 0
    outbox: dict[int, OutboxMessage] = field(default_factory=dict)
    last_outbox_id: int = 0

    def snapshot(self) -> Tables:
        """Stored rows are never handed out, so copying the containers is enough."""
        return Tables(**{f.name: copy.copy(getattr(self, f.name)) for f in fields(self)})
