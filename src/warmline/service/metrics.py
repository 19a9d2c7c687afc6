"""Metrics of a tenant's window (SPEC §6): one read-only transaction gathers the window's
handoffs, conversation counts (the window's and each trend bucket's), customers' later
contacts, notify latencies and what waits now; the pure `core.analytics.metrics.measure` does the
arithmetic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from warmline.core.analytics.cost import CostAssumptions
from warmline.core.analytics.metrics import Metrics, MetricsFilter, Window, measure, trend_buckets
from warmline.core.errors import InvalidInput, Problem
from warmline.core.handoff import OPEN_STATUSES, Tenant
from warmline.service.deliveries import DeliveryLog
from warmline.service.ports import Clock, Store

#: The window when none is given: the last seven days.
DEFAULT_WINDOW = timedelta(days=7)
#: The longest window one request may ask for.
MAX_WINDOW = timedelta(days=400)
#: Handoffs read per request; beyond it the metrics say `truncated`.
MAX_HANDOFFS = 100_000
MAX_OPEN = 10_000


@dataclass
class MetricsService:
    store: Store
    clock: Clock
    deliveries: DeliveryLog = field(init=False)
    """Notify latency: recorded by the event stream, read here."""

    def __post_init__(self) -> None:
        self.deliveries = DeliveryLog(self.store, self.clock)

    def compute(self, tenant: Tenant, *, since: datetime | None = None,
                until: datetime | None = None, queue: str | None = None,
                question_type: str | None = None, mode: str | None = None,
                rule: str | None = None, repeat_window_days: int = 7,
                prices: CostAssumptions | None = None) -> Metrics:
        """The metrics of `since <= t < until` (default: the 7 days up to now), for the
        handoffs the filters keep; cost only with `prices`.

        Raises:
            InvalidInput: a naive time, `since` not before `until`, or a window too long.
        """
        now = self.clock.now()
        end = until or now
        start = since or end - DEFAULT_WINDOW
        _check_window(start, end)
        follow_up = timedelta(days=repeat_window_days)
        with self.store.read() as tx:
            handoffs = tx.handoffs_between(tenant.id, start, end, limit=MAX_HANDOFFS + 1)
            conversations = tx.conversations_between(tenant.id, start, end)
            keys = {h.customer_key for h in handoffs if h.customer_key}
            contacts = tx.contacts_between(tenant.id, start, end + follow_up, keys)
            waiting = tx.list_handoffs(tenant.id, statuses=OPEN_STATUSES, limit=MAX_OPEN)
            per_bucket = [tx.conversations_between(tenant.id, low, high)
                          for low, high in trend_buckets(start, end)]
            delivered = self.deliveries.read(tx, tenant.id, start)
        kept = handoffs[:MAX_HANDOFFS]
        window = Window(since=start, until=end, handoffs=kept,
                        conversations=conversations, contacts=contacts,
                        open_handoffs=waiting, now=now,
                        deliveries={h.id: delivered[h.id] for h in kept if h.id in delivered},
                        bucket_conversations=per_bucket,
                        truncated=len(handoffs) > MAX_HANDOFFS)
        filters = MetricsFilter(queue=queue, question_type=question_type, mode=mode,
                                rule=rule)
        return measure(window, filters, repeat_window_days=repeat_window_days,
                       prices=prices)


def _check_window(since: datetime, until: datetime) -> None:
    problems = [Problem("give a time zone (e.g. 2026-11-24T10:00:00Z)", path=f"$.{name}")
                for name, value in (("since", since), ("until", until))
                if value.tzinfo is None or value.utcoffset() is None]
    if problems:
        raise InvalidInput(problems)
    if since >= until:
        raise InvalidInput([Problem(f"since ({since.isoformat()}) must be before until "
                                    f"({until.isoformat()})", path="$.since")])
    if until - since > MAX_WINDOW:
        raise InvalidInput([Problem(f"the window is {(until - since).days} days; the "
                                    f"longest is {MAX_WINDOW.days}", path="$.since")])
