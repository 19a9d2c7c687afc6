"""Properties of the fixed semantics that hold for every policy shape, not just examples."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from warmline.core.decision.engine import decide
from warmline.core.decision.model import ReasonCode
from warmline.testing import ai, customer, make_conversation, make_policy

QUEUES = ["q0", "q1", "q2", "q3"]
ORDER = [ReasonCode.TRIGGER, ReasonCode.HUMAN_REQUESTED, ReasonCode.FRUSTRATION,
         ReasonCode.AI_FAILURE_LOOP, ReasonCode.LOW_CONFIDENCE]

rule = st.fixed_dictionaries(
    {"fires": st.booleans(), "queue": st.one_of(st.none(), st.sampled_from(QUEUES)),
     "priority": st.one_of(st.none(), st.integers(0, 100))})


def build(triggers: list[dict[str, object]], routes: list[dict[str, object]], qt_queue: str | None):
    def spec(i: int, r: dict[str, object], prefix: str) -> dict[str, object]:
        out: dict[str, object] = {"name": f"{prefix}{i}", "when": "true" if r["fires"] else "false"}
        if r["queue"]:
            out["queue"] = r["queue"]
        if r["priority"] is not None:
            out["priority"] = r["priority"]
        return out
    qts = {"faq": {"threshold": 0.9, **({"queue": qt_queue} if qt_queue else {})}}
    return make_policy(
        triggers=[spec(i, r, "t") for i, r in enumerate(triggers)],
        routes=[spec(i, r, "r") for i, r in enumerate(routes)],
        question_types=qts,
        queues={q: {} for q in ["front-desk", *QUEUES]})


@settings(max_examples=150, deadline=None)
@given(triggers=st.lists(rule, max_size=5), routes=st.lists(rule, max_size=4),
       qt_queue=st.one_of(st.none(), st.sampled_from(QUEUES)))
def test_destination_precedence(triggers, routes, qt_queue) -> None:
    policy = build(triggers, routes, qt_queue)
    conv = make_conversation(turns=[customer("a question"), ai("answer", 0.5,
                                                                question_type="faq")])
    decision = decide(conv, policy)
    fired_t = [t for t in triggers if t["fires"]]
    route = next((r for r in routes if r["fires"]), None)
    expected = next((t["queue"] for t in fired_t if t["queue"]), None) or (
        route["queue"] if route and route["queue"] else None) or qt_queue or "front-desk"
    assert decision.destination is not None
    assert decision.destination.queue == expected
    priorities = [t["priority"] for t in fired_t if t["priority"] is not None]
    if route and route["priority"] is not None:
        priorities.append(route["priority"])
    assert decision.priority == (max(priorities) if priorities else 50)


@settings(max_examples=100, deadline=None)
@given(fires=st.lists(st.booleans(), max_size=6), confidence=st.floats(0, 1),
       ask_human=st.booleans(), failures=st.integers(0, 3))
def test_reasons_are_always_in_spec_order(fires, confidence, ask_human, failures) -> None:
    policy = make_policy(
        triggers=[{"name": f"t{i}", "when": "true" if f else "false"} for i, f in enumerate(fires)],
        signals={"ai_failures": 2, "frustration": 0.8, "human_requested": True})
    turns = [customer("can I talk to a person please" if ask_human else "hello")]
    turns += [ai("Sorry, I didn't understand that.", fallback=True) for _ in range(failures)]
    turns.append(ai("Here you go.", confidence))
    decision = decide(make_conversation(turns=turns), policy)
    codes = [r.code for r in decision.reasons]
    assert codes == sorted(codes, key=ORDER.index)
    trigger_rules = [r.rule for r in decision.reasons if r.code is ReasonCode.TRIGGER]
    assert trigger_rules == [f"t{i}" for i, f in enumerate(fires) if f]
    assert (ReasonCode.LOW_CONFIDENCE in codes) == (confidence < 0.6)
