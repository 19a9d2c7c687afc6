"""`GET /v1/metrics`: the SPEC §6 metrics as JSON (keys: `warmline.core.analytics.metrics`), and the
query parsing `/dashboard` shares. Dates and times without a zone are the tenant policy's
local time; `until` given as a date means the end of that day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from warmline.bootstrap import Services
from warmline.config import Settings
from warmline.core.analytics.cost import CostAssumptions
from warmline.core.analytics.metrics import Metrics
from warmline.core.decision.situation import zone
from warmline.core.errors import InvalidInput, Problem
from warmline.core.handoff import Tenant
from warmline.core.policy.model import Mode
from warmline.web.auth import ServicesDep, SupervisorDep

router = APIRouter(prefix="/v1")
FILTERS = ("queue", "question_type", "mode", "rule")
MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class MetricsQuery:
    """A metrics request, parsed: aware times (None: the default window) and filters."""

    since: datetime | None = None
    until: datetime | None = None
    queue: str | None = None
    question_type: str | None = None
    mode: str | None = None
    rule: str | None = None


def parse_query(raw: Mapping[str, str | None], local: tzinfo) -> MetricsQuery:
    """`since`, `until` and the filters from query parameters; empty values mean "not
    given". Every bad value is reported at once.

    Raises:
        InvalidInput: a time that is not ISO 8601, an unknown mode, a value too long.
    """
    problems: list[Problem] = []
    values = {name: (raw.get(name) or "").strip() or None for name in ("since", "until",
                                                                      *FILTERS)}
    for name, value in values.items():
        if value is not None and len(value) > MAX_TEXT:
            problems.append(Problem(f"is {len(value)} characters; the limit is {MAX_TEXT}",
                                    path=f"$.{name}"))
    if values["mode"] is not None and values["mode"] not in {m.value for m in Mode}:
        problems.append(Problem(f"mode must be warm or cold, got {values['mode']!r}",
                                path="$.mode"))
    since = _moment(values["since"], local, "since", problems, end_of_day=False)
    until = _moment(values["until"], local, "until", problems, end_of_day=True)
    if since is not None and until is not None and since >= until:
        problems.append(Problem(f"since ({since.isoformat()}) must be before until "
                                f"({until.isoformat()})", path="$.since"))
    if problems:
        raise InvalidInput(problems)
    return MetricsQuery(since, until, *(values[name] for name in FILTERS))


def _moment(text: str | None, local: tzinfo, name: str, problems: list[Problem], *,
            end_of_day: bool) -> datetime | None:
    if text is None:
        return None
    try:
        if len(text) == 10:  # a date: YYYY-MM-DD
            day = date.fromisoformat(text) + timedelta(days=1 if end_of_day else 0)
            return datetime.combine(day, time(), tzinfo=local)
        moment = datetime.fromisoformat(text)
    except ValueError:
        problems.append(Problem(f"{text!r} is not an ISO date or time (e.g. 2026-11-24 or "
                                "2026-11-24T10:00:00Z)", path=f"$.{name}"))
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=local)


def compute(svc: Services, tenant: Tenant, query: MetricsQuery) -> Metrics:
    """The tenant's metrics for `query`, with its policy's repeat-contact window and cost
    of escalation, and the server's prices."""
    policy = svc.tenants.decider_for(tenant).policy
    return svc.metrics.compute(
        tenant, since=query.since, until=query.until, queue=query.queue,
        question_type=query.question_type, mode=query.mode, rule=query.rule,
        repeat_window_days=policy.defaults.repeat_window_days,
        prices=prices_of(svc.settings, policy.defaults.cost_of_escalation))


def prices_of(settings: Settings, cost_of_escalation: float | None) -> CostAssumptions:
    """The cost assumptions: the server's prices and the policy's flat cost of a handoff."""
    return CostAssumptions(platform_per_minute=settings.platform_cost_per_minute,
                           transfer_fee=settings.transfer_fee,
                           rep_per_minute=settings.rep_cost_per_minute,
                           cost_of_escalation=cost_of_escalation)


def local_zone(svc: Services, tenant: Tenant) -> tzinfo:
    return zone(svc.tenants.decider_for(tenant).policy.timezone)


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
                        local_zone(svc, tenant))
    metrics = await run_in_threadpool(compute, svc, tenant, query)
    return metrics.to_dict()
