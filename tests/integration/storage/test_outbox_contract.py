"""The outbox part of the `Store` contract, on memory, SQLite and PostgreSQL: messages are
written with the transaction, claimed once, finished only under their claim, and counted."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from warmline.core.errors import Conflict
from warmline.core.handoff import Tenant
from warmline.service.ports import OutboxCounts, OutboxStatus, Store, Tx

T0 = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
LEASE = T0 + timedelta(minutes=2)

StoreFactory = Callable[[], Store]


def add(tx: Tx, n: int, *, tenant_id: str = "t-acme", at: datetime = T0) -> list[int]:
    offset = int((at - T0).total_seconds())
    return [tx.add_outbox(tenant_id, message_id=f"msg_{tenant_id}_{offset + i}", target="crm",
                          type="handoff.created", payload={"data": {"handoff_id": f"h-{i}"}},
                          at=at + timedelta(seconds=i)) for i in range(n)]


def test_a_message_round_trips_and_is_due_at_once(store: Store, tenant: Tenant) -> None:
    with store.transaction() as tx:
        [first] = add(tx, 1)
    with store.transaction() as tx:
        [message] = tx.list_outbox(tenant.id)
    assert message.id == first
    assert (message.message_id, message.target, message.type) == (
        "msg_t-acme_0", "crm", "handoff.created")
    assert message.payload == {"data": {"handoff_id": "h-0"}}
    assert (message.created_at, message.due_at) == (T0, T0)
    assert (message.attempts, message.status, message.claim) == (0, OutboxStatus.PENDING, None)


def test_nothing_is_due_in_an_empty_outbox(store: Store, tenant: Tenant) -> None:
    with store.read() as tx:
        assert tx.next_outbox_due() is None


def test_a_rolled_back_transaction_leaves_no_message(store: Store, tenant: Tenant) -> None:
    def fail_after_writing() -> None:
        with store.transaction() as tx:
            add(tx, 2)
            raise RuntimeError("the handoff failed")

    with pytest.raises(RuntimeError):
        fail_after_writing()
    with store.transaction() as tx:
        assert tx.list_outbox(tenant.id) == []


def test_message_ids_are_unique(store: Store, tenant: Tenant) -> None:
    with store.transaction() as tx:
        add(tx, 1)
    with pytest.raises(Conflict), store.transaction() as tx:
        add(tx, 1)


def test_a_claim_takes_due_messages_oldest_first_and_hides_them(store: Store,
                                                                tenant: Tenant) -> None:
    with store.transaction() as tx:
        ids = add(tx, 3)
        add(tx, 1, at=T0 + timedelta(hours=1))  # not due yet
    with store.transaction() as tx:
        assert tx.next_outbox_due() == T0
        claimed = tx.claim_outbox(T0 + timedelta(seconds=5), claim="w1", until=LEASE, limit=2)
    assert [m.id for m in claimed] == ids[:2]
    assert all(m.claim == "w1" and m.due_at == LEASE for m in claimed)
    with store.transaction() as tx:
        again = tx.claim_outbox(T0 + timedelta(seconds=5), claim="w2", until=LEASE, limit=10)
    assert [m.id for m in again] == ids[2:]
    with store.transaction() as tx:
        assert tx.next_outbox_due() == LEASE  # the claims' end comes before the hour
    with store.transaction() as tx:  # a lapsed claim makes the message due again
        lapsed = tx.claim_outbox(LEASE, claim="w3", until=LEASE + timedelta(minutes=2),
                                 limit=10)
    assert sorted(m.id for m in lapsed) == ids


def test_only_the_current_claim_finishes_a_message(store: Store, tenant: Tenant) -> None:
    with store.transaction() as tx:
        [message_id] = add(tx, 1)
        tx.claim_outbox(T0, claim="old", until=LEASE, limit=1)
    with store.transaction() as tx:
        tx.claim_outbox(LEASE, claim="new", until=LEASE + timedelta(minutes=2), limit=1)
    with store.transaction() as tx:
        assert not tx.finish_outbox(message_id, "old", at=LEASE)
        assert not tx.retry_outbox(message_id, "old", due_at=LEASE, error="late")
        assert not tx.dead_letter_outbox(message_id, "old", error="late")
        assert tx.finish_outbox(message_id, "new", at=LEASE)
        assert not tx.finish_outbox(message_id, "new", at=LEASE)  # once
        [message] = tx.list_outbox(tenant.id)
    assert (message.status, message.delivered_at, message.claim) == (
        OutboxStatus.DELIVERED, LEASE, None)


def test_a_retry_counts_the_attempt_and_reschedules(store: Store, tenant: Tenant) -> None:
    later = T0 + timedelta(seconds=30)
    with store.transaction() as tx:
        [message_id] = add(tx, 1)
        tx.claim_outbox(T0, claim="w", until=LEASE, limit=1)
        assert tx.retry_outbox(message_id, "w", due_at=later, error="HTTP 500 " + "x" * 900)
    with store.transaction() as tx:
        assert tx.claim_outbox(later - timedelta(seconds=1), claim="w", until=LEASE,
                               limit=1) == []
        [message] = tx.claim_outbox(later, claim="w2", until=LEASE, limit=1)
    assert message.attempts == 1
    assert message.last_error is not None
    assert message.last_error.startswith("HTTP 500")
    assert len(message.last_error) == 500


def test_dead_letters_are_kept_counted_and_can_be_requeued(store: Store,
                                                           tenant: Tenant) -> None:
    now = T0 + timedelta(days=1)
    with store.transaction() as tx:
        dead_id, retrying_id, delivered_id, _waiting = add(tx, 4)
        tx.claim_outbox(T0 + timedelta(seconds=2), claim="w", until=LEASE, limit=3)
        assert tx.dead_letter_outbox(dead_id, "w", error="gave up")
        assert tx.retry_outbox(retrying_id, "w", due_at=now + timedelta(hours=1), error="500")
        assert tx.finish_outbox(delivered_id, "w", at=T0)
        tx.create_tenant(Tenant(id="t-zeta", name="Zeta"))
        add(tx, 1, tenant_id="t-zeta")
    with store.transaction() as tx:
        counts = tx.outbox_counts(tenant.id, now)
        everyone = tx.outbox_counts(None, now)
        [dead] = tx.list_outbox(tenant.id, status=OutboxStatus.DEAD)
        assert tx.requeue_outbox("t-zeta", [dead_id], at=now) == 0  # another tenant's
        assert tx.requeue_outbox(tenant.id, [dead_id, delivered_id], at=now) == 1
        [requeued] = [m for m in tx.list_outbox(tenant.id) if m.id == dead_id]
    assert counts == OutboxCounts(pending=2, due=1, retrying=1, dead=1, delivered=1,
                                  oldest_pending_at=T0 + timedelta(seconds=1))
    assert (everyone.pending, everyone.dead) == (3, 1)
    assert (dead.id, dead.attempts, dead.last_error) == (dead_id, 1, "gave up")
    assert (requeued.status, requeued.attempts, requeued.due_at) == (
        OutboxStatus.PENDING, 0, now)


def test_a_tenant_lists_only_its_own_messages(store: Store, tenant: Tenant) -> None:
    with store.transaction() as tx:
        tx.create_tenant(Tenant(id="t-zeta", name="Zeta"))
        add(tx, 2)
        add(tx, 1, tenant_id="t-zeta")
    with store.transaction() as tx:
        assert [m.tenant_id for m in tx.list_outbox("t-zeta")] == ["t-zeta"]
        assert tx.outbox_counts("t-zeta", T0).pending == 1


def test_pruning_deletes_only_old_delivered_messages(store: Store, tenant: Tenant) -> None:
    with store.transaction() as tx:
        old, recent, pending = add(tx, 3)
        tx.claim_outbox(T0 + timedelta(seconds=1), claim="w", until=LEASE, limit=2)
        tx.finish_outbox(old, "w", at=T0)
        tx.finish_outbox(recent, "w", at=T0 + timedelta(days=8))
    with store.transaction() as tx:
        assert tx.prune_outbox(T0 + timedelta(days=7)) == 1
        assert sorted(m.id for m in tx.list_outbox(tenant.id)) == [recent, pending]


def test_concurrent_claims_never_share_a_message(store_factory: StoreFactory,
                                                 tenant: Tenant) -> None:
    """Four workers with their own stores (connections) claim in small batches at once."""
    with store_factory().transaction() as tx:
        add(tx, 60)
    claimed: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(4)

    def worker(name: str) -> None:
        store = store_factory()
        start.wait()
        while True:
            with store.transaction() as tx:
                batch = tx.claim_outbox(T0 + timedelta(minutes=1), claim=name, until=LEASE,
                                        limit=3)
            if not batch:
                return
            with lock:
                claimed.update(m.id for m in batch)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(claimed) == 60
    assert max(claimed.values()) == 1
