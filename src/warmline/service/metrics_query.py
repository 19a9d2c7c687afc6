"""A metrics request, as the API, the dashboard, Prometheus and `warmline report` make it:
its query parsed (dates and times without a zone are the tenant policy's local time; `until`
given as a date means the end of that day) and its metrics computed with the tenant policy's
repeat-contact window and cost of escalation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo

from warmline.core.analytics.cost import CostAssumptions
from warmline.core.analytics.metrics import Metrics
from warmline.core.decision.situation import zone
from warmline.core.errors import InvalidInput, Problem
from warmline.core.handoff import Tenant
from warmline.core.policy.model import Mode
from warmline.service.metrics import MetricsService
from warmline.service.tenants import TenantService

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


def compute(metrics: MetricsService, tenants: TenantService, tenant: Tenant,
            query: MetricsQuery, prices: CostAssumptions) -> Metrics:
    """The tenant's metrics for `query`, with its policy's repeat-contact window and cost
    of escalation, and the server's `prices`."""
    policy = tenants.decider_for(tenant).policy
    return metrics.compute(
        tenant, since=query.since, until=query.until, queue=query.queue,
        question_type=query.question_type, mode=query.mode, rule=query.rule,
        repeat_window_days=policy.defaults.repeat_window_days,
        prices=replace(prices, cost_of_escalation=policy.defaults.cost_of_escalation))


def local_zone(tenants: TenantService, tenant: Tenant) -> tzinfo:
    """The tenant policy's time zone: where a date or time without a zone is read."""
    return zone(tenants.decider_for(tenant).policy.timezone)
