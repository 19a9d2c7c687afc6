"""How many event streams each API key and each desk user holds open in this worker: past
`WARMLINE_MAX_EVENT_STREAMS` a new one is a 429 with Retry-After, so one client cannot tie up
a worker's connections (each stream also polls the store)."""

from __future__ import annotations

import threading
from collections import Counter

from warmline.web.ratelimit import RateLimited

#: What a client refused a stream is told to wait: a closed tab frees its slot at once.
RETRY_AFTER_SECONDS = 5.0


class TooManyStreams(RateLimited):
    """429: the client already holds the most event streams it may."""

    def __init__(self, who: str, limit: int) -> None:
        super().__init__(RETRY_AFTER_SECONDS)
        self.args = (f"{who} already has {limit} open event streams, the most allowed "
                     f"(WARMLINE_MAX_EVENT_STREAMS); close one or retry later",)


class StreamSlots:
    """Open streams per client identity (a key's hash, a desk user), in this process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def open_count(self, identity: str) -> int:
        with self._lock:
            return self._open[identity]

    def take(self, identity: str, who: str) -> None:
        """Hold one slot for `identity`, or raise `TooManyStreams` (0 = no limit)."""
        with self._lock:
            if 0 < self.limit <= self._open[identity]:
                raise TooManyStreams(who, self.limit)
            self._open[identity] += 1

    def give_back(self, identity: str) -> None:
        with self._lock:
            self._open[identity] -= 1
            if self._open[identity] <= 0:
                del self._open[identity]  # no entry per client that ever connected
