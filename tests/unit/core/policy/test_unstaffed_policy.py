"""`unstaffed:` and `offer_timeout_seconds:` in a queue: read, defaulted, and every bad value
a located problem from `policy check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from warmline.adapters.policy_files import load_policy
from warmline.core.errors import PolicyError
from warmline.core.policy.model import DEFAULT_OFFER_TIMEOUT_SECONDS, Unstaffed, WhenUnstaffed

HEAD = "version: 1\nname: t\ntimezone: UTC\ndefaults: {queue: desk}\nqueues:\n"


def load(tmp_path: Path, queues: str) -> object:
    path = tmp_path / "p.yaml"
    path.write_text(HEAD + queues)
    return load_policy(path)


def problems(tmp_path: Path, queues: str) -> list[tuple[str | None, int | None, str]]:
    with pytest.raises(PolicyError) as info:
        load(tmp_path, queues)
    return [(p.path, p.line, p.message) for p in info.value.problems]


def test_queues_hold_by_default_and_ring_twenty_seconds(tmp_path: Path) -> None:
    policy = load(tmp_path, "  desk: {skills: [general]}\n")
    desk = policy.queues["desk"]  # type: ignore[attr-defined]
    assert desk.unstaffed == Unstaffed(WhenUnstaffed.HOLD)
    assert desk.offer_timeout_seconds == DEFAULT_OFFER_TIMEOUT_SECONDS == 20.0


def test_each_unstaffed_choice_is_read(tmp_path: Path) -> None:
    policy = load(tmp_path, "  desk: {unstaffed: hold, offer_timeout_seconds: 15}\n"
                            "  retention: {unstaffed: callback}\n"
                            "  billing: {unstaffed: {to: desk}}\n")
    queues = policy.queues  # type: ignore[attr-defined]
    assert queues["desk"].unstaffed.then is WhenUnstaffed.HOLD
    assert queues["desk"].offer_timeout_seconds == 15.0
    assert queues["retention"].unstaffed.then is WhenUnstaffed.CALLBACK
    assert queues["billing"].unstaffed == Unstaffed(WhenUnstaffed.QUEUE, "desk")


@pytest.mark.parametrize(("queues", "path", "line", "needle"), [
    ("  desk: {unstaffed: wait}\n", "queues.desk.unstaffed", 6,
     "expected hold, callback or {to: QUEUE}, got 'wait'"),
    ("  desk: {}\n  b: {unstaffed: {to: nope}}\n", "queues.b.unstaffed.to", 7,
     "unknown queue 'nope'"),
    ("  desk: {unstaffed: {go: desk}}\n", "queues.desk.unstaffed.go", 6, "unknown key 'go'"),
    ("  desk: {offer_timeout_seconds: 0}\n", "queues.desk.offer_timeout_seconds", 6, "≥ 1"),
    ("  desk: {offer_timeout_seconds: soon}\n", "queues.desk.offer_timeout_seconds", 6,
     "expected a number"),
])
def test_bad_staffing_settings_are_located(tmp_path: Path, queues: str, path: str, line: int,
                                           needle: str) -> None:
    found = problems(tmp_path, queues)
    assert any(p == path and n == line and needle in m for p, n, m in found), found


def test_unstaffed_queues_that_send_to_each_other_are_an_error(tmp_path: Path) -> None:
    found = problems(tmp_path, "  desk: {unstaffed: {to: billing}}\n"
                               "  billing: {unstaffed: {to: desk}}\n")
    messages = {p: m for p, _, m in found}
    assert "desk -> billing -> desk" in messages["queues.desk.unstaffed.to"]
    assert "billing -> desk -> billing" in messages["queues.billing.unstaffed.to"]
