"""`warmline calibrate`: cost-based thresholds per question type from labelled history, from a
CSV or exported from the server's own handoffs (`--from-db`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from warmline.adapters.policy_files import bundled_policy_names, load_policy
from warmline.cli.console import choice, open_store_to_read, out_console, read_text
from warmline.core.analytics.calibration import DEFAULT_MIN_SAMPLES, Calibration, calibrate
from warmline.core.analytics.history import Answer, read_history
from warmline.core.errors import InvalidInput, Problem
from warmline.core.policy.model import Policy


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


def _usage(message: str, option: str) -> typer.BadParameter:
    return typer.BadParameter(message, param_hint=option)


def calibrate_command(
    history: Annotated[str | None, typer.Argument(
        help="CSV with columns question_type,confidence,correct (or - for stdin).")] = None,
    policy: Annotated[str | None, typer.Option(
        "--policy", "-p", help="The policy whose costs are weighed (a file, or a bundled "
        "name). With --from-db: default the tenant's policy.")] = None,
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="Write cost curves as PNG (needs: pip install 'warmline[plot]').")
        ] = None,
    write: Annotated[bool, typer.Option(
        "--write", help="Write the recommended thresholds into the policy file, in place "
        "(comments and layout kept), then re-validate it. With --from-db and no --policy: "
        "into a new draft of the tenant's policy version.")] = False,
    output: Annotated[Format, typer.Option(
        "--format", help="table or json.", parser=choice(Format, "format"))] = Format.TABLE,
    min_samples: Annotated[int, typer.Option(
        "--min-samples", min=0, help="Fewer answers than this for a question type keep its "
        "current threshold.")] = DEFAULT_MIN_SAMPLES,
    from_db: Annotated[bool, typer.Option(
        "--from-db", help="Build the history from the server's handoffs (see docs/"
        "calibration.md for how `correct` is labelled).")] = False,
    db: Annotated[str | None, typer.Option(
        "--db", envvar="WARMLINE_DB", help="Database URL for --from-db (else $WARMLINE_DB, "
        "else sqlite:///warmline.db).")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Tenant name for --from-db."
                                               )] = None,
    since: Annotated[datetime | None, typer.Option(
        "--since", help="--from-db: handoffs from this date (default: 90 days ago).")] = None,
    export: Annotated[Path | None, typer.Option(
        "--export", help="--from-db: also write the history CSV here.")] = None,
) -> None:
    """Cost-based confidence thresholds per question type, against one global threshold."""
    if (history is None) == (not from_db):
        raise _usage("give a HISTORY.csv or --from-db (one of them)", "HISTORY")
    if from_db:
        answers, loaded = _from_db(db, tenant, since, policy, export)
    else:
        assert history is not None
        if policy is None:
            raise _usage("calibration weighs the policy's costs: pass --policy FILE",
                         "--policy")
        answers, loaded = read_history(read_text(history), source=history), load_policy(policy)
    as_draft = write and from_db and policy is None
    if write and not as_draft and (loaded.source is None or not Path(loaded.source).is_file()):
        raise _usage(f"--write needs a policy file, not {policy or 'a bundled policy'} "
                     f"(bundled: {', '.join(bundled_policy_names())})", "--write")
    try:
        result = calibrate(loaded, answers, min_samples=min_samples)
    except ValueError as err:
        raise InvalidInput([Problem(str(err), file=loaded.source)]) from err
    if output is Format.JSON:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        show(result, out_console())
    if plot is not None:
        from warmline.cli.calibration_plot import write_plot

        write_plot(result, plot)
        typer.echo(f"cost curves written to {plot}", err=True)
    if as_draft:
        from warmline.cli.calibrate_draft import write_draft

        write_draft(db, tenant, _changes(result))
    elif write:
        _write(loaded, result)


def _from_db(db: str | None, tenant: str | None, since: datetime | None, policy: str | None,
             export: Path | None) -> tuple[list[Answer], Policy]:
    from warmline.adapters.storage.engine import DEFAULT_URL
    from warmline.core.analytics.history import label_handoffs, write_labelled
    from warmline.core.analytics.metrics import Window, contacts_by_customer
    from warmline.service.handoff_history import find_tenant, read_window

    now = datetime.now(UTC)
    start = _aware(since) if since else now - timedelta(days=90)
    store = open_store_to_read(db or DEFAULT_URL)
    try:
        found = find_tenant(store, tenant)
        from warmline.cli.calibrate_draft import published_policy

        loaded = load_policy(policy) if policy else (published_policy(store, found)
                                                     or load_policy(found.policy))
        days = loaded.defaults.repeat_window_days
        data = read_window(store, found, start, now, follow_days=days)
    finally:
        store.close()
    window = Window(since=start, until=now, handoffs=data.handoffs, conversations=0,
                    contacts=data.contacts)
    rows = label_handoffs(data.handoffs, contacts_by_customer(window),
                          window=timedelta(days=days), now=now)
    if export is not None:
        export.write_text(write_labelled(rows), encoding="utf-8")
        typer.echo(f"{len(rows)} history rows from {len(data.handoffs)} handoffs written to "
                   f"{export}", err=True)
    if not rows:
        raise InvalidInput([Problem(
            f"tenant {found.name!r} has no labelled handoffs since {start.date()}: a rep's "
            "'the AI's answer was wrong' or a repeat-contact window that has passed labels one")])
    return [r.answer for r in rows], loaded


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _changes(result: Calibration) -> dict[str, float]:
    return {name: t.threshold for name, t in result.question_types.items()
            if not t.kept and abs(t.threshold - t.current) > 1e-9}


def _write(policy: Policy, result: Calibration) -> None:
    from warmline.adapters.policy_edit import write_thresholds

    assert policy.source is not None
    changes = _changes(result)
    if not changes:
        typer.echo(f"{policy.source}: thresholds already as recommended; not changed", err=True)
        return
    write_thresholds(Path(policy.source), changes)
    listed = ", ".join(f"{k} {v:.2f}" for k, v in sorted(changes.items()))
    typer.echo(f"{policy.source}: wrote {listed}; the policy validates", err=True)


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def saving_verdict(low: float | None, high: float | None) -> str:
    """What the saving's interval says: wholly above zero, per-type is cheaper; wholly below,
    it costs more; spanning zero (or unknown), the data cannot tell them apart yet."""
    if low is not None and low > 0:
        return "per-type is cheaper"
    if high is not None and high < 0:
        return "per-type costs more than the best single global threshold"
    return "no difference the data can tell apart yet"


def show(result: Calibration, console: Console) -> None:
    table = Table(title="Expected cost per 1,000 conversations of each type", title_justify="left")
    for name in ("type", "n", "wrong", "now", "by cost", "best", "cost at best [95 %]",
                 "cost now", "note"):
        table.add_column(name, justify="left" if name in ("type", "note") else "right")
    for name, t in result.question_types.items():
        m = t.expected
        table.add_row(
            name if t.in_policy else f"{name} (not in policy)", str(t.n), str(t.wrong),
            f"{t.current:.2f}", "-" if t.cost_derived is None else f"{t.cost_derived:.2f}",
            Text(f"{t.threshold:.2f}", style="bold"),
            f"{_money(m.mean)} [{_money(m.low)}, {_money(m.high)}]",
            _money(t.current_cost), t.note or ("" if t.costs.source == "policy"
                                               else f"wrong answer cost {t.costs.source}"))
    console.print(table)
    g, p, s = result.global_cost, result.per_type_cost, result.saving
    console.print(f"All {result.n} answers, per 1,000 conversations: per-type thresholds "
                  f"{_money(p.mean)} [{_money(p.low)}, {_money(p.high)}]; best single global "
                  f"threshold {result.global_threshold:.2f}: {_money(g.mean)} "
                  f"[{_money(g.low)}, {_money(g.high)}].")
    verdict = saving_verdict(s.low, s.high)
    console.print(f"Per-type saves {_money(s.mean)} [{_money(s.low)}, {_money(s.high)}] per "
                  f"1,000 conversations (paired bootstrap, 95 %): {verdict}. In-sample: "
                  "thresholds chosen and scored on the same history.")


def register(app: typer.Typer) -> None:
    app.command("calibrate")(calibrate_command)
