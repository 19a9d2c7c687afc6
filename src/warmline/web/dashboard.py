"""`/dashboard`: the SPEC §6 metrics as charts a contact-center lead reads, server-rendered
as inline SVG and refreshed every 5 s by htmx. For supervisors and admins of the desk
session's tenant; without a session it redirects to the desk's login."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from warmline.bootstrap import Services
from warmline.core.analytics.metrics import TARGET_SECONDS
from warmline.core.analytics.queueing import HISTOGRAM_EDGES
from warmline.core.errors import InvalidInput
from warmline.service.metrics_query import FILTERS, MetricsQuery, local_zone, parse_query
from warmline.web import charts
from warmline.web.auth import services
from warmline.web.charts import Bar, Column, percent, scale_text
from warmline.web.desk import DeskProblem, UserDep, install_desk
from warmline.web.desk_views import DeskUser
from warmline.web.metrics_api import metrics_of
from warmline.web.metrics_api import router as metrics_router
from warmline.web.prometheus import router as prometheus_router

router = APIRouter(prefix="/dashboard", include_in_schema=False)
#: Seconds between refreshes of the charts (htmx `every Ns`).
REFRESH_SECONDS = 5
TOP = 8
WARM, COLD = "#c2410c", "#2563eb"
QUERY_KEYS = ("since", "until", *FILTERS)


def _query(request: Request, svc: Services, user: DeskUser
           ) -> tuple[MetricsQuery, dict[str, str]]:
    """The parsed query, and the parameters as given (for the form and the refresh URL)."""
    raw = {k: v for k in QUERY_KEYS if (v := request.query_params.get(k))}
    try:
        query = parse_query(raw, local_zone(svc.tenants, user.tenant))
    except InvalidInput as err:
        raise DeskProblem(422, str(err)) from err
    return query, raw


def dashboard_view(svc: Services, user: DeskUser, query: MetricsQuery) -> dict[str, Any]:
    """The charts and headline numbers, built in a worker thread (it queries)."""
    metrics = metrics_of(svc, user.tenant, query).to_dict()
    local = local_zone(svc.tenants, user.tenant)
    policy_queues = list(svc.tenants.decider_for(user.tenant).policy.queues)
    return {
        "m": metrics, "kpis": headline(metrics),
        "since": _local(metrics["window"]["since"], local),
        "until": _local(metrics["window"]["until"], local),
        "updated": svc.clock.now().astimezone(local).strftime("%H:%M:%S"),
        "queue_names": policy_queues,
        "charts": {
            "escalation": escalation_chart(metrics),
            "handoff_time": handoff_time_chart(metrics),
            "csat": by_mode_chart("CSAT at handoff, warm vs cold (1–5)", metrics["csat"],
                                  "mean", top=5.0, fmt=lambda v: f"{v:.2f}"),
            "repeat": by_mode_chart("Repeat-contact rate, warm vs cold",
                                    metrics["repeat_contact"], "value", fmt=percent),
            "queues": queue_chart(metrics, policy_queues),
            "queue_times": queue_times_chart(metrics),
            "triggers": triggers_chart(metrics),
            "trend": trend_chart(metrics, local),
        },
    }


def headline(m: Mapping[str, Any]) -> list[dict[str, str]]:
    """The numbers across the top: label, value, the detail under it."""
    rate, time, notify = m["escalation"]["rate"], m["handoff_time"], m["notify_latency"]
    cost = m["cost"] or {"per_handoff": {"mean": None}, "per_month": None}
    per = cost["per_handoff"]

    def money(value: float | None) -> str:
        return "–" if value is None else f"{value:,.2f}"

    def share(r: Mapping[str, Any]) -> str:
        return "–" if r["value"] is None else percent(r["value"])

    def interval(r: Mapping[str, Any]) -> str:
        if r["low"] is None:
            return "nothing to count yet"
        return f"95 % CI {percent(r['low'])}–{percent(r['high'])} · {r['count']}/{r['total']}"

    def secs(value: float | None) -> str:
        return "–" if value is None else f"{value:.1f} s"

    return [
        {"label": "Conversations", "value": str(m["conversations"]),
         "detail": f"{m['handoffs']} handoffs"},
        {"label": "Escalation rate", "value": share(rate), "detail": interval(rate)},
        {"label": "Handoff time p50", "value": secs(time["p50_seconds"]),
         "detail": f"p90 {secs(time['p90_seconds'])} · p99 {secs(time['p99_seconds'])}"},
        {"label": "Picked up under 10 s", "value": share(time["under_10s"]),
         "detail": interval(time["under_10s"])},
        {"label": "Abandoned at handoff", "value": share(m["abandonment"]),
         "detail": interval(m["abandonment"])},
        {"label": "Failed transfers", "value": share(m["failures"]["rate"]),
         "detail": ", ".join(f"{k} {v}" for k, v in m["failures"]["by_type"].items())
         or "none"},
        {"label": "Notify latency p50", "value": secs(notify["p50_seconds"]),
         "detail": f"p90 {secs(notify['p90_seconds'])} · p99 {secs(notify['p99_seconds'])}"
                   f" · {notify['n']} of {notify['handoffs']} seen on a desk"},
        {"label": "Cost per handoff", "value": money(per["mean"]),
         "detail": "no finished handoffs yet" if per["mean"] is None else
                   f"95 % CI {money(per['low'])}–{money(per['high'])} · "
                   f"{money(cost['per_month'])} a month"},
    ]


def escalation_chart(m: Mapping[str, Any]) -> Markup:
    rows = [Bar(code.replace("_", " "), r["value"] or 0.0,
                f"{percent(r['value'] or 0.0)} ({r['count']})", r["low"], r["high"])
            for code, r in m["escalation"]["by_reason"].items()]
    return charts.bars("Escalation rate by reason, with 95 % intervals", rows[:TOP])


def handoff_time_chart(m: Mapping[str, Any]) -> Markup:
    buckets = [(b["low"], b["high"], b["count"]) for b in m["handoff_time"]["histogram"]]
    assert TARGET_SECONDS in HISTOGRAM_EDGES  # the target line sits on a bucket edge
    return charts.histogram("Handoff time distribution", buckets, marker=TARGET_SECONDS,
                            marker_label=f"{TARGET_SECONDS:g} s target")


def by_mode_chart(title: str, by_mode: Mapping[str, Any], key: str, *,
                  top: float | None = None, fmt: Callable[[float], str]) -> Markup:
    rows = []
    for mode, color in (("warm", WARM), ("cold", COLD)):
        found = by_mode.get(mode) or {}
        n = found.get("n", found.get("total", 0))
        value = found.get(key)
        # One observation has no spread to show: a zero-width whisker would look certain.
        low, high = (found.get("low"), found.get("high")) if n > 1 else (None, None)
        rows.append(Bar(mode, value or 0.0, scale_text(value, low, high, n, fmt), low, high,
                        color))
    if all(r.text == "no data" for r in rows):
        return charts.empty(title, "No warm or cold handoffs with data in this window yet.")
    return charts.bars(title, rows, top=top)


def queue_chart(m: Mapping[str, Any], policy_queues: list[str]) -> Markup:
    queues = m["queues"]
    names = [*policy_queues, *(q for q in queues if q not in policy_queues)]
    if m["filters"]["queue"]:
        names = [q for q in names if q == m["filters"]["queue"]]
    rows = []
    for name in names:
        q = queues.get(name) or {"waiting": 0, "callbacks": 0, "longest_wait_seconds": None}
        longest = q["longest_wait_seconds"]
        text = f"{q['waiting']} waiting" + (f", longest {longest:.0f} s" if longest else "")
        if q["callbacks"]:
            text += f" · {q['callbacks']} callback" + ("s" if q["callbacks"] > 1 else "")
        rows.append(Bar(name, q["waiting"], text))
    top = max((r.value for r in rows), default=0.0) or 1.0
    return charts.bars("Waiting now, per queue", rows, top=top)


def queue_times_chart(m: Mapping[str, Any]) -> Markup:
    """Per queue: the p50 pickup wait as a bar, a whisker from p50 to p90."""
    def secs(value: float) -> str:
        return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"

    rows = [Bar(name, d["p50_seconds"] or 0.0,
                f"p50 {secs(d['p50_seconds'])} · p90 {secs(d['p90_seconds'])} · n={d['n']}",
                d["p50_seconds"], d["p90_seconds"])
            for name, d in m["queue_times"].items() if d["n"]]
    return charts.bars("Queue waits: created to accepted, p50 (bar) to p90 (whisker)",
                       rows[:TOP])


def trend_chart(m: Mapping[str, Any], local: tzinfo) -> Markup:
    """A column per bucket: its escalation rate (95 % whisker), split by each reason's
    share of that bucket's reasons."""
    trend = m["trend"]
    title = "Escalation rate over time, by reason"
    if trend is None:
        return charts.empty(title)
    reasons = trend["reasons"]
    daily = trend["bucket_seconds"] >= 86400
    cols = []
    for b in trend["buckets"]:
        start = datetime.fromisoformat(b["start"]).astimezone(local)
        label = start.strftime("%b %d" if daily else "%d %H:%M")
        rate = b["escalated"]
        counts = {code: b["by_reason"][code]["count"] for code in reasons}
        total = sum(counts.values())
        parts = tuple((code, n / total) for code, n in counts.items() if n) if total else ()
        text = (f"{percent(rate['value'])} of {b['conversations']} conversations"
                if rate["value"] is not None else "no conversations")
        text += "".join(f" · {code.replace('_', ' ')} {percent(b['by_reason'][code]['value'])}"
                        for code, n in counts.items() if n)
        cols.append(Column(label, rate["value"], text, rate["low"], rate["high"], parts))
    return charts.columns(title, cols, reasons, fmt=percent)


