"""Hypothesis fuzzing of what users write: `when:` rules (CEL), policies and conversations.
Any input either parses or raises the one located error of its kind — never another
exception, never a hang — and a rule too costly to run on every turn is refused at load."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warmline.core.conversation import parse_conversation
from warmline.core.errors import ConversationError, PolicyError
from warmline.core.policy.cel import CelError, Type, compile_expression
from warmline.core.policy.rules import RULE_SCHEMA
from warmline.testing import make_policy

FUZZ = settings(max_examples=150, deadline=2000, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])

TOKENS = ["text", "transcript", "intent", "confidence", "customer", ".", "segment",
          "recent_contacts", "attributes", "(", ")", "[", "]", "{", "}", ",", ":", "?",
          "&&", "||", "!", "==", "!=", "<", ">=", "+", "-", "*", "/", "%", " in ", "size",
          "contains", "matches", "lowerAscii", "exists", "all", "map", "filter", "x", "1",
          "0.5", "'a'", '"cancel"', "r'(a+)+$'", "true", "null", "has", "int", "string"]
expressions = st.one_of(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join),
                        st.text(max_size=200))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20)


def _context(value: Any) -> dict[str, Any]:
    return {"confidence": value, "intent": value, "question_type": value, "threshold": 0.5,
            "text": value, "transcript": value, "turns": value, "customer": value,
            "business_hours": value, "local": {"hour": 1, "weekday": 1},
            "human_requested": value, "frustration": value, "ai_failures": value,
            "repeat_contacts": value, "channel": value}


@FUZZ
@given(source=expressions, value=json_values)
def test_a_rule_compiles_or_is_refused_and_never_fails_at_call_time(source: str,
                                                                      value: Any) -> None:
    try:
        rule = compile_expression(source, RULE_SCHEMA, expect=Type.BOOL)
    except CelError as err:
        refused: CelError | None = err
    else:
        refused = None
        assert rule.evaluate(_context(value)) in (True, False)  # SPEC §3: never raises
    if refused is not None:
        assert refused.diagnostics
        assert all(d.message for d in refused.diagnostics)


@FUZZ
@given(triggers=st.lists(st.fixed_dictionaries({"name": st.text(max_size=8),
                                                 "when": expressions}), max_size=3),
       extra=st.dictionaries(st.sampled_from(["signals", "question_types", "routes",
                                              "business_hours", "vertical", "redact",
                                              "defaults", "queues", "notify"]),
                             json_values, max_size=3))
def test_a_policy_parses_or_raises_one_located_policy_error(triggers: list[Any],
                                                            extra: dict[str, Any]) -> None:
    problems: tuple[Any, ...] = ()
    try:
        make_policy(triggers=triggers, **extra)
    except PolicyError as err:
        problems = err.problems or (None,)
    assert all(p is not None and p.message for p in problems)


@FUZZ
@given(data=st.one_of(json_values, st.fixed_dictionaries(
    {"id": st.text(max_size=8), "turns": st.lists(json_values | st.fixed_dictionaries(
        {"speaker": st.sampled_from(["customer", "ai", "rep", "x"]), "text": json_values,
         "at": st.text(max_size=30) | st.just("2026-11-24T10:00:00Z"),
         "confidence": json_values}), max_size=4)},
    optional={"customer": json_values, "channel": json_values, "started_at": json_values})))
def test_a_conversation_parses_or_raises_one_located_conversation_error(data: Any) -> None:
    problems: tuple[Any, ...] = ()
    try:
        parse_conversation(data, source="fuzz")
    except ConversationError as err:
        problems = err.problems
    assert all(p.path for p in problems)


COSTLY = [
    "customer.recent_contacts.all(c, !transcript.upperAscii().contains('QQ'))",
    "[" + ",".join(["1"] * 100) + "].all(x, [" + ",".join(["1"] * 100)
    + "].all(y, !transcript.lowerAscii().contains('zz')))",
    "customer.recent_contacts.exists(c, text.matches(string(c) + 'x+'))",
]


@pytest.mark.parametrize("source", COSTLY, ids=["contacts-x-transcript", "nested-literal",
                                                "dynamic-regex-in-macro"])
def test_a_rule_too_costly_for_every_turn_is_refused_at_load_with_its_position(
        source: str) -> None:
    started = time.monotonic()
    with pytest.raises(PolicyError) as caught:
        make_policy(triggers=[{"name": "slow", "when": source}])
    assert time.monotonic() - started < 1.0
    problem = caught.value.problems[0]
    assert problem.rule == "slow"
    assert "too costly" in problem.message
    assert "column" in problem.message


@pytest.mark.parametrize("source", [
    "['quit', 'cancel', 'close'].exists(w, text.lowerAscii().contains(w))",
    "customer.recent_contacts.exists(c, c.reason == 'billing')",
    "customer.attributes.tags.exists(t, t.startsWith('vip'))",
    " || ".join(f"transcript.contains('w{i}')" for i in range(100)),
])
def test_ordinary_rules_stay_under_the_cost_limit(source: str) -> None:
    make_policy(triggers=[{"name": "fine", "when": source}])
