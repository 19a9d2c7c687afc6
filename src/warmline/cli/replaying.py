"""Streaming replay: one conversation per JSON line in, one decision per line out. Batches run
in worker processes with a bounded number in flight, so memory stays flat for any file size;
a progress bar goes to stderr and escalation-rate tables come at the end."""

from __future__ import annotations

import os
import sys
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from warmline.bootstrap import build_decider
from warmline.cli.console import err_console, labelled, out_console
from warmline.core.errors import InvalidInput, Problem
from warmline.service.deciding import Decider
from warmline.service.replaying import BatchResult, ReplayStats, replay_batch

_BATCH = 500
_MAX_ERRORS_SHOWN = 20
_worker_decider: Decider | None = None  # one per worker process, set by _start_worker


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _start_worker(policy: str | None) -> None:
    global _worker_decider  # noqa: PLW0603 - per-process state of a pool worker
    _worker_decider = build_decider(policy)


def _work(batch: list[tuple[int, bytes]], source: str) -> BatchResult:
    assert _worker_decider is not None
    return replay_batch(_worker_decider, batch, source)


def _batches(stream: IO[bytes]) -> Iterator[list[tuple[int, bytes]]]:
    batch: list[tuple[int, bytes]] = []
    for number, line in enumerate(stream, start=1):
        if line.strip():
            batch.append((number, line))
            if len(batch) >= _BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


class _Writer:
    """Writes batch results in order, merges counts, reports the first errors, moves the bar."""

    def __init__(self, sink: IO[str], stream: IO[bytes], progress: Progress) -> None:
        self.sink, self.stream, self.progress = sink, stream, progress
        self.stats = ReplayStats()
        self.task = progress.add_task("replay", total=None, n=0)

    def write(self, result: BatchResult) -> None:
        for problem in result.problems:
            if self.stats.errors < _MAX_ERRORS_SHOWN:
                err_console.print(labelled("error:", "red", problem))
        self.stats.merge(result.stats)
        if result.lines:
            self.sink.write("\n".join(result.lines) + "\n")
        done = self.stream.tell() if self.stream.seekable() else None
        self.progress.update(self.task, completed=done, n=self.stats.total)


def _open_input(source: str, stack: ExitStack) -> tuple[IO[bytes], int | None]:
    if source == "-":
        return sys.stdin.buffer, None
    path = Path(source)
    if not path.is_file():
        raise InvalidInput([Problem("no such file", file=source)])
    return stack.enter_context(path.open("rb")), path.stat().st_size


def replay_stream(source: str, policy: str | None, *, out: Path | None, quiet: bool,
                  workers: int) -> int:
    """Replay a JSONL file (or `-`); returns how many lines were invalid. Invalid lines are
    reported on stderr and written as error records, so output lines match input lines."""
    decider = build_decider(policy)  # fails fast on a bad policy, before any worker starts
    with ExitStack() as stack:
        stream, size = _open_input(source, stack)
        sink: IO[str] = stack.enter_context(out.open("w", encoding="utf-8")) if out else (
            sys.stdout)
        progress = stack.enter_context(Progress(
            TextColumn("replaying"), BarColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[n]} conversations"), TimeElapsedColumn(),
            console=err_console, disable=quiet or (out is None and size is None)))
        writer = _Writer(sink, stream, progress)
        progress.update(writer.task, total=size)
        if workers <= 1:
            for batch in _batches(stream):
                writer.write(replay_batch(decider, batch, source))
        else:
            _run_parallel(stream, writer, policy, source=source, workers=workers)
        stats = writer.stats
    _summary(stats, out_console(stderr=out is None))
    return stats.errors


def _run_parallel(stream: IO[bytes], writer: _Writer, policy: str | None, *, source: str,
                  workers: int) -> None:
    pending: deque[Future[BatchResult]] = deque()
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(policy,)) as pool:
        for batch in _batches(stream):
            pending.append(pool.submit(_work, batch, source))
            if len(pending) >= 2 * workers:  # bounded: memory stays flat
                writer.write(pending.popleft().result())
        while pending:
            writer.write(pending.popleft().result())


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
