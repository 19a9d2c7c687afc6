"""Names, phones, e-mails, account and order numbers (`warmline.core.language.identity`)."""

from __future__ import annotations

import pytest

from warmline.core.language.identity import (
    find_emails,
    find_ids,
    find_names,
    find_phones,
    phone_region,
)
from warmline.core.language.spoken import digitize


def names(text: str, *, is_customer: bool = True) -> list[str]:
    return [v for _, _, v in find_names(text, is_customer=is_customer)]


def ids(text: str) -> list[tuple[str, str]]:
    return [(kind, v) for kind, (_, _, v) in find_ids(digitize(text))]


def phones(text: str, region: str | None = "US", *, is_customer: bool = True) -> list[str]:
    return [v for _, _, v in find_phones(digitize(text), region, is_customer=is_customer)[0]]


def emails(text: str, *, is_customer: bool = True) -> list[str]:
    return [v for _, _, v in find_emails(digitize(text), is_customer=is_customer)]


NAMES = {
    "my name is": ("My name is Sarah Okafor.", ["Sarah Okafor"]),
    "lower-case transcript": ("yeah my name is sarah okafor and i'm calling", ["Sarah Okafor"]),
    "this is": ("Hi, this is Priya", ["Priya"]),
    "this is ... calling": ("Hello this is Priya Raman calling about my bill", ["Priya Raman"]),
    "it's x speaking": ("It's John Smith speaking", ["John Smith"]),
    "x speaking": ("John Smith speaking.", ["John Smith"]),
    "i'm": ("Hi, I'm Sarah, I have a question", ["Sarah"]),
    "name's": ("name's Tom O'Brien", ["Tom O'Brien"]),
    "hyphenated": ("my name is Ana Lopez-Garcia", ["Ana Lopez-Garcia"]),
    "honorific": ("my name is Dr. Amal Haddad", ["Dr. Amal Haddad"]),
    "first and last": ("my first name is Sarah, last name is Okafor", ["Sarah", "Sarah Okafor"]),
    "unicode": ("my name is Zoë Ğüneş", ["Zoë Ğüneş"]),
    "typed in capitals after a strong cue": ("MY NAME IS SARAH OKAFOR", ["SARAH OKAFOR"]),
    "curly apostrophe normalised upstream": ("it's Maria speaking", ["Maria"]),
}

NOT_NAMES = {
    "this is ridiculous": "This is ridiculous",
    "this is not": "this is not what I ordered",
    "i'm calling": "I'm calling about my bill",
    "i'm not": "I'm not happy",
    "i'm very": "I'm Very upset",
    "this is the": "This is The third time",
    "name is missing": "what's my name on file?",
    "day after cue": "this is Monday's appointment",
    "someone else's": "this is Sarah's phone",
    "an id": "It's PRO-48213",
    "shouting": "It's URGENT",
}


@pytest.mark.parametrize(("text", "expected"), NAMES.values(), ids=NAMES.keys())
def test_customer_names_after_a_cue(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize("text", NOT_NAMES.values(), ids=NOT_NAMES.keys())
def test_no_name_is_invented(text: str) -> None:
    assert names(text) == []


def test_the_ai_introducing_itself_is_not_the_customer() -> None:
    assert names("Hi, this is Ava from Acme Dental. My name is Ava.", is_customer=False) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("Am I speaking with Sarah Okafor?", ["Sarah Okafor"]),
    ("Is this Sarah?", ["Sarah"]),
    ("I have you down as Priya Raman.", ["Priya Raman"]),
], ids=["speaking with", "is this", "have you down as"])
def test_the_ai_naming_the_customer(text: str, expected: list[str]) -> None:
    assert names(text, is_customer=False) == expected


IDS = {
    "account": ("my account number is PRO-48213", [("account", "PRO-48213")]),
    "account hash": ("account #48213", [("account", "48213")]),
    "member id": ("member ID: XJ4-5521", [("account", "XJ4-5521")]),
    "policy": ("policy number AB123456", [("account", "AB123456")]),
    "spoken account": ("account number is four eight two one three", [("account", "48213")]),
    "spelled letters and dash": ("account P R O dash 48213", [("account", "PRO-48213")]),
    "grouped digits": ("account number 4821 3377", [("account", "48213377")]),
    "order": ("your order 55-1902", [("order", "55-1902")]),
    "confirmation code": ("confirmation code is K7Q2M9", [("order", "K7Q2M9")]),
    "tracking": ("tracking number 1Z999AA10123456784", [("order", "1Z999AA10123456784")]),
    "ticket": ("ticket #4471", [("order", "4471")]),
    "spoken order": ("order number five five one nine oh two", [("order", "551902")]),
    "both": ("order 55-1902 on account 48213", [("order", "55-1902"), ("account", "48213")]),
}

