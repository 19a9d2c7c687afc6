"""Per-API-key rate limits: a token bucket per key in this process (each worker enforces its
own share). Over the limit: 429 with Retry-After."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

from warmline.core.errors import WarmlineError


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
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
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
                self._buckets[key] = (tokens, now)
                raise RateLimited(math.ceil((1 - tokens) / self.rate * 10) / 10)
            self._buckets[key] = (tokens - 1, now)
