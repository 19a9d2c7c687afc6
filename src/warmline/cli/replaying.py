"""Streaming replay: one conversation per JSON line in, one decision per line out, constant
memory, a progress bar on stderr, and escalation-rate tables at the end."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from warmline.cli.console import err_console
from warmline.core.conversation import parse_conversation
from warmline.core.decision import Decision
from warmline.core.errors import InvalidInput, Problem
from warmline.service.deciding import Decider

_PROGRESS_EVERY = 500
_MAX_ERRORS_SHOWN = 20


@dataclass
class ReplayStats:
    total: int = 0
    escalated: int = 0
    errors: int = 0
    by_action: Counter[str] = field(default_factory=Counter)
    by_code: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)
    qt_total: Counter[str] = field(default_factory=Counter)
    qt_escalated: Counter[str] = field(default_factory=Counter)

    def add(self, decision: Decision) -> None:
        self.total += 1
        self.by_action[decision.action.value] += 1
        qt = decision.signals.get("question_type", {}).get("label") or "(none)"
        self.qt_total[qt] += 1
        if not decision.is_handoff:
            return
        self.escalated += 1
        self.qt_escalated[qt] += 1
        for code in {r.code.value for r in decision.reasons}:
            self.by_code[code] += 1
        for rule in {r.rule for r in decision.reasons}:
            self.by_rule[rule] += 1


def _lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


def _decide_line(decider: Decider, line: bytes, number: int, source: str) -> Decision:
    try:
        data = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        column = getattr(err, "colno", None)
        raise InvalidInput([Problem(f"not valid JSON: {getattr(err, 'msg', err)}", file=source,
                                    line=number, column=column)]) from err
    try:
        conversation = parse_conversation(data, source=f"{source}:{number}")
    except InvalidInput as err:
        raise InvalidInput([Problem(p.message, file=source, line=number, path=p.path)
                            for p in err.problems]) from err
    return decider.decide(conversation, now=datetime.now(UTC))


def _error_record(number: int, err: InvalidInput) -> dict[str, Any]:
    return {"line": number, "error": [str(p) for p in err.problems]}


def replay_stream(source: str, decider: Decider, *, out: Path | None, quiet: bool) -> int:
    """Replay a JSONL file (or `-`); returns how many lines were invalid. Invalid lines are
    reported on stderr and written as error records, so output lines match input lines."""
    stats = ReplayStats()
    with ExitStack() as stack:
        if source == "-":
            stream: IO[bytes] = sys.stdin.buffer
            size = None
        else:
            path = Path(source)
            if not path.is_file():
                raise InvalidInput([Problem("no such file", file=source)])
            stream = stack.enter_context(path.open("rb"))
            size = path.stat().st_size
        sink: IO[str] = stack.enter_context(out.open("w", encoding="utf-8")) if out else (
            sys.stdout)
        progress = Progress(TextColumn("replaying"), BarColumn(), TaskProgressColumn(),
                            TextColumn("{task.fields[n]} conversations"), TimeElapsedColumn(),
                            console=err_console, disable=quiet or (out is None and size is None),
                            transient=False)
        stack.enter_context(progress)
        task = progress.add_task("replay", total=size, n=0)
        _run(stream, sink, decider, stats, source=source, progress=progress, task=task)
        progress.update(task, completed=size, n=stats.total)
    _summary(stats, Console(stderr=out is None))
    return stats.errors


def _run(stream: IO[bytes], sink: IO[str], decider: Decider, stats: ReplayStats, *,
         source: str, progress: Progress, task: Any) -> None:
    dumps = json.dumps
    for number, line in _lines(stream):
        try:
            decision = _decide_line(decider, line, number, source)
        except InvalidInput as err:
            stats.errors += 1
            if stats.errors <= _MAX_ERRORS_SHOWN:
                for problem in err.problems:
                    err_console.print(f"[red]error:[/] {problem}", markup=True)
            sink.write(dumps(_error_record(number, err), ensure_ascii=False) + "\n")
            continue
        stats.add(decision)
        sink.write(dumps(decision.to_dict(), ensure_ascii=False) + "\n")
        if stats.total % _PROGRESS_EVERY == 0:
            progress.update(task, completed=stream.tell() if stream.seekable() else None,
                            n=stats.total)


def _rate_table(title: str, counts: Counter[str], totals: Counter[str] | int) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("name")
    table.add_column("escalated", justify="right")
    table.add_column("rate", justify="right")
    for name, count in counts.most_common():
        total = totals if isinstance(totals, int) else totals[name]
        table.add_row(name, f"{count}", f"{100 * count / total:.1f}%" if total else "-")
    return table


def _summary(stats: ReplayStats, console: Console) -> None:
    total = stats.total
    rate = 100 * stats.escalated / total if total else 0.0
    console.print(f"{total} conversations, {stats.escalated} handed off ({rate:.1f}%)"
                  + (f", {stats.errors} invalid lines" if stats.errors else ""))
    if not total:
        return
    console.print(_rate_table("by action", stats.by_action, total))
    console.print(_rate_table("escalation rate by reason code", stats.by_code, total))
    console.print(_rate_table("escalation rate by rule", stats.by_rule, total))
    table = _rate_table("escalation rate by question type", stats.qt_escalated, stats.qt_total)
    for name, count in stats.qt_total.items():
        if name not in stats.qt_escalated:
            table.add_row(name, "0", "0.0%" if count else "-")
    console.print(table)
