"""`warmline decide`, `warmline brief` and `warmline replay`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from warmline.bootstrap import build_decider
from warmline.cli.console import load_json, read_text
from warmline.cli.replaying import default_workers, replay_stream
from warmline.core.conversation import parse_conversation

PolicyOption = Annotated[str | None, typer.Option(
    "--policy", "-p", help="A policy YAML file or a bundled name (general, saas, healthcare, "
    "finance, local-services). Default: general.")]


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def decide_command(
    conversation: Annotated[str, typer.Argument(help="Conversation JSON (SPEC §1), or - for "
                                                "stdin.")],
    policy: PolicyOption = None,
) -> None:
    """Print the decision (SPEC §2) for one conversation."""
    data = load_json(read_text(conversation), source=conversation)
    conv = parse_conversation(data, source=conversation)
    decision = build_decider(policy).decide(conv, now=datetime.now(UTC))
    typer.echo(_dump(decision.to_dict()))


def brief_command(
    conversation: Annotated[str, typer.Argument(help="Conversation JSON, or - for stdin.")],
    policy: PolicyOption = None,
) -> None:
    """Print the warm-transfer brief alone, as the rep would get it if the AI handed off now."""
    data = load_json(read_text(conversation), source=conversation)
    conv = parse_conversation(data, source=conversation)
    decider = build_decider(policy)
    decision = decider.decide(conv, now=datetime.now(UTC))
    if decision.brief is None:
        from warmline.core.brief import write_brief
        from warmline.core.engine import find_reasons
        from warmline.core.situation import assess

        situation = assess(conv, decider.policy, classifier=decider.classifier,
                           now=datetime.now(UTC))
        reasons = find_reasons(decider.policy, situation, [])
        brief = write_brief(conv, decider.policy, situation, reasons)
    else:
        brief = decision.brief
    typer.echo(_dump(brief.to_dict()))


def replay_command(
    conversations: Annotated[str, typer.Argument(help="JSON lines, one conversation each, or "
                                                 "- for stdin.")],
    policy: PolicyOption = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write decisions here as JSON "
                                             "lines (default: stdout).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", "-w", min=1, help="Processes deciding in parallel (default: CPU cores, "
        "at most 4).")] = None,
) -> None:
    """Decide every conversation of a JSONL file and summarise escalations."""
    errors = replay_stream(conversations, policy, out=out, quiet=quiet,
                           workers=workers or default_workers())
    if errors:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("decide")(decide_command)
    app.command("brief")(brief_command)
    app.command("replay")(replay_command)
