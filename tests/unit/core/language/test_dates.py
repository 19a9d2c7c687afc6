"""Dates said in a conversation (`core.language.dates`), resolved against the turn's date."""

from __future__ import annotations

from datetime import date

import pytest

from warmline.core.language.dates import find_dates
from warmline.core.language.spoken import digitize

TUESDAY = date(2026, 11, 24)  # a Tuesday


def dates(text: str, today: date | None = TUESDAY, *, day_first: bool = False) -> list[str]:
    return [v for _, _, v in find_dates(digitize(text), today, day_first=day_first)]


ABSOLUTE = {
    "short month": ("charged on Nov 20", ["2026-11-20"]),
    "month with dot": ("on Nov. 20", ["2026-11-20"]),
    "ordinal suffix": ("November 20th", ["2026-11-20"]),
    "day first": ("20 November", ["2026-11-20"]),
    "the 20th of November": ("the 20th of November", ["2026-11-20"]),
    "month the day": ("November the 20th", ["2026-11-20"]),
    "with year": ("March 3rd 1985", ["1985-03-03"]),
    "with comma year": ("March 3, 1985", ["1985-03-03"]),
    "iso": ("on 2026-11-20", ["2026-11-20"]),
    "us numeric": ("on 11/20", ["2026-11-20"]),
    "us numeric with year": ("on 11/20/2026", ["2026-11-20"]),
    "two digit year": ("on 11/20/26", ["2026-11-20"]),
    "first number above 12 is the day": ("on 20/11/2026", ["2026-11-20"]),
    "dashed with year": ("on 11-20-2026", ["2026-11-20"]),
    "spoken": ("November twentieth", ["2026-11-20"]),
    "spoken ordinal with tens": ("December twenty first", ["2026-12-21"]),
    "spoken year": ("March third nineteen eighty five", ["1985-03-03"]),
    "weekday and date": ("Friday, November 27", ["2026-11-27"]),
    "capital May": ("May 5th", ["2027-05-05"]),
    "lower-case may with ordinal": ("may 5th", ["2027-05-05"]),
    "sept": ("Sept 3", ["2026-09-03"]),
    "two dates in order": ("Nov 20 or Dec 1", ["2026-11-20", "2026-12-01"]),
}

RELATIVE = {
    "today": ("today", ["2026-11-24"]),
    "tonight": ("tonight", ["2026-11-24"]),
    "tomorrow": ("my appointment tomorrow", ["2026-11-25"]),
    "yesterday": ("I called yesterday", ["2026-11-23"]),
    "day after tomorrow": ("the day after tomorrow", ["2026-11-26"]),
    "day before yesterday": ("the day before yesterday", ["2026-11-22"]),
    "this friday": ("this Friday", ["2026-11-27"]),
    "bare friday": ("can I come Friday?", ["2026-11-27"]),
    "friday in the past": ("I was charged on Friday", ["2026-11-20"]),
    "monday called": ("I called on Monday", ["2026-11-23"]),
    "next friday is next week's": ("next Friday", ["2026-12-04"]),
    "last friday": ("last Friday", ["2026-11-20"]),
    "last tuesday is a week ago": ("last Tuesday", ["2026-11-17"]),
    "this tuesday is today": ("this Tuesday", ["2026-11-24"]),
    "next week": ("next week", ["2026-11-30"]),
    "weekday next week": ("Wednesday next week", ["2026-12-02"]),
    "next week on weekday": ("next week on Wednesday", ["2026-12-02"]),
    "in two days": ("in two days", ["2026-11-26"]),
    "in 3 days": ("in 3 days", ["2026-11-27"]),
    "in a week": ("in a week", ["2026-12-01"]),
    "two weeks": ("in two weeks", ["2026-12-08"]),
    "days ago": ("3 days ago", ["2026-11-21"]),
    "bare day ahead": ("can we do it on the 3rd?", ["2026-12-03"]),
    "bare day behind": ("it was charged on the 20th.", ["2026-11-20"]),
    "tmrw": ("tmrw works", ["2026-11-25"]),
}

NOT_DATES = {
    "percentage": "15% off",
    "phone-like dots": "212.555.0199",
    "decimal": "it was 4.5 stars",
    "time": "at 10:30",
    "first name": "my first name is Sarah",
    "the first time": "the first time I called",
    "second floor": "on the 2nd floor",
    "may i": "May I ask a question?",
    "march on": "we will march on",
    "month alone": "sometime in November",
    "fraction": "about 1/2 of it",
    "invalid day": "February 30",
    "weekday plural": "I work Fridays",
    "next month": "next month",
    "version": "version 10.2.1",
    "greeting today": "How can I help you today?",
    "closing today": "Is there anything else I can help you with today?",
}


@pytest.mark.parametrize(("text", "expected"), ABSOLUTE.values(), ids=ABSOLUTE.keys())
def test_absolute_dates(text: str, expected: list[str]) -> None:
    assert dates(text) == expected


@pytest.mark.parametrize(("text", "expected"), RELATIVE.values(), ids=RELATIVE.keys())
def test_relative_dates_resolve_against_the_turn(text: str, expected: list[str]) -> None:
    assert dates(text) == expected


@pytest.mark.parametrize("text", NOT_DATES.values(), ids=NOT_DATES.keys())
def test_no_date_is_invented(text: str) -> None:
    assert dates(text) == []


@pytest.mark.parametrize(("text", "today", "expected"), [
    ("tomorrow", date(2026, 12, 31), "2027-01-01"),
    ("yesterday", date(2027, 1, 1), "2026-12-31"),
    ("in 3 days", date(2026, 2, 27), "2026-03-02"),
    ("next week", date(2026, 12, 30), "2027-01-04"),
    ("next Friday", date(2026, 12, 29), "2027-01-08"),
    ("Jan 5", date(2026, 11, 24), "2027-01-05"),
    ("Dec 20", date(2027, 1, 10), "2026-12-20"),
    ("March 3rd", date(2026, 11, 24), "2027-03-03"),
    ("July 4th", date(2026, 11, 24), "2026-07-04"),
    ("on the 30th", date(2027, 1, 2), "2026-12-30"),
    ("on the 2nd", date(2026, 12, 28), "2027-01-02"),
    ("Feb 29", date(2027, 11, 24), "2028-02-29"),
], ids=["tomorrow on new year's eve", "yesterday on new year's day", "across february",
        "next week across the year", "next friday across the year", "january said in november",
        "december said in january", "march said in november is ahead",
        "july said in november is behind", "bare day of last month", "bare day of next month",
        "leap day finds its year"])
def test_dates_cross_month_and_year_boundaries(text: str, today: date, expected: str) -> None:
    assert dates(text, today) == [expected]


def test_day_first_regions_read_day_then_month() -> None:
    assert dates("on 03/04/2026", day_first=True) == ["2026-04-03"]
    assert dates("on 03/04/2026") == ["2026-03-04"]
    assert dates("on 11/20/2026", day_first=True) == ["2026-11-20"]


def test_without_a_reference_date_only_dated_years_are_kept() -> None:
    assert dates("tomorrow, Nov 20, or March 3rd 1985 or 2026-11-20", None) == [
        "1985-03-03", "2026-11-20"]


def test_dates_come_in_text_order() -> None:
    assert dates("Not tomorrow, Nov 30. Or Friday.") == ["2026-11-25", "2026-11-30", "2026-11-27"]
