"""The hot path: store a conversation's new turns, decide with the tenant's policy and, on
escalation, create and route the handoff — all in one transaction, so a retried POST returns
the same decision and creates nothing twice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from warmline.core.conversation import Conversation, parse_conversation, parse_turns
from warmline.core.decision.masking import masker_for
from warmline.core.decision.model import Action, Decision
from warmline.core.decision.routing import Staffing, queue_staffing
from warmline.core.errors import ConversationError, Problem
from warmline.core.handoff import (
    Handoff,
    HandoffStatus,
    Rep,
    Tenant,
    has_skills,
)
from warmline.core.policy.model import Policy
from warmline.service.dispatch import Dispatcher
from warmline.service.ports import Clock, Store, StoredConversation, TurnStore, Tx
from warmline.service.tenants import TenantService, new_id

#: The conversation fields a first POST may carry (SPEC §5).
_NEW_FIELDS = ("customer", "channel", "started_at")


def customer_key(data: Mapping[str, Any]) -> str | None:
    """Who the customer is across conversations: their id, else phone, else email."""
    customer = data.get("customer") or {}
    for field_name in ("id", "phone", "email"):
        value = customer.get(field_name)
        if value:
            return f"{field_name}:{str(value).strip().lower()}"
    return None


#: Tries of the lean path before a turn whose conversation other writers keep changing
#: goes the locked way (`post_turns`).
LEAN_ATTEMPTS = 3


@dataclass
class TurnService:
    store: Store
    clock: Clock
    tenants: TenantService
    dispatcher: Dispatcher

    def post_turns(self, tenant: Tenant, conversation_id: str, body: Mapping[str, Any]
                   ) -> dict[str, Any]:
        """Append turns and return the SPEC §2 decision (with `handoff_id` on escalation).

        Raises:
            ConversationError: bad turns or conversation fields, each located.
        """
        raw_turns, last_id = _new_turns(body)
        decider = self.tenants.deciding_decider(tenant)
        now = self.clock.now()
        with self.store.transaction() as tx:
            tx.lock_conversation(tenant.id, conversation_id)  # concurrent posts lose nothing
            found, earlier = tx.load_turn_state(tenant.id, conversation_id, last_id)
            if earlier is not None:
                return dict(earlier)
            stored = self._merge(found, tenant, conversation_id, body, raw_turns,
                                 policy=decider.policy)
            if stored.handoff_id is not None:  # new turns were validated by parse_turns
                result = self._already_escalated(tx, stored, raw_turns, now)
            else:
                conversation = parse_conversation(stored.data,
                                                  source=f"conversation {conversation_id}")
                result, stored = self._decide(tx, decider_ctx=(decider, tenant),
                                              stored=stored, conversation=conversation)
            tx.save_turn_state(replace(stored, updated_at=now), last_id, result, now)
        return result

    async def post_turns_async(self, tenant: Tenant, conversation_id: str,
                               body: Mapping[str, Any], turns: TurnStore
                               ) -> dict[str, Any] | None:
        """`post_turns` on the event loop, for the turns that only store and decide (nearly
        all): None, with nothing written, when this turn escalates or its conversation has
        already — then `post_turns` must run (handoffs, routing and events stay there)."""
        raw_turns, last_id = _new_turns(body)
        decider = self.tenants.deciding_decider(tenant)
        for _attempt in range(LEAN_ATTEMPTS):
            now = self.clock.now()
            async with turns.turn() as tx:
                found, earlier = await tx.load(tenant.id, conversation_id, last_id)
                if earlier is not None:
                    return dict(earlier)
                stored = self._merge(found, tenant, conversation_id, body, raw_turns,
                                     policy=decider.policy)
                if stored.handoff_id is not None:
                    return None
                conversation = parse_conversation(stored.data,
                                                  source=f"conversation {conversation_id}")
                window = _contact_window(decider.policy, stored, conversation, now)
                history = [] if window is None else await tx.recent_contacts(
                    tenant.id, stored.customer_key or "", *window, conversation.id)
                decision = decider.decide(conversation, now=now, history=history)
                if decision.is_handoff:
                    return None
                result = decision.to_dict()
                if await tx.save_and_commit(replace(stored, updated_at=now), last_id, result,
                                            now):
                    return result
        return None  # lost every race to other writers: the locked path always gets through

    def _merge(self, stored: StoredConversation | None, tenant: Tenant, conversation_id: str,
               body: Mapping[str, Any], raw_turns: Sequence[Any], *, policy: Policy
               ) -> StoredConversation:
        """The stored conversation with the request's new turns, masked by the policy's
        `redact:` kinds: what is decided on is exactly what is stored, and nothing later
        (decision, handoff, events, webhooks, logs) sees the raw text."""
        if stored is None:
            data: dict[str, Any] = {"id": conversation_id, "turns": []}
            data.update({k: body[k] for k in _NEW_FIELDS if body.get(k) is not None})
            extra = {k: v for k, v in body.items() if k not in (*_NEW_FIELDS, "turns")}
            data.update(extra)
            parse_conversation(data, source="request")  # located errors for bad fields
            masker = masker_for(policy, data.get("customer"))
            if masker is not None:
                data = dict(masker.conversation(data))
            stored = StoredConversation(tenant.id, conversation_id, data, customer_key(data))
        else:
            masker = masker_for(policy, stored.data.get("customer"))
        data = dict(stored.data)
        seen = set()
        turns = []
        for old in data.get("turns", []):
            if isinstance(old, dict):
                seen.add(old.get("id"))
                if "text" not in old:  # stored before `text` was required: it said nothing
                    old = {**old, "text": ""}  # noqa: PLW2901
            turns.append(old)
        for turn in raw_turns:
            if not isinstance(turn, dict) or turn.get("id") is None or turn["id"] not in seen:
                turns.append(turn if masker is None else masker.turn(turn))
        data["turns"] = turns
        return replace(stored, data=data)

    def _decide(self, tx: Tx, *, decider_ctx: tuple[Any, Tenant], stored: StoredConversation,
                conversation: Conversation) -> tuple[dict[str, Any], StoredConversation]:
        decider, tenant = decider_ctx
        now = self.clock.now()
        window = _contact_window(decider.policy, stored, conversation, now)
        history = [] if window is None else tx.recent_contacts(
            tenant.id, stored.customer_key or "", *window, conversation.id)
        reps = None

        def staffing(queue: str) -> Staffing:
            nonlocal reps
            found = decider.policy.queues.get(queue)
            if found is not None and not found.is_staffed:
                return Staffing.FREE  # an AI agent or an outside number never waits for a rep
            reps = tx.list_reps(tenant.id) if reps is None else reps
            return queue_staffing(reps, found.skills if found else ())

        decision: Decision = decider.decide(conversation, now=now, history=history,
                                            queue_staffing=staffing)
        if not decision.is_handoff:
            return decision.to_dict(), stored
        handoff = self._create_handoff(tx, tenant, stored, decision)
        result = replace(decision, handoff_id=handoff.id).to_dict()
        if decision.action is Action.HOLD:
            result["hold"] = hold_estimate(tx, tenant, handoff, decider.policy, reps)

        customer = stored.data.get("customer")
        self.dispatcher.publish(tx, tenant, "handoff.created", handoff, now, customer=customer)
        if handoff.status is HandoffStatus.CALLBACK:
            self.dispatcher.publish(tx, tenant, "handoff.callback_scheduled", handoff, now,
                                    customer=customer)
        else:
            self.dispatcher.offer(tx, tenant, handoff, decider.policy, now, reps=reps)
        return result, replace(stored, handoff_id=handoff.id)

    def _create_handoff(self, tx: Tx, tenant: Tenant, stored: StoredConversation,
                        decision: Decision) -> Handoff:
        assert decision.destination is not None
        status = (HandoffStatus.CALLBACK if decision.action is Action.CALLBACK
                  else HandoffStatus.QUEUED)
        handoff = Handoff(
            id=new_id("h"), tenant_id=tenant.id, conversation_id=stored.id,
            queue=decision.destination.queue, status=status,
            priority=decision.priority or 50,
            mode=decision.mode.value if decision.mode else "warm",
            created_at=self.clock.now(), decision=decision.to_dict(),
            customer_key=stored.customer_key)
        tx.add_handoff(handoff)
        return handoff

    def _already_escalated(self, tx: Tx, stored: StoredConversation, raw_turns: Sequence[Any],
                           now: datetime) -> dict[str, Any]:
        """A conversation escalates once: later turns join the handoff's transcript."""
        assert stored.handoff_id is not None
        handoff = tx.get_handoff(stored.tenant_id, stored.handoff_id)
        if handoff is None:
            raise ConversationError([Problem("its handoff no longer exists", path="$")])
        tx.add_event(stored.tenant_id, "turn.appended",
                     {"handoff_id": handoff.id, "conversation_id": stored.id,
                      "count": len(raw_turns)}, now)
        result = dict(handoff.decision)
        result.update(handoff_id=handoff.id, status=handoff.status.value, latency_ms=0.0)
        return result


