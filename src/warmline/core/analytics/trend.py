"""Escalation rate over time, by reason code: the window cut into equal buckets, each with its
own denominator (conversations decided in that bucket), so a busy afternoon does not read as
a rise in the rate. Pure: the caller counts conversations per bucket."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from warmline.core.analytics.estimate import Rate
from warmline.core.handoff import Handoff

#: Bucket widths to choose from, smallest first: the first that cuts the window into at most
#: `MAX_BUCKETS` buckets is used (an hour for a day, half a day for a week ...).
WIDTHS = tuple(timedelta(hours=h) for h in (1, 2, 3, 6, 12, 24, 48, 24 * 7, 24 * 14, 24 * 30))
MAX_BUCKETS = 24


@dataclass(frozen=True, slots=True)
class TrendBucket:
    start: datetime
    conversations: int
    escalated: Rate
    by_reason: dict[str, Rate]


@dataclass(frozen=True, slots=True)
class Trend:
    width: timedelta
    buckets: tuple[TrendBucket, ...]
    reasons: tuple[str, ...]
    """Every reason code seen in the window, most frequent first; each bucket has them all."""

    def to_dict(self) -> dict[str, Any]:
        return {"bucket_seconds": int(self.width.total_seconds()), "reasons": list(self.reasons),
                "buckets": [{"start": b.start.astimezone(UTC).isoformat(),
                             "conversations": b.conversations,
                             "escalated": b.escalated.to_dict(),
                             "by_reason": {k: r.to_dict() for k, r in b.by_reason.items()}}
                            for b in self.buckets]}


def bucket_width(since: datetime, until: datetime) -> timedelta:
    """The smallest of `WIDTHS` that gives at most `MAX_BUCKETS` buckets (else the largest)."""
    span = until - since
    return next((w for w in WIDTHS if span / w <= MAX_BUCKETS), WIDTHS[-1])


def bucket_starts(since: datetime, until: datetime, width: timedelta) -> list[datetime]:
    """since, since + width, ... while before until (the last bucket may be shorter)."""
    starts, at = [], since
    while at < until:
        starts.append(at)
        at += width
    return starts


def trend(handoffs: Sequence[Handoff], starts: Sequence[datetime], width: timedelta,
          conversations: Sequence[int],
          reasons_of: Callable[[Handoff], list[tuple[str, str]]]) -> Trend:
    """Per bucket: escalated conversations / conversations, overall and by reason code. A
    handoff counts in the bucket of its `created_at`; handoffs outside every bucket are
    ignored. `conversations[i]` is the count of bucket `starts[i]`."""
    if len(starts) != len(conversations):
        raise ValueError(f"{len(starts)} buckets but {len(conversations)} conversation counts")
    escalated: list[set[str]] = [set() for _ in starts]
    by_reason: list[dict[str, set[str]]] = [defaultdict(set) for _ in starts]
    seen: dict[str, set[str]] = defaultdict(set)
    for h in handoffs:
        i = _index(h.created_at, starts, width)
        if i is None:
            continue
        escalated[i].add(h.conversation_id)
        for code, _ in reasons_of(h):
            by_reason[i][code].add(h.conversation_id)
            seen[code].add(h.conversation_id)
    order = tuple(sorted(seen, key=lambda code: (-len(seen[code]), code)))
    found = []
    for i, start in enumerate(starts):
        # Never below the numerator: a conversation decided before the bucket but escalated
        # in it still counts once.
        total = max(conversations[i], len(escalated[i]))
        found.append(TrendBucket(start, conversations[i], Rate(len(escalated[i]), total),
                                 {code: Rate(len(by_reason[i][code]), total)
                                  for code in order}))
    return Trend(width, tuple(found), order)


def _index(at: datetime, starts: Sequence[datetime], width: timedelta) -> int | None:
    if not starts or at < starts[0]:
        return None
    i = int((at - starts[0]) / width)
    return i if i < len(starts) else None
