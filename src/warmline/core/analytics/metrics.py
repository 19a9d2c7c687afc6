"""The SPEC §6 metrics of a time window, computed from handoff values (no IO): the caller
passes the window's handoffs, how many conversations were decided in it, the customers'
later contacts and what waits now. `Metrics.to_dict()` is the JSON of `GET /v1/metrics`:

```
window          {since, until}: ISO times in UTC; the window is since <= t < until
filters         {queue, question_type, mode, rule}: null when not filtering
conversations   conversations decided in the window (the escalation-rate denominator)
handoffs        handoffs created in the window that pass the filters
escalation      {rate, by_reason{code}, by_rule{rule}, by_question_type{label}}: RATE each;
                escalated conversations / conversations, so every by_* rate shares the
                overall denominator ("unknown" collects handoffs without a question type)
handoff_time    {accepted, p50_seconds, p90_seconds, p99_seconds, under_10s: RATE,
                 histogram: [{low, high, count}]}: created -> accepted, accepted ones only;
                percentiles interpolate linearly; the last bucket's high is null
csat            {warm: MEAN, cold: MEAN, ...}: CSAT of handoffs with one, by mode
repeat_contact  {window_days, overall: RATE, warm: RATE, cold: RATE, ...}: handoffs whose
                customer contacts again (another conversation) within window_days after the
                handoff, among handoffs with a known customer. Handoffs younger than
                window_days have had less time to see a repeat.
abandonment     RATE: handoffs abandoned (customer left before pickup) / handoffs
failures        {rate: RATE, by_type{type}: count}: failed or abandoned transfers; the type
                is the failure's outcome (declined, no_answer, voicemail ...), "caller_left"
                for abandoned ones, "failed" when no outcome was recorded
by_status       {status: count} for every handoff status
by_action       {continue, escalate, hold, callback: count}: conversations by their decision's
                action; "continue" = conversations that did not escalate
queues          {queue: {waiting, callbacks, longest_wait_seconds}}: now, not the window
queue_times     {queue: DIST}: created -> accepted of the window's accepted handoffs, by the
                queue that accepted them (after any overflow)
notify_latency  {handoffs, ...DIST}: decision -> the handoff's `handoff.created` event first
                served on `GET /v1/events` (what the desk listens to), for the window's
                handoffs; `n` of `handoffs` were seen by a listener at all
top_triggers    [{rule, code, count, share: RATE}]: the rules (policy triggers by name,
                built-in signals and thresholds by theirs) behind the most escalated
                conversations; share = their part of the escalated conversations (top 10)
trend           {bucket_seconds, reasons, buckets: [{start, conversations, escalated: RATE,
                 by_reason{code}: RATE}]}: escalation rate over time (`core.analytics.trend`); null
                when the caller did not count conversations per bucket
cost            {assumptions, per_handoff: MEAN, platform_minutes, rep_minutes, total,
                 per_month, policy{per_handoff, per_month}}: `core.analytics.cost`
truncated       true when the store held more handoffs than were read (numbers are partial)
callbacks       {scheduled, open, done, no_answer, rescheduled}: handoffs whose decision was a
                callback, and the latest result a rep reported for them (open: none yet)

RATE = {count, total, value, low, high}   Wilson 95 %; value/low/high null when total is 0
MEAN = {n, mean, low, high}               seeded bootstrap 95 %; null when n is 0
DIST = {n, p50_seconds, p90_seconds, p99_seconds, histogram: [{low, high, count}]}
```
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from warmline.core.analytics.cost import Cost, CostAssumptions, cost
from warmline.core.analytics.distribution import Bucket, Distribution, buckets, describe, seconds
from warmline.core.analytics.estimate import Mean, Rate, percentile
from warmline.core.analytics.metrics_by_mode import (
    MODES,
    CustomerContact,
    csat_by_mode,
    repeat_contact,
)
from warmline.core.analytics.queueing import (
    HISTOGRAM_EDGES,
    QueueWait,
    pickup_seconds,
    queue_times,
    queue_waits,
)
from warmline.core.analytics.trend import Trend, bucket_starts, bucket_width, trend
from warmline.core.handoff import Handoff, HandoffStatus

__all__ = [
    "MODES", "NOTIFY_EDGES", "TARGET_SECONDS", "TOP_TRIGGERS", "UNKNOWN", "CustomerContact",
    "Escalation", "HandoffTime", "Metrics", "MetricsFilter", "TopTrigger", "Window", "actions",
    "contacts_by_customer", "csat_by_mode", "escalation", "failure_types", "handoff_time",
    "measure", "question_type_of", "reasons_of", "repeat_contact", "top_triggers",
    "trend_buckets",
]

#: Notify-latency bucket edges in seconds: a desk should see a brief well under a second.
NOTIFY_EDGES = (0, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)
TOP_TRIGGERS = 10
#: The SPEC's handoff-time target: "the share under 10 s".
TARGET_SECONDS = 10.0
UNKNOWN = "unknown"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MetricsFilter:
    """Narrows the handoffs measured; the escalation denominator stays all conversations."""

    queue: str | None = None
    question_type: str | None = None
    mode: str | None = None
    rule: str | None = None

    def keeps(self, handoff: Handoff) -> bool:
        return ((self.queue is None or handoff.queue == self.queue)
                and (self.mode is None or handoff.mode == self.mode)
                and (self.question_type is None
                     or (question_type_of(handoff) or UNKNOWN) == self.question_type)
                and (self.rule is None
                     or any(rule == self.rule for _, rule in reasons_of(handoff))))

    def to_dict(self) -> dict[str, str | None]:
        return {"queue": self.queue, "question_type": self.question_type, "mode": self.mode,
                "rule": self.rule}


@dataclass(frozen=True, slots=True)
class Escalation:
    rate: Rate
    by_reason: Mapping[str, Rate]
    by_rule: Mapping[str, Rate]
    by_question_type: Mapping[str, Rate]

    def to_dict(self) -> dict[str, Any]:
        return {"rate": self.rate.to_dict(), "by_reason": _rates(self.by_reason),
                "by_rule": _rates(self.by_rule),
                "by_question_type": _rates(self.by_question_type)}


@dataclass(frozen=True, slots=True)
class HandoffTime:
    accepted: int
    p50: float | None
    p90: float | None
    p99: float | None
    under_10s: Rate
    histogram: tuple[Bucket, ...]
    total: float = 0.0
    """The sum of the accepted handoffs' times (Prometheus histograms carry it)."""

    def to_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "p50_seconds": seconds(self.p50),
                "p90_seconds": seconds(self.p90), "p99_seconds": seconds(self.p99),
                "under_10s": self.under_10s.to_dict(),
                "histogram": [{"low": b.low, "high": b.high, "count": b.count}
                              for b in self.histogram]}


