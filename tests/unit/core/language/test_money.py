"""Amounts of money (`warmline.core.language.money`): one canonical form, "$1,299.99"."""

from __future__ import annotations

import pytest

from warmline.core.language.money import find_amounts, find_percentages
from warmline.core.language.spoken import digitize


def amounts(text: str, region: str | None = "US") -> list[str]:
    return [v for _, _, v in find_amounts(digitize(text), region)]


AMOUNTS = {
    "dollar sign": ("charged $129", ["$129.00"]),
    "dollar sign with cents": ("$129.00", ["$129.00"]),
    "thousands": ("$1,299.99", ["$1,299.99"]),
    "code after": ("1,299.99 USD", ["$1,299.99"]),
    "code before": ("USD 40", ["$40.00"]),
    "dollars word": ("129 dollars", ["$129.00"]),
    "spoken dollars": ("forty dollars", ["$40.00"]),
    "spoken hundreds": ("one hundred and twenty nine dollars", ["$129.00"]),
    "dollars and cents": ("twelve dollars and fifty cents", ["$12.50"]),
    "bucks": ("a hundred bucks", ["$100.00"]),
    "cents alone": ("fifty cents", ["$0.50"]),
    "sign and word": ("$20 dollars", ["$20.00"]),
    "k": ("$48k", ["$48,000.00"]),
    "million": ("$1.2 million", ["$1,200,000.00"]),
    "euro sign": ("€50", ["€50.00"]),
    "euros word": ("50 euros", ["€50.00"]),
    "euro decimal comma": ("€12,50", ["€12.50"]),
    "euro thousands dot": ("€1.299,99", ["€1,299.99"]),
    "eur code": ("50 EUR", ["€50.00"]),
    "pound sign": ("£12.50", ["£12.50"]),
    "gbp": ("GBP 12.50", ["£12.50"]),
    "quid": ("twenty quid", ["£20.00"]),
    "canadian": ("20 canadian dollars", ["CA$20.00"]),
    "cad": ("CAD 20", ["CA$20.00"]),
    "ca$": ("CA$20", ["CA$20.00"]),
    "aud": ("15 AUD", ["A$15.00"]),
    "in order, distinct": ("$129 then €5 then $129", ["$129.00", "€5.00", "$129.00"]),
}

NOT_AMOUNTS = {
    "time": "see you at 10:30",
    "pm": "tomorrow at 3 pm",
    "percentage": "15% off",
    "bare number": "I have 2 kids",
    "price parser pitfall": "Friday at 10:30 works",
    "weight in the us": "I lost 5 pounds",
    "phone": "512-555-0143",
    "order number": "order 55-1902",
    "dollar word alone": "dollars and sense",
}


@pytest.mark.parametrize(("text", "expected"), AMOUNTS.values(), ids=AMOUNTS.keys())
def test_amounts_in_canonical_form(text: str, expected: list[str]) -> None:
    assert amounts(text) == expected


@pytest.mark.parametrize("text", NOT_AMOUNTS.values(), ids=NOT_AMOUNTS.keys())
def test_no_amount_is_invented(text: str) -> None:
    assert amounts(text) == []


def test_pounds_are_money_in_gb() -> None:
    assert amounts("12 pounds", "GB") == ["£12.00"]
    assert amounts("12 pounds", None) == []


@pytest.mark.parametrize("text", ["15%", "15 %", "15 percent", "2.5 per cent"])
def test_percentages_are_found_for_masking(text: str) -> None:
    assert [v for _, _, v in find_percentages(text)] == [text]
