"""`GET /v1/metrics`: the SPEC §6 metrics as JSON (keys: `warmline.core.analytics.metrics`);
the query is parsed and computed by `warmline.service.metrics_query`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from warmline.bootstrap import Services, server_prices
from warmline.core.analytics.metrics import Metrics
from warmline.core.handoff import Tenant
from warmline.service.metrics_query import MAX_TEXT, MetricsQuery, compute, local_zone, parse_query
from warmline.web.auth import ServicesDep, SupervisorDep

router = APIRouter(prefix="/v1")


def metrics_of(svc: Services, tenant: Tenant, query: MetricsQuery) -> Metrics:
    """`compute` with this server's services and its current prices."""
    return compute(svc.metrics, svc.tenants, tenant, query, server_prices(svc.settings))


Text = Annotated[str | None, Query(max_length=MAX_TEXT)]


@router.get("/metrics", summary="SPEC §6 metrics of a window (JSON)")
async def get_metrics(*, tenant: SupervisorDep, svc: ServicesDep,
                      since: Annotated[str | None, Query(
                          max_length=MAX_TEXT, description="ISO date or time; default: "
                          "7 days before `until`. No zone: the policy's time zone.")] = None,
                      until: Annotated[str | None, Query(
                          max_length=MAX_TEXT, description="ISO date (its end) or time; "
                          "default: now.")] = None,
                      queue: Text = None, question_type: Text = None,
                      mode: Annotated[str | None, Query(
                          max_length=MAX_TEXT, description="warm or cold")] = None,
                      rule: Text = None) -> dict[str, Any]:
    """Escalation rate (by reason, rule, question type, and over time by reason), handoff
    time, notify latency, CSAT and repeat contacts by mode, abandonment, transfer failures,
    queue waits, top triggers and cost per handoff and per month. Rates carry Wilson 95 %
    intervals, means bootstrap ones; a rate with nothing to count is null."""
    query = parse_query({"since": since, "until": until, "queue": queue,
                         "question_type": question_type, "mode": mode, "rule": rule},
                        local_zone(svc.tenants, tenant))
    metrics = await run_in_threadpool(metrics_of, svc, tenant, query)
    return metrics.to_dict()
