"""The built-in signals of SPEC §3: human_requested, frustration, ai_failures."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warmline.core.conversation import Speaker, Turn
from warmline.core.language.signals import (
    count_ai_failures,
    frustration_score,
    is_ai_failure_text,
    is_human_requested,
)

# --- human_requested -------------------------------------------------------------------------

ASKS_FOR_A_PERSON = {
    "talk to a person": "Can I talk to a person?",
    "speak with someone": "I'd like to speak with someone about my bill",
    "talk to somebody": "just let me talk to somebody",
    "let me talk to the manager": "Let me talk to your manager.",
    "supervisor": "can I speak to a supervisor please",
    "transfer me": "transfer me",
    "transfer me to a department": "Can you transfer me to billing?",
    "put me through": "put me through to the front desk",
    "can I get a human": "can I get a human",
    "a real person": "I want a real person",
    "someone real": "get me someone real",
    "is there a person to talk to": "is there a real person I can talk to?",
    "agent please": "agent please",
    "bare representative": "Representative",
    "bare operator": "Operator!",
    "repeated IVR keyword": "agent agent",
    "representative please": "Representative, please.",
    "live agent": "live agent",
    "connect me with a live agent": "can you connect me with a live agent",
    "customer service": "I need to speak to customer service",
    "human not bot": "I want to talk to a human, not a bot",
    "negated bot then human": "I don't want a bot, I want a human",
    "no then request": "No, I want a person",
    "rep": "can I speak to a rep",
    "typo reprehensitive": "reprehensitive",
    "typo representitive": "representitive please",
    "callback from a person": "have someone call me back",
    "anyone available": "is anyone available to help",
    "curly apostrophe": "I’d like to speak to an agent",
    "voice transcript, no punctuation": "yeah um can i just talk to an actual human being",
}

NOT_A_REQUEST = {
    "don't need a person": "I don't need a person",
    "no need for an agent": "no need for an agent",
    "don't want a human": "I don't want to talk to a human",
    "don't want anyone": "I don't really want to speak to anyone",
    "without talking to anyone": "can I do this without talking to anyone?",
    "rather not": "I'd rather not talk to a person",
    "past reference to an agent": "the agent told me yesterday my refund was sent",
    "past conversation": "I spoke to an agent last week",
    "travel agent": "my travel agent booked the flight",
    "insurance agent": "my insurance agent said I'm covered",
    "find a local agent": "I need to find an insurance agent near my house",
    "are you a real person": "are you a real person?",
    "am I talking to a person": "am I talking to a real person?",
    "bot or human": "are you a bot or a human?",
    "money transfer": "transfer $500 to my savings account",
    "money transfer to a person": "I want to transfer money to my son",
    "talk to you": "can I talk to you about my bill",
    "zero": "zero",
    "press 0": "press 0",
    "callback alone": "call me back tomorrow",
    "someone as subject": "someone stole my card",
    "add a person to a policy": "I need to add a person to my policy",
    "empty": "",
    "blank": "   ",
}


@pytest.mark.parametrize("text", ASKS_FOR_A_PERSON.values(), ids=ASKS_FOR_A_PERSON.keys())
def test_requests_for_a_person_are_detected(text: str) -> None:
    assert is_human_requested(text)


@pytest.mark.parametrize("text", NOT_A_REQUEST.values(), ids=NOT_A_REQUEST.keys())
def test_negations_mentions_and_identity_questions_are_not_requests(text: str) -> None:
    assert not is_human_requested(text)


@given(st.text())
def test_human_requested_never_raises(text: str) -> None:
    assert is_human_requested(text) in (True, False)


# --- frustration -----------------------------------------------------------------------------

CLEARLY_ANGRY = {
    "ridiculous, third call, nobody helps": [
        "This is ridiculous, I've called three times and nobody is helping!!!"],
    "profanity and insult": ["this is fucking useless"],
    "shouting and what the hell": ["WHAT THE HELL IS GOING ON!!!"],
    "complaints across turns": ["I've asked three times already",
                                "still not fixed, this is ridiculous"],
    "shouting the third time": ["THIS IS THE THIRD TIME I'M CALLING, ARE YOU KIDDING ME?"],
}

MILDLY_ANNOYED = {
    "annoyed": ["I'm really annoyed"],
    "third time": ["this is the third time I'm calling about this"],
    "taking forever": ["Ugh, this is taking forever"],
    "masked profanity": ["f*** this"],
    "already told you": ["I already told you my account number"],
    "called 3 times": ["I've called 3 times about this"],
    "shouting alone": ["I WANT MY MONEY BACK"],
}

CALM = {
    "greeting": ["Hi, I'm calling about my appointment tomorrow."],
    "answers": ["Sarah Okafor", "PRO-48213", "yes that's right"],
    "acronyms are not shouting": ["My PIN and my ATM card, DOB 1990"],
    "not angry": ["I'm not angry, just curious why the bill changed"],
    "enthusiastic thanks": ["Thank you so much!!!"],
    "polite bother": ["I hate to bother you, but can I change my time?"],
}


@pytest.mark.parametrize("turns", CLEARLY_ANGRY.values(), ids=CLEARLY_ANGRY.keys())
def test_clearly_angry_customers_reach_the_default_threshold(turns: list[str]) -> None:
    assert frustration_score(turns) >= 0.80


@pytest.mark.parametrize("turns", MILDLY_ANNOYED.values(), ids=MILDLY_ANNOYED.keys())
def test_mild_annoyance_stays_in_the_middle(turns: list[str]) -> None:
    assert 0.30 <= frustration_score(turns) <= 0.65


@pytest.mark.parametrize("turns", CALM.values(), ids=CALM.keys())
def test_calm_customers_score_near_zero(turns: list[str]) -> None:
    assert frustration_score(turns) < 0.2


def test_no_turns_score_zero() -> None:
    assert frustration_score([]) == 0.0
    assert frustration_score(["", "   "]) == 0.0


def test_complaints_add_up_across_turns() -> None:
    one = frustration_score(["this is not helping"])
    two = frustration_score(["this is not helping", "you are not listening"])
    assert two > one


def test_a_satisfied_turn_lowers_the_score_more_than_a_neutral_answer() -> None:
    angry = ["This is ridiculous, I've called three times!!!"]
    satisfied = frustration_score([*angry, "ok thanks, that works"])
    neutral = frustration_score([*angry, "my account is 48213"])
    assert satisfied < neutral < frustration_score(angry)
    assert satisfied < 0.5


def test_the_latest_turn_weighs_most() -> None:
    angry, calm = "this is useless, what the hell", "ok, thank you"
    assert frustration_score([calm, angry]) > frustration_score([angry, calm])


def test_sending_the_same_message_again_adds_frustration() -> None:
    once = frustration_score(["I need my refund for order 1042"])
    twice = frustration_score(["I need my refund for order 1042"] * 2)
    assert once == 0.0
    assert twice > 0.3


def test_many_exclamation_marks_add_a_little() -> None:
    assert frustration_score(["where is my order!!!"]) > frustration_score(["where is my order"])


@given(st.lists(st.text(), max_size=20))
def test_frustration_is_always_between_zero_and_one(texts: list[str]) -> None:
    assert 0.0 <= frustration_score(texts) <= 1.0


# --- ai_failures -----------------------------------------------------------------------------

FAILURE_TEXTS = {
    "didn't catch": "I'm sorry, I didn't catch that.",
    "don't quite understand": "I don't quite understand.",
    "not able to help": "I'm not able to help with that.",
    "could you rephrase": "Could you rephrase your question?",
    "can only help with": "I can only help with appointments and billing.",
    "STAR out_of_scope": ("I am sorry, I don't quite understand what you mean. I am only able to "
                          "help you issue fraud reports."),
    "say that again": "Sorry, could you say that again?",
    "outside what I can do": "That's outside of what I can do, I'm afraid.",
    "trouble understanding": "I'm having trouble understanding your request.",
    "can't do that": "I'm sorry, I can't do that.",
}

NOT_FAILURE_TEXTS = {
    "authentication failed": ("I am sorry, but I cannot authenticate you with the information "
                              "you have provided."),
    "restaurant full": ("I am sorry, but it looks like the restaurant is not able to "
                        "accomodate you."),
    "booking failed": "I am sorry, but the reservation request was not successful.",
    "empathy": "I understand your frustration.",
    "plain understand": "I understand.",
    "offer to help": "I can help you with that. What's your account number?",
    "policy refusal": "I can't get you a refund today, but I can send a voucher.",
    "empty": "",
}


@pytest.mark.parametrize("text", FAILURE_TEXTS.values(), ids=FAILURE_TEXTS.keys())
def test_ai_replies_that_could_not_help_are_failures(text: str) -> None:
    assert is_ai_failure_text(text)


@pytest.mark.parametrize("text", NOT_FAILURE_TEXTS.values(), ids=NOT_FAILURE_TEXTS.keys())
def test_business_outcomes_and_empathy_are_not_failures(text: str) -> None:
    assert not is_ai_failure_text(text)


def _ai(text: str = "Your appointment is at 3 pm.", *, fallback: bool = False) -> Turn:
    return Turn(Speaker.AI, text, fallback=fallback)


def _customer(text: str = "what?") -> Turn:
    return Turn(Speaker.CUSTOMER, text)


SORRY = "Sorry, I didn't catch that."

RUNS = {
    "no turns": ([], 0),
    "only the customer spoke": ([_customer()], 0),
    "fallback flag alone counts": ([_ai(fallback=True)], 1),
    "failure text alone counts": ([_ai(SORRY)], 1),
    "flag and text in a row": ([_ai(SORRY), _customer(), _ai(fallback=True)], 2),
    "customer turns do not break the run": (
        [_ai(SORRY), _customer(), _customer(), _ai(SORRY), _customer()], 2),
    "system turns do not break the run": (
        [_ai(SORRY), Turn(Speaker.SYSTEM, "caller on hold"), _ai(SORRY)], 2),
    "a good AI reply breaks the run": ([_ai(SORRY), _customer(), _ai(), _customer(),
                                        _ai(SORRY)], 1),
    "a good last AI reply means zero": ([_ai(SORRY), _customer(), _ai()], 0),
    "a rep turn ends the run": ([_ai(SORRY), Turn(Speaker.REP, "Hi, this is Dana."),
                                 _customer(), _ai(SORRY)], 1),
    "three failures": ([_ai(SORRY), _customer(), _ai(fallback=True), _customer(),
                        _ai("Could you rephrase that?")], 3),
}


@pytest.mark.parametrize(("turns", "expected"), RUNS.values(), ids=RUNS.keys())
def test_ai_failures_count_the_run_at_the_end(turns: list[Turn], expected: int) -> None:
    assert count_ai_failures(turns) == expected


@given(st.text())
def test_ai_failure_text_never_raises(text: str) -> None:
    assert is_ai_failure_text(text) in (True, False)
