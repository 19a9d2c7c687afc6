"""What-if: a policy (the draft, or posted YAML) against the published one over the tenant's
stored conversations. Each conversation is replayed turn by turn under both, as the server
decided it (a conversation escalates once); the answer counts escalations by action, reason
and queue before and after, and lists every conversation whose decision changes with both
decisions and the turn where they first differ."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from warmline.core.conversation import parse_conversation
from warmline.core.decision.model import Decision
from warmline.core.errors import InvalidInput
from warmline.service.deciding import Decider

#: The changed conversations listed in full at most (the counts cover all).
MAX_CHANGED = 500


@dataclass
class Tally:
    conversations: int = 0
    escalated: int = 0
    by_action: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)
    by_queue: Counter[str] = field(default_factory=Counter)

    def add(self, decision: Decision) -> None:
        self.conversations += 1
        self.by_action[decision.action.value] += 1
        if decision.is_handoff:
            self.escalated += 1
            self.by_reason.update({r.code.value for r in decision.reasons})
            if decision.destination is not None:
                self.by_queue[decision.destination.queue] += 1

    def to_dict(self) -> dict[str, Any]:
        rate = self.escalated / self.conversations if self.conversations else 0.0
        return {"conversations": self.conversations, "escalated": self.escalated,
                "escalation_rate": round(rate, 4), "by_action": dict(self.by_action),
                "by_reason": dict(self.by_reason), "by_queue": dict(self.by_queue)}


def _key(decision: Decision) -> tuple[str, str | None]:
    return decision.action.value, (decision.destination.queue if decision.destination
                                   else None)


def _at(turn: Any) -> datetime | None:
    text = turn.get("at") if isinstance(turn, dict) else None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def replay_both(data: Mapping[str, Any], before: Decider, after: Decider
                ) -> tuple[Decision, Decision, int | None]:
    """Both policies' decisions on one stored conversation (each its first handoff, else
    its decision on the last turn) and the 1-based turn where they first differ."""
    turns = list(data.get("turns") or [])
    done: list[Decision | None] = [None, None]
    last: list[Decision | None] = [None, None]
    first_diff: int | None = None
    for k in range(1, len(turns) + 1):
        conversation = parse_conversation({**data, "turns": turns[:k]},
                                          source=f"conversation {data.get('id')}")
        now = _at(turns[k - 1])
        for side, decider in enumerate((before, after)):
            if done[side] is None:
                last[side] = decider.decide(conversation, now=now)
                if last[side].is_handoff:  # type: ignore[union-attr]
                    done[side] = last[side]
        b, a = last
        if first_diff is None and b is not None and a is not None and _key(b) != _key(a):
            first_diff = k
        if done[0] is not None and done[1] is not None:
            break
    b, a = done[0] or last[0], done[1] or last[1]
    if b is None or a is None:
        raise InvalidInput(f"conversation {data.get('id')} has no turns")
    return b, a, first_diff if _key(b) != _key(a) else None


def what_if(stored: Iterable[Mapping[str, Any]], before: Decider, after: Decider
            ) -> dict[str, Any]:
    tallies = Tally(), Tally()
    changed: list[dict[str, Any]] = []
    count = skipped = differing = 0
    for data in stored:
        try:
            b, a, turn = replay_both(data, before, after)
        except InvalidInput:
            skipped += 1
            continue
        count += 1
        tallies[0].add(b)
        tallies[1].add(a)
        if turn is not None:
            differing += 1
            if len(changed) < MAX_CHANGED:
                turns = data.get("turns") or []
                turn_id = turns[turn - 1].get("id") if isinstance(turns[turn - 1], dict) \
                    else None
                changed.append({"conversation_id": data.get("id"), "first_differs_at_turn":
                                turn, "turn_id": turn_id, "before": b.to_dict(),
                                "after": a.to_dict()})
    out: dict[str, Any] = {"conversations": count, "skipped": skipped,
                           "before": tallies[0].to_dict(), "after": tallies[1].to_dict(),
                           "changed_count": differing, "changed": changed}
    if count == 0:
        out["message"] = "no stored conversations in the window"
    return out
