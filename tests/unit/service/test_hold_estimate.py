"""`hold_estimate`: position and wait from the handoffs ahead, the queue's handle time and
the reps who could take them — with the reps the turn's transaction already read, when it
passes them, instead of reading them again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from warmline.adapters.policy_files import load_policy
from warmline.core.handoff import Handoff, HandoffStatus, Rep, RepStatus, Tenant
from warmline.service.turns import hold_estimate

AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


class FakeTx:
    def __init__(self, reps: list[Rep]) -> None:
        self.reps = reps
        self.rep_reads = 0

    def count_ahead(self, *_args: Any) -> int:
        return 2

    def handle_seconds(self, *_args: Any) -> list[float]:
        return [100.0, 200.0]

    def list_reps(self, _tenant_id: str) -> list[Rep]:
        self.rep_reads += 1
        return self.reps


def rep(rep_id: str, status: RepStatus, skills: tuple[str, ...]) -> Rep:
    return Rep(rep_id, "t", rep_id, skills=skills, status=status)


def test_the_wait_is_shared_by_the_reps_who_could_take_it_and_passed_reps_are_not_reread(
        ) -> None:
    policy = load_policy("saas")
    queue = next(q for q in policy.queues.values() if q.skills)
    handoff = Handoff("h", "t", "c", queue.name, HandoffStatus.QUEUED, 50, "warm", AT)
    tenant = Tenant("t", "acme")
    able = [rep("a", RepStatus.AVAILABLE, queue.skills), rep("b", RepStatus.BUSY, queue.skills)]
    unable = [rep("c", RepStatus.OFFLINE, queue.skills), rep("d", RepStatus.AVAILABLE, ())]
    read_here = FakeTx(able + unable)
    assert hold_estimate(read_here, tenant, handoff, policy) == {  # type: ignore[arg-type]
        "position": 3, "estimated_wait_seconds": round(3 * 150 / 2)}
    assert read_here.rep_reads == 1
    passed = FakeTx([])  # would mean one rep (the floor) if it were read
    assert hold_estimate(passed, tenant, handoff, policy, able + unable) == {  # type: ignore[arg-type]
        "position": 3, "estimated_wait_seconds": round(3 * 150 / 2)}
    assert passed.rep_reads == 0
