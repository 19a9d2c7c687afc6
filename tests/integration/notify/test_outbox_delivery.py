"""The outbox end to end: handoffs made through the services write their notifications in
the same transaction, and the worker delivers them to a real local receiver that fails, hangs,
goes down for an hour and comes back — on a fake clock, so a day of retries takes seconds.
From the receiver's side (deduplicating on `webhook-id`) every event arrives exactly once."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from warmline.adapters.storage.memory import InMemoryStore
from warmline.adapters.storage.sql import SqlStore
from warmline.bootstrap import Services, build_notifiers, build_services
from warmline.config import Settings
from warmline.core.handoff import RepStatus, Tenant
from warmline.service.outbox import OutboxService
from warmline.service.ports import OutboxStatus, Store
from warmline.service.transfers import TransferEvent, TransferOutcome, TransferStage
from warmline.testing import FakeClock

from .conftest import SECRET, Receiver

POLICY = """
version: 1
name: outbox-test
timezone: UTC
defaults: {{queue: desk, threshold: 0.6}}
triggers:
  - name: cancellation
    when: text.lowerAscii().contains("cancel")
    queue: retention
    priority: 90
    tags: [cancellation-risk]
    notify: [sales-slack]
queues:
  desk: {{skills: [general]}}
  retention: {{skills: [retention]}}
notify:
  crm: {{type: webhook, url: "{url}/hooks", secret: "{secret}", timeout: {timeout},
         events: [handoff.created, handoff.accepted, handoff.completed, crm.note]}}
  audit: {{type: webhook, url: "{url}/audit", secret: "{secret}", timeout: {timeout}}}
  sales-slack: {{type: slack, url: "{url}/slack/T0/B0/x", timeout: {timeout}}}
"""


class World:
    def __init__(self, services: Services, clock: FakeClock, tenant: Tenant) -> None:
        self.services, self.clock, self.tenant = services, clock, tenant
        self.outbox = worker(services, clock)
        self.count = 0

    def escalate(self, text: str = "I want to cancel my plan") -> str | None:
        self.count += 1
        turn = {"speaker": "customer", "text": text, "at": self.clock.now().isoformat()}
        decision = self.services.turns.post_turns(
            self.tenant, f"c-{self.count}", {"turns": [turn], "customer": {"id": "cust-7"}})
        handoff_id: str | None = decision.get("handoff_id")
        return handoff_id

    def run(self, minutes: float, step_seconds: float = 60.0,
            until: Callable[[], bool] = lambda: False) -> None:
        """Advance the fake clock step by step, running the worker at each step."""
        for _ in range(int(minutes * 60 / step_seconds)):
            self.clock.advance(step_seconds)
            self.outbox.deliver_due()
            if until():
                return

    def messages(self) -> list[Any]:
        with self.services.store.read() as tx:
            return tx.list_outbox(self.tenant.id, limit=10_000)


def worker(services: Services, clock: FakeClock) -> OutboxService:
    """A worker on the services' store with the fake clock and a seeded jitter."""
    assert services.outbox is not None
    return replace(services.outbox, clock=clock, draw=random.Random(5).random,
                   notifiers=build_notifiers(allow_private=True))  # a 127.0.0.1 receiver


def make_world(store: Store, tmp_path: Path, receiver: Receiver, *, timeout: float = 0.3
               ) -> World:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(url=receiver.url, secret=SECRET, timeout=timeout))
    clock = FakeClock()
    services = build_services(Settings(db="memory:", public_url="https://wl.example.com",
                                       allow_private_targets=True),
                              store=store, clock=clock)
    tenant = services.tenants.ensure_tenant("acme", policy=str(policy))
    return World(services, clock, tenant)


@pytest.fixture(params=["memory", "sqlite"])
def world(request: pytest.FixtureRequest, tmp_path: Path, receiver: Receiver,
          emptier: Callable[[SqlStore], None]) -> Iterator[World]:
    if request.param == "memory":
        store: Store = InMemoryStore()
    else:
        store = SqlStore(request.getfixturevalue("sqlite_url"))
        emptier(store)
    found = make_world(store, tmp_path, receiver)
    yield found
    found.services.close()


