"""`warmline experiment report`: the warm-vs-cold experiment's arms compared — repeat-contact
rate and CSAT with 95 % intervals, and the handoffs per arm still needed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from warmline.cli.console import choice, open_store_to_read, out_console
from warmline.core.analytics.estimate import Mean, Rate
from warmline.core.analytics.experiment import (
    SEED_EFFECT,
    Difference,
    ExperimentData,
    ExperimentReport,
    report,
)
from warmline.core.decision.arms import Arm

experiment_app = typer.Typer(help="The warm-vs-cold experiment (policy `experiment:`).",
                             no_args_is_help=True)


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


@experiment_app.command("report")
def report_command(
    db: Annotated[str | None, typer.Option(
        "--db", envvar="WARMLINE_DB", help="Database URL (else $WARMLINE_DB, else "
        "sqlite:///warmline.db).")] = None,
    tenant: Annotated[str | None, typer.Option(
        "--tenant", help="Tenant name (needed when there are several).")] = None,
    policy: Annotated[str | None, typer.Option(
        "--policy", "-p", help="Read `experiment:` from this policy instead of the "
        "tenant's.")] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=400,
                                      help="Handoffs of the last N days.")] = 90,
    effect: Annotated[float, typer.Option(
        "--effect", min=0.01, max=0.99, help="Relative cut in repeat contacts to detect "
        "(seed: warm -22 %).")] = SEED_EFFECT,
    baseline: Annotated[float | None, typer.Option(
        "--baseline", min=0.001, max=0.999, help="Cold repeat-contact rate for the sample "
        "size [default: measured].")] = None,
    output: Annotated[Format, typer.Option(
        "--format", help="table or json.", parser=choice(Format, "format"))] = Format.TABLE,
) -> None:
    """Compare the arms: repeat-contact rate and CSAT, with intervals and sample sizes."""
    from warmline.adapters.policy_files import load_policy
    from warmline.adapters.storage.engine import DEFAULT_URL
    from warmline.service.handoff_history import find_tenant, read_window

    now = datetime.now(UTC)
    store = open_store_to_read(db or DEFAULT_URL)
    try:
        found = find_tenant(store, tenant)
        loaded = load_policy(policy or found.policy)
        window_days = loaded.defaults.repeat_window_days
        data = read_window(store, found, now - timedelta(days=days), now,
                           follow_days=window_days)
    finally:
        store.close()
    if loaded.experiment is None:
        typer.echo(f"note: the policy {loaded.source} has no `experiment:` section; "
                   "reporting handoffs tagged by an earlier one", err=True)
    share = loaded.experiment.cold_share if loaded.experiment else 0.5
    result = report(ExperimentData(data.handoffs, data.contacts, data.since, data.until),
                    cold_share=share, effect=effect, window_days=window_days,
                    baseline=baseline)
    if output is Format.JSON:
        typer.echo(json.dumps({"tenant": found.name, "days": days, **result.to_dict()},
                              indent=2))
    else:
        show(result, out_console())


def _rate(r: Rate) -> str:
    if r.value is None or r.interval is None:
        return "-"
    return f"{r.value:.1%} [{r.interval[0]:.1%}, {r.interval[1]:.1%}] of {r.total}"


def _mean(m: Mean) -> str:
    return "-" if m.mean is None else f"{m.mean:.2f} [{m.low:.2f}, {m.high:.2f}] of {m.n}"


def _diff(d: Difference, scale: float, unit: str) -> str:
    if d.value is None or d.low is None or d.high is None:
        return "-"
    verdict = "" if d.is_conclusive else " (not conclusive)"
    return (f"{scale * d.value:+.1f}{unit} [{scale * d.low:+.1f}, {scale * d.high:+.1f}]"
            f"{verdict}")


def show(result: ExperimentReport, console: Console) -> None:
    warm, cold = result.arms[Arm.WARM], result.arms[Arm.COLD]
    table = Table(title=f"Warm vs cold (95 % intervals; repeat window {result.window_days} "
                  "days)", title_justify="left")
    for name in ("", "warm", "cold", "warm - cold"):
        table.add_column(name, justify="left" if not name else "right")
    table.add_row("handoffs", str(warm.handoffs), str(cold.handoffs), "")
    table.add_row("repeat-contact rate", _rate(warm.repeat), _rate(cold.repeat),
                  _diff(result.repeat, 100, " pts"))
    table.add_row("CSAT (1-5)", _mean(warm.csat), _mean(cold.csat), _diff(result.csat, 1, ""))
    table.add_row("CSAT % (4-5)", _rate(warm.satisfied), _rate(cold.satisfied),
                  _diff(result.satisfied, 100, " pts"))
    console.print(table)
    if result.needed is None or result.baseline is None:
        console.print(f"Sample size: {result.baseline_source}.")
        return
    left = result.still_needed
    assert left is not None
    console.print(
        f"To detect a {result.effect:.0%} cut in repeat contacts from a cold rate of "
        f"{result.baseline:.1%} ({result.baseline_source}) at 5 % significance and 80 % "
        f"power with {result.cold_share:.0%} of customers cold: {result.needed[0]:,} cold and "
        f"{result.needed[1]:,} warm handoffs with a known customer; still needed: "
        f"{left[0]:,} cold, {left[1]:,} warm.")


def register(app: typer.Typer) -> None:
    app.add_typer(experiment_app, name="experiment")
