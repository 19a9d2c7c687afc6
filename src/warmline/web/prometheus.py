"""`GET /metrics`: the SPEC §6 metrics in the Prometheus text format, for the tenant of the
API key (or desk session) that scrapes — like every other route, it needs a credential.

**Computed from the database at scrape time, over a trailing window**
(`WARMLINE_PROMETHEUS_WINDOW_SECONDS`, default one hour), not counted in process memory:

- `warmline serve --workers N` runs N processes, and a scrape reaches any one of them. Every
  worker reads the same database, so every scrape gives the same numbers whichever worker
  answers — no `PROMETHEUS_MULTIPROC_DIR` to share, clean and mount, no counts lost when a
  worker restarts, and the numbers equal `GET /v1/metrics` for the same window.
- What is measured happens in other processes anyway (a rep's accept in one worker, the
  desk's event stream in another), and some of it only exists in the database (a customer
  coming back days later).
- The cost is one metrics query per scrape and tenant: cheap at scrape intervals of 15 s
  and more.

So the values are gauges of the window, and the distributions are *gauge histograms*
(buckets may go down as the window slides): use them without `rate()`, e.g.
`histogram_quantile(0.9, warmline_handoff_time_seconds_bucket)`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Protocol

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool

from warmline.bootstrap import Services
from warmline.core.analytics.distribution import Bucket
from warmline.core.analytics.metrics import Metrics
from warmline.core.handoff import Tenant
from warmline.service.metrics_query import MetricsQuery
from warmline.web.auth import ServicesDep, SupervisorDep
from warmline.web.metrics_api import metrics_of

router = APIRouter()
Family = GaugeMetricFamily | GaugeHistogramMetricFamily


class _OutboxCounts(Protocol):
    pending: int
    due: int
    dead: int


class _Outbox(Protocol):
    def counts(self, tenant: Tenant | None = None) -> _OutboxCounts: ...


class _Families(Collector):
    def __init__(self, families: list[Family]) -> None:
        self.families = families

    def collect(self) -> Iterator[Family]:
        return iter(self.families)


@router.get("/metrics", summary="SPEC §6 metrics, Prometheus text format (trailing window)",
            response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def prometheus_metrics(tenant: SupervisorDep, svc: ServicesDep) -> Response:
    body = await run_in_threadpool(render, svc, tenant)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def render(svc: Services, tenant: Tenant) -> bytes:
    """The tenant's metrics of the trailing window, as Prometheus text."""
    window = timedelta(seconds=svc.settings.prometheus_window_seconds)
    now = svc.clock.now()
    metrics = metrics_of(svc, tenant, MetricsQuery(since=now - window, until=now))
    outbox: _Outbox | None = getattr(svc, "outbox", None)
    backlog = outbox.counts(tenant) if outbox is not None else None
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(families(metrics, window, backlog)))
    return generate_latest(registry)


def families(m: Metrics, window: timedelta, outbox: _OutboxCounts | None = None
             ) -> list[Family]:
    """Every metric family, from one window's metrics (and the outbox's counts)."""
    found: list[Family] = [
        _gauge("warmline_window_seconds", "Length of the trailing window these gauges cover.",
               {(): window.total_seconds()}),
        _gauge("warmline_conversations", "Conversations decided in the window.",
               {(): m.conversations}),
        _gauge("warmline_decisions", "Conversations in the window by the action of their "
               "decision: continue (never escalated), escalate, hold, callback.",
               {(action,): n for action, n in m.by_action.items()}, ["action"]),
        _gauge("warmline_escalations", "Escalated conversations in the window, by reason "
               "code.", {(code,): r.count for code, r in m.escalation.by_reason.items()},
               ["reason"]),
        _gauge("warmline_escalation_ratio", "Escalated conversations / conversations.",
               {(): m.escalation.rate.value or 0.0}),
        _gauge("warmline_trigger_escalations", "Escalated conversations per rule "
               "(top triggers).", {(t.rule, t.code): t.share.count for t in m.top_triggers},
               ["rule", "code"]),
        _gauge("warmline_handoffs", "Handoffs created in the window, by status now.",
               {(status,): n for status, n in m.by_status.items()}, ["status"]),
        _histogram("warmline_handoff_time_seconds", "Escalation decided -> rep accepted.",
                   {(): (m.handoff_time.histogram, m.handoff_time.total)}),
        _histogram("warmline_notify_latency_seconds", "Decision -> handoff first delivered "
                   "to the desk's event stream.",
                   {(): (m.notify_latency.histogram, m.notify_latency.total)}),
        _histogram("warmline_queue_wait_seconds", "Created -> accepted, by queue.",
                   {(q,): (d.histogram, d.total) for q, d in m.queue_times.items()},
                   ["queue"]),
        _gauge("warmline_queue_waiting", "Handoffs waiting for pickup now, by queue.",
               {(q,): w.waiting for q, w in m.queues.items()}, ["queue"]),
        _gauge("warmline_queue_longest_wait_seconds", "Longest wait now, by queue.",
               {(q,): w.longest_wait_seconds or 0.0 for q, w in m.queues.items()},
               ["queue"]),
    ]
    if m.cost is not None and m.cost.per_handoff.mean is not None:
        found.append(_gauge("warmline_cost_per_handoff", "Mean cost of a finished handoff "
                            "(platform minutes, transfer fee, rep minutes).",
                            {(): m.cost.per_handoff.mean}))
        found.append(_gauge("warmline_cost_per_month", "Cost per handoff x the window's "
                            "handoff volume over 30 days.", {(): m.cost.per_month or 0.0}))
    if outbox is not None:
        found.append(_gauge("warmline_outbox_backlog", "Outbox notifications: pending (of "
                            "which due now) and dead letters.",
                            {("pending",): outbox.pending, ("due",): outbox.due,
                             ("dead",): outbox.dead}, ["state"]))
    return found


def _gauge(name: str, doc: str, values: Mapping[tuple[str, ...], float],
           labels: Iterable[str] = ()) -> GaugeMetricFamily:
    names = list(labels)
    family = GaugeMetricFamily(name, doc, labels=names)
    for key, value in values.items():
        family.add_metric(list(key), float(value))
    return family


def _histogram(name: str, doc: str,
               values: Mapping[tuple[str, ...], tuple[tuple[Bucket, ...], float]],
               labels: Iterable[str] = ()) -> GaugeHistogramMetricFamily:
    """Cumulative `le` buckets from our [low, high) buckets: Prometheus' `le` is "at most",
    ours "below", which differ only for values exactly on an edge."""
    family = GaugeHistogramMetricFamily(name, doc, labels=list(labels))
    for key, (histogram, total) in values.items():
        running, cumulative = 0, []
        for bucket in histogram:
            running += bucket.count
            cumulative.append(("+Inf" if bucket.high is None else repr(float(bucket.high)),
                               running))
        family.add_metric(list(key), cumulative, gsum_value=total)
    return family
