"""A rep's actions on a handoff (accept, decline, complete, hand back), reps' own settings,
and the periodic sweep (overflow, then offering waiting handoffs to reps who freed up).
Two reps accepting at once: exactly one wins, the other gets `Conflict`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from warmline.core.decision.masking import masker_for
from warmline.core.errors import Conflict, InvalidInput, NotFound, StaleWrite
from warmline.core.handoff import (
    CallbackResult,
    Handoff,
    HandoffStatus,
    Rep,
    RepStatus,
    Tenant,
)
from warmline.service.dispatch import Dispatcher, event_payload
from warmline.service.ports import Clock, Store, Tx
from warmline.service.tenants import TenantService

CSAT_RANGE = range(1, 6)


@dataclass
class HandoffService:
    store: Store
    clock: Clock
    tenants: TenantService
    dispatcher: Dispatcher

    def get(self, tenant: Tenant, handoff_id: str) -> tuple[Handoff, Mapping[str, Any]]:
        """The handoff and its conversation (SPEC §1 JSON, redaction applied by the caller)."""
        with self.store.read() as tx:
            handoff = self._load(tx, tenant, handoff_id)
            stored = tx.get_conversation(tenant.id, handoff.conversation_id)
        return handoff, (stored.data if stored else {})

    def list(self, tenant: Tenant, *, status: HandoffStatus | None = None,
             queue: str | None = None, limit: int = 100) -> list[Handoff]:
        with self.store.read() as tx:
            return tx.list_handoffs(tenant.id, statuses={status} if status else (),
                                    queue=queue, limit=limit)

    def accept(self, tenant: Tenant, handoff_id: str, rep_id: str) -> Handoff:
        now = self.clock.now()
        with self.store.transaction() as tx:
            handoff = self._load(tx, tenant, handoff_id)
            rep = self._rep(tx, tenant, rep_id)
            if rep.missed_offers:  # answering ends a run of missed offers
                tx.save_rep(replace(rep, missed_offers=0))
            if handoff.status is HandoffStatus.OFFERED and handoff.rep_id == rep_id:
                expect = {HandoffStatus.OFFERED}
            elif handoff.status in (HandoffStatus.QUEUED, HandoffStatus.CALLBACK):
                if not tx.take_slot(tenant.id, rep_id):
                    raise Conflict(f"rep {rep_id} has no free slot (or is not available)")
                expect = {handoff.status}
            else:
                raise Conflict(f"handoff {handoff_id} is {handoff.status.value}, "
                               "not waiting for you")
            accepted = replace(handoff, status=HandoffStatus.ACCEPTED, rep_id=rep_id,
                               accepted_at=now, offered_at=handoff.offered_at or now)
            if not tx.update_handoff(accepted, expect=expect):
                raise Conflict(f"handoff {handoff_id} was taken by someone else")
            self.dispatcher.publish(tx, tenant, "handoff.accepted", accepted, now)
        return accepted

    def decline(self, tenant: Tenant, handoff_id: str, rep_id: str) -> Handoff:
        now = self.clock.now()
        with self.store.transaction() as tx:
            handoff = self._load(tx, tenant, handoff_id)
            if handoff.status is not HandoffStatus.OFFERED or handoff.rep_id != rep_id:
                raise Conflict(f"handoff {handoff_id} is not offered to rep {rep_id}")
            back = replace(handoff, status=HandoffStatus.QUEUED, rep_id=None, offered_at=None,
                           declined_by=(*handoff.declined_by, rep_id))
            if not tx.update_handoff(back, expect={HandoffStatus.OFFERED}):
                raise Conflict(f"handoff {handoff_id} changed meanwhile")
            tx.release_slot(tenant.id, rep_id, now)
            tx.add_event(tenant.id, "handoff.declined", event_payload(back), now)
            policy = self.tenants.decider_for(tenant).policy
            return self.dispatcher.offer(tx, tenant, back, policy, now)

    def complete(self, tenant: Tenant, handoff_id: str, rep_id: str, *,
                 outcome: str | None = None, csat: int | None = None,
                 ai_was_wrong: bool | None = None) -> Handoff:
        if csat is not None and csat not in CSAT_RANGE:
            raise InvalidInput(f"csat must be 1 to 5, got {csat}")
        if outcome is not None:  # free text a rep or a platform wrote: masked as a note is
            outcome = self._masked(tenant, handoff_id, outcome)
        return self._finish(tenant, handoff_id, rep_id, HandoffStatus.COMPLETED,
                            outcome=outcome, csat=csat, ai_was_wrong=ai_was_wrong)

    def hand_back(self, tenant: Tenant, handoff_id: str, rep_id: str, note: str) -> Handoff:
        """Return the conversation to the AI with the rep's note: the next turn decides
        afresh, and the AI sees the note as a system turn. The note is masked by the
        policy's `redact:` list, as the customer's words are."""
        note = self._masked(tenant, handoff_id, note)
        handoff = self._finish(tenant, handoff_id, rep_id, HandoffStatus.HANDED_BACK,
                               note=note)
        with self.store.transaction() as tx:
            tx.lock_conversation(tenant.id, handoff.conversation_id)
            stored = tx.get_conversation(tenant.id, handoff.conversation_id)
            if stored is not None:
                data = dict(stored.data)
                turn = {"speaker": "system", "text": f"Rep handed back: {note}",
                        "at": self.clock.now().isoformat()}
                data["turns"] = [*data.get("turns", []), turn]
                tx.save_conversation(replace(stored, data=data, handoff_id=None))
        return handoff

    def record_outcome(self, tenant: Tenant, handoff_id: str, *, csat: int | None = None,
                       outcome: str | None = None) -> Handoff:
        """A CSAT survey or callback result reported after the fact."""
        if csat is not None and csat not in CSAT_RANGE:
            raise InvalidInput(f"csat must be 1 to 5, got {csat}")
        if outcome is not None:
            outcome = self._masked(tenant, handoff_id, outcome)
        now = self.clock.now()
        with self.store.transaction() as tx:
            handoff = self._load(tx, tenant, handoff_id)
            updated = replace(handoff, csat=csat if csat is not None else handoff.csat,
                              outcome=outcome or handoff.outcome)
            if not tx.update_handoff(updated, expect={handoff.status}):
                raise Conflict(f"handoff {handoff_id} changed meanwhile")
            tx.add_event(tenant.id, "handoff.outcome", event_payload(updated), now)
        return updated

    def callback_result(self, tenant: Tenant, handoff_id: str, rep_id: str,
                        result: CallbackResult) -> tuple[Handoff, ...]:
        """What came of a rep's call back, for the callback and every other one waiting for
        the same customer in the same queue (the desk shows them as one card): `done`
        completes them; `no_answer` and `rescheduled` keep them waiting. The result is the
        handoffs' outcome (`callback_done` ...), which `GET /v1/metrics` counts."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            handoff = self._load(tx, tenant, handoff_id)
            self._rep(tx, tenant, rep_id)
            if handoff.status is not HandoffStatus.CALLBACK:
                raise Conflict(f"handoff {handoff_id} is {handoff.status.value}, not a "
                               "callback waiting")
            group = [handoff]
            if handoff.customer_key:
                group += [h for h in tx.list_handoffs(
                    tenant.id, statuses={HandoffStatus.CALLBACK}, queue=handoff.queue,
                    limit=500) if h.customer_key == handoff.customer_key and h.id != handoff.id]
            done: tuple[Handoff, ...] = ()
            for one in group:
                updated = replace(one, outcome=f"callback_{result.value}", rep_id=rep_id)
                if result is CallbackResult.DONE:
                    updated = replace(updated, status=HandoffStatus.COMPLETED, completed_at=now)
                if not tx.update_handoff(updated, expect={HandoffStatus.CALLBACK}):
                    continue  # another rep settled it meanwhile
                kind = ("handoff.completed" if result is CallbackResult.DONE
                        else "handoff.outcome")
                self.dispatcher.publish(tx, tenant, kind, updated, now)
                done += (updated,)
        return done

    def _finish(self, tenant: Tenant, handoff_id: str, rep_id: str, status: HandoffStatus,
                **fields: Any) -> Handoff:
        now = self.clock.now()
        with self.store.transaction() as tx:
            handoff = self._load(tx, tenant, handoff_id)
            if handoff.status is not HandoffStatus.ACCEPTED or handoff.rep_id != rep_id:
                raise Conflict(f"handoff {handoff_id} is {handoff.status.value}; only the rep "
                               "who accepted it can finish it")
            done = replace(handoff, status=status, completed_at=now, **fields)
            if not tx.update_handoff(done, expect={HandoffStatus.ACCEPTED}):
                raise Conflict(f"handoff {handoff_id} changed meanwhile")
            tx.release_slot(tenant.id, rep_id, now)
            kind = "handoff.completed" if status is HandoffStatus.COMPLETED else (
                "handoff.handed_back")
            self.dispatcher.publish(tx, tenant, kind, done, now)
            self.dispatcher.drain(tx, tenant, self.tenants.decider_for(tenant).policy, now)
        return done

    def sweep(self) -> int:
        """Ring-no-answer, overflow and re-offer for every tenant; the server runs it every
        `sweep_seconds` (default 1)."""
        now = self.clock.now()
        changed = 0
        with self.store.read() as tx:
            tenants = tx.list_tenants()
        for tenant in tenants:
            policy = self.tenants.decider_for(tenant).policy
            with self.store.transaction() as tx:
                changed += self.dispatcher.ring_out(tx, tenant, policy, now)
                changed += self.dispatcher.overflow(tx, tenant, policy, now)
                changed += self.dispatcher.drain(tx, tenant, policy, now)
        return changed

    def _masked(self, tenant: Tenant, handoff_id: str, text: str) -> str:
        policy = self.tenants.decider_for(tenant).policy
        if not policy.redact:
            return text
        with self.store.read() as tx:
            handoff = self._load(tx, tenant, handoff_id)
            stored = tx.get_conversation(tenant.id, handoff.conversation_id)
        masker = masker_for(policy, stored.data.get("customer") if stored else None)
        return text if masker is None else masker.text(text)

    @staticmethod
    def _load(tx: Tx, tenant: Tenant, handoff_id: str) -> Handoff:
        handoff = tx.get_handoff(tenant.id, handoff_id)
        if handoff is None:
            raise NotFound(f"no handoff {handoff_id!r}")
        return handoff

    @staticmethod
    def _rep(tx: Tx, tenant: Tenant, rep_id: str) -> Rep:
        rep = tx.get_rep(tenant.id, rep_id)
        if rep is None:
            raise NotFound(f"no rep {rep_id!r}")
        return rep