def triggers_chart(m: Mapping[str, Any]) -> Markup:
    rows = [Bar(rule, r["count"], str(r["count"]))
            for rule, r in list(m["escalation"]["by_rule"].items())[:TOP]]
    return charts.bars("Top triggers: rules that fired on escalated conversations", rows)


def _local(iso: str, local: tzinfo) -> str:
    return datetime.fromisoformat(iso).astimezone(local).strftime("%Y-%m-%d %H:%M")


def _render(request: Request, name: str, **context: Any) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.desk_templates
    return templates.TemplateResponse(request, name, context)


async def _view(request: Request, user: DeskUser) -> dict[str, Any]:
    if not user.is_supervisor:
        raise DeskProblem(403, "The dashboard is for supervisors and admins.")
    svc = services(request)
    query, raw = _query(request, svc, user)
    try:
        view = await run_in_threadpool(dashboard_view, svc, user, query)
    except InvalidInput as err:  # e.g. a window longer than the service allows
        raise DeskProblem(422, str(err)) from err
    return {**view, "user": user, "query": query, "raw": raw, "refresh": REFRESH_SECONDS,
            "charts_url": "/dashboard/charts" + (f"?{urlencode(raw)}" if raw else "")}


@router.get("")
async def dashboard_page(request: Request, user: UserDep) -> HTMLResponse:
    return _render(request, "dashboard/page.html", **await _view(request, user))


@router.get("/charts")
async def charts_partial(request: Request, user: UserDep) -> HTMLResponse:
    return _render(request, "dashboard/charts.html", **await _view(request, user))


def install_metrics(app: FastAPI) -> None:
    """Add `GET /v1/metrics`, Prometheus' `GET /metrics` and `/dashboard` (and the desk it
    shares login, templates and `/static` with). Calling it again on the same app does
    nothing."""
    if getattr(app.state, "metrics_installed", False):
        return
    app.state.metrics_installed = True
    install_desk(app)
    app.include_router(metrics_router)
    app.include_router(prometheus_router)
    app.include_router(router)
