"""Builders for tests — Warmline's own and those of people writing adapters or policies.

    conv = make_conversation(turns=[customer("I want to cancel"), ai("Sorry to hear", 0.9)])
    policy = make_policy(triggers=[{"name": "cancel", "when": 'intent == "cancel"'}])
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from warmline.core.conversation import Conversation, parse_conversation
from warmline.core.handoff import Handoff, HandoffStatus, Rep, RepStatus
from warmline.core.language.intents import IntentPrediction
from warmline.core.policy.model import Policy
from warmline.core.policy.reader import parse_policy

#: A Tuesday, mid-morning in New York: inside every bundled policy's business hours.
T0 = datetime.fromisoformat("2026-11-24T10:00:00-05:00")


def customer(text: str, **fields: Any) -> dict[str, Any]:
    return {"speaker": "customer", "text": text, **fields}


def ai(text: str, confidence: float | None = None, **fields: Any) -> dict[str, Any]:
    turn: dict[str, Any] = {"speaker": "ai", "text": text, **fields}
    if confidence is not None:
        turn["confidence"] = confidence
    return turn


def make_conversation(
    *, turns: list[Mapping[str, Any]] | None = None, start: datetime = T0,
    step_seconds: float = 5.0, **overrides: Any,
) -> Conversation:
    """A valid conversation; turns without `at` get one, `step_seconds` apart from `start`."""
    timed = []
    for i, turn in enumerate([customer("Hi, I have a question.")] if turns is None else turns):
        item = dict(turn)
        item.setdefault("at", (start + timedelta(seconds=step_seconds * (i + 1))).isoformat())
        timed.append(item)
    data: dict[str, Any] = {"id": "c-test", "channel": "chat", "started_at": start.isoformat(),
                            "customer": {}, "turns": timed}
    data.update(overrides)
    return parse_conversation(data)


def make_policy(**sections: Any) -> Policy:
    """A valid policy: a minimal base (UTC, always open, queue `front-desk`) plus
    `sections`, which replace the base's top-level keys."""
    data: dict[str, Any] = {
        "version": 1, "name": "test", "timezone": "UTC",
        "defaults": {"queue": "front-desk", "threshold": 0.6, "cost_of_escalation": 6.0},
        "queues": {"front-desk": {"skills": ["general"]}},
    }
    data.update(sections)
    return parse_policy(data, source="<test>")


class FixedClassifier:
    """An intent classifier that answers from a table of exact texts (else `oos`)."""

    def __init__(self, table: Mapping[str, IntentPrediction], default: IntentPrediction | None
                 = None) -> None:
        self.table = dict(table)
        self.default = default or IntentPrediction("oos", 0.9)
        self.calls: list[str] = []

    def predict(self, text: str) -> IntentPrediction:
        self.calls.append(text)
        return self.table.get(text, self.default)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime = T0) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> datetime:
        self.current += timedelta(seconds=seconds)
        return self.current


def seed_accept_races(tx: Any, tenant_id: str, races: int, reps: int,
                      created_at: datetime = T0) -> None:
    """`reps` available reps with the skill `general` and room for every race, and `races`
    queued handoffs `h0`..`h{races-1}` on the queue `desk`: the ground for concurrent-accept
    races (tests/integration/test_accept_races.py, bench/faults/races.py)."""
    for r in range(reps):
        tx.save_rep(Rep(id=f"rep{r}", tenant_id=tenant_id, name=f"Rep {r}",
                        skills=("general",), capacity=races + 1, status=RepStatus.AVAILABLE))
    for i in range(races):
        tx.add_handoff(Handoff(id=f"h{i}", tenant_id=tenant_id, conversation_id=f"c{i}",
                               queue="desk", status=HandoffStatus.QUEUED, priority=50,
                               mode="warm", created_at=created_at))


def post_lean(services: Any, conversation_id: str, body: Mapping[str, Any],
              tenant: str = "acme") -> dict[str, Any] | None:
    """One turn through a service's lean path (`TurnService.post_turns_async` on
    `services.fast_turns`) on a fresh event loop, its connections closed after: the
    decision, or None where the turn must go the full way (`post_turns`)."""
    store = services.fast_turns
    if store is None:
        raise ValueError("these services have no lean turn path (the in-memory store)")
    owner = services.tenants.ensure_tenant(tenant)

    async def post() -> dict[str, Any] | None:
        try:
            result: dict[str, Any] | None = await services.turns.post_turns_async(
                owner, conversation_id, body, store)
            return result
        finally:
            await store.aclose()

    return asyncio.run(post())
