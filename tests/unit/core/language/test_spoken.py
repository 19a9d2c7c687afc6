"""Spoken numbers written as digits (`warmline.core.language.spoken`)."""

from __future__ import annotations

import re

import pytest

from warmline.core.language.spoken import (
    digitize,
    mask,
    ordinal,
    without_overlaps,
    word_alternation,
)

DIGITIZED = {
    "phone in groups": ("five one two, five five five, zero one four three", "512 555 0143"),
    "phone run": ("five one two five five five oh one four three", "5125550143"),
    "double and triple": ("double five triple seven", "55777"),
    "cardinal with hundred": ("one hundred and twenty nine dollars", "129 dollars"),
    "a hundred": ("a hundred bucks", "100 bucks"),
    "tens": ("forty dollars", "40 dollars"),
    "tens and unit, hyphen": ("twenty-five euros", "25 euros"),
    "time pieces stay apart": ("three thirty pm", "3 30 pm"),
    "oh in a time": ("ten oh five am", "10 05 am"),
    "spoken year": ("nineteen eighty five", "19 85"),
    "year with thousand": ("two thousand and five", "2005"),
    "ordinal after a month": ("November twenty first", "November 21st"),
    "ordinal after the": ("on the third", "on the 3rd"),
    "ordinal before of": ("the fifth of May", "the 5th of May"),
    "relative days": ("in two days", "in 2 days"),
    "one before a unit": ("one pm", "1 pm"),
    "one after at": ("see you at one", "see you at 1"),
    "upper case": ("FIVE ONE TWO", "512"),
    "spaced digits": ("it's 7 7 0 1 2 2 9", "it's 7701229"),
    "digit words then spaced digits": ("five one two 5 5 5 0 1 4 3", "512 5550143"),
}

KEPT = {
    "pronoun one": "the one I ordered",
    "no one": "no one called me back",
    "interjection oh": "Oh, I see",
    "oh then comma": "oh, right",
    "first name": "my first name is Sarah",
    "second opinion": "I want a second opinion",
    "lone hundred": "hundreds of people",
    "inside words": "someone often, tone, phone, eighteenth-century, oneself",
    "no number words": "I'd like to cancel my plan",
    "three spaced digits": "2 for 1 and 3 4 5",
    "times and counts": "at 3 30 pm, 1 2 3",
}


@pytest.mark.parametrize(("text", "expected"), DIGITIZED.values(), ids=DIGITIZED.keys())
def test_digitize_writes_spoken_numbers_as_digits(text: str, expected: str) -> None:
    assert digitize(text) == expected


@pytest.mark.parametrize("text", KEPT.values(), ids=KEPT.keys())
def test_digitize_keeps_words_that_are_not_numbers(text: str) -> None:
    assert digitize(text) == text


def test_digitize_keeps_the_text_around_numbers() -> None:
    assert digitize("Sure, it's five one two. Thanks!") == "Sure, it's 512. Thanks!"


@pytest.mark.parametrize(("n", "expected"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"),
                                             (11, "11th"), (12, "12th"), (13, "13th"),
                                             (21, "21st"), (22, "22nd"), (31, "31st")])
def test_ordinal_suffixes(n: int, expected: str) -> None:
    assert ordinal(n) == expected


def test_word_alternation_matches_exactly_its_words() -> None:
    words = ["ten", "tenth", "two", "twelve", "a"]
    pattern = re.compile(rf"(?:{word_alternation(words)})\Z")
    assert all(pattern.match(w) for w in words)
    assert not any(pattern.match(w) for w in ["te", "tw", "twel", "tenths", ""])


def test_overlapping_mentions_keep_the_earlier_then_longer() -> None:
    found = [(5, 9, "b"), (0, 4, "a"), (0, 7, "long"), (8, 12, "c"), (12, 13, "d")]
    assert without_overlaps(found) == [(0, 7, "long"), (8, 12, "c"), (12, 13, "d")]


def test_mask_keeps_the_length() -> None:
    masked = mask("call 512 555 0143 now", [(5, 17, "+15125550143")])
    assert len(masked) == len("call 512 555 0143 now")
    assert masked.startswith("call ")
    assert masked.endswith(" now")
    assert "5" not in masked
