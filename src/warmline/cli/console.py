"""What every command shares: reading files or stdin with located errors, consoles that print
text as it is, and the one place where errors become exit codes.

Rich markup is off on every console here: file names, policy text, customer text and error
messages carry brackets (`pip install 'warmline[train]'`) that markup would swallow. Styles
are given as `Text` spans or `style=` instead."""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from warmline.core.errors import InvalidInput, Problem, WarmlineError

if TYPE_CHECKING:
    from warmline.service.ports import Store

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

err_console = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)
E = TypeVar("E", bound=StrEnum)


def out_console(*, stderr: bool = False, width: int | None = None) -> Console:
    """A console for a command's tables and lines: no markup, no highlighting."""
    return Console(stderr=stderr, width=width, highlight=False, markup=False)


def labelled(label: str, style: str, message: object) -> Text:
    """`error: message` with the label styled and the message printed as it is."""
    return Text.assemble((label, style), " ", str(message))


def choice(kind: type[E], what: str) -> Callable[[str], E]:
    """A Typer `parser=` for an enum option: an unknown value is a usage error that lists the
    valid ones (and the closest), not the validator's "Value error, ..."."""

    def parse(value: str | E) -> E:
        if isinstance(value, kind):
            return value
        names = [member.value for member in kind]
        try:
            return kind(value)
        except ValueError:
            close = difflib.get_close_matches(str(value), names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise typer.BadParameter(f"unknown {what} {str(value)!r}{hint} (one of: "
                                     f"{', '.join(names)})") from None

    return parse


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


def open_store_to_read(url: str) -> Store:
    """The database for a command that only reads it (`report`, `roi --db`, `calibrate
    --from-db`, `experiment report`): never created or migrated, so a mistyped path is an
    error naming it, not a new empty database file and an empty report."""
    from warmline.adapters.storage.engine import database_url
    from warmline.bootstrap import build_store

    if not url.startswith("memory:"):
        parsed = database_url(url)
        name = parsed.database
        if parsed.get_backend_name() == "sqlite" and name and name != ":memory:" and (
                not name.startswith("file:") and not Path(name).exists()):
            raise InvalidInput([Problem("no such database file (give --db or WARMLINE_DB)",
                                        file=name)])
    return build_store(url, migrate_sqlite=False)


def load_json(text: str, *, source: str, line_offset: int = 0) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidInput([Problem(f"not valid JSON: {err.msg}", file=source,
                                    line=err.lineno + line_offset, column=err.colno)]) from err


def print_problems(error: InvalidInput) -> None:
    count = len(error.problems)
    if count > 1:
        err_console.print(labelled("error:", "bold red", f"{count} problems"))
    for problem in error.problems:
        err_console.print(labelled("error:", "red", problem))


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
        err_console.print(labelled("error:", "red", err))
        return EXIT_INVALID
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    return EXIT_OK
