"""Shape checks for the held-out brief-details set in tests/data/briefs/.

These tests validate the *data* only: every file is a SPEC §1 conversation that Warmline parses,
and its hand-written `expected` block uses the `brief.details` keys of SPEC §2 with the shapes
the set's README fixes. They deliberately do not import the details extractor: the set is
held out from its development, and scoring the extractor against it is a separate test.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from warmline.core.conversation import parse_conversation

BRIEFS = Path(__file__).resolve().parents[3] / "data" / "briefs"
FILES = sorted(BRIEFS.glob("conv-*.json"))

ALLOWED_KEYS = {"name", "phone", "email", "account", "order", "dates", "times", "amounts"}
SCALAR_KEYS = {"name", "phone", "email", "account", "order"}
LIST_KEYS = {"dates", "times", "amounts"}

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
AMOUNT = re.compile(r"^[$€£₹](0|[1-9]\d{0,2}(,\d{3})*)\.\d{2}$")
IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_/-]*$")


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path.name
    return data


def test_the_set_is_large_enough_and_mixes_channels() -> None:
    assert len(FILES) >= 60
    channels = Counter(_load(path)["channel"] for path in FILES)
    assert channels["voice"] >= 25
    assert channels["chat"] >= 25
    assert channels["sms"] + channels["email"] >= 1


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_file_is_a_spec_conversation(path: Path) -> None:
    data = _load(path)
    conversation = parse_conversation(data, source=str(path))
    assert conversation.id == path.stem
    assert conversation.turns, "a conversation needs turns"
    assert all(turn.at is not None for turn in conversation.turns)
    assert {"expected", "region", "timezone"} <= set(conversation.extra)
    # The details must come from the text, never from the customer record.
    assert conversation.customer.name is None
    assert conversation.customer.phone is None
    assert conversation.customer.email is None


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_offsets_agree_with_the_declared_zone(path: Path) -> None:
    data = _load(path)
    assert re.fullmatch(r"[A-Z]{2}", data["region"])
    zone = ZoneInfo(data["timezone"])
    times = [data["started_at"], *(turn["at"] for turn in data["turns"])]
    for text in times:
        moment = datetime.fromisoformat(text)
        assert moment.utcoffset() == moment.astimezone(zone).utcoffset(), text
    instants = [datetime.fromisoformat(turn["at"]) for turn in data["turns"]]
    assert instants == sorted(instants), "turns are in time order"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_expected_uses_the_detail_keys_and_shapes(path: Path) -> None:
    expected = _load(path)["expected"]
    assert isinstance(expected, dict)
    assert expected, "every conversation labels at least one detail"
    assert set(expected) <= ALLOWED_KEYS, set(expected) - ALLOWED_KEYS
    for key in SCALAR_KEYS & set(expected):
        value = expected[key]
        assert isinstance(value, str), key
        assert value.strip() == value, key
        assert value, key
    for key in LIST_KEYS & set(expected):
        values = expected[key]
        assert isinstance(values, list), key
        assert values, f"{key}: leave the key out instead of an empty list"
        assert all(isinstance(v, str) for v in values), key
        assert len(set(values)) == len(values), f"{key}: each distinct value once"
    if "phone" in expected:
        assert E164.fullmatch(expected["phone"])
    if "email" in expected:
        assert EMAIL.fullmatch(expected["email"])
    for key in ("account", "order"):
        if key in expected:
            assert IDENTIFIER.fullmatch(expected[key]), expected[key]
    for value in expected.get("dates", []):
        assert ISO_DATE.fullmatch(value)
        date.fromisoformat(value)
    for value in expected.get("times", []):
        assert HH_MM.fullmatch(value)
    for value in expected.get("amounts", []):
        assert AMOUNT.fullmatch(value), value


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_typed_details_appear_in_the_text(path: Path) -> None:
    """Spoken forms are checked by hand; typed emails and names must be there as written."""
    data = _load(path)
    text = "\n".join(turn["text"] for turn in data["turns"]).lower()
    expected = data["expected"]
    if "name" in expected:
        assert expected["name"].lower() in text
    if "email" in expected and data["channel"] != "voice":
        assert expected["email"].lower() in text


def test_order_numbers_are_not_labelled_as_phones() -> None:
    for path in FILES:
        expected = _load(path)["expected"]
        if "phone" in expected:
            digits = expected["phone"].lstrip("+")
            for key in ("order", "account"):
                other = re.sub(r"\D", "", expected.get(key, ""))
                assert not other or not digits.endswith(other), (path.name, key)
