"""The `warmline` command. Exit codes are mapped in one place (`run`): 0 success,
1 invalid input (the message names file, line and field), 2 usage error."""

from __future__ import annotations

import sys

import typer

from warmline.cli import decide as decide_commands
from warmline.cli import demo as demo_commands
from warmline.cli import policy as policy_commands
from warmline.cli import server as server_commands
from warmline.cli.console import run

app = typer.Typer(
    name="warmline",
    help="Decide when, where and how an AI agent hands a customer to a person.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are shown as written: `warmline[plot]` stays whole
)
decide_commands.register(app)
app.add_typer(policy_commands.policy_app, name="policy")
server_commands.register(app)
app.command("demo")(demo_commands.demo_command)


def _register_db() -> None:
    from warmline.cli.db import db_app

    app.add_typer(db_app, name="db")


_register_db()


def _register_intents() -> None:
    from warmline.cli.intents import intents_app

    app.add_typer(intents_app, name="intents")


_register_intents()


def _register_analytics() -> None:
    from warmline.cli import calibrate, experiment, roi

    calibrate.register(app)
    roi.register(app)
    experiment.register(app)


_register_analytics()


def _register_report() -> None:
    from warmline.cli.report import report_command

    app.command("report")(report_command)


_register_report()


def _plain_help(parent: typer.Typer) -> None:
    """Every command group shows its help as written, as the main app does: Rich markup
    would swallow bracketed text (`[default 5; measured with --db]`, `warmline[plot]`)."""
    for group in parent.registered_groups:
        if group.typer_instance is not None:
            group.typer_instance.rich_markup_mode = None
            _plain_help(group.typer_instance)


_plain_help(app)


def main() -> None:
    sys.exit(run(app))
