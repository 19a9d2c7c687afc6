"""`warmline policy check`: validate policy files, reporting every problem of every file."""

from __future__ import annotations

from typing import Annotated

import typer

from warmline.adapters.policy_files import load_policy
from warmline.cli.console import err_console, labelled, print_problems
from warmline.core.errors import PolicyError

policy_app = typer.Typer(help="Work with policy files.", no_args_is_help=True)


@policy_app.command("check")
def check_command(
    files: Annotated[list[str], typer.Argument(help="Policy YAML files (or bundled names).")],
) -> None:
    """Validate policies: syntax, keys, values, rules (names, types, positions) and queue
    references. Exit 1 when any is wrong."""
    failed = 0
    for name in files:
        try:
            policy = load_policy(name)
        except PolicyError as err:
            failed += 1
            print_problems(err)
            continue
        rules = len(policy.triggers) + len(policy.routes)
        typer.echo(f"ok: {name} (policy {policy.name!r}: {rules} rules, "
                   f"{len(policy.question_types)} question types, {len(policy.queues)} queues)")
        for warning in policy.warnings:
            err_console.print(labelled("warning:", "yellow", f"{name}: {warning}"))
    if failed:
        raise typer.Exit(1)
