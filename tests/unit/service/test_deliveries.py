"""Notify latency's record and read (`warmline.service.deliveries`) on the in-memory store:
first delivery only, replays ignored, the window's start found by binary search, and one
tenant's deliveries never read for another."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warmline.adapters.storage.memory import InMemoryStore
from warmline.core.handoff import Tenant
from warmline.service.deliveries import DELIVERED, DeliveryLog, start_cursor
from warmline.service.ports import Event
from warmline.testing import FakeClock

ACME, GLOBEX = Tenant("t-acme", "acme"), Tenant("t-globex", "globex")


@pytest.fixture
def store() -> InMemoryStore:
    store = InMemoryStore()
    with store.transaction() as tx:
        tx.create_tenant(ACME)
        tx.create_tenant(GLOBEX)
    return store


def created(store: InMemoryStore, clock: FakeClock, handoff_id: str,
            tenant: Tenant = ACME) -> Event:
    with store.transaction() as tx:
        event_id = tx.add_event(tenant.id, "handoff.created", {"handoff_id": handoff_id},
                                clock.now())
        [event] = tx.events_after(tenant.id, event_id - 1, 1)
    return event


def test_the_first_delivery_is_recorded_once(store: InMemoryStore) -> None:
    clock = FakeClock()
    log = DeliveryLog(store, clock)
    opened = clock.now()
    event = created(store, clock, "h-1")
    clock.advance(0.3)
    assert log.record(ACME.id, [event], opened) == 1
    clock.advance(5)
    assert log.record(ACME.id, [event], opened) == 0  # another stream, later: not again
    with store.read() as tx:
        assert log.read(tx, ACME.id, opened - timedelta(hours=1)) == {"h-1": 0.3}


def test_other_workers_deliveries_keep_the_smallest(store: InMemoryStore) -> None:
    clock = FakeClock()
    opened = clock.now()
    event = created(store, clock, "h-1")
    clock.advance(2)
    DeliveryLog(store, clock).record(ACME.id, [event], opened)  # a slow worker first
    clock.advance(-1.5)
    DeliveryLog(store, clock).record(ACME.id, [event], opened)
    with store.read() as tx:
        assert DeliveryLog(store, clock).read(tx, ACME.id, opened) == {"h-1": 0.5}


def test_a_replay_of_old_events_is_not_a_notification(store: InMemoryStore) -> None:
    clock = FakeClock()
    old = created(store, clock, "h-old")
    clock.advance(3600)
    log = DeliveryLog(store, clock)
    assert log.record(ACME.id, [old], opened_at=clock.now()) == 0
    clock.advance(-30)  # a desk that reconnects within the grace still counts
    recent = created(store, clock, "h-recent")
    clock.advance(40)
    assert log.record(ACME.id, [recent], opened_at=clock.now() - timedelta(seconds=5)) == 1


def test_only_handoff_created_events_are_deliveries(store: InMemoryStore) -> None:
    clock = FakeClock()
    other = Event(1, ACME.id, "handoff.accepted", {"handoff_id": "h-1"}, clock.now())
    assert DeliveryLog(store, clock).record(ACME.id, [other], clock.now()) == 0


def test_the_window_start_is_found_by_binary_search(store: InMemoryStore) -> None:
    clock = FakeClock()
    start = clock.now()
    ids = []
    for i in range(50):  # one event a minute, the other tenant's in between
        ids.append(created(store, clock, f"h-{i}").id)
        created(store, clock, f"g-{i}", GLOBEX)
        clock.advance(60)
    with store.read() as tx:
        assert start_cursor(tx, ACME.id, start) == 0
        # events at minutes 0..49: from minute 20 on, the cursor is the id of minute 19
        assert start_cursor(tx, ACME.id, start + timedelta(minutes=20)) == ids[19]
        assert start_cursor(tx, ACME.id, start + timedelta(minutes=19, seconds=1)) == ids[19]
        assert start_cursor(tx, ACME.id, start + timedelta(hours=5)) == ids[-1]


def test_reads_go_on_from_where_they_stopped_and_stay_in_their_tenant(
        store: InMemoryStore) -> None:
    clock = FakeClock()
    opened = clock.now()
    log = DeliveryLog(store, clock)
    first = created(store, clock, "h-1")
    theirs = created(store, clock, "g-1", GLOBEX)
    clock.advance(1)
    log.record(ACME.id, [first], opened)
    log.record(GLOBEX.id, [theirs], opened)
    with store.read() as tx:
        assert log.read(tx, ACME.id, opened) == {"h-1": 1.0}
    second = created(store, clock, "h-2")
    clock.advance(0.5)
    log.record(ACME.id, [second], opened)
    with store.transaction() as tx:  # a malformed one is skipped, not an error
        tx.add_event(ACME.id, DELIVERED, {"handoff_id": 7, "seconds": "soon"}, clock.now())
    with store.read() as tx:
        assert log.read(tx, ACME.id, opened) == {"h-1": 1.0, "h-2": 0.5}
        assert log.read(tx, GLOBEX.id, opened) == {"g-1": 1.0}
