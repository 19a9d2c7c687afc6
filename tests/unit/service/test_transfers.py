"""`TransferService`: a platform's transfer events move the conversation's handoff once, in
order, with typed outcomes; repeated, late, foreign and clock-skewed events change nothing
they should not."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from warmline.adapters.storage.memory import InMemoryStore
from warmline.bootstrap import Services, build_services
from warmline.config import Settings
from warmline.core.handoff import Handoff, HandoffStatus, RepStatus, Tenant
from warmline.service.transfers import TransferEvent, TransferOutcome, TransferStage
from warmline.testing import FakeClock

POLICY = """
version: 1
name: transfers-test
timezone: UTC
defaults: {queue: desk, threshold: 0.6}
triggers:
  - name: cancellation
    when: text.lowerAscii().contains("cancel")
    queue: retention
  - name: after-hours
    when: text.lowerAscii().contains("tomorrow")
    queue: closed
queues:
  desk: {skills: [general]}
  retention: {skills: [retention], transfer: {number: "+15125550100"}}
  closed: {skills: [general], hours: {sun: "01:00-02:00"}}
"""


@dataclass
class World:
    services: Services
    clock: FakeClock
    acme: Tenant
    globex: Tenant

    def escalate(self, conversation_id: str = "call-1", text: str = "I want to cancel",
                 tenant: Tenant | None = None) -> Handoff:
        turn = {"id": "t1", "speaker": "customer", "text": text,
                "at": self.clock.now().isoformat()}
        result = self.services.turns.post_turns(tenant or self.acme, conversation_id,
                                                {"turns": [turn]})
        assert result["action"] != "continue", result
        return self.handoff(result["handoff_id"], tenant)

    def handoff(self, handoff_id: str, tenant: Tenant | None = None) -> Handoff:
        with self.services.store.read() as tx:
            found = tx.get_handoff((tenant or self.acme).id, handoff_id)
        assert found is not None
        return found

    def record(self, stage: TransferStage, *, conversation_id: str = "call-1",
               tenant: Tenant | None = None, **fields: object) -> Handoff | None:
        event = TransferEvent(conversation_id, stage, **fields)  # type: ignore[arg-type]
        return self.services.transfers.record(tenant or self.acme, event)

    def event_types(self, tenant: Tenant | None = None) -> list[str]:
        with self.services.store.read() as tx:
            return [e.type for e in tx.events_after((tenant or self.acme).id, 0, limit=500)]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    clock = FakeClock()
    services = build_services(Settings(db="memory:", policy=str(policy)),
                              store=InMemoryStore(), clock=clock)
    acme = services.tenants.ensure_tenant("acme")
    globex = services.tenants.ensure_tenant("globex")
    yield World(services, clock, acme, globex)
    services.close()


def test_started_marks_the_offer_time_once(world: World) -> None:
    handoff = world.escalate()
    world.clock.advance(2)
    started = world.record(TransferStage.STARTED)
    assert started is not None
    assert started.offered_at == world.clock.now()
    world.clock.advance(5)
    again = world.record(TransferStage.STARTED)
    assert again is not None
    assert again.offered_at == started.offered_at
    assert again.status is HandoffStatus.QUEUED
    assert again.id == handoff.id


def test_bridged_means_accepted_without_a_desk_rep(world: World) -> None:
    world.escalate()
    world.clock.advance(4)
    bridged = world.record(TransferStage.BRIDGED)
    assert bridged is not None
    assert bridged.status is HandoffStatus.ACCEPTED
    assert bridged.rep_id is None
    assert bridged.accepted_at == world.clock.now()
    assert bridged.offered_at == bridged.accepted_at  # no ringing was reported: same instant
    assert "handoff.accepted" in world.event_types()


def test_bridged_frees_the_desk_rep_it_was_offered_to(world: World) -> None:
    world.services.reps.put(world.acme, "rep-1", name="Ana", skills=("retention",),
                            capacity=1, status=RepStatus.AVAILABLE)
    handoff = world.escalate()
    assert handoff.status is HandoffStatus.OFFERED
    assert handoff.rep_id == "rep-1"
    world.record(TransferStage.BRIDGED)
    assert world.services.reps.get(world.acme, "rep-1").active == 0


@pytest.mark.parametrize(("outcome", "status"), [
    (TransferOutcome.DECLINED, HandoffStatus.FAILED),
    (TransferOutcome.NO_ANSWER, HandoffStatus.FAILED),
    (TransferOutcome.BUSY, HandoffStatus.FAILED),
    (TransferOutcome.VOICEMAIL, HandoffStatus.FAILED),
    (TransferOutcome.FAILED, HandoffStatus.FAILED),
    (TransferOutcome.CALLER_LEFT, HandoffStatus.ABANDONED),
], ids=lambda v: v.value)
def test_failed_keeps_the_typed_outcome(world: World, outcome: TransferOutcome,
                                        status: HandoffStatus) -> None:
    world.escalate()
    failed = world.record(TransferStage.FAILED, outcome=outcome, detail="platform words")
    assert failed is not None
    assert (failed.status, failed.outcome, failed.note) == (status, outcome.value,
                                                           "platform words")
    assert failed.completed_at is not None
    assert world.event_types()[-1] == "handoff.failed"


def test_failed_without_an_outcome_is_a_plain_failure(world: World) -> None:
    world.escalate()
    failed = world.record(TransferStage.FAILED)
    assert failed is not None
    assert failed.outcome == "failed"


def test_ended_after_bridged_completes_the_handoff(world: World) -> None:
    world.escalate()
    world.record(TransferStage.BRIDGED)
    world.clock.advance(300)
    ended = world.record(TransferStage.ENDED)
    assert ended is not None
    assert ended.status is HandoffStatus.COMPLETED
    assert ended.completed_at == world.clock.now()


def test_ended_before_anyone_picked_up_means_the_caller_left(world: World) -> None:
    world.escalate()
    ended = world.record(TransferStage.ENDED, detail="customer-ended-call")
    assert ended is not None
    assert (ended.status, ended.outcome) == (HandoffStatus.ABANDONED, "caller_left")


def test_ended_leaves_a_booked_callback_alone(world: World) -> None:
    handoff = world.escalate(text="Can someone call me back tomorrow?")
    assert handoff.status is HandoffStatus.CALLBACK
    after = world.record(TransferStage.ENDED, detail="customer-ended-call")
    assert after is not None
    assert after.status is HandoffStatus.CALLBACK
    assert "handoff.failed" not in world.event_types()


def test_ended_does_not_finish_a_handoff_a_desk_rep_accepted(world: World) -> None:
    world.services.reps.put(world.acme, "rep-1", name="Ana", skills=("retention",),
                            capacity=1, status=RepStatus.AVAILABLE)
    handoff = world.escalate()
    world.services.handoffs.accept(world.acme, handoff.id, "rep-1")
    after = world.record(TransferStage.ENDED)
    assert after is not None
    assert after.status is HandoffStatus.ACCEPTED
    assert after.rep_id == "rep-1"


def test_a_late_or_repeated_event_changes_nothing(world: World) -> None:
    world.escalate()
    failed = world.record(TransferStage.FAILED, outcome=TransferOutcome.NO_ANSWER)
    events = world.event_types()
    for stage in TransferStage:
        after = world.record(stage)
        assert after == failed
    assert world.event_types() == events


def test_calls_warmline_never_saw_or_never_escalated_are_ignored(world: World) -> None:
    assert world.record(TransferStage.BRIDGED, conversation_id="unknown-call") is None
    turn = {"id": "t1", "speaker": "customer", "text": "What time do you open?",
            "at": world.clock.now().isoformat()}
    world.services.turns.post_turns(world.acme, "call-2", {"turns": [turn]})
    assert world.record(TransferStage.ENDED, conversation_id="call-2") is None


def test_another_tenant_cannot_move_the_handoff(world: World) -> None:
    handoff = world.escalate()
    assert world.record(TransferStage.BRIDGED, tenant=world.globex) is None
    assert world.handoff(handoff.id).status is HandoffStatus.QUEUED
    assert world.event_types(world.globex) == []


def test_a_platform_clock_behind_ours_never_makes_handoff_time_negative(world: World) -> None:
    handoff = world.escalate()
    early = handoff.created_at - timedelta(seconds=3)
    bridged = world.record(TransferStage.BRIDGED, at=early)
    assert bridged is not None
    assert bridged.accepted_at == handoff.created_at
    ended = world.record(TransferStage.ENDED, at=early)
    assert ended is not None
    assert ended.completed_at == bridged.accepted_at


def test_a_platform_clock_ahead_of_ours_is_taken_as_now(world: World) -> None:
    world.escalate()
    bridged = world.record(TransferStage.BRIDGED, at=world.clock.now() + timedelta(hours=1))
    assert bridged is not None
    assert bridged.accepted_at == world.clock.now()


def test_a_platform_time_in_range_is_kept(world: World) -> None:
    handoff = world.escalate()
    world.clock.advance(60)
    at = handoff.created_at + timedelta(seconds=7)
    bridged = world.record(TransferStage.BRIDGED, at=at)
    assert bridged is not None
    assert bridged.accepted_at == at
