"""PII redaction (SPEC §3 `redact:`): each listed kind is masked, nothing else changes."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from warmline.core.language.redaction import KINDS, luhn_valid, redact, redact_value
from warmline.core.policy.model import REDACT_KINDS

NAMES = ("Sarah", "Okafor")


def test_kinds_are_the_policy_redact_kinds() -> None:
    assert KINDS == REDACT_KINDS


# --- each kind: what it masks -----------------------------------------------------------------

POSITIVES = [
    ("card_number", "my card is 4111 1111 1111 1111 thanks", "my card is [card •••• 1111] thanks"),
    ("card_number", "4111-1111-1111-1111", "[card •••• 1111]"),
    ("card_number", "card 4111111111111111.", "card [card •••• 1111]."),
    ("card_number", "amex 3782 822463 10005 ok", "amex [card •••• 0005] ok"),
    ("card_number", "read out 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", "read out [card •••• 1111]"),
    ("card_number", "two: 4111 1111 1111 1111 5500 0000 0000 0004",
     "two: [card •••• 1111] [card •••• 0004]"),
    ("card_number", "call 1 4111 1111 1111 1111 now", "call 1 [card •••• 1111] now"),
    ("card_number", "card is four one one one, one one one one, one one one one, one one one one",
     "card is [card •••• 1111]"),
    ("card_number", "my card number is 5445 8595 5625 5525 (misread, Luhn fails)",
     "my card number is [card •••• 5525] (misread, Luhn fails)"),
    ("card_number", "the number on that card is 784-851-9632-458-965",
     "the number on that card is [card •••• 8965]"),
    ("ssn", "my ssn is 123-45-6789.", "my ssn is [ssn •••-••-6789]."),
    ("ssn", "it's 123 45 6789", "it's [ssn •••-••-6789]"),
    ("ssn", "social security number is 123456789", "social security number is [ssn •••-••-6789]"),
    ("ssn", "SSN: 078051120", "SSN: [ssn •••-••-1120]"),
    ("ssn", "my social is one two three four five six seven eight nine",
     "my social is [ssn •••-••-6789]"),
    ("date_of_birth", "DOB March 3rd 1985", "DOB [date of birth]"),
    ("date_of_birth", "my date of birth is 03/04/1985.", "my date of birth is [date of birth]."),
    ("date_of_birth", "D.O.B. 1985-03-04", "D.O.B. [date of birth]"),
    ("date_of_birth", "I was born on the third of March, nineteen eighty-five",
     "I was born on [date of birth]"),
    ("date_of_birth", "born in 1985", "born in [date of birth]"),
    ("date_of_birth", "my birthday's May 5th", "my birthday's [date of birth]"),
    ("email", "email me at john.smith@gmail.com.", "email me at [email]."),
    ("email", "it's john dot smith at gmail dot com", "it's [email]"),
    ("email", "sarah at yahoo dot com", "[email]"),
    ("email", "my email is okafor77 at acme dot co", "my email is [email]"),
    ("phone", "call me at 512-555-0143", "call me at [phone •••• 0143]"),
    ("phone", "my number is (512) 555 0143.", "my number is [phone •••• 0143]."),
    ("phone", "or +44 20 7946 0958", "or [phone •••• 0958]"),
    ("phone", "it's five one two, five five five, oh one four three",
     "it's [phone •••• 0143]"),
    ("account", "my account number is 4821-3321-3213", "my account number is [account ••••3213]"),
    ("account", "policy number PRO-48213", "policy number [account ••••8213]"),
    ("account", "routing number 021000021", "routing number [account ••••0021]"),
    ("account", "member ID is, uh, 99812345", "member ID is, uh, [account ••••2345]"),
    ("account", "account ending in 3213", "account ending in [account]"),
    ("account", "Acc.no: 93418043", "Acc.no: [account ••••8043]"),
    ("account", "my account number is zero six six nine seven two eight two",
     "my account number is [account ••••7282]"),
    ("iban", "IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [iban •••• 3000] please"),
    ("iban", "GB82WEST12345698765432", "[iban •••• 5432]"),
    ("address", "I live at 123 Main Street, Austin, TX 78701.", "I live at [address]."),
    ("address", "ship it to 42 wallaby way please", "ship it to [address] please"),
    ("address", "it's 12 Main St. apt 4 now", "it's [address] now"),
    ("address", "PO Box 1234", "[address]"),
    ("address", "it is located 12 Main Street Malden MA 01854.", "it is located [address]."),
    ("address", "I live at 3214 Kempwood Drive in Sugar Land", "I live at [address] in Sugar Land"),
    ("name", "my name is Sarah Okafor and I", "my name is [name] and I"),
    ("name", "my name is priya raman and i", "my name is [name] and i"),
    ("name", "It's Priya", "It's [name]"),
    ("name", "Hi, this is Dev.", "Hi, this is [name]."),
    ("name", "SARAH OKAFOR here, Sarah's bill", "[name] here, [name]'s bill"),
    ("name", "you can call me Dev", "you can call me [name]"),
]


@pytest.mark.parametrize(("kind", "text", "expected"), POSITIVES,
                         ids=[f"{k}: {t}" for k, t, _ in POSITIVES])
def test_a_value_of_a_listed_kind_is_masked(kind: str, text: str, expected: str) -> None:
    assert redact(text, {kind}, names=NAMES) == expected


NEGATIVES = [
    ("card_number", "order 4111 1111 1111 1112 please"),  # Luhn-invalid
    ("card_number", "ref 4111111111111112"),
    ("card_number", "a 12-digit number 411111111111"),
    ("card_number", "a 20-digit number 41111111111111111111"),
    ("card_number", "mixed separators 4111-1111 1111-1111"),
    ("card_number", "order number is 5445 8595 5625 5525"),  # no card cue, Luhn fails
    ("card_number", "my card was charged twice on order 5445 8595 5625 5525"),
    ("ssn", "666-12-3456"),
    ("ssn", "000-12-3456"),
    ("ssn", "912-34-5678"),
    ("ssn", "123-00-4567"),
    ("ssn", "123-45-0000"),
    ("ssn", "123-45 6789 mixed"),
    ("ssn", "nine digits without a cue 123456789"),
    ("ssn", "ssn is 666123456"),
    ("date_of_birth", "appointment March 3rd 2025"),
    ("date_of_birth", "I was charged on 03/04/2026"),
    ("date_of_birth", "my birthday is tomorrow"),
    ("date_of_birth", "I was born in Chicago"),
    ("email", "I bought it at amazon dot com"),
    ("email", "meet me at noon"),
    ("email", "not an address: john@localhost"),
    ("phone", "a local 555 0143 without area code"),
    ("phone", "I paid $1,234,567.89"),
    ("phone", "order 48213 on 2026-11-20 at 15:00"),
    ("phone", "Order ID: 5125557502"),
    ("phone", "about twenty five minutes, two or three times"),
    ("account", "my account was charged 129 dollars"),
    ("account", "account is 5 days late"),
    ("account", "order number 4821332"),
    ("iban", "DE89 3704 0044 0532 0130 01"),  # mod-97 fails
    ("iban", "OK12 3456 7890 1234 56"),
    ("address", "I paid 40 dollars on the way"),
    ("address", "I have 3 questions about Main Street"),
    ("name", "I'm calling about my bill"),
    ("name", "this is ridiculous"),
    ("name", "It's Monday and it's not working"),
    ("name", "my name is not important"),
    ("name", "can someone call me back"),
    ("name", "can you call me tomorrow"),
]


@pytest.mark.parametrize(("kind", "text"), NEGATIVES, ids=[f"{k}: {t}" for k, t in NEGATIVES])
def test_a_look_alike_of_a_kind_is_left_alone(kind: str, text: str) -> None:
    assert redact(text, {kind}) == text


ORDINARY = [
    "I paid $129.00 at 3:30 pm on 2026-11-20.",
    "The appointment is at 15:00 on Nov 25, room 204.",
    "It costs 49.99 a month, I've had it for 3 years, 12 months each.",
    "Order 48213 arrived with 2 items missing out of 12.",
    "Refund of 1,250.00 USD by Friday, ticket 7781.",
]


@pytest.mark.parametrize("text", ORDINARY, ids=ORDINARY)
def test_ordinary_amounts_times_and_dates_are_never_masked(text: str) -> None:
    assert redact(text, KINDS, names=NAMES) == text


# --- kinds not listed ---------------------------------------------------------------------------

MIXED = ("Card 4111 1111 1111 1111, ssn 123-45-6789, email sarah.okafor@gmail.com, "
         "call 512-555-0143, account number PRO-48213, DOB 03/04/1985, "
         "IBAN DE89 3704 0044 0532 0130 00, I live at 12 Main Street, my name is Priya.")
MASKED_ALONE = {
    "card_number": ("4111 1111 1111 1111", "[card •••• 1111]"),
    "ssn": ("123-45-6789", "[ssn •••-••-6789]"),
    "email": ("sarah.okafor@gmail.com", "[email]"),
    "phone": ("512-555-0143", "[phone •••• 0143]"),
    "account": ("PRO-48213", "[account ••••8213]"),
    "date_of_birth": ("03/04/1985", "[date of birth]"),
    "iban": ("DE89 3704 0044 0532 0130 00", "[iban •••• 3000]"),
    "address": ("12 Main Street", "[address]"),
    "name": ("Priya", "[name]"),
}


@pytest.mark.parametrize("kind", sorted(MASKED_ALONE))
def test_each_kind_alone_masks_only_its_own_value(kind: str) -> None:
    value, masked = MASKED_ALONE[kind]
    assert redact(MIXED, {kind}) == MIXED.replace(value, masked)


def test_a_card_only_policy_leaves_the_email_and_phone_exactly() -> None:
    text = "card 4111 1111 1111 1111, mail sarah@example.com or +1 (512) 555-0143"
    assert redact(text, {"card_number"}) == (
        "card [card •••• 1111], mail sarah@example.com or +1 (512) 555-0143")


def test_every_kind_at_once() -> None:
    assert redact(MIXED, KINDS) == (
        "Card [card •••• 1111], ssn [ssn •••-••-6789], email [email], "
        "call [phone •••• 0143], account number [account ••••8213], DOB [date of birth], "
        "IBAN [iban •••• 3000], I live at [address], my name is [name].")


def test_text_around_masks_is_byte_identical() -> None:
    text = "\tCafé ☕ —  card:\u00a04111111111111111\r\n  ✓ 🙂 end  "
    assert redact(text, KINDS) == "\tCafé ☕ —  card:\u00a0[card •••• 1111]\r\n  ✓ 🙂 end  "


# --- overlaps -------------------------------------------------------------------------------------

OVERLAPS = [
    ("card said as an account, both listed", "account number 4111 1111 1111 1111",
     {"card_number", "account"}, "account number [card •••• 1111]"),
    ("card said as an account, account listed", "account number 4111 1111 1111 1111",
     {"account"}, "account number [account ••••1111]"),
    ("iban said as an account", "account number DE89 3704 0044 0532 0130 00",
     {"iban", "account"}, "account number [iban •••• 3000]"),
    ("card before phone", "4111 1111 1111 1111", {"card_number", "phone"},
     "[card •••• 1111]"),
    ("cued phone-shaped account", "account number 5125550143", {"account", "phone"},
     "account number [account ••••0143]"),
    ("name inside an unlisted email", "Sarah, sarah.okafor@gmail.com", {"name"},
     "[name], sarah.okafor@gmail.com"),
    ("name inside a listed email", "Sarah, sarah.okafor@gmail.com", {"name", "email"},
     "[name], [email]"),
    ("luhn window inside an unlisted iban", "DE89 3704 0044 0532 0130 00", {"card_number"},
     "DE89 3704 0044 0532 0130 00"),
]


@pytest.mark.parametrize(("text", "kinds", "expected"), [o[1:] for o in OVERLAPS],
                         ids=[o[0] for o in OVERLAPS])
def test_the_most_specific_then_longest_value_wins(text: str, kinds: set[str],
                                                   expected: str) -> None:
    assert redact(text, kinds, names=NAMES) == expected


def test_phone_region_reads_national_formats() -> None:
    assert redact("ring 020 7946 0958", {"phone"}, region="GB") == "ring [phone •••• 0958]"
    assert redact("ring 020 7946 0958", {"phone"}) == "ring 020 7946 0958"


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="credit_card"):
        redact("text", {"credit_card"})
    with pytest.raises(ValueError, match="unknown redaction kind"):
        redact("text", "card_number")  # a string is a collection of one-letter kinds


# --- redact_value and luhn_valid ----------------------------------------------------------------

VALUES = [
    ("card_number", "4111 1111 1111 1111", "[card •••• 1111]"),
    ("ssn", "123-45-6789", "[ssn •••-••-6789]"),
    ("phone", "+15125550143", "[phone •••• 0143]"),
    ("account", "PRO-48213", "[account ••••8213]"),
    ("account", "4821", "[account]"),
    ("iban", "DE89 3704 0044 0532 0130 00", "[iban •••• 3000]"),
    ("date_of_birth", "1985-03-03", "[date of birth]"),
    ("email", "sarah@example.com", "[email]"),
    ("address", "12 Main Street", "[address]"),
    ("name", "Sarah Okafor", "[name]"),
]


@pytest.mark.parametrize(("kind", "value", "expected"), VALUES,
                         ids=[f"{k}: {v}" for k, v, _ in VALUES])
def test_redact_value_masks_an_extracted_detail(kind: str, value: str, expected: str) -> None:
    assert redact_value(kind, value) == expected


def test_redact_value_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="dates"):
        redact_value("dates", "2026-11-20")


@pytest.mark.parametrize(("digits", "valid"), [
    ("4111111111111111", True), ("4111 1111 1111 1111", True), ("4111-1111-1111-1111", True),
    ("378282246310005", True), ("4111111111111112", False), ("", False), ("abc", False),
    ("４１１１１１１１１１１１１１１１", False),
], ids=["visa", "spaced", "dashed", "amex", "off by one", "empty", "letters", "fullwidth"])
def test_luhn_valid(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


# --- properties -------------------------------------------------------------------------------

@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    """A Luhn-valid number of 13-19 digits."""
    body = draw(st.text("0123456789", min_size=12, max_size=18))
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


@st.composite
def formatted(draw: st.DrawFn, digits: str) -> str:
    separator = draw(st.sampled_from(["", " ", "-"]))
    if not separator:
        return digits
    size = draw(st.sampled_from([4, 1, 3, 5]))
    return separator.join(digits[i:i + size] for i in range(0, len(digits), size))


def compact(text: str) -> str:
    return re.sub(r"[ -]", "", text)


def surviving_card_runs(digits: str, output: str, *surroundings: str) -> list[str]:
    """Luhn-valid runs of the card's digits that are in the output but were not already in
    the text around it."""
    runs = {digits[i:j] for i in range(len(digits)) for j in range(i + 13, len(digits) + 1)}
    return sorted(r for r in runs if luhn_valid(r) and r in compact(output)
                  and not any(r in compact(s) for s in surroundings))


# Arbitrary text, or digit groups that join the card's run ("call 1 4111 1111 ...").
surroundings = st.one_of(
    st.text(max_size=30),
    st.lists(st.text("0123456789", min_size=1, max_size=5), max_size=4).map(" ".join))


@settings(max_examples=300, deadline=None)
@given(digits=card_numbers(), data=st.data(), before=surroundings, after=surroundings,
       kinds=st.sampled_from([{"card_number"}, KINDS]))
@example(digits="4111111111111111", data=None, before="call 1", after="2", kinds={"card_number"})
def test_no_luhn_valid_run_of_a_card_survives(digits: str, data: st.DataObject | None,
                                              before: str, after: str,
                                              kinds: set[str]) -> None:
    card = data.draw(formatted(digits)) if data is not None else digits
    output = redact(f"{before} {card} {after}", kinds)
    assert surviving_card_runs(digits, output, before, after) == []


DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
number_words = st.lists(st.sampled_from([*DIGIT_WORDS, "oh", "double", "fifty", "twenty",
                                          "eleven"]), max_size=4).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(digits=card_numbers(), before=number_words, after=number_words,
       kinds=st.sampled_from([{"card_number"}, KINDS]))
def test_no_card_read_out_in_words_survives(digits: str, before: str, after: str,
                                            kinds: set[str]) -> None:
    spoken = " ".join(DIGIT_WORDS[int(d)] for d in digits)
    output = redact(f"{before} {spoken} {after}", kinds)
    assert spoken not in output


@st.composite
def ssns(draw: st.DrawFn) -> tuple[str, str]:
    """A valid SSN as (digits, as said): ddd-dd-dddd, ddd dd dddd, or nine digits after a cue."""
    area = draw(st.integers(1, 899).filter(lambda a: a != 666))
    group, serial = draw(st.integers(1, 99)), draw(st.integers(1, 9999))
    a, g, s = f"{area:03d}", f"{group:02d}", f"{serial:04d}"
    shape = draw(st.sampled_from(["{a}-{g}-{s}", "{a} {g} {s}", "ssn {a}{g}{s}",
                                  "social security number is {a}{g}{s}"]))
    return a + g + s, shape.format(a=a, g=g, s=s)


@settings(max_examples=300, deadline=None)
@given(ssn=ssns(), before=st.text(max_size=30), after=st.text(max_size=30),
       kinds=st.sampled_from([{"ssn"}, KINDS]))
def test_no_ssn_survives(ssn: tuple[str, str], before: str, after: str, kinds: set[str]) -> None:
    # Said as its own number: digits glued on either side make a different number.
    assume(not re.search(r"[0-9][ -]*$", before) and not re.match(r"[ -]*[0-9]", after))
    digits, said = ssn
    assume(digits not in compact(before) and digits not in compact(after))
    output = redact(f"{before} {said} {after}", kinds)
    assert digits not in compact(output)


@settings(max_examples=300, deadline=None)
@given(text=st.text(), kinds=st.sets(st.sampled_from(sorted(KINDS))),
       names=st.lists(st.text(max_size=12), max_size=3),
       region=st.sampled_from([None, "US", "GB", "de", "XX", ""]))
def test_redaction_never_raises(text: str, kinds: set[str], names: list[str],
                                region: str | None) -> None:
    assert isinstance(redact(text, kinds, names=names, region=region), str)


@given(text=st.text())
def test_an_empty_listing_changes_nothing(text: str) -> None:
    assert redact(text, set(), names=NAMES) == text


CUE_WORDS = {
    "at", "dot", "dob", "born", "birth", "birthday", "ssn", "social", "account", "acct",
    "member", "membership", "policy", "routing", "subscriber", "mrn", "customer", "patient",
    "insurance", "claim", "name", "this", "it", "its", "i", "im", "am", "call", "speaking",
    "live", "address", "ship", "send", "mail", "deliver", "located", "reside", "po", "box",
}
plain_words = st.one_of(
    st.sampled_from(["refund", "the", "billing", "page", "crashed", "twice", "yesterday",
                     "and", "please", "order", "minutes", "room", "floor", "dollars", "thanks"]),
    st.from_regex(r"[a-z]{1,9}", fullmatch=True).filter(lambda w: w not in CUE_WORDS))
ordinary_numbers = st.one_of(
    st.integers(0, 999_999).map(str),
    st.builds("${:,.2f}".format, st.floats(0, 99_999, allow_nan=False)),
    st.builds("{}:{:02d}".format, st.integers(0, 23), st.integers(0, 59)))


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.tuples(plain_words, st.one_of(st.none(), ordinary_numbers)),
                      max_size=15),
       kinds=st.sets(st.sampled_from(sorted(KINDS))))
def test_text_without_listed_values_is_unchanged(parts: list[tuple[str, str | None]],
                                                 kinds: set[str]) -> None:
    # Numbers never sit next to each other: "123 45 6789" would be an SSN.
    text = " ".join(w if n is None else f"{w} {n}" for w, n in parts)
    assert redact(text, kinds) == text


PII_FRAGMENTS = [f"{v}" for v, _ in MASKED_ALONE.values()] + [
    "my name is Priya", "account number PRO-48213", "DOB March 3rd 1985",
    "john dot smith at gmail dot com", "ssn 123456789", "I live at 12 oak street"]


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(st.one_of(plain_words, st.sampled_from(PII_FRAGMENTS)), max_size=10),
       kinds=st.sets(st.sampled_from(sorted(KINDS))))
def test_redacting_twice_changes_nothing_more(parts: list[str], kinds: set[str]) -> None:
    once = redact(", ".join(parts), kinds, names=NAMES)
    assert redact(once, kinds, names=NAMES) == once
