"""`warmline decide`, `warmline brief` and `warmline replay`."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from warmline.bootstrap import build_decider, build_summarizer
from warmline.cli.console import load_json, read_text
from warmline.cli.replaying import default_workers, replay_stream
from warmline.config import Settings
from warmline.core.conversation import parse_conversation
from warmline.service.deciding import Decider

PolicyOption = Annotated[str | None, typer.Option(
    "--policy", "-p", help="A policy YAML file or a bundled name (general, saas, healthcare, "
    "finance, local-services). Default: general.")]


LlmUrl = Annotated[str | None, typer.Option(
    "--llm-url", envvar="WARMLINE_LLM_URL", help="Write the brief's summary with this "
    "OpenAI-compatible endpoint (e.g. http://127.0.0.1:11434/v1: a loopback or private "
    "address needs WARMLINE_ALLOW_PRIVATE_TARGETS=true). Off by default; on any failure the "
    "deterministic brief is kept.")]
LlmModel = Annotated[str, typer.Option("--llm-model", envvar="WARMLINE_LLM_MODEL",
                                       help="Model name for --llm-url.")]
LlmTimeout = Annotated[float, typer.Option("--llm-timeout", envvar="WARMLINE_LLM_TIMEOUT",
                                           min=0.1, help="Seconds to wait for the LLM.")]


def _decider(policy: str | None, llm_url: str | None, llm_model: str, llm_timeout: float
             ) -> Decider:
    summarizer = build_summarizer(llm_url, llm_model, os.environ.get("WARMLINE_LLM_API_KEY"),
                                  llm_timeout,
                                  allow_private=Settings().allow_private_targets)
    return build_decider(policy, summarizer=summarizer)


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def decide_command(
    conversation: Annotated[str, typer.Argument(
        help="Conversation JSON (docs/contract.md §1), or - for stdin.")],
    policy: PolicyOption = None,
    llm_url: LlmUrl = None,
    llm_model: LlmModel = "gpt-4o-mini",
    llm_timeout: LlmTimeout = 2.0,
) -> None:
    """Print the decision (docs/contract.md §2) for one conversation."""
    data = load_json(read_text(conversation), source=conversation)
    conv = parse_conversation(data, source=conversation)
    decider = _decider(policy, llm_url, llm_model, llm_timeout)
    decision = decider.decide(conv, now=datetime.now(UTC))
    typer.echo(_dump(decision.to_dict()))


def brief_command(
    conversation: Annotated[str, typer.Argument(help="Conversation JSON, or - for stdin.")],
    policy: PolicyOption = None,
    llm_url: LlmUrl = None,
    llm_model: LlmModel = "gpt-4o-mini",
    llm_timeout: LlmTimeout = 2.0,
) -> None:
    """Print the warm-transfer brief alone, as the rep would get it if the AI handed off now."""
    data = load_json(read_text(conversation), source=conversation)
    conv = parse_conversation(data, source=conversation)
    brief = _decider(policy, llm_url, llm_model, llm_timeout).brief(conv, now=datetime.now(UTC))
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
