from __future__ import annotations

from datetime import datetime

import pytest

from warmline.core.policy.hours import HoursSyntaxError, parse_hours


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_day_ranges_and_several_intervals_a_day() -> None:
    hours = parse_hours({"mon-fri": "08:00-12:00, 13:00-18:00", "sat": ["09:00-13:00"]})
    assert hours.is_open(at("2026-11-24T08:00:00"))        # Tuesday, opening minute
    assert not hours.is_open(at("2026-11-24T12:30:00"))    # lunch gap
    assert not hours.is_open(at("2026-11-24T18:00:00"))    # closing minute is closed
    assert hours.is_open(at("2026-11-28T12:59:00"))        # Saturday
    assert not hours.is_open(at("2026-11-29T10:00:00"))    # Sunday


def test_always_is_open_at_any_time() -> None:
    hours = parse_hours("always")
    assert hours.is_open(at("2026-12-25T03:00:00"))


def test_holidays_close_an_otherwise_open_day() -> None:
    hours = parse_hours({"mon-fri": "08:00-18:00", "holidays": ["2026-12-25"]})
    assert not hours.is_open(at("2026-12-25T10:00:00"))
    assert hours.is_open(at("2026-12-24T10:00:00"))


def test_overnight_interval_spills_into_the_next_day() -> None:
    hours = parse_hours({"fri": "22:00-06:00"})
    assert hours.is_open(at("2026-11-27T23:00:00"))   # Friday night
    assert hours.is_open(at("2026-11-28T05:59:00"))   # Saturday early
    assert not hours.is_open(at("2026-11-28T06:00:00"))


def test_wrapping_day_range_and_midnight_end() -> None:
    hours = parse_hours({"sat-mon": "00:00-24:00"})
    assert hours.is_open(at("2026-11-30T23:59:00"))   # Monday
    assert not hours.is_open(at("2026-11-24T12:00:00"))  # Tuesday


@pytest.mark.parametrize(("value", "fragment"), [
    ({"mon-fry": "08:00-18:00"}, "not a day"),
    ({"mon": "8-18"}, "not a time interval"),
    ({"mon": "25:00-26:00"}, "impossible time"),
    ({"mon": "08:00-08:00"}, "empty"),
    ({"holidays": ["christmas"]}, "not a date"),
    ("sometimes", "expected `always`"),
], ids=["bad-day", "bad-interval", "bad-time", "empty", "bad-holiday", "bad-word"])
def test_malformed_hours_name_the_problem(value: object, fragment: str) -> None:
    with pytest.raises(HoursSyntaxError, match=fragment):
        parse_hours(value)