@dataclass(frozen=True, slots=True)
class TopTrigger:
    rule: str
    code: str
    share: Rate
    """Escalated conversations this rule was behind / all escalated conversations."""

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "code": self.code, "count": self.share.count,
                "share": self.share.to_dict()}


@dataclass(frozen=True, slots=True)
class Metrics:
    since: datetime
    until: datetime
    filters: MetricsFilter
    conversations: int
    handoffs: int
    escalation: Escalation
    handoff_time: HandoffTime
    csat: Mapping[str, Mean]
    repeat_window_days: int
    repeat_contact: Mapping[str, Rate]
    """By mode, plus "overall"."""
    abandonment: Rate
    failures: Rate
    failure_types: Mapping[str, int]
    by_status: Mapping[str, int]
    callbacks: Mapping[str, int] = field(default_factory=dict)
    by_action: Mapping[str, int] = field(default_factory=dict)
    """Conversations by their decision's action: the escalated ones by their handoff's
    action (the latest when a conversation escalated twice), the rest "continue"."""
    queues: Mapping[str, QueueWait] = field(default_factory=dict)
    queue_times: Mapping[str, Distribution] = field(default_factory=dict)
    notify_latency: Distribution = field(default_factory=lambda: describe((), NOTIFY_EDGES))
    top_triggers: Sequence[TopTrigger] = ()
    trend: Trend | None = None
    cost: Cost | None = None
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `GET /v1/metrics`; the module docstring lists every key."""
        return {
            "window": {"since": self.since.astimezone(UTC).isoformat(),
                       "until": self.until.astimezone(UTC).isoformat()},
            "filters": self.filters.to_dict(),
            "conversations": self.conversations,
            "handoffs": self.handoffs,
            "escalation": self.escalation.to_dict(),
            "handoff_time": self.handoff_time.to_dict(),
            "csat": {mode: mean.to_dict() for mode, mean in self.csat.items()},
            "repeat_contact": {"window_days": self.repeat_window_days,
                               **_rates(self.repeat_contact)},
            "abandonment": self.abandonment.to_dict(),
            "failures": {"rate": self.failures.to_dict(), "by_type": dict(self.failure_types)},
            "by_status": dict(self.by_status),
            "by_action": dict(self.by_action),
            "queues": {name: {"waiting": q.waiting, "callbacks": q.callbacks,
                              "longest_wait_seconds": seconds(q.longest_wait_seconds)}
                       for name, q in self.queues.items()},
            "queue_times": {name: d.to_dict() for name, d in self.queue_times.items()},
            "notify_latency": {"handoffs": self.handoffs, **self.notify_latency.to_dict()},
            "top_triggers": [t.to_dict() for t in self.top_triggers],
            "trend": None if self.trend is None else self.trend.to_dict(),
            "cost": None if self.cost is None else self.cost.to_dict(),
            "truncated": self.truncated,
            "callbacks": dict(self.callbacks),
        }


@dataclass(frozen=True, slots=True)
class Window:
    """What `measure` reads: the window's bounds and everything the store knows of it."""

    since: datetime
    until: datetime
    handoffs: Sequence[Handoff]
    """Handoffs created in the window, unfiltered (they are contacts too)."""
    conversations: int
    contacts: Sequence[CustomerContact] = ()
    """The handoffs' customers' conversations, up to `repeat_window_days` past `until`."""
    open_handoffs: Sequence[Handoff] = ()
    """Handoffs that are waiting now (queued, offered, callback), for queue waits."""
    now: datetime | None = None
    deliveries: Mapping[str, float] = field(default_factory=dict)
    """Handoff id -> seconds from its decision to its first delivery to an event listener."""
    bucket_conversations: Sequence[int] | None = None
    """Conversations decided in each `trend_buckets(since, until)` bucket; None: no trend."""
    truncated: bool = False


