"""The transactional outbox: `Outbox.enqueue` writes a handoff event's notifications in the
event's own transaction; `OutboxService.deliver_due` claims due messages, sends each through
the notifier of its target's type, and records the result.

At least once: a message stays until a 2xx (or its dead letter), so a receiver that is down or
a worker that dies loses nothing; a worker that dies mid-send leaves the message claimed until
its lease lapses, then another sends it again with the same `webhook-id`. Retries back off
exponentially with full jitter (delay uniform in [0, min(cap, base * 2^attempts)]) and go on
for `RetrySchedule.window` (24 h) from the message's creation; the first failure after that
makes it a dead letter, kept for inspection and `requeue`.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from warmline.core.errors import AdapterError
from warmline.core.handoff import Handoff, Tenant
from warmline.core.policy.model import Policy
from warmline.core.policy.notify import CRM_NOTE, named_targets, recipients
from warmline.service.notification import crm_note, desk_link, handoff_message
from warmline.service.ports import (
    Clock,
    Notifier,
    OutboxCounts,
    OutboxMessage,
    OutboxStatus,
    Store,
    Tx,
)

log = logging.getLogger(__name__)

PolicyFor = Callable[[Tenant], Policy]


def new_message_id() -> str:
    """A `webhook-id`: unique per message, the same on every retry."""
    return f"msg_{uuid.uuid4().hex}"


@dataclass
class Outbox:
    """Writes notifications inside the caller's transaction (see `warmline.core.policy.notify` for
    who hears of what)."""

    policy_for: PolicyFor
    public_url: str | None = None

    def enqueue(self, tx: Tx, tenant: Tenant, kind: str, handoff: Handoff, at: datetime, *,
                customer: Mapping[str, Any] | None = None) -> int:
        """Add the messages `kind` of `handoff` owes the tenant's notify targets; returns how
        many. `customer` is the conversation's customer when the caller holds it."""
        policy = self.policy_for(tenant)
        if not policy.notify:
            return 0
        wanted = recipients(policy.notify, named_targets(handoff.decision), kind)
        if not wanted:
            return 0
        if customer is None:
            stored = tx.get_conversation(tenant.id, handoff.conversation_id)
            customer = stored.data.get("customer") if stored else None
        raw_id = customer.get("id") if isinstance(customer, Mapping) else None
        customer_id = None if raw_id is None else str(raw_id)
        desk_url = desk_link(self.public_url, handoff.id)
        for target, message_type in wanted:
            payload = (crm_note(handoff, at, customer_id=customer_id, desk_url=desk_url)
                       if message_type == CRM_NOTE else
                       handoff_message(message_type, handoff, at, customer_id=customer_id,
                                       desk_url=desk_url))
            tx.add_outbox(tenant.id, message_id=new_message_id(), target=target.name,
                          type=message_type, payload=payload, at=at)
        return len(wanted)


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    base_seconds: float = 5.0
    cap_seconds: float = 30 * 60.0
    """The longest wait between two attempts: a receiver back up waits at most this long."""
    window: timedelta = timedelta(hours=24)
    """How long a message is retried, from its creation, before it is a dead letter."""

    def delay(self, attempts: int, draw: float) -> timedelta:
        """Full jitter: `draw` (0..1) of the exponential ceiling, at least one second."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** min(attempts, 32))
        return timedelta(seconds=max(1.0, draw * ceiling))


@dataclass(frozen=True, slots=True)
class _Result:
    message: OutboxMessage
    error: str | None = None
    retryable: bool = True


@dataclass
class OutboxService:
    store: Store
    clock: Clock
    policy_for: PolicyFor
    notifiers: Mapping[str, Notifier]
    """By target type: "webhook", "slack"."""
    schedule: RetrySchedule = field(default_factory=RetrySchedule)
    draw: Callable[[], float] = random.random
    """The jitter's random source (0..1); tests pass a fixed one."""
    batch: int = 50
    parallel: int = 4
    lease: timedelta = timedelta(minutes=5)
    """How long a claim holds; longer than a batch can take (batch / parallel * timeout)."""
    keep_delivered: timedelta = timedelta(days=7)
    _last_prune: datetime | None = field(default=None, init=False, repr=False)
    _prune_lock: threading.Lock = field(default_factory=threading.Lock, init=False,
                                        repr=False)

    def deliver_due(self) -> int:
        """One pass: claim up to `batch` due messages, send them, record the results.
        Returns how many were attempted (a full batch means more may be due)."""
        now = self.clock.now()
        with self.store.read() as tx:
            due = tx.next_outbox_due()
        if due is None or due > now:
            self._maybe_prune(now)
            return 0
        claim = uuid.uuid4().hex
        with self.store.transaction() as tx:
            messages = tx.claim_outbox(now, claim=claim, until=now + self.lease,
                                       limit=self.batch)
            tenants = {m.tenant_id: tx.get_tenant(m.tenant_id) for m in messages}
        if not messages:
            self._maybe_prune(now)
            return 0
        if len(messages) == 1 or self.parallel <= 1:
            results = [self._attempt(m, tenants.get(m.tenant_id)) for m in messages]
        else:
            with ThreadPoolExecutor(min(self.parallel, len(messages)),
                                    thread_name_prefix="outbox") as pool:
                results = list(pool.map(
                    lambda m: self._attempt(m, tenants.get(m.tenant_id)), messages))
        self._record(results, claim)
        return len(messages)

    def _attempt(self, message: OutboxMessage, tenant: Tenant | None) -> _Result:
        if tenant is None:
            return _Result(message, "its tenant no longer exists", retryable=False)
        try:
            target = self.policy_for(tenant).notify.get(message.target)
        except Exception as err:  # a broken policy file: retried until someone fixes it
            return _Result(message, f"the tenant's policy does not load: {err}")
        if target is None:
            return _Result(message, f"notify target {message.target!r} is no longer in the "
                                    "policy", retryable=False)
        notifier = self.notifiers.get(target.type)
        if notifier is None:
            return _Result(message, f"no notifier for type {target.type!r}", retryable=False)
        try:
            notifier.send(target, message)
        except AdapterError as err:
            return _Result(message, str(err), retryable=err.retryable)
        except Exception as err:  # a bug in a notifier must not stop the others
            log.exception("notifier %s failed on message %s", target.type, message.message_id)
            return _Result(message, f"{type(err).__name__}: {err}")
        return _Result(message)

    def _record(self, results: list[_Result], claim: str) -> None:
        now = self.clock.now()
        with self.store.transaction() as tx:
            for result in results:
                m = result.message
                if result.error is None:
                    tx.finish_outbox(m.id, claim, at=now)
                    continue
                expired = now - m.created_at >= self.schedule.window
                if expired or not result.retryable:
                    tx.dead_letter_outbox(m.id, claim, error=result.error)
                    log.error("outbox message %s (%s to %s) is a dead letter after %d "
                              "attempts: %s", m.message_id, m.type, m.target, m.attempts + 1,
                              result.error)
                    continue
                due = now + self.schedule.delay(m.attempts, self.draw())
                tx.retry_outbox(m.id, claim, due_at=due, error=result.error)
                log.warning("outbox message %s (%s to %s) failed (attempt %d), next try at "
                            "%s: %s", m.message_id, m.type, m.target, m.attempts + 1,
                            due.isoformat(), result.error)

    def _maybe_prune(self, now: datetime) -> None:
        """Delivered messages are deleted after `keep_delivered`, checked hourly."""
        with self._prune_lock:
            if self._last_prune is not None and now - self._last_prune < timedelta(hours=1):
                return
            self._last_prune = now
        with self.store.transaction() as tx:
            tx.prune_outbox(now - self.keep_delivered)

    def close(self) -> None:
        for notifier in self.notifiers.values():
            notifier.close()

    def counts(self, tenant: Tenant | None = None) -> OutboxCounts:
        """Backlog and dead letters, for one tenant or all (metrics, health)."""
        with self.store.read() as tx:
            return tx.outbox_counts(tenant.id if tenant else None, self.clock.now())

    def dead_letters(self, tenant: Tenant, limit: int = 100) -> list[OutboxMessage]:
        with self.store.read() as tx:
            return tx.list_outbox(tenant.id, status=OutboxStatus.DEAD, limit=limit)

    def requeue(self, tenant: Tenant, message_ids: Collection[int]) -> int:
        """Dead letters back in the queue, with a fresh retry window."""
        with self.store.transaction() as tx:
            return tx.requeue_outbox(tenant.id, message_ids, at=self.clock.now())
