"""The brief's name is the speaker's own (issue 19): never a pronoun or a third party's, and the
name the conversation carries in `customer.name` wins over a guess from the words."""

from __future__ import annotations

import pytest

from warmline.adapters.policy_files import load_policy
from warmline.core.conversation import parse_conversation
from warmline.core.decision.brief import brief_details
from warmline.core.language.identity import find_names

AT = "2026-01-06T10:00:00-06:00"


def _names(text: str) -> list[str]:
    return [name for _, _, name in find_names(text)]


@pytest.mark.parametrize("text", ["I've been a patient here for 8 years",
                                  "We're here since Monday", "You'll be speaking to my son"])
def test_a_contraction_is_never_a_name(text: str) -> None:
    assert _names(text) == []


def test_a_third_partys_name_is_not_the_speakers() -> None:
    text = "Hi, yes, this is Dana Whitfield. His name is Robert Whitfield"
    assert _names(text) == ["Dana Whitfield"]
    assert _names("Her name is Ana and my name is Bo Li") == ["Bo Li"]


def test_the_name_the_conversation_carries_wins() -> None:
    conversation = parse_conversation({
        "id": "c", "started_at": AT, "customer": {"name": "Renata Silva"},
        "turns": [{"speaker": "customer", "text": "Hi, this is Dana speaking", "at": AT}]})
    assert brief_details(conversation, load_policy("general"))["name"] == "Renata Silva"
