"""`warmline roi`: cold vs warm transfer cost a month on a platform's pricing, from the seed's
effects as editable assumptions or, with `--db`, the tenant's measured rates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from warmline.cli.console import choice, open_store_to_read, out_console
from warmline.core.analytics.roi import Assumptions, Roi, compare
from warmline.core.policy.model import Mode


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


class PlatformName(StrEnum):
    """The platforms of `warmline.core.analytics.roi.PLATFORMS` (a test keeps the two in step)."""

    RETELL = "retell"
    VAPI = "vapi"
    BLAND = "bland"
    SYNTHFLOW = "synthflow"
    GOHIGHLEVEL = "gohighlevel"


def _opt(flag: str, text: str, **kw: Any) -> Any:
    return typer.Option(flag, help=text, **kw)


def roi_command(
    platform: Annotated[PlatformName, _opt(
        "--platform", "Whose pricing: retell, vapi, bland, synthflow or gohighlevel.",
        parser=choice(PlatformName, "platform"))] = PlatformName.RETELL,
    calls_per_month: Annotated[float | None, _opt("--calls-per-month", "Calls a month "
                               "[default 1000; measured with --db].", min=0)] = None,
    escalation_rate: Annotated[float | None, _opt("--escalation-rate", "Share handed off, "
                               "0..1 [default 0.10; measured with --db].", min=0, max=1)] = None,
    minutes: Annotated[float, _opt("--minutes", "Platform minutes per call.", min=0)] = 4.0,
    base_repeat_rate: Annotated[float, _opt("--base-repeat-rate", "Share of handed-off "
                                "customers who call again anyway (yours; not in the seed).",
                                min=0, max=1)] = 0.10,
    cold_repeat_lift: Annotated[float, _opt("--cold-repeat-lift", "Cold raises repeat calls "
                                "by this share (seed: 0.30).", min=0)] = 0.30,
    warm_repeat_cut: Annotated[float, _opt("--warm-repeat-cut", "Warm cuts repeat calls by "
                               "this share (seed: 0.22).", min=0, max=1)] = 0.22,
    cold_repeat_rate: Annotated[float | None, _opt("--cold-repeat-rate", "Your cold repeat "
                                "rate (replaces base x lift).", min=0, max=1)] = None,
    warm_repeat_rate: Annotated[float | None, _opt("--warm-repeat-rate", "Your warm repeat "
                                "rate (replaces base x cut).", min=0, max=1)] = None,
    csat_points: Annotated[float, _opt("--csat-points", "Warm - cold CSAT, points (seed: "
                           "20-30).")] = 25.0,
    rep_minutes: Annotated[float | None, _opt("--rep-minutes", "Rep minutes per handoff "
                           "[default 5; measured with --db].", min=0)] = None,
    rep_cost_per_hour: Annotated[float, _opt("--rep-cost-per-hour", "Loaded rep cost.",
                                 min=0)] = 30.0,
    transfer_fee: Annotated[float | None, _opt("--transfer-fee", "Per transfer, both modes "
                            "[default: the platform's].", min=0)] = None,
    warm_fee: Annotated[float, _opt("--warm-fee", "Extra per warm transfer (e.g. Bland's "
                        "charge for context).", min=0)] = 0.0,
    price_per_minute: Annotated[float | None, _opt("--price-per-minute", "Override the "
                                "platform's per-minute price.", min=0)] = None,
    db: Annotated[str | None, _opt("--db", "Measure rates from this database (else "
                  "$WARMLINE_DB with --tenant).", envvar="WARMLINE_DB")] = None,
    tenant: Annotated[str | None, _opt("--tenant", "Tenant to measure (with --db).")] = None,
    days: Annotated[int, _opt("--days", "Measure over the last N days.", min=1, max=400)] = 30,
    output: Annotated[Format, _opt("--format", "table or json.",
                                   parser=choice(Format, "format"))] = Format.TABLE,
) -> None:
    """Cost of cold vs warm transfers a month on a platform's pricing."""
    base = Assumptions()
    a = Assumptions(
        calls_per_month=base.calls_per_month if calls_per_month is None else calls_per_month,
        escalation_rate=base.escalation_rate if escalation_rate is None else escalation_rate,
        rep_minutes=base.rep_minutes if rep_minutes is None else rep_minutes,
        minutes=minutes, base_repeat_rate=base_repeat_rate, cold_repeat_lift=cold_repeat_lift,
        warm_repeat_cut=warm_repeat_cut, cold_repeat_rate=cold_repeat_rate,
        warm_repeat_rate=warm_repeat_rate, csat_points=csat_points,
        rep_cost_per_hour=rep_cost_per_hour, transfer_fee=transfer_fee, warm_fee=warm_fee,
        price_per_minute=price_per_minute)
    given = {name for name, value in (
        ("calls_per_month", calls_per_month), ("escalation_rate", escalation_rate),
        ("rep_minutes", rep_minutes), ("cold_repeat_rate", cold_repeat_rate),
        ("warm_repeat_rate", warm_repeat_rate)) if value is not None}
    if db is not None or tenant is not None:
        measured = _measure(db, tenant, days)
        a = a.with_measured(**{k: v for k, v in measured.items() if k not in given})
    result = compare(platform.value, a)
    if output is Format.JSON:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        show(result, out_console(), given=frozenset(given))


