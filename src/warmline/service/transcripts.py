"""A handoff's transcript as a rep or an API client sees it: each turn's speaker, time and
text, with the tenant policy's `redact:` kinds masked (and the customer's name parts, for
`name`). The use case behind `GET /v1/handoffs/{id}` and the desk's transcript."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from warmline.core.conversation import parse_conversation
from warmline.core.decision.brief import known_names
from warmline.core.errors import InvalidInput
from warmline.core.handoff import Handoff, Tenant
from warmline.core.language.redaction import redact
from warmline.service.handoffs import HandoffService


def handoff_transcript(handoffs: HandoffService, tenant: Tenant, handoff_id: str
                       ) -> tuple[Handoff, list[dict[str, Any]]]:
    """The handoff and its conversation's turns, masked as the tenant's policy says."""
    handoff, conversation = handoffs.get(tenant, handoff_id)
    kinds = handoffs.tenants.decider_for(tenant).policy.redact
    return handoff, shown_turns(conversation, kinds)


def shown_turns(data: Mapping[str, Any], kinds: frozenset[str]) -> list[dict[str, Any]]:
    """Each turn of a stored conversation (SPEC §1 JSON) as `{speaker, at, text}`, masked."""
    try:
        names = known_names(parse_conversation(data))
    except InvalidInput:
        names = ()
    return [{"speaker": t.get("speaker"), "at": t.get("at"),
             "text": redact(str(t.get("text") or ""), kinds, names=names)}
            for t in data.get("turns", []) if isinstance(t, dict)]
