"""`WriterLock`: SQLite's one writer at a time, queued without SQLite's busy handler.

A writer blocked by another connection's write transaction waits in SQLite's busy handler,
which sleeps 1, 2, 5, 10, 15, 20, 25 ... ms between retries. A turn's transaction holds the
write lock for a fraction of a millisecond, so with two workers on one file most waits were
sleeps far longer than the lock was held, on a thread that is the worker's event loop.

So writers queue first here: threads of one process on a `threading.Lock`, processes on an
advisory `flock` of a file beside the database, polled every 50 µs to 1 ms. It only
orders writers; SQLite's own lock still decides. A holder that cannot get the file lock
within `wait_seconds` (another process in a long transaction) goes on to SQLite's lock and
busy timeout, as before. A process that dies holding the file lock loses it with its file
descriptor, so nothing is ever stuck behind a killed worker."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from types import TracebackType

log = logging.getLogger(__name__)

#: The longest sleep between two tries for the file lock.
MAX_POLL_SECONDS = 0.001


class WriterLock:
    """A context manager: the process-wide and then the cross-process writer lock. `path`:
    the lock file (None: threads only, e.g. an in-memory database)."""

    def __init__(self, path: str | None, *, wait_seconds: float = 5.0) -> None:
        self._thread = threading.Lock()
        self._path = path
        self._wait = wait_seconds
        self._fd: int | None = None
        self._pid = 0
        self._file_held = False

    def __enter__(self) -> WriterLock:
        self._thread.acquire()
        try:
            self._file_held = self._lock_file()
        except BaseException:
            self._thread.release()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if self._file_held and self._fd is not None:
                self._file_held = False
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread.release()

    def locked(self) -> bool:
        """Whether a thread of this process holds the lock."""
        return self._thread.locked()

    def _descriptor(self) -> int | None:
        """The lock file, opened by this process (a forked child must not share its
        parent's open file: `flock` would then not tell the two apart)."""
        if self._path is None:
            return None
        if self._fd is None or self._pid != os.getpid():
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as err:  # e.g. a read-only directory: SQLite's lock still holds
                log.warning("cannot open writer lock file %s (%s); writers queue in SQLite",
                            self._path, err)
                self._path = None
                return None
            self._pid = os.getpid()
        return self._fd

    def _lock_file(self) -> bool:
        fd = self._descriptor()
        if fd is None:
            return False
        deadline = 0.0
        pause = 0.00005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                now = time.monotonic()
                if not deadline:
                    deadline = now + self._wait
                elif now >= deadline:
                    return False  # a long writer elsewhere: SQLite's busy timeout decides
                time.sleep(pause)
                pause = min(pause * 2, MAX_POLL_SECONDS)

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None