NOT_IDS = {
    "word after cue": "my account is locked",
    "word then number": "my account is locked 12345",
    "year": "customer since 2019",
    "count": "I ordered 3 pizzas",
    "policy duration": "the refund policy is 30 days",
    "ordered": "I ordered 123-456",
    "date": "the booking is 11/20",
    "iso date": "reservation is 2026-11-20",
    "inside a word": "paid 12345",
}


@pytest.mark.parametrize(("text", "expected"), IDS.values(), ids=IDS.keys())
def test_ids_after_their_cue(text: str, expected: list[tuple[str, str]]) -> None:
    assert ids(text) == expected


@pytest.mark.parametrize("text", NOT_IDS.values(), ids=NOT_IDS.keys())
def test_no_id_is_invented(text: str) -> None:
    assert ids(text) == []


PHONES = {
    "dashed": ("call me at 512-555-0143", "US", ["+15125550143"]),
    "brackets": ("(512) 555-0143", "US", ["+15125550143"]),
    "dots": ("212.555.0199", "US", ["+12125550199"]),
    "plain": ("5125550143", "US", ["+15125550143"]),
    "with 1": ("1-512-555-0143", "US", ["+15125550143"]),
    "international": ("+44 20 7946 0958", "US", ["+442079460958"]),
    "gb national": ("020 7946 0958", "GB", ["+442079460958"]),
    "spoken": ("five one two, five five five, zero one four three", "US", ["+15125550143"]),
    "spoken with oh": ("five one two five five five oh one four three", "US", ["+15125550143"]),
    "international without region": ("+1 512 555 0143", None, ["+15125550143"]),
    "two numbers": ("512-555-0143 or 512-555-0199", "US", ["+15125550143", "+15125550199"]),
}

NOT_PHONES = {
    "national without region": ("512-555-0143", None),
    "too short": ("555-0143", "US"),
    "card": ("4111 1111 1111 1111", "US"),
    "zip+4": ("78701-1234", "US"),
    "date": ("11/20/2026", "US"),
    "iso date": ("2026-11-20", "US"),
    "amount": ("$1,299,999.99", "US"),
    "invalid area code": ("012-555-0143", "US"),
}


@pytest.mark.parametrize(("text", "region", "expected"), PHONES.values(), ids=PHONES.keys())
def test_phones_in_e164(text: str, region: str | None, expected: list[str]) -> None:
    assert phones(text, region) == expected


@pytest.mark.parametrize(("text", "region"), NOT_PHONES.values(), ids=NOT_PHONES.keys())
def test_no_phone_is_invented(text: str, region: str | None) -> None:
    assert phones(text, region) == []


def test_the_business_line_read_by_the_ai_is_not_the_customer_phone() -> None:
    assert phones("You can call us at 512-555-0100.", is_customer=False) == []
    assert phones("I have your number as 512-555-0143.", is_customer=False) == ["+15125550143"]


def test_phone_like_runs_are_returned_for_masking_even_when_invalid() -> None:
    _, runs = find_phones("ref 999.999.9999", "US")
    assert [v for _, _, v in runs] == ["999.999.9999"]


@pytest.mark.parametrize(("phone", "region"), [
    ("+15125550143", "US"), ("+442079460958", "GB"), ("not a phone", None), (None, None)])
def test_phone_region(phone: str | None, region: str | None) -> None:
    assert phone_region(phone) == region


EMAILS = {
    "written": ("it's Sarah.Okafor@Example.com", ["sarah.okafor@example.com"]),
    "spoken": ("john dot smith at gmail dot com", ["john.smith@gmail.com"]),
    "spoken after cue": ("my email is john dot smith at gmail dot com", ["john.smith@gmail.com"]),
    "spoken with digits": ("john four two at yahoo dot com", ["john42@yahoo.com"]),
    "half spoken": ("sarah_o at example.co.uk", ["sarah_o@example.co.uk"]),
    "underscore word": ("jane underscore doe at outlook dot com", ["jane_doe@outlook.com"]),
}


@pytest.mark.parametrize(("text", "expected"), EMAILS.values(), ids=EMAILS.keys())
def test_emails_written_or_spoken(text: str, expected: list[str]) -> None:
    assert emails(text) == expected


@pytest.mark.parametrize("text", [
    "I'll be at home", "meet me at the office dot", "at 3 pm", "look at this.", "@handle"])
def test_no_email_is_invented(text: str) -> None:
    assert emails(text) == []


def test_the_business_mailbox_read_by_the_ai_is_not_the_customer_email() -> None:
    assert emails("Write to support@acme.com", is_customer=False) == []
    assert emails("I have sarah@example.com on file", is_customer=False) == ["sarah@example.com"]
