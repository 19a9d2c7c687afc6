"""`WriterLock`: writers of different processes exclude each other through the lock file,
a killed holder frees it at once, and a holder that never lets go only delays a writer by
`wait_seconds` (SQLite's own lock decides after that)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from warmline.adapters.storage.writer_lock import WriterLock

HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


@contextlib.contextmanager
def holding(path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock file for `seconds` (from when this yields)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()


@contextlib.contextmanager
def writer_lock(path: Path, **options: float) -> Iterator[WriterLock]:
    lock = WriterLock(str(path), **options)
    try:
        yield lock
    finally:
        lock.close()


def test_a_writer_waits_for_another_process_holding_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "db-writer"
    with holding(path, 0.4), writer_lock(path) as lock:
        started = time.monotonic()
        with lock:
            waited = time.monotonic() - started
            assert lock._file_held
    assert waited >= 0.25  # it queued behind the holder instead of going straight in


def test_a_killed_holder_frees_the_lock_at_once(tmp_path: Path) -> None:
    path = tmp_path / "db-writer"
    with holding(path, 60) as holder, writer_lock(path, wait_seconds=10) as lock:
        holder.kill()
        holder.wait(5)
        started = time.monotonic()
        with lock:
            assert lock._file_held
        assert time.monotonic() - started < 1.0


def test_a_holder_that_never_lets_go_delays_a_writer_only_by_the_wait(tmp_path: Path) -> None:
    path = tmp_path / "db-writer"
    with holding(path, 60), writer_lock(path, wait_seconds=0.2) as lock:
        started = time.monotonic()
        with lock:
            assert not lock._file_held  # on to SQLite's own lock and busy timeout
        assert 0.15 <= time.monotonic() - started < 2.0


def test_threads_of_one_process_queue_on_the_lock(tmp_path: Path) -> None:
    with writer_lock(tmp_path / "db-writer") as lock:
        with lock:
            assert lock.locked()
        assert not lock.locked()


def test_a_forked_child_opens_its_own_lock_file(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """flock does not tell apart two processes sharing one open file: a child must reopen."""
    with writer_lock(tmp_path / "db-writer") as lock:
        with lock:
            first = lock._fd
        monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a forked child
        with lock:
            assert lock._fd != first
        monkeypatch.undo()
        assert first is not None
        os.close(first)  # the "parent's" descriptor


def test_without_a_file_only_threads_are_ordered() -> None:
    with WriterLock(None) as lock:
        assert not lock._file_held
        assert lock.locked()