def _measure(db: str | None, tenant: str | None, days: int) -> dict[str, float | None]:
    from warmline.adapters.policy_files import load_policy
    from warmline.adapters.storage.engine import DEFAULT_URL
    from warmline.core.analytics.metrics import Window
    from warmline.core.analytics.roi import measure_inputs
    from warmline.service.handoff_history import find_tenant, read_window

    now = datetime.now(UTC)
    store = open_store_to_read(db or DEFAULT_URL)
    try:
        found = find_tenant(store, tenant)
        window_days = load_policy(found.policy).defaults.repeat_window_days
        data = read_window(store, found, now - timedelta(days=days), now,
                           follow_days=window_days)
    finally:
        store.close()
    window = Window(since=data.since, until=data.until, handoffs=data.handoffs,
                    conversations=data.conversations, contacts=data.contacts)
    return measure_inputs(window, repeat_window_days=window_days)


def show(result: Roi, console: Console, *, given: frozenset[str] = frozenset()) -> None:
    """`given`: the inputs the user set on the command line (else measured or assumed)."""
    a, cold, warm = result.assumptions, result.cold, result.warm

    def _where(a: Assumptions, name: str) -> str:
        return "given" if name in given else "measured" if name in a.measured else "assumed"

    console.print(Text.assemble((result.pricing.name, "bold"), f": {result.pricing.note}"))
    table = Table(title="A month", title_justify="left")
    for name in ("", "cold", "warm", "warm - cold"):
        table.add_column(name, justify="left" if not name else "right")
    rows = [("calls (incl. repeats)", cold.calls, warm.calls, "{:,.0f}"),
            ("repeat calls", cold.repeat_calls, warm.repeat_calls, "{:,.1f}"),
            ("handoffs", cold.handoffs, warm.handoffs, "{:,.1f}"),
            ("platform minutes", cold.minutes, warm.minutes, "{:,.0f}"),
            ("platform cost", cold.platform, warm.platform, "${:,.2f}"),
            ("transfer fees", cold.transfer_fees, warm.transfer_fees, "${:,.2f}"),
            ("rep cost", cold.reps, warm.reps, "${:,.2f}"),
            ("total", cold.total, warm.total, "${:,.2f}")]
    for label, c, w, f in rows:
        table.add_row(label, f.format(c), f.format(w), f.format(w - c).replace("$-", "-$"))
    console.print(table)
    saving = result.saving_per_month
    console.print(f"Warm saves ${saving:,.2f} a month (${12 * saving:,.2f} a year)" if saving >= 0
                  else f"Warm costs ${-saving:,.2f} a month more (${-12 * saving:,.2f} a year)")
    console.print(f"CSAT at handoff: warm {a.csat_points:+.0f} points vs cold "
                  f"({_where(a, 'csat_points')})")
    lines = [
        f"calls a month {a.calls_per_month:,.0f} ({_where(a, 'calls_per_month')}), escalation "
        f"rate {a.escalation_rate:.1%} ({_where(a, 'escalation_rate')}), {a.minutes:g} "
        "platform minutes a call (given)",
        f"repeat rate after a handoff: cold {a.repeat_rate(Mode.COLD):.1%} "
        f"({_where(a, 'cold_repeat_rate')}), warm {a.repeat_rate(Mode.WARM):.1%} "
        f"({_where(a, 'warm_repeat_rate')})",
        f"rep {a.rep_minutes:.1f} min a handoff ({_where(a, 'rep_minutes')}) at "
        f"${a.rep_cost_per_hour:,.2f}/h; transfer fee "
        f"${result.to_dict()['inputs']['transfer_fee']:,.2f}, warm extra ${a.warm_fee:,.2f}",
    ]
    console.print("Inputs: " + "; ".join(lines))


def register(app: typer.Typer) -> None:
    app.command("roi")(roi_command)
