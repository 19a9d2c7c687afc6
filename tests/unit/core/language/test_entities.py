"""The details a rep needs (`warmline.core.language.entities`): SPEC §2 `brief.details`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warmline.core.conversation import Speaker, Turn, parse_turns
from warmline.core.language.entities import Details, extract_details

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=CHICAGO)  # a Tuesday
DEV = Path(__file__).parents[3] / "data" / "entities_dev" / "conversations.jsonl"


def turn(speaker: str, text: str, at: datetime | None = NOW) -> Turn:
    return Turn(speaker=Speaker(speaker), text=text, at=at)


def customer(text: str, at: datetime | None = NOW) -> Turn:
    return turn("customer", text, at)


def ai(text: str, at: datetime | None = NOW) -> Turn:
    return turn("ai", text, at)


def details(*turns: Turn, zone: tzinfo = CHICAGO, region: str | None = "US",
            fallback_time: datetime | None = None) -> dict[str, Any]:
    return extract_details(turns, zone=zone, region=region,
                           fallback_time=fallback_time).to_dict()


# --- the development examples ----------------------------------------------------------------

DEV_CASES = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("case", DEV_CASES, ids=[c["id"] for c in DEV_CASES])
def test_development_conversations(case: dict[str, Any]) -> None:
    fallback = case.get("fallback_time")
    got = extract_details(
        parse_turns(case["turns"]), zone=ZoneInfo(case["zone"]), region=case["region"],
        fallback_time=datetime.fromisoformat(fallback) if fallback else None)
    assert got.to_dict() == case["expected"]


# --- the result -----------------------------------------------------------------------------


def test_to_dict_has_only_the_keys_found_with_spec_names() -> None:
    assert Details().to_dict() == {}
    found = Details(name="Sarah Okafor", dates=("2026-11-20",), amounts=("$129.00",))
    assert found.to_dict() == {"name": "Sarah Okafor", "dates": ["2026-11-20"],
                               "amounts": ["$129.00"]}


def test_every_family_in_one_conversation() -> None:
    got = details(
        customer("Hi, this is Sarah Okafor, account PRO-48213. Call me at 512-555-0143 or "
                 "email sarah@example.com."),
        ai("Your order 55-1902 of $129.00 from Nov 20 arrives tomorrow at 3 pm."))
    assert got == {
        "name": "Sarah Okafor", "phone": "+15125550143", "email": "sarah@example.com",
        "account": "PRO-48213", "order": "55-1902", "dates": ["2026-11-20", "2026-11-25"],
        "times": ["15:00"], "amounts": ["$129.00"]}


# --- conflicts ------------------------------------------------------------------------------

CONFLICTS: dict[str, tuple[list[Turn], str, str]] = {
    "latest customer statement wins": (
        [customer("my number is 512-555-0143"), customer("actually it's 512-555-0199")],
        "phone", "+15125550199"),
    "latest within one turn wins": (
        [customer("my number is 512-555-0143, no wait, it's 512-555-0199")],
        "phone", "+15125550199"),
    "customer beats a later ai statement": (
        [customer("my number is 512-555-0143"), ai("I have 512-555-0199 on file")],
        "phone", "+15125550143"),
    "ai counts when the customer says nothing": (
        [customer("hi"), ai("I found your order 55-1902")], "order", "55-1902"),
    "customer name beats the ai's question": (
        [ai("Am I speaking with Sarah Okafor?"), customer("yes, my name is Sarah")],
        "name", "Sarah"),
    "a corrected account": (
        [customer("account 48213"), customer("sorry, account number 48231")],
        "account", "48231"),
    "a corrected email": (
        [customer("it's sarah@example.com"), customer("no, sara at example dot com")],
        "email", "sara@example.com"),
}


@pytest.mark.parametrize(("turns", "key", "expected"), CONFLICTS.values(), ids=CONFLICTS.keys())
def test_scalar_conflicts(turns: list[Turn], key: str, expected: str) -> None:
    assert details(*turns)[key] == expected


def test_lists_keep_every_distinct_value_in_order_of_first_mention() -> None:
    got = details(customer("I was charged $129 on Nov 20 and $40 on Nov 18"),
                  ai("I see $129.00 on Nov 20 and 40 dollars on November 18th, refund $129?"))
    assert got["amounts"] == ["$129.00", "$40.00"]
    assert got["dates"] == ["2026-11-20", "2026-11-18"]


# --- time zones and the turn's own date -------------------------------------------------------


def test_relative_dates_use_the_turns_local_date_not_utc() -> None:
    late = datetime(2026, 11, 25, 5, 30, tzinfo=UTC)  # 23:30 on Nov 24 in Chicago
    assert details(customer("can you come tomorrow?", late))["dates"] == ["2026-11-25"]


def test_a_zone_ahead_of_utc_is_already_tomorrow() -> None:
    evening_utc = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # 05:00 on Nov 25 in Tokyo
    got = details(customer("today please", evening_utc), zone=ZoneInfo("Asia/Tokyo"))
    assert got["dates"] == ["2026-11-25"]


def test_each_turn_resolves_against_its_own_time() -> None:
    got = details(customer("tomorrow", NOW), customer("tomorrow", NOW + timedelta(days=1)))
    assert got["dates"] == ["2026-11-25", "2026-11-26"]


def test_relative_dates_across_a_year_boundary() -> None:
    eve = datetime(2026, 12, 31, 22, 0, tzinfo=CHICAGO)
    got = details(customer("tomorrow or next Friday, or Jan 5", eve))
    assert got["dates"] == ["2027-01-01", "2027-01-08", "2027-01-05"]


def test_a_turn_without_time_uses_the_previous_turn_then_the_fallback() -> None:
    assert details(customer("hello", NOW), customer("tomorrow", None))["dates"] == [
        "2026-11-25"]
    assert details(customer("tomorrow", None), fallback_time=NOW)["dates"] == ["2026-11-25"]


def test_without_any_time_relative_dates_are_not_guessed() -> None:
    got = details(customer("tomorrow, or Nov 20, or 2026-12-01", None))
    assert got == {"dates": ["2026-12-01"]}


# --- what is not a detail -------------------------------------------------------------------

ONLY: dict[str, tuple[Turn, dict[str, Any]]] = {
    "time is not money": (customer("see you at 10:30"), {"times": ["10:30"]}),
    "pm is not money": (customer("at 3 pm"), {"times": ["15:00"]}),
    "percentage is not a date": (customer("I got 15% off"), {}),
    "phone is not a date": (customer("my line is 212.555.0199"), {"phone": "+12125550199"}),
    "version is not a date": (customer("the app is version 10.2.1"), {}),
    "count is not an id": (customer("I ordered 3 pizzas"), {}),
    "year is not an id": (customer("customer since 2019"), {}),
    "the ai's own name": (ai("This is Ava from Acme Dental."), {}),
    "someone else's name": (customer("this is Sarah's phone"), {}),
}


@pytest.mark.parametrize(("said", "expected"), ONLY.values(), ids=ONLY.keys())
def test_no_detail_is_invented(said: Turn, expected: dict[str, Any]) -> None:
    assert details(said) == expected


def test_order_and_account_numbers_are_not_phones() -> None:
    got = details(customer("order number 5125550143 and account 2125550199"))
    assert got == {"order": "5125550143", "account": "2125550199"}


def test_system_turns_and_the_internal_customer_id_are_not_said() -> None:
    got = details(turn("system", "Caller ID +15125550143, customer id cust-77, account 48213"),
                  customer("hi"))
    assert got == {}


def test_region_is_case_insensitive() -> None:
    assert details(customer("512-555-0143, 11/20"), region="us") == {
        "phone": "+15125550143", "dates": ["2026-11-20"]}


def test_national_numbers_need_a_region() -> None:
    assert details(customer("512-555-0143"), region=None) == {}
    assert details(customer("+1 512-555-0143"), region=None) == {"phone": "+15125550143"}


# --- properties -----------------------------------------------------------------------------

DIGIT_HEAVY = st.text(alphabet="0123456789 +-().,/:$€£%apmAPM dotatoneh", max_size=80)


def _check(texts: list[str], region: str | None) -> None:
    got = extract_details([customer(t) for t in texts], zone=CHICAGO, region=region)
    if got.phone is not None:
        number = phonenumbers.parse(got.phone, None)
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == got.phone
    if got.name is not None:
        assert got.name.lower() in " ".join(texts).lower()
    assert set(got.to_dict()) <= {"name", "phone", "email", "account", "order", "dates",
                                  "times", "amounts"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.text(max_size=200), max_size=4),
       region=st.sampled_from([None, "US", "GB", "DE", "IN", "us", "XX", ""]))
def test_never_raises_on_any_unicode_and_phones_are_valid_e164(
        texts: list[str], region: str | None) -> None:
    _check(texts, region)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(DIGIT_HEAVY, min_size=1, max_size=3),
       region=st.sampled_from([None, "US", "GB"]))
def test_never_raises_on_digit_heavy_text(texts: list[str], region: str | None) -> None:
    _check(texts, region)


@pytest.mark.parametrize("build", [
    lambda: "my name is " + "a " * 3000,
    lambda: "five " * 2000,
    lambda: "john dot " * 600 + "at",
    lambda: "1-" * 2000,
    lambda: "$" * 5000 + "1",
], ids=["long name cue", "long spoken run", "long spoken email", "long digit run",
        "long currency run"])
def test_long_adversarial_turns_stay_fast(build: Callable[[], str]) -> None:
    start = datetime.now(UTC)
    extract_details([customer(build())], zone=CHICAGO, region="US")
    assert datetime.now(UTC) - start < timedelta(seconds=1)