def test_a_handoff_writes_its_notifications_with_it(world: World, receiver: Receiver) -> None:
    handoff_id = world.escalate()
    by_target = sorted((m.target, m.type) for m in world.messages())
    assert by_target == [("audit", "handoff.created"), ("crm", "crm.note"),
                         ("crm", "handoff.created"), ("sales-slack", "handoff.created")]
    assert world.escalate("hello there") is None  # continue: no handoff, no message
    assert len(world.messages()) == 4
    created = next(m for m in world.messages() if m.target == "crm" and m.type != "crm.note")
    data = created.payload["data"]
    assert (data["handoff_id"], data["queue"], data["priority"], data["customer_id"]) == (
        handoff_id, "retention", 90, "cust-7")
    assert data["reasons"][0]["rule"] == "cancellation"
    assert data["brief"]["summary"]
    assert data["desk_url"] == f"https://wl.example.com/desk#card-{handoff_id}"
    note = next(m for m in world.messages() if m.type == "crm.note").payload["data"]["note"]
    assert note["subject"] == "Warm handoff to retention (priority 90)"
    assert "Why: cancellation (trigger)." in note["body"]


def test_a_continue_or_a_policy_without_notify_writes_nothing(tmp_path: Path,
                                                             receiver: Receiver) -> None:
    world = make_world(InMemoryStore(), tmp_path, receiver)
    tenant = world.services.tenants.ensure_tenant("plain", policy="general")
    turn = {"speaker": "customer", "text": "I want to cancel", "at": world.clock.now().isoformat()}
    assert world.services.turns.post_turns(tenant, "c-1", {"turns": [turn]})["handoff_id"]
    with world.services.store.read() as tx:
        assert tx.list_outbox(tenant.id) == []


def test_lifecycle_events_reach_the_targets_that_subscribe(world: World,
                                                          receiver: Receiver) -> None:
    handoff_id = world.escalate()
    assert handoff_id is not None
    world.services.reps.put(world.tenant, "r-1", skills=("retention",),
                            status=RepStatus.AVAILABLE)
    world.services.handoffs.accept(world.tenant, handoff_id, "r-1")
    world.services.handoffs.complete(world.tenant, handoff_id, "r-1", outcome="retained")
    world.run(minutes=1)
    got = sorted((body["type"], m) for m, body in receiver.processed.items())
    types = [kind for kind, _ in got]
    # crm: created, note, accepted, completed; audit: created, accepted, completed.
    assert sorted(types) == sorted(["handoff.created", "crm.note", "handoff.accepted",
                                    "handoff.completed", "handoff.created",
                                    "handoff.accepted", "handoff.completed"])
    completed = [b for b in receiver.processed.values() if b["type"] == "handoff.completed"]
    assert completed[0]["data"]["outcome"] == "retained"
    assert completed[0]["data"]["rep_id"] == "r-1"
    [slack] = receiver.slack
    assert slack["blocks"][0]["text"]["text"] == "New handoff: retention · priority 90"
    assert world.outbox.counts(world.tenant).delivered == 8


def test_failures_and_timeouts_are_retried_until_each_event_arrives_once(
        world: World, receiver: Receiver) -> None:
    receiver.status = 500
    for _ in range(3):
        world.escalate()
    world.run(minutes=3)
    receiver.status, receiver.delay = 200, 0.6  # it works now, but slower than the timeout
    world.run(minutes=1)
    receiver.delay = 0.0  # recovered
    world.run(minutes=60, until=lambda: world.outbox.counts().pending == 0)
    time.sleep(0.7)  # let the timed-out requests finish on the receiver's side
    messages = world.messages()
    webhooks = {m.message_id for m in messages if m.target != "sales-slack"}
    assert set(receiver.processed) == webhooks  # each once, after dedupe on webhook-id
    assert receiver.duplicates > 0  # the timed-out attempts did reach it
    assert all(m.status is OutboxStatus.DELIVERED for m in messages)
    assert max(m.attempts for m in messages) >= 2
    assert receiver.bad_signatures == 0


