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
        assert throttle.attempt([(("address", f"10.0.{i // 256}.{i % 256}"), 5)]) == 0
    assert len(throttle) == 50


def test_the_login_back_off_doubles_up_to_its_longest_wait() -> None:
    now = [0.0]
    throttle = LoginThrottle(first_wait=1.0, longest_wait=60.0, clock=lambda: now[0])
    key = ("account", "acme", "dana")
    waits = []
    for _ in range(12):
        while (wait := throttle.attempt([(key, 3)])) > 0:  # wait it out, then fail again
            waits.append(wait)
            now[0] += wait
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    now[0] += 3601  # an hour without a failure: forgotten
    assert throttle.attempt([(key, 3)]) == 0


def test_parallel_attempts_cannot_all_slip_through_before_the_first_fails() -> None:
    throttle = LoginThrottle(clock=lambda: 0.0)
    key = ("account", "acme", "dana")
    allowed = [throttle.attempt([(key, 5)]) == 0 for _ in range(50)]  # none has failed yet
    assert allowed == [True] * 5 + [False] * 45


def test_a_good_login_clears_its_account_but_not_its_addresss_other_failures() -> None:
    throttle = LoginThrottle(clock=lambda: 0.0)
    account, address = ("account", "acme", "dana"), ("address", "10.0.0.1")
    for _ in range(4):
        throttle.attempt([(account, 5), (address, 5)])  # four failures
    throttle.attempt([(account, 5), (address, 5)])
    throttle.succeeded(account, address)  # the fifth was good
    assert throttle.attempt([(account, 5)]) == 0
    assert throttle.attempt([(("account", "acme", "eve"), 5), (address, 5)]) == 0
    assert throttle.attempt([(address, 5)]) > 0  # 4 + 1 (eve) failures: the fifth waits
