"""Times of day (`core.language.times_said`): 24-hour "HH:MM", with a rule for am/pm left unsaid."""

from __future__ import annotations

import pytest

from warmline.core.language.spoken import digitize
from warmline.core.language.times_said import find_times


def times(text: str) -> list[str]:
    return [v for _, _, v in find_times(digitize(text))]


TIMES = {
    "3 pm": ("tomorrow at 3 pm", ["15:00"]),
    "3pm": ("3pm works", ["15:00"]),
    "3:30pm": ("3:30pm", ["15:30"]),
    "p.m.": ("at 3:30 p.m.", ["15:30"]),
    "am": ("9 am", ["09:00"]),
    "12 am is midnight": ("12 am", ["00:00"]),
    "12 pm is noon": ("12pm", ["12:00"]),
    "24 hour": ("at 15:30", ["15:30"]),
    "leading zero is as said": ("07:30", ["07:30"]),
    "unmarked morning hour": ("10:30", ["10:30"]),
    "unmarked afternoon hour": ("3:30", ["15:30"]),
    "noon": ("around noon", ["12:00"]),
    "12 noon": ("12 noon", ["12:00"]),
    "midnight": ("by midnight", ["00:00"]),
    "half past three": ("half past three", ["15:30"]),
    "quarter past ten": ("quarter past ten", ["10:15"]),
    "quarter to four": ("a quarter to four", ["15:45"]),
    "o'clock": ("three o'clock", ["15:00"]),
    "one o'clock": ("one o'clock", ["13:00"]),
    "9 o'clock": ("9 o'clock", ["09:00"]),
    "in the morning": ("nine in the morning", ["09:00"]),
    "in the afternoon": ("3 in the afternoon", ["15:00"]),
    "tonight": ("7 tonight", ["19:00"]),
    "spoken pm": ("three thirty pm", ["15:30"]),
    "spoken am with oh": ("ten oh five am", ["10:05"]),
    "at with end": ("can you do it at 4?", ["16:00"]),
    "at then tomorrow": ("at 11 tomorrow", ["11:00"]),
    "two times": ("at 9 am or 2:15 pm", ["09:00", "14:15"]),
    "uk dot": ("3.30pm", ["15:30"]),
}

NOT_TIMES = {
    "money": "$129.00",
    "percentage": "15%",
    "count": "at 3 locations",
    "ratio": "16:9 screen",
    "i am": "I am here",
    "number then am word": "5 amazing days",
    "a month": "5 a month",
    "phone": "512-555-0143",
    "quarter of": "a quarter of the price",
    "half a day": "half past the deadline",
}


@pytest.mark.parametrize(("text", "expected"), TIMES.values(), ids=TIMES.keys())
def test_times_in_24_hours(text: str, expected: list[str]) -> None:
    assert times(text) == expected


@pytest.mark.parametrize("text", NOT_TIMES.values(), ids=NOT_TIMES.keys())
def test_no_time_is_invented(text: str) -> None:
    assert times(text) == []