def test_receiver_down_for_an_hour_gets_every_event_after_it_returns(
        world: World, receiver: Receiver) -> None:
    """Issue #7's fault: the receiver is down (connection refused) for an hour of simulated
    time while handoffs keep coming; within one retry cap of its return, all have arrived."""
    receiver.stop()
    for _ in range(6):
        world.escalate()
        world.run(minutes=10)
    assert receiver.processed == {}
    counts = world.outbox.counts(world.tenant)
    assert counts.pending == 6 * 4
    assert counts.dead == 0
    receiver.start()
    back = world.clock.now()
    cap = timedelta(seconds=world.outbox.schedule.cap_seconds)
    world.run(minutes=60, until=lambda: world.outbox.counts().pending == 0)
    assert world.clock.now() - back <= cap + timedelta(minutes=1)
    assert len(receiver.processed) == 6 * 3  # crm (created + note) and audit, per handoff
    assert len(receiver.slack) == 6


def test_a_message_is_retried_for_24_hours_then_dead_lettered(world: World,
                                                             receiver: Receiver) -> None:
    receiver.status = 503
    world.escalate()
    start = world.clock.now()
    world.run(minutes=23 * 60 + 50, step_seconds=600)
    counts = world.outbox.counts(world.tenant)
    assert (counts.pending, counts.dead) == (4, 0)
    world.run(minutes=60, step_seconds=600,
              until=lambda: world.outbox.counts().dead == 4)
    assert world.clock.now() - start >= timedelta(hours=24)
    dead = world.outbox.dead_letters(world.tenant)
    assert len(dead) == 4
    assert all(m.attempts >= 20 for m in dead)
    assert dead[0].last_error is not None
    assert "answered HTTP 503" in dead[0].last_error
    receiver.status = 200  # fixed: a requeue delivers them
    assert world.outbox.requeue(world.tenant, [m.id for m in dead]) == 4
    world.run(minutes=1)
    assert world.outbox.counts(world.tenant).delivered == 4


def test_a_restarted_worker_delivers_what_a_dead_one_had_claimed(world: World,
                                                                 receiver: Receiver) -> None:
    world.escalate()
    with world.services.store.transaction() as tx:  # a worker claims, then dies
        claimed = tx.claim_outbox(world.clock.now(), claim="dead-worker",
                                  until=world.clock.now() + world.outbox.lease, limit=50)
    assert len(claimed) == 4
    world.outbox = worker(world.services, world.clock)  # a new process
    world.run(minutes=1)
    assert receiver.processed == {}  # still claimed by the dead worker
    world.run(minutes=10, until=lambda: world.outbox.counts().pending == 0)
    assert len(receiver.processed) == 3
    assert len(receiver.slack) == 1


@pytest.mark.postgres
def test_two_workers_on_postgresql_never_deliver_a_message_twice(
        pg_url: str, tmp_path: Path, receiver: Receiver,
        emptier: Callable[[SqlStore], None]) -> None:
    first = SqlStore(pg_url)
    emptier(first)
    world = make_world(first, tmp_path, receiver)
    second_store = SqlStore(pg_url)
    try:
        for _ in range(15):
            world.escalate()
        workers = [replace(world.outbox, batch=4),
                   replace(worker(world.services, world.clock), store=second_store, batch=4)]
        start = threading.Barrier(2)

        def drain(outbox: OutboxService) -> None:
            start.wait()
            while outbox.deliver_due():
                pass

        threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(receiver.processed) == 15 * 3
        assert receiver.duplicates == 0
        # Raw requests, before any dedupe: one per webhook-id, fifteen Slack posts.
        assert {n for key, n in receiver.attempts.items() if key.startswith("msg_")} == {1}
        assert receiver.attempts["/slack/T0/B0/x"] == 15
        assert world.outbox.counts().delivered == 15 * 4
    finally:
        world.services.close()
        second_store.close()


def test_a_platform_reported_transfer_failure_is_a_handoff_failed_webhook(
        world: World, receiver: Receiver) -> None:
    world.escalate()
    failed = world.services.transfers.record(world.tenant, TransferEvent(
        "c-1", TransferStage.FAILED, outcome=TransferOutcome.NO_ANSWER))
    assert failed is not None
    world.run(minutes=1)
    [body] = [b for b in receiver.processed.values() if b["type"] == "handoff.failed"]
    assert (body["data"]["status"], body["data"]["outcome"]) == ("failed", "no_answer")
    assert [m.target for m in world.messages() if m.type == "handoff.failed"] == ["audit"]
