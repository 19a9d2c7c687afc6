"""`warmline report`: every SPEC §6 metric of a tenant's window, as Rich tables in the
terminal, or as the JSON of `GET /v1/metrics` (`--format json`, the same function computes
both), or as `metric,value` CSV rows (`--format csv`, the JSON flattened)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from warmline.bootstrap import Services, build_services, server_prices
from warmline.cli.console import choice, open_store_to_read, out_console
from warmline.cli.server import DbOption, settings_from
from warmline.core.errors import InvalidInput, Problem
from warmline.core.handoff import Tenant
from warmline.service.metrics_query import compute, local_zone, parse_query

WIDTH = 110


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def report_command(
    db: DbOption = None,
    since: Annotated[str | None, typer.Option(
        help="Start: an ISO date or time (no zone: the policy's). Default: 7 days before "
             "--until.")] = None,
    until: Annotated[str | None, typer.Option(
        help="End: an ISO date (its end) or time. Default: now.")] = None,
    tenant: Annotated[str | None, typer.Option(
        help="Tenant name; may be left out when the database has one tenant.")] = None,
    output: Annotated[Format, typer.Option(
        "--format", help="table, json or csv.", parser=choice(Format, "format"))]
    = Format.TABLE,
    queue: Annotated[str | None, typer.Option(help="Only handoffs to this queue.")] = None,
    mode: Annotated[str | None, typer.Option(help="Only warm or cold handoffs.")] = None,
    policy: Annotated[str | None, typer.Option(
        help="The policy of tenants that name none, as given to `warmline serve` (its time "
             "zone, repeat window and cost of escalation).")] = None,
) -> None:
    """The handoff metrics of docs/contract.md §6: escalation rate (by reason, rule, question
    type and over time), handoff time, notify latency, repeat contacts and CSAT warm vs cold,
    abandonment, transfer failures, queue waits, top triggers and cost."""
    settings = settings_from(db=db, policy=policy)
    services = build_services(settings, store=open_store_to_read(settings.db))
    try:
        chosen = _tenant(services, tenant)
        query = parse_query({"since": since, "until": until, "queue": queue, "mode": mode},
                            local_zone(services.tenants, chosen))
        metrics = compute(services.metrics, services.tenants, chosen, query,
                          server_prices(services.settings)).to_dict()
    except InvalidInput as err:  # name the flag, not the JSON path
        raise InvalidInput([_flagged(p) for p in err.problems]) from err
    finally:
        services.close()
    if output is Format.JSON:
        typer.echo(json.dumps(metrics, indent=2))
    elif output is Format.CSV:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["metric", "value"])
        writer.writerows(flatten(metrics))
    else:
        print_tables(metrics, chosen.name)


def _tenant(services: Services, name: str | None) -> Tenant:
    if name is not None:
        found = services.tenants.find(name)
        if found is None:
            raise InvalidInput([Problem(f"no tenant called {name!r}", path="--tenant")])
        return found
    with services.store.read() as tx:
        tenants = tx.list_tenants()
    if len(tenants) != 1:
        names = ", ".join(sorted(t.name for t in tenants)) or "none yet"
        raise InvalidInput([Problem(f"choose a tenant with --tenant (tenants: {names})",
                                    path="--tenant")])
    return tenants[0]


def _flagged(problem: Problem) -> Problem:
    path = problem.path or ""
    flag = "--" + path.removeprefix("$.").replace("_", "-") if path.startswith("$.") else path
    return Problem(problem.message, path=flag or None)


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """`("escalation.rate.value", 0.4)` for every leaf; lists by index; null as empty."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from flatten(inner, f"{prefix}.{i}")
    else:
        yield prefix, "" if value is None else value


# --- tables ----------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def _rate(r: Mapping[str, Any]) -> tuple[str, str, str]:
    """value, 95 % interval, count/total."""
    interval = "–" if r["low"] is None else f"{_pct(r['low'])} – {_pct(r['high'])}"
    return _pct(r["value"]), interval, f"{r['count']}/{r['total']}"


def _secs(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def _money(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f}"


def _mean(m: Mapping[str, Any], fmt: Any = lambda v: f"{v:.2f}") -> tuple[str, str, str]:
    if m["mean"] is None:
        return "–", "–", "n=0"
    return fmt(m["mean"]), f"{fmt(m['low'])} – {fmt(m['high'])}", f"n={m['n']}"


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 else "right")
    return table


