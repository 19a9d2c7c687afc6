"""The SPEC §6 metrics (`core.analytics.metrics`) on hand-built handoffs, each expected value
worked out by hand in the test."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from warmline.core.analytics.estimate import Rate, wilson
from warmline.core.analytics.metrics import (
    CustomerContact,
    MetricsFilter,
    QueueWait,
    Window,
    contacts_by_customer,
    measure,
)
from warmline.core.handoff import Handoff, HandoffStatus

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SINCE, UNTIL = T0 - timedelta(days=7), T0 + timedelta(days=1)
S = timedelta(seconds=1)
DAY = timedelta(days=1)


def make_handoff(handoff_id: str, **overrides: Any) -> Handoff:
    """A completed warm handoff of conversation `c-<id>` at T0; `reasons` as (code, rule)
    pairs and `question_type` go into its decision."""
    reasons = overrides.pop("reasons", [("trigger", "cancellation")])
    question_type = overrides.pop("question_type", "billing")
    values: dict[str, Any] = {
        "id": handoff_id, "tenant_id": "t-acme", "conversation_id": f"c-{handoff_id}",
        "queue": "support", "status": HandoffStatus.COMPLETED, "priority": 50,
        "mode": "warm", "created_at": T0,
        "decision": {"action": "escalate",
                     "reasons": [{"code": c, "rule": r, "detail": ""} for c, r in reasons],
                     "signals": {"question_type": {"label": question_type,
                                                   "confidence": 0.9, "source": "given"}}},
    }
    values.update(overrides)
    return Handoff(**values)


def window(handoffs: list[Handoff], conversations: int, **extra: Any) -> Window:
    return Window(since=SINCE, until=UNTIL, handoffs=handoffs, conversations=conversations,
                  **extra)


def rate(count: int, total: int) -> dict[str, Any]:
    return Rate(count, total).to_dict()


# --- escalation rate -------------------------------------------------------------------------


def escalation_fixture() -> list[Handoff]:
    return [
        make_handoff("1", reasons=[("trigger", "cancellation"),
                                   ("low_confidence", "question_types.billing")]),
        make_handoff("2", reasons=[("trigger", "cancellation")]),
        make_handoff("3", reasons=[("human_requested", "signals.human_requested")],
                     question_type=None),
        make_handoff("4", reasons=[("low_confidence", "question_types.billing")]),
        # Handed back, then escalated again: the same conversation, counted once.
        make_handoff("4b", conversation_id="c-4", created_at=T0 + 60 * S,
                     reasons=[("trigger", "refund")]),
    ]


def test_escalation_rate_is_escalated_conversations_over_all_conversations() -> None:
    m = measure(window(escalation_fixture(), conversations=10)).to_dict()
    assert m["conversations"] == 10
    assert m["handoffs"] == 5
    assert m["escalation"]["rate"] == rate(4, 10)  # c-1 .. c-4
    assert m["escalation"]["rate"]["value"] == 0.4


def test_escalation_by_reason_rule_and_question_type_share_the_denominator() -> None:
    esc = measure(window(escalation_fixture(), conversations=10)).to_dict()["escalation"]
    # trigger: c-1, c-2, c-4 (refund); low_confidence: c-1, c-4; human_requested: c-3
    assert esc["by_reason"] == {"trigger": rate(3, 10), "low_confidence": rate(2, 10),
                                "human_requested": rate(1, 10)}
    assert list(esc["by_reason"]) == ["trigger", "low_confidence", "human_requested"]
    assert esc["by_rule"] == {"cancellation": rate(2, 10),
                              "question_types.billing": rate(2, 10),
                              "refund": rate(1, 10), "signals.human_requested": rate(1, 10)}
    assert esc["by_question_type"] == {"billing": rate(3, 10), "unknown": rate(1, 10)}
    assert esc["by_reason"]["trigger"]["low"] == round(wilson(3, 10)[0], 4)  # type: ignore[index]


def test_the_denominator_is_never_below_the_escalated_conversations() -> None:
    m = measure(window(escalation_fixture(), conversations=2))
    assert m.escalation.rate == Rate(4, 4)


def test_an_empty_window_has_null_rates_and_no_division_by_zero() -> None:
    m = measure(window([], conversations=0)).to_dict()
    nothing = {"count": 0, "total": 0, "value": None, "low": None, "high": None}
    assert m["escalation"] == {"rate": nothing, "by_reason": {}, "by_rule": {},
                               "by_question_type": {}}
    assert m["handoff_time"]["p50_seconds"] is None
    assert m["handoff_time"]["under_10s"] == nothing
    assert all(b["count"] == 0 for b in m["handoff_time"]["histogram"])
    assert m["csat"] == {"warm": {"n": 0, "mean": None, "low": None, "high": None},
                         "cold": {"n": 0, "mean": None, "low": None, "high": None}}
    assert m["repeat_contact"] == {"window_days": 7, "overall": nothing, "warm": nothing,
                                   "cold": nothing}
    assert m["abandonment"] == nothing
    assert m["failures"] == {"rate": nothing, "by_type": {}}
    assert set(m["by_status"].values()) == {0}
    assert m["queues"] == {}
    json.dumps(m)


def test_conversations_but_no_handoffs_is_a_zero_rate() -> None:
    m = measure(window([], conversations=4)).to_dict()
    assert m["escalation"]["rate"] == {"count": 0, "total": 4, "value": 0.0, "low": 0.0,
                                       "high": 0.4899}


# --- handoff time ----------------------------------------------------------------------------


def test_handoff_time_percentiles_share_under_10s_and_histogram() -> None:
    waits = [2, 4, 8, 10, 12, 30]
    handoffs = [make_handoff(str(i), accepted_at=T0 + w * S) for i, w in enumerate(waits)]
    handoffs.append(make_handoff("never", status=HandoffStatus.QUEUED))
    time = measure(window(handoffs, conversations=7)).to_dict()["handoff_time"]
    assert time["accepted"] == 6
    # sorted 2 4 8 10 12 30: p50 at rank 2.5 -> 8 + .5·2 = 9; p90 at 4.5 -> 12 + .5·18 = 21;
    # p99 at 4.95 -> 12 + .95·18 = 29.1
    assert (time["p50_seconds"], time["p90_seconds"], time["p99_seconds"]) == (9.0, 21.0,
                                                                               29.1)
    assert time["under_10s"] == rate(3, 6)  # exactly 10 s is not under 10 s
    counts = {(b["low"], b["high"]): b["count"] for b in time["histogram"]}
    assert counts[(0, 5)] == 2
    assert counts[(5, 10)] == 1
    assert counts[(10, 15)] == 2
    assert counts[(30, 45)] == 1
    assert counts[(300, None)] == 0
    assert sum(counts.values()) == 6


def test_a_wait_past_the_last_edge_lands_in_the_open_bucket() -> None:
    time = measure(window([make_handoff("1", accepted_at=T0 + 900 * S)], 1)).handoff_time
    assert time.histogram[-1].low == 300
    assert time.histogram[-1].high is None
    assert time.histogram[-1].count == 1
    assert time.p99 == 900.0


# --- CSAT, repeat contacts, abandonment, failures --------------------------------------------


def test_csat_by_mode_is_the_mean_of_handoffs_with_a_score() -> None:
    handoffs = [make_handoff("w1", csat=5), make_handoff("w2", csat=4),
                make_handoff("w3", csat=5), make_handoff("w4"),
                make_handoff("c1", mode="cold", csat=2), make_handoff("c2", mode="cold", csat=3)]
    csat = measure(window(handoffs, conversations=6)).csat
    assert csat["warm"].n == 3
    assert csat["warm"].mean == pytest.approx(14 / 3)
    assert csat["cold"].n == 2
    assert csat["cold"].mean == 2.5
    assert csat["cold"].low is not None
    assert csat["cold"].high is not None
    assert 2.0 <= csat["cold"].low <= 2.5 <= csat["cold"].high <= 3.0
    assert measure(window(handoffs, conversations=6)).to_dict()["csat"]["warm"]["mean"] == 4.6667


def test_repeat_contact_is_another_conversation_within_the_window_days_after() -> None:
    handoffs = [
        make_handoff("a", customer_key="id:a"),  # c-b2 3 days later: a repeat
        make_handoff("b", customer_key="id:b", mode="cold"),  # only its own conversation
        make_handoff("c1", customer_key="id:c", created_at=T0 - 2 * DAY),  # c-c2: repeat
        make_handoff("c2", customer_key="id:c"),  # nothing after it
        make_handoff("d", customer_key="id:d"),  # exactly 7 days later counts; before: no
        make_handoff("e", customer_key="id:e"),  # 7 days and a second later: too late
        make_handoff("anonymous"),  # no customer: left out
    ]
    contacts = [
        CustomerContact("id:a", "c-a2", T0 + 3 * DAY),
        CustomerContact("id:b", "c-b", T0 + DAY),
        CustomerContact("id:d", "c-d0", T0 - DAY),
        CustomerContact("id:d", "c-d2", T0 + 7 * DAY),
        CustomerContact("id:e", "c-e2", T0 + 7 * DAY + S),
    ]
    m = measure(window(handoffs, conversations=9, contacts=contacts)).to_dict()
    assert m["repeat_contact"] == {"window_days": 7, "overall": rate(3, 6),
                                   "warm": rate(3, 5), "cold": rate(0, 1)}


def test_repeat_contact_window_follows_the_policys_days() -> None:
    handoffs = [make_handoff("a", customer_key="id:a")]
    contacts = [CustomerContact("id:a", "c-a2", T0 + 3 * DAY)]
    two_days = measure(window(handoffs, 1, contacts=contacts), repeat_window_days=2)
    assert two_days.repeat_contact["overall"] == Rate(0, 1)
    assert two_days.to_dict()["repeat_contact"]["window_days"] == 2


def test_contacts_merge_the_given_conversations_and_the_windows_handoffs() -> None:
    w = window([make_handoff("a", customer_key="id:a")], 1,
               contacts=[CustomerContact("id:a", "c-a", T0 - S)])
    assert contacts_by_customer(w) == {"id:a": [(T0 - S, "c-a"), (T0, "c-a")]}


def test_abandonment_and_typed_transfer_failures() -> None:
    handoffs = [
        make_handoff("1"), make_handoff("2"), make_handoff("3"),
        make_handoff("4", status=HandoffStatus.ABANDONED),
        make_handoff("5", status=HandoffStatus.FAILED, outcome="No answer"),
        make_handoff("6", status=HandoffStatus.FAILED, outcome="voicemail"),
        make_handoff("7", status=HandoffStatus.FAILED, outcome="no-answer"),
        make_handoff("8", status=HandoffStatus.FAILED),
    ]
    m = measure(window(handoffs, conversations=8)).to_dict()
    assert m["abandonment"] == rate(1, 8)
    assert m["failures"] == {"rate": rate(5, 8), "by_type": {
        "no_answer": 2, "caller_left": 1, "failed": 1, "voicemail": 1}}
    assert m["by_status"] == {"queued": 0, "offered": 0, "accepted": 0, "completed": 3,
                              "handed_back": 0, "callback": 0, "abandoned": 1, "failed": 4}


def test_queue_waits_count_who_waits_now_and_for_how_long() -> None:
    now = T0 + 60 * S
    waiting = [
        make_handoff("q1", status=HandoffStatus.QUEUED, created_at=now - 30 * S),
        make_handoff("q2", status=HandoffStatus.QUEUED, created_at=now - 10 * S),
        make_handoff("o1", status=HandoffStatus.OFFERED, queue="billing",
                     created_at=now - 5 * S),
        make_handoff("cb", status=HandoffStatus.CALLBACK, created_at=now - 600 * S),
    ]
    m = measure(window([], 0, open_handoffs=waiting, now=now))
    assert m.queues == {"billing": QueueWait(1, 0, 5.0), "support": QueueWait(2, 1, 30.0)}


# --- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("filters", "kept"), [
    (MetricsFilter(queue="retention"), {"r"}),
    (MetricsFilter(mode="cold"), {"cold"}),
    (MetricsFilter(question_type="shipping"), {"ship"}),
    (MetricsFilter(rule="refund"), {"ship"}),
    (MetricsFilter(queue="support", mode="warm"), {"w", "ship"}),
    (MetricsFilter(question_type="unknown"), {"r"}),
    (MetricsFilter(queue="nowhere"), set()),
], ids=["queue", "mode", "question-type", "rule", "queue-and-mode", "unknown-type",
        "no-match"])
def test_filters_narrow_the_handoffs_but_not_the_conversations(filters: MetricsFilter,
                                                               kept: set[str]) -> None:
    handoffs = [
        make_handoff("w"), make_handoff("r", queue="retention", question_type=None),
        make_handoff("cold", mode="cold"),
        make_handoff("ship", question_type="shipping", reasons=[("trigger", "refund")]),
    ]
    m = measure(window(handoffs, conversations=20), filters)
    assert m.handoffs == len(kept)
    assert m.escalation.rate == Rate(len(kept), 20)
    assert m.to_dict()["filters"] == filters.to_dict()


def test_a_filtered_out_handoff_still_counts_as_a_later_contact() -> None:
    handoffs = [make_handoff("first", customer_key="id:x"),
                make_handoff("again", customer_key="id:x", mode="cold",
                             created_at=T0 + DAY)]
    m = measure(window(handoffs, 2), MetricsFilter(mode="warm"))
    assert m.repeat_contact["warm"] == Rate(1, 1)


def test_to_dict_is_json_with_stable_keys() -> None:
    m = measure(window(escalation_fixture(), 10, now=T0)).to_dict()
    assert list(m) == ["window", "filters", "conversations", "handoffs", "escalation",
                       "handoff_time", "csat", "repeat_contact", "abandonment", "failures",
                       "by_status", "by_action", "queues", "queue_times", "notify_latency",
                       "top_triggers", "trend", "cost", "truncated", "callbacks"]
    assert m["window"] == {"since": "2026-11-17T15:00:00+00:00",
                           "until": "2026-11-25T15:00:00+00:00"}
    assert json.loads(json.dumps(m)) == m


def test_malformed_decisions_are_read_as_no_reasons_and_no_question_type() -> None:
    odd = [make_handoff("1", decision={"reasons": "nope", "signals": []}),
           make_handoff("2", decision={"reasons": [{"code": "trigger"}, "x", {}]})]
    esc = measure(window(odd, 2)).escalation
    assert esc.by_reason == {"trigger": Rate(1, 2)}
    assert esc.by_rule == {"trigger": Rate(1, 2)}
    assert esc.by_question_type == {"unknown": Rate(2, 2)}
