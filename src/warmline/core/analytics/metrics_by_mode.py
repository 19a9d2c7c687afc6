"""The per-mode comparison of `analytics.metrics` (no IO): mean CSAT and the repeat-contact rate
of warm vs cold (and any other mode) handoffs, and the customer contact the latter reads.
`warmline.core.analytics.metrics` re-exports every name here."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from warmline.core.analytics.estimate import Mean, Rate, bootstrap_mean
from warmline.core.handoff import Handoff
from warmline.core.policy.model import Mode

MODES = tuple(m.value for m in Mode)


@dataclass(frozen=True, slots=True)
class CustomerContact:
    """A customer's conversation: when it started, for repeat contacts."""

    customer_key: str
    conversation_id: str
    at: datetime


def csat_by_mode(handoffs: Sequence[Handoff]) -> dict[str, Mean]:
    """Mean CSAT with a bootstrap interval per mode; warm and cold are always present."""
    scores: dict[str, list[float]] = {mode: [] for mode in MODES}
    for h in handoffs:
        if h.csat is not None:
            scores.setdefault(h.mode, []).append(float(h.csat))
    return {mode: bootstrap_mean(values) for mode, values in scores.items()}


def repeat_contact(handoffs: Sequence[Handoff],
                   contacts: Mapping[str, Sequence[tuple[datetime, str]]],
                   within: timedelta) -> dict[str, Rate]:
    """Per mode (and "overall"): handoffs whose customer has a contact in another
    conversation in (created_at, created_at + within]. Handoffs with no customer are left
    out: nobody can tell whether they came back."""
    hits: dict[str, list[bool]] = {"overall": [], **{mode: [] for mode in MODES}}
    for h in handoffs:
        if not h.customer_key:
            continue
        mine = contacts.get(h.customer_key, ())
        start = bisect.bisect_right(mine, (h.created_at, "\U0010ffff"))
        came_back = any(conversation != h.conversation_id
                        for at, conversation in mine[start:]
                        if at <= h.created_at + within)
        hits["overall"].append(came_back)
        hits.setdefault(h.mode, []).append(came_back)
    return {mode: Rate(sum(flags), len(flags)) for mode, flags in hits.items()}