def tables(m: Mapping[str, Any], tenant: str) -> list[Table]:
    """One table per part of SPEC §6, in the order the SPEC lists them."""
    window = m["window"]
    head = _table(f"{tenant}: {window['since']} to {window['until']}", "metric", "value",
                  "95 % interval", "n")
    time, notify, cost = m["handoff_time"], m["notify_latency"], m["cost"]
    head.add_row("conversations", str(m["conversations"]), "", "")
    head.add_row("handoffs", str(m["handoffs"]), "", "")
    head.add_row("escalation rate", *_rate(m["escalation"]["rate"]))
    for q in ("p50", "p90", "p99"):
        head.add_row(f"handoff time {q}", _secs(time[f"{q}_seconds"]), "",
                     f"n={time['accepted']}")
    head.add_row("picked up under 10 s", *_rate(time["under_10s"]))
    for q in ("p50", "p90", "p99"):
        head.add_row(f"notify latency {q}", _secs(notify[f"{q}_seconds"]), "",
                     f"n={notify['n']} of {notify['handoffs']}")
    head.add_row("abandonment at handoff", *_rate(m["abandonment"]))
    head.add_row("transfer failures", *_rate(m["failures"]["rate"]))
    for kind, count in m["failures"]["by_type"].items():
        head.add_row(f"  {kind}", str(count), "", "")
    if cost is not None:
        head.add_row("cost per handoff", *_mean(cost["per_handoff"], _money))
        head.add_row("cost per month", _money(cost["per_month"]), "", "")
        head.add_row("policy cost per month", _money(cost["policy"]["per_month"]), "",
                     f"at {_money(cost['policy']['per_handoff'])} a handoff")
    found = [head]
    by = _table("Escalation rate by reason, rule and question type", "name", "rate",
                "95 % interval", "count")
    for group in ("by_reason", "by_rule", "by_question_type"):
        for name, r in m["escalation"][group].items():
            by.add_row(f"{group.removeprefix('by_').replace('_', ' ')}: {name}", *_rate(r))
    found.append(by)
    modes = _table("Warm vs cold", "metric", "value", "95 % interval", "n")
    for mode in ("warm", "cold"):
        modes.add_row(f"CSAT at handoff, {mode}", *_mean(m["csat"][mode]))
        modes.add_row(f"repeat contact within {m['repeat_contact']['window_days']} d, "
                      f"{mode}", *_rate(m["repeat_contact"][mode]))
    found.append(modes)
    found.append(_queue_table(m))
    top = _table("Top triggers", "rule", "reason", "conversations", "share of escalations")
    for t in m["top_triggers"]:
        top.add_row(t["rule"], t["code"], str(t["count"]), _pct(t["share"]["value"]))
    found.append(top)
    if m["trend"] is not None:
        found.append(_trend_table(m["trend"]))
    return found


def _queue_table(m: Mapping[str, Any]) -> Table:
    table = _table("Queue waits (created -> accepted) and waiting now", "queue", "accepted",
                   "p50", "p90", "waiting now", "longest now")
    for name in sorted(set(m["queue_times"]) | set(m["queues"])):
        times = m["queue_times"].get(name) or {"n": 0, "p50_seconds": None,
                                               "p90_seconds": None}
        now = m["queues"].get(name) or {"waiting": 0, "longest_wait_seconds": None}
        table.add_row(name, str(times["n"]), _secs(times["p50_seconds"]),
                      _secs(times["p90_seconds"]), str(now["waiting"]),
                      _secs(now["longest_wait_seconds"]))
    return table


def _trend_table(trend: Mapping[str, Any]) -> Table:
    reasons = trend["reasons"]
    table = _table(f"Escalation rate over time ({trend['bucket_seconds'] // 3600} h buckets)",
                   "from", "conversations", "escalated", *reasons)
    for b in trend["buckets"]:
        table.add_row(b["start"][:16].replace("T", " "), str(b["conversations"]),
                      _pct(b["escalated"]["value"]),
                      *(_pct(b["by_reason"][code]["value"]) for code in reasons))
    return table


def print_tables(m: Mapping[str, Any], tenant: str) -> None:
    console = out_console(width=WIDTH if not sys.stdout.isatty() else None)
    for table in tables(m, tenant):
        console.print(table)
    if m["truncated"]:
        console.print("Only the first handoffs were read: the numbers are partial.",
                      style="yellow")
