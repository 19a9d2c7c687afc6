"""`warmline policy check`: validate policy files, reporting every problem of every file."""

from __future__ import annotations

from typing import Annotated

import typer

from warmline.adapters.outbound import notify_target_problems
from warmline.adapters.policy_files import load_policy, value_locations
from warmline.cli.console import err_console, labelled, print_problems
from warmline.config import Settings
from warmline.core.errors import PolicyError

policy_app = typer.Typer(help="Work with policy files and a tenant's policy versions.",
                         no_args_is_help=True)


@policy_app.command("check")
def check_command(
    files: Annotated[list[str], typer.Argument(help="Policy YAML files (or bundled names).")],
) -> None:
    """Validate policies: syntax, keys, values, rules (names, types, positions), queue
    references and notify targets (no private addresses unless
    WARMLINE_ALLOW_PRIVATE_TARGETS=true). Exit 1 when any is wrong."""
    failed = 0
    allow_private = Settings().allow_private_targets
    for name in files:
        try:
            policy = load_policy(name)
            if not allow_private:
                problems = notify_target_problems(policy.notify, source=name,
                                                  locate=value_locations(name).get)
                if problems:
                    raise PolicyError(problems)
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


def _register_versions() -> None:
    from warmline.cli.policy_versions import register

    register(policy_app)


_register_versions()
