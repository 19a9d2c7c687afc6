"""Rate limits in this process (each worker enforces its own share): a token bucket per API
key (429 with Retry-After), and the desk login's back-off per account and per address. Both
keep at most `max_keys` entries, dropping the least recently used, so a flood of made-up keys
or names cannot grow them without bound."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

from warmline.core.errors import WarmlineError

#: Entries a limiter keeps (~200 bytes each): far more keys than one server serves.
MAX_KEYS = 10_000


class RateLimited(WarmlineError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many requests for this API key; retry in {retry_after:.1f} s")
        self.retry_after = retry_after


@dataclass
class RateLimiter:
    rate: float
    """Requests per second refilled."""
    burst: float
    """Bucket size: requests allowed at once."""
    max_keys: int = MAX_KEYS
    _buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, key: str, now: float | None = None) -> None:
        """Take one token for `key` or raise `RateLimited`."""
        if self.rate <= 0:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1:
                self._keep(key, (tokens, now))
                raise RateLimited(math.ceil((1 - tokens) / self.rate * 10) / 10)
            self._keep(key, (tokens - 1, now))

    def _keep(self, key: str, bucket: tuple[float, float]) -> None:
        self._buckets[key] = bucket
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_keys:  # a dropped bucket comes back full
            self._buckets.popitem(last=False)

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass
class LoginThrottle:
    """Growing back-off after failed desk logins: after a key's free failures (an account's,
    a client address's), each further attempt waits `first_wait` seconds, doubling per
    failure up to `longest_wait`. A good login clears its account's count; a key with no
    failure for `forget_after` seconds starts again."""

    first_wait: float = 1.0
    longest_wait: float = 900.0
    forget_after: float = 3600.0
    max_keys: int = MAX_KEYS
    clock: Callable[[], float] = time.monotonic
    _failures: OrderedDict[Hashable, tuple[int, float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attempt(self, keys: Iterable[tuple[Hashable, int]]) -> float:
        """Seconds before another attempt is allowed for these (key, free failures) pairs,
        or 0: the attempt may go ahead and is counted as a failure already, so parallel
        attempts cannot all slip through before the first one fails; `succeeded` takes it
        back."""
        pairs = list(keys)
        now = self.clock()
        with self._lock:
            longest = 0.0
            for key, free in pairs:
                count, last = self._current(key, now)
                if count >= free:
                    delay = min(self.longest_wait, self.first_wait * 2 ** min(count - free, 30))
                    longest = max(longest, last + delay - now)
            if longest > 0:
                return longest
            for key, _ in pairs:
                self._failures[key] = (self._current(key, now)[0] + 1, now)
                self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)
        return 0.0

    def succeeded(self, account: Hashable, *others: Hashable) -> None:
        """The attempt was good: the account starts again; the others (the address) lose
        the failure `attempt` counted in advance."""
        with self._lock:
            self._failures.pop(account, None)
            for key in others:
                count, last = self._failures.get(key, (0, 0.0))
                if count > 1:
                    self._failures[key] = (count - 1, last)
                else:
                    self._failures.pop(key, None)

    def _current(self, key: Hashable, now: float) -> tuple[int, float]:
        count, last = self._failures.get(key, (0, now))
        return (0, now) if now - last > self.forget_after else (count, last)

    def __len__(self) -> int:
        return len(self._failures)
