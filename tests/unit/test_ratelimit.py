"""The API-key rate limiter and the login back-off keep bounded memory."""

from __future__ import annotations

import pytest

from warmline.web.ratelimit import LoginThrottle, RateLimited, RateLimiter


def test_made_up_keys_cannot_grow_the_limiter_without_bound() -> None:
    limiter = RateLimiter(rate=1.0, burst=2.0, max_keys=100)
    for i in range(10_000):
        limiter.check(f"made-up-{i}", now=0.0)
    assert len(limiter) == 100


def test_a_key_in_use_keeps_its_bucket_while_made_up_ones_come_and_go() -> None:
    limiter = RateLimiter(rate=0.001, burst=2.0, max_keys=10)
    limiter.check("busy", now=0.0)
    limiter.check("busy", now=0.0)
    for i in range(5):
        limiter.check(f"made-up-{i}", now=0.0)
    with pytest.raises(RateLimited):  # touched: moved to the recent end, still empty
        limiter.check("busy", now=0.0)
    for i in range(5, 50):
        limiter.check(f"made-up-{i}", now=0.0)
    assert len(limiter) == 10


def test_the_login_back_off_forgets_the_oldest_keys_first() -> None:
    throttle = LoginThrottle(max_keys=50, clock=lambda: 0.0)
    for i in range(1_000):
        throttle.failed([("address", f"10.0.{i // 256}.{i % 256}")])
    assert len(throttle) == 50


def test_the_login_back_off_doubles_up_to_its_longest_wait() -> None:
    now = [0.0]
    throttle = LoginThrottle(first_wait=1.0, longest_wait=60.0, clock=lambda: now[0])
    key = ("account", "acme", "dana")
    waits = []
    for _ in range(12):
        throttle.failed([key])
        waits.append(throttle.wait([(key, 3)]))
    assert waits == [0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    now[0] = 10_000.0  # an hour without a failure: forgotten
    assert throttle.wait([(key, 3)]) == 0