#: Assumed handle time when a queue has no completed handoffs to learn from.
DEFAULT_HANDLE_SECONDS = 180.0


def hold_estimate(tx: Tx, tenant: Tenant, handoff: Handoff, policy: Policy,
                  reps: Sequence[Rep] | None = None) -> dict[str, Any]:
    """Where the customer stands in the queue and a rough wait: the handoffs ahead of them
    times the queue's mean handle time, shared by the signed-in reps who could take them
    (no estimate, None, while nobody who could is signed in). `reps`: the tenant's reps as
    this transaction already read them (one statement fewer)."""
    ahead = tx.count_ahead(tenant.id, handoff.queue, handoff.priority, handoff.created_at,
                           handoff.id)
    spans = tx.handle_seconds(tenant.id, handoff.queue)
    handle = sum(spans) / len(spans) if spans else DEFAULT_HANDLE_SECONDS
    skills = policy.queues[handoff.queue].skills if handoff.queue in policy.queues else ()
    staff = sum(1 for r in (tx.list_reps(tenant.id) if reps is None else reps)
                if r.is_signed_in and has_skills(r, skills))
    return {"position": ahead + 1,
            "estimated_wait_seconds": round((ahead + 1) * handle / staff) if staff else None}


def _contact_window(policy: Policy, stored: StoredConversation, conversation: Conversation,
                    now: datetime) -> tuple[datetime, datetime] | None:
    """The span whose earlier contacts count as repeats; None for an unknown customer."""
    if not stored.customer_key:
        return None
    at = conversation.last_time() or now
    return at - timedelta(days=policy.defaults.repeat_window_days), at


def _new_turns(body: Mapping[str, Any]) -> tuple[list[Any], str | None]:
    """The request's turns, validated before storage is touched, and the last one's id."""
    raw_turns: list[Any] = body.get("turns")  # type: ignore[assignment]  # checked next
    parse_turns(raw_turns, path="$.turns")
    return raw_turns, _last_turn_id(raw_turns)


def _last_turn_id(raw_turns: Sequence[Any]) -> str | None:
    if not raw_turns or not isinstance(raw_turns[-1], dict):
        return None
    value = raw_turns[-1].get("id")
    return None if value is None else str(value)

