"""An escalation reads the tenant's reps once: the decision's free-rep check and the offer
share one read (`Dispatcher.offer(reps=...)`), and a rep taken since that read is skipped —
the next pick reads the reps afresh. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event

from warmline.bootstrap import Services
from warmline.core.handoff import Handoff, HandoffStatus, RepStatus

AT = "2026-11-24T15:00:{:02d}+00:00"


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.postgres)])
def services(request: pytest.FixtureRequest, services_on: Callable[..., Services]) -> Services:
    return services_on(request.getfixturevalue(f"{request.param}_url"))


@contextmanager
def rep_reads(services: Services) -> Iterator[list[str]]:
    """The SELECTs from `reps` run meanwhile."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM reps" in statement:
            seen.append(statement)

    engine = services.store.engine  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_an_escalation_offered_to_a_free_rep_reads_the_reps_once(services: Services) -> None:
    tenant = services.tenants.ensure_tenant("acme")
    services.reps.put(tenant, "ret", skills=("retention",), status=RepStatus.AVAILABLE)
    body = {"turns": [{"speaker": "customer", "text": "I want to cancel my account",
                       "at": AT.format(1)}]}
    with rep_reads(services) as reads:
        decision = services.turns.post_turns(tenant, "c1", body)
    assert decision["action"] == "escalate"
    handoff, _ = services.handoffs.get(tenant, decision["handoff_id"])
    assert (handoff.status, handoff.rep_id) == (HandoffStatus.OFFERED, "ret")
    assert len(reads) == 1


def test_a_rep_taken_since_the_read_is_skipped_and_the_reps_read_again(
        services: Services) -> None:
    tenant = services.tenants.ensure_tenant("acme")
    policy = services.tenants.decider_for(tenant).policy
    queue = next(q for q in policy.queues.values() if q.is_staffed)
    for rep_id in ("a", "b"):
        services.reps.put(tenant, rep_id, skills=queue.skills, status=RepStatus.AVAILABLE)
    read_before = services.reps.list(tenant)
    services.reps.put(tenant, "a", status=RepStatus.BUSY)  # "a" went busy after that read
    queued = Handoff("h-1", tenant.id, "c1", queue.name, HandoffStatus.QUEUED, 50, "warm",
                     services.clock.now())
    with services.store.transaction() as tx:
        tx.add_handoff(queued)
    stale = [replace(r, idle_since=None) if r.id == "a" else r for r in read_before]  # "a" first
    with services.store.transaction() as tx, rep_reads(services) as reads:
        offered = services.dispatcher.offer(tx, tenant, queued, policy, services.clock.now(),
                                            reps=stale)
    assert (offered.status, offered.rep_id) == (HandoffStatus.OFFERED, "b")
    assert len(reads) == 1  # the second pick read the reps afresh
    assert services.reps.get(tenant, "a").active == 0
