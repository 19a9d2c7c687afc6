"""Routing handoffs to reps inside a transaction: offer a handoff to the longest-idle rep who
has the skills and a free slot, drain a queue when reps free up, and move handoffs that wait
past their queue's `overflow` to the overflow queue, and re-offer an offer that rang longer
than its queue's `offer_timeout_seconds` to the next rep (ring-no-answer). Races are settled
by the store's conditional updates (`take_slot`, `update_handoff(expect=...)`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from warmline.core.handoff import (
    Handoff,
    HandoffStatus,
    Rep,
    RepStatus,
    Tenant,
    pick_rep,
    queue_order,
)
from warmline.core.policy.model import DEFAULT_OFFER_TIMEOUT_SECONDS, Policy
from warmline.service.outbox import Outbox
from warmline.service.ports import Tx

#: Reps tried per offer before the handoff waits in its queue (each try may lose a race).
_MAX_TRIES = 3


def _skills(policy: Policy, queue: str) -> tuple[str, ...]:
    found = policy.queues.get(queue)
    return found.skills if found else ()


def event_payload(handoff: Handoff) -> dict[str, object]:
    return {"handoff_id": handoff.id, "queue": handoff.queue, "status": handoff.status.value,
            "rep_id": handoff.rep_id, "conversation_id": handoff.conversation_id}


@dataclass
class Dispatcher:
    outbox: Outbox | None = None
    """Writes the notifications (webhooks, Slack) of the events `publish` records."""
    away_after_missed_offers: int = 3
    """A rep who lets this many offers in a row ring out is set away."""

    def publish(self, tx: Tx, tenant: Tenant, kind: str, handoff: Handoff, now: datetime, *,
                customer: Mapping[str, Any] | None = None) -> int:
        """Record a handoff event for the desk and, in the same transaction, the outbox
        messages it owes the policy's notify targets; returns the event's id."""
        event_id = tx.add_event(tenant.id, kind, event_payload(handoff), now)
        if self.outbox is not None:
            self.outbox.enqueue(tx, tenant, kind, handoff, now, customer=customer)
        return event_id

    def offer(self, tx: Tx, tenant: Tenant, handoff: Handoff, policy: Policy, now: datetime,
              *, reps: Sequence[Rep] | None = None) -> Handoff:
        """Offer a queued handoff to a free rep; returns it as stored afterwards. `reps`: the
        tenant's reps as this transaction already read them, for the first pick only (one
        statement fewer per escalation); a rep taken since fails `take_slot`, and the next
        pick reads them afresh."""
        if handoff.status is not HandoffStatus.QUEUED:
            return handoff
        queue = policy.queues.get(handoff.queue)
        if queue is not None and not queue.is_staffed:
            return handoff  # an AI agent or outside number: the platform connects it
        skills = _skills(policy, handoff.queue)
        tried: set[str] = set(handoff.declined_by)
        for _ in range(_MAX_TRIES):
            known, reps = reps, None
            rep = pick_rep(tx.list_reps(tenant.id) if known is None else known, skills,
                           exclude=tried)
            if rep is None:
                return handoff
            tried.add(rep.id)
            if not tx.take_slot(tenant.id, rep.id):
                continue
            offered = replace(handoff, status=HandoffStatus.OFFERED, rep_id=rep.id,
                              offered_at=now)
            if tx.update_handoff(offered, expect={HandoffStatus.QUEUED}):
                tx.add_event(tenant.id, "handoff.offered", event_payload(offered), now)
                return offered
            tx.release_slot(tenant.id, rep.id, now)
            return handoff
        return handoff

    def drain(self, tx: Tx, tenant: Tenant, policy: Policy, now: datetime) -> int:
        """Offer waiting handoffs, best first, while reps are free; returns how many."""
        if not any(rep.has_free_slot for rep in tx.list_reps(tenant.id)):
            return 0  # nobody to offer to: don't read the queue at all
        waiting = tx.list_handoffs(tenant.id, statuses={HandoffStatus.QUEUED}, limit=500)
        offered = 0
        for handoff in sorted(waiting, key=queue_order):
            if self.offer(tx, tenant, handoff, policy, now).status is HandoffStatus.OFFERED:
                offered += 1
        return offered

    def overflow(self, tx: Tx, tenant: Tenant, policy: Policy, now: datetime) -> int:
        """Move handoffs not accepted within their queue's `overflow.after_seconds`."""
        moved = 0
        live = {HandoffStatus.QUEUED, HandoffStatus.OFFERED}
        due = [  # only queues that overflow, only handoffs old enough: runs every second
            handoff
            for queue in policy.queues.values() if queue.overflow is not None
            for handoff in tx.list_handoffs(
                tenant.id, statuses=live, queue=queue.name, limit=1000,
                created_before=now - timedelta(seconds=queue.overflow.after_seconds))]
        for handoff in due:
            queue = policy.queues[handoff.queue]
            assert queue.overflow is not None
            if handoff.overflowed_from is not None:
                continue  # one overflow per handoff: no ping-pong between queues
            moved_one = replace(handoff, queue=queue.overflow.to, status=HandoffStatus.QUEUED,
                                rep_id=None, offered_at=None, overflowed_from=handoff.queue)
            if not tx.update_handoff(moved_one, expect={handoff.status}):
                continue
            if handoff.status is HandoffStatus.OFFERED and handoff.rep_id:
                tx.release_slot(tenant.id, handoff.rep_id, now)
            tx.add_event(tenant.id, "handoff.overflowed", event_payload(moved_one), now)
            self.offer(tx, tenant, moved_one, policy, now)
            moved += 1
        return moved

    def ring_out(self, tx: Tx, tenant: Tenant, policy: Policy, now: datetime) -> int:
        """Offers not accepted within their queue's `offer_timeout_seconds` go back to the
        queue and on to the next rep with the skills (never the one who missed it); the rep
        gets a missed offer, and is set away after `away_after_missed_offers` in a row."""
        moved = 0
        for handoff in tx.list_handoffs(tenant.id, statuses={HandoffStatus.OFFERED},
                                        limit=1000):
            queue = policy.queues.get(handoff.queue)
            timeout = queue.offer_timeout_seconds if queue else DEFAULT_OFFER_TIMEOUT_SECONDS
            if (handoff.offered_at is None or handoff.rep_id is None
                    or (now - handoff.offered_at).total_seconds() < timeout):
                continue
            back = replace(handoff, status=HandoffStatus.QUEUED, rep_id=None, offered_at=None,
                           declined_by=(*handoff.declined_by, handoff.rep_id))
            if not tx.update_handoff(back, expect={HandoffStatus.OFFERED}):
                continue
            tx.release_slot(tenant.id, handoff.rep_id, now)
            payload = {**event_payload(back), "missed_by": handoff.rep_id}
            tx.add_event(tenant.id, "handoff.missed", payload, now)
            self._count_miss(tx, tenant, handoff.rep_id, now)
            self.offer(tx, tenant, back, policy, now)
            moved += 1
        return moved

    def _count_miss(self, tx: Tx, tenant: Tenant, rep_id: str, now: datetime) -> None:
        rep = tx.get_rep(tenant.id, rep_id)
        if rep is None:
            return
        missed = rep.missed_offers + 1
        away = missed >= self.away_after_missed_offers and rep.status is RepStatus.AVAILABLE
        tx.save_rep(replace(rep, missed_offers=missed,
                            status=RepStatus.AWAY if away else rep.status))
        if away:
            tx.add_event(tenant.id, "rep.updated",
                         {"rep_id": rep_id, "status": RepStatus.AWAY.value,
                          "reason": "missed_offers", "missed_offers": missed}, now)