@dataclass
class RepService:
    store: Store
    clock: Clock
    tenants: TenantService
    dispatcher: Dispatcher

    def get(self, tenant: Tenant, rep_id: str) -> Rep:
        with self.store.read() as tx:
            rep = tx.get_rep(tenant.id, rep_id)
        if rep is None:
            raise NotFound(f"no rep {rep_id!r}")
        return rep

    def list(self, tenant: Tenant) -> list[Rep]:
        with self.store.read() as tx:
            return tx.list_reps(tenant.id)

    def put(self, tenant: Tenant, rep_id: str, *, name: str | None = None,
            skills: tuple[str, ...] | None = None, capacity: int | None = None,
            status: RepStatus | None = None, timezone: str | None = None,
            if_match: str | None = None) -> Rep:
        """Create or update a rep; becoming available offers them waiting handoffs.
        `if_match`: the `rep_etag` the caller read; a rep changed since is refused
        (StaleWrite), so a supervisor's later, stale edit never overwrites another's."""
        if capacity is not None and not 1 <= capacity <= 50:
            raise InvalidInput(f"capacity must be 1 to 50, got {capacity}")
        now = self.clock.now()
        with self.store.transaction() as tx:
            known = tx.get_rep(tenant.id, rep_id)
            if if_match is not None and if_match != "*" and (
                    known is None or rep_etag(known) != if_match):
                raise StaleWrite(f"rep {rep_id!r} changed since it was read (If-Match "
                                 f"{if_match}, now {rep_etag(known) if known else 'absent'}): "
                                 "reload it and apply the change again")
            rep = known or Rep(id=rep_id, tenant_id=tenant.id, name=name or rep_id,
                               idle_since=now)
            updated = replace(
                rep, name=name or rep.name, skills=rep.skills if skills is None else skills,
                capacity=capacity or rep.capacity, status=status or rep.status,
                timezone=timezone or rep.timezone,
                missed_offers=0 if status is RepStatus.AVAILABLE else rep.missed_offers)
            tx.save_rep(updated)
            tx.add_event(tenant.id, "rep.updated", {"rep_id": rep_id,
                                                    "status": updated.status.value}, now)
            if updated.status is RepStatus.AVAILABLE:
                self.dispatcher.drain(tx, tenant, self.tenants.decider_for(tenant).policy, now)
        return updated


def rep_etag(rep: Rep) -> str:
    """An HTTP entity tag of what a supervisor edits on a rep (name, skills, capacity, time
    zone): the rep's own status and load change it not, so a rep going away does not make a
    supervisor's skills edit stale."""
    text = json.dumps([rep.name, list(rep.skills), rep.capacity, rep.timezone])
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:20] + '"'