def trend_buckets(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """The [start, end) buckets of the escalation trend: what the caller counts
    conversations in, for `Window.bucket_conversations`."""
    width = bucket_width(since, until)
    starts = bucket_starts(since, until, width)
    return [(start, min(start + width, until)) for start in starts]


def measure(window: Window, filters: MetricsFilter | None = None, *,
            repeat_window_days: int = 7, prices: CostAssumptions | None = None) -> Metrics:
    """Every SPEC §6 metric, for the handoffs `filters` keeps; cost only with `prices`."""
    filters = filters or MetricsFilter()
    kept = [h for h in window.handoffs if filters.keeps(h)]
    statuses = Counter(h.status.value for h in kept)
    abandoned = statuses[HandoffStatus.ABANDONED.value]
    types = failure_types(kept)
    width = bucket_width(window.since, window.until)
    return Metrics(
        since=window.since, until=window.until, filters=filters,
        conversations=window.conversations, handoffs=len(kept),
        escalation=escalation(kept, window.conversations),
        handoff_time=handoff_time(kept), csat=csat_by_mode(kept),
        repeat_window_days=repeat_window_days,
        repeat_contact=repeat_contact(kept, contacts_by_customer(window),
                                      timedelta(days=repeat_window_days)),
        abandonment=Rate(abandoned, len(kept)),
        failures=Rate(sum(types.values()), len(kept)), failure_types=types,
        by_status={s.value: statuses[s.value] for s in HandoffStatus},
        callbacks=callback_results(kept),
        by_action=actions(kept, window.conversations),
        queues=queue_waits([h for h in window.open_handoffs if filters.keeps(h)],
                           window.now or window.until),
        queue_times=queue_times(kept),
        notify_latency=describe((window.deliveries[h.id] for h in kept
                                 if h.id in window.deliveries), NOTIFY_EDGES),
        top_triggers=top_triggers(kept),
        trend=(None if window.bucket_conversations is None else
               trend(kept, bucket_starts(window.since, window.until, width), width,
                     window.bucket_conversations, reasons_of)),
        cost=(None if prices is None else
              cost(kept, prices, window.until - window.since)),
        truncated=window.truncated)


# --- the metrics, one function each ------------------------------------------------------


def escalation(handoffs: Sequence[Handoff], conversations: int) -> Escalation:
    """Escalated conversations (distinct: a handed-back conversation may escalate again) over
    all conversations. The denominator is never below the numerator, so a conversation the
    caller missed cannot push a rate past 100 %."""
    escalated = {h.conversation_id for h in handoffs}
    total = max(conversations, len(escalated))
    by_reason: dict[str, set[str]] = defaultdict(set)
    by_rule: dict[str, set[str]] = defaultdict(set)
    by_type: dict[str, set[str]] = defaultdict(set)
    for h in handoffs:
        for code, rule in reasons_of(h):
            by_reason[code].add(h.conversation_id)
            by_rule[rule].add(h.conversation_id)
        by_type[question_type_of(h) or UNKNOWN].add(h.conversation_id)

    def rates(groups: Mapping[str, set[str]]) -> dict[str, Rate]:
        return {k: Rate(len(v), total) for k, v in _top(groups, len)}

    return Escalation(Rate(len(escalated), total), rates(by_reason), rates(by_rule),
                      rates(by_type))


def handoff_time(handoffs: Sequence[Handoff]) -> HandoffTime:
    """Created (the escalation decided) -> accepted, over handoffs a rep accepted."""
    waits = sorted(pickup_seconds(h) for h in handoffs if h.accepted_at is not None)
    under = bisect.bisect_left(waits, TARGET_SECONDS)
    return HandoffTime(len(waits), percentile(waits, 50), percentile(waits, 90),
                       percentile(waits, 99), Rate(under, len(waits)),
                       buckets(waits, HISTOGRAM_EDGES), sum(waits))


def actions(handoffs: Sequence[Handoff], conversations: int) -> dict[str, int]:
    """Conversations by decision action; "continue" is every conversation not escalated."""
    latest = {h.conversation_id: str(h.decision.get("action") or "escalate")
              for h in sorted(handoffs, key=lambda h: h.created_at)}
    found = Counter(latest.values())
    return {"continue": max(0, conversations - len(latest)),
            **{a: found[a] for a in ("escalate", "hold", "callback")}, **found}


def top_triggers(handoffs: Sequence[Handoff]) -> list[TopTrigger]:
    """The rules behind the most escalated conversations (distinct conversations)."""
    escalated = {h.conversation_id for h in handoffs}
    by_rule: dict[tuple[str, str], set[str]] = defaultdict(set)
    for h in handoffs:
        for code, rule in reasons_of(h):
            by_rule[(rule, code)].add(h.conversation_id)
    ranked = sorted(by_rule.items(), key=lambda item: (-len(item[1]), item[0]))
    return [TopTrigger(rule, code, Rate(len(convs), len(escalated)))
            for (rule, code), convs in ranked[:TOP_TRIGGERS]]


def contacts_by_customer(window: Window) -> dict[str, list[tuple[datetime, str]]]:
    """Each customer's contacts, (time, conversation id) sorted by time: the given
    conversations plus the window's handoffs (a handoff is a contact at its creation)."""
    found: dict[str, set[tuple[datetime, str]]] = defaultdict(set)
    for c in window.contacts:
        found[c.customer_key].add((c.at, c.conversation_id))
    for h in window.handoffs:
        if h.customer_key:
            found[h.customer_key].add((h.created_at, h.conversation_id))
    return {key: sorted(items) for key, items in found.items()}


def callback_results(handoffs: Iterable[Handoff]) -> dict[str, int]:
    """Callbacks and what came of them: the outcome `callback_<result>` a rep reported."""
    found = Counter(str(h.outcome or "callback_open").removeprefix("callback_")
                    for h in handoffs if h.decision.get("action") == "callback")
    results = ("open", "done", "no_answer", "rescheduled")
    return {"scheduled": sum(found.values()), **{r: found[r] for r in results}}


def failure_types(handoffs: Iterable[Handoff]) -> dict[str, int]:
    """Failed and abandoned transfers by type, most frequent first."""
    types: Counter[str] = Counter()
    for h in handoffs:
        if h.status is HandoffStatus.ABANDONED:
            types["caller_left"] += 1
        elif h.status is HandoffStatus.FAILED:
            types[_slug(h.outcome) or "failed"] += 1
    return dict(_top(types, lambda n: n))


# --- reading a stored decision --------------------------------------------------------------


def reasons_of(handoff: Handoff) -> list[tuple[str, str]]:
    """The decision's (reason code, rule) pairs; malformed entries are skipped."""
    reasons = handoff.decision.get("reasons")
    if not isinstance(reasons, list):
        return []
    return [(str(r["code"]), str(r.get("rule") or r["code"])) for r in reasons
            if isinstance(r, Mapping) and r.get("code")]


def question_type_of(handoff: Handoff) -> str | None:
    signals = handoff.decision.get("signals")
    found = signals.get("question_type") if isinstance(signals, Mapping) else None
    label = found.get("label") if isinstance(found, Mapping) else None
    return label if isinstance(label, str) and label else None


def _top(groups: Mapping[str, T], size: Callable[[T], int]) -> list[tuple[str, T]]:
    """Largest group first, then by name: the order the dashboard and JSON show."""
    return sorted(groups.items(), key=lambda item: (-size(item[1]), item[0]))


def _rates(rates: Mapping[str, Rate]) -> dict[str, Any]:
    return {key: rate.to_dict() for key, rate in rates.items()}


def _slug(text: str | None) -> str:
    return "_".join((text or "").strip().lower().replace("-", " ").split())[:60]
