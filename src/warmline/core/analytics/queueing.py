"""Waiting in a queue: how long accepted handoffs waited for a rep (per queue, over a
window) and what waits now. Pure: handoffs and `now` in."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from warmline.core.analytics.distribution import Distribution, describe
from warmline.core.handoff import Handoff, HandoffStatus

#: Handoff-time histogram bucket edges in seconds: [low, high), the last one open-ended.
HISTOGRAM_EDGES = (0, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300)
WAITING = frozenset({HandoffStatus.QUEUED, HandoffStatus.OFFERED})


@dataclass(frozen=True, slots=True)
class QueueWait:
    waiting: int
    callbacks: int
    longest_wait_seconds: float | None


def pickup_seconds(handoff: Handoff) -> float:
    assert handoff.accepted_at is not None
    return max(0.0, (handoff.accepted_at - handoff.created_at).total_seconds())


def queue_times(handoffs: Sequence[Handoff]) -> dict[str, Distribution]:
    """Per queue: created -> accepted of its accepted handoffs, queues by name."""
    waits: dict[str, list[float]] = defaultdict(list)
    for h in handoffs:
        if h.accepted_at is not None:
            waits[h.queue].append(pickup_seconds(h))
    return {q: describe(waits[q], HISTOGRAM_EDGES) for q in sorted(waits)}


def queue_waits(open_handoffs: Iterable[Handoff], now: datetime) -> dict[str, QueueWait]:
    """Per queue, now: handoffs waiting for pickup (queued or offered), scheduled callbacks,
    and how long the longest-waiting one has waited."""
    waits: dict[str, list[float]] = defaultdict(list)
    callbacks: Counter[str] = Counter()
    for h in open_handoffs:
        if h.status in WAITING:
            waits[h.queue].append(max(0.0, (now - h.created_at).total_seconds()))
        elif h.status is HandoffStatus.CALLBACK:
            callbacks[h.queue] += 1
    names = sorted(set(waits) | set(callbacks))
    return {q: QueueWait(len(waits[q]), callbacks[q], max(waits[q], default=None))
            for q in names}
