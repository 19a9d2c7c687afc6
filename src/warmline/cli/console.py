"""What every command shares: reading files or stdin with located errors, and the one place
where errors become exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from warmline.core.errors import InvalidInput, Problem, WarmlineError

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def read_text(name: str) -> str:
    """The contents of a file, or of stdin for `-`."""
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput([Problem("no such file", file=name)]) from None
    except UnicodeDecodeError as err:
        raise InvalidInput([Problem(f"is not UTF-8 text (byte {err.start})", file=name)]) from err
    except OSError as err:
        raise InvalidInput([Problem(f"cannot read: {err.strerror}", file=name)]) from err


def load_json(text: str, *, source: str, line_offset: int = 0) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidInput([Problem(f"not valid JSON: {err.msg}", file=source,
                                    line=err.lineno + line_offset, column=err.colno)]) from err


def print_problems(error: InvalidInput) -> None:
    count = len(error.problems)
    if count > 1:
        err_console.print(f"[bold red]error:[/] {count} problems", markup=True)
    for problem in error.problems:
        err_console.print(f"[red]error:[/] {problem}", markup=True, highlight=False)


def run(app: typer.Typer) -> int:
    """Run the app and map outcomes to exit codes; a user never sees a traceback for bad
    input. Typer itself reports usage errors (exit 2) in standalone mode."""
    try:
        app()
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_INVALID)
    except InvalidInput as err:
        print_problems(err)
        return EXIT_INVALID
    except WarmlineError as err:
        err_console.print(f"[red]error:[/] {err}", markup=True)
        return EXIT_INVALID
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    return EXIT_OK
