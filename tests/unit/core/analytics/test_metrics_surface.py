"""The later SPEC §6 metrics on hand-built handoffs — queue waits, notify latency, top
triggers, decisions by action, the escalation trend and cost — each expected value worked
out by hand in the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from warmline.core.analytics.cost import CostAssumptions, cost, handoff_cost
from warmline.core.analytics.distribution import Bucket, describe
from warmline.core.analytics.estimate import Rate
from warmline.core.analytics.metrics import NOTIFY_EDGES, Window, measure, reasons_of, trend_buckets
from warmline.core.analytics.trend import bucket_width, trend
from warmline.core.handoff import Handoff, HandoffStatus

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SINCE, UNTIL = T0 - timedelta(days=7), T0 + timedelta(days=1)
S, H, DAY = timedelta(seconds=1), timedelta(hours=1), timedelta(days=1)


def make_handoff(handoff_id: str, **overrides: Any) -> Handoff:
    """A completed warm handoff of conversation `c-<id>` created at T0 (completed_at unset);
    `reasons` as (code, rule) pairs go into its decision."""
    reasons = overrides.pop("reasons", [("trigger", "cancellation")])
    values: dict[str, Any] = {
        "id": handoff_id, "tenant_id": "t-acme", "conversation_id": f"c-{handoff_id}",
        "queue": "support", "status": HandoffStatus.COMPLETED, "priority": 50,
        "mode": "warm", "created_at": T0,
        "decision": {"action": "escalate",
                     "reasons": [{"code": c, "rule": r, "detail": ""} for c, r in reasons]}}
    values.update(overrides)
    return Handoff(**values)


def window(handoffs: list[Handoff], conversations: int, **extra: Any) -> Window:
    return Window(since=SINCE, until=UNTIL, handoffs=handoffs, conversations=conversations,
                  **extra)


def test_describe_interpolates_percentiles_and_buckets_below_each_edge() -> None:
    d = describe([3.0, 1.0, 10.0, 4.0], (0, 2, 5, 10))
    # sorted 1, 3, 4, 10: p50 = (3 + 4) / 2; p90 at rank 2.7 = 4 + .7 * 6 = 8.2
    assert (d.n, d.p50, d.p90, d.total) == (4, 3.5, pytest.approx(8.2), 18.0)
    assert d.histogram == (Bucket(0, 2, 1), Bucket(2, 5, 2), Bucket(5, 10, 0),
                           Bucket(10, None, 1))  # 10 is not below 10: the open bucket
    empty = describe([], (0, 1))
    assert (empty.n, empty.p50, empty.to_dict()["p99_seconds"]) == (0, None, None)


def test_queue_times_are_pickup_waits_per_queue() -> None:
    handoffs = [make_handoff("1", queue="billing", accepted_at=T0 + 4 * S),
                make_handoff("2", queue="billing", accepted_at=T0 + 20 * S),
                make_handoff("3", queue="billing", accepted_at=T0 + 6 * S),
                make_handoff("4", queue="retention", accepted_at=T0 + 30 * S),
                make_handoff("5", queue="retention", status=HandoffStatus.QUEUED)]
    times = measure(window(handoffs, 5)).queue_times
    assert list(times) == ["billing", "retention"]
    # billing 4, 6, 20: p50 6, p90 = 6 + .8 * 14 = 17.2; retention: the one accepted
    assert (times["billing"].n, times["billing"].p50, times["billing"].p90) == (
        3, 6.0, pytest.approx(17.2))
    assert (times["retention"].n, times["retention"].p99) == (1, 30.0)


def test_notify_latency_counts_the_window_handoffs_that_were_delivered() -> None:
    handoffs = [make_handoff(str(i)) for i in range(1, 5)]
    deliveries = {"1": 0.2, "2": 0.4, "3": 1.5, "elsewhere": 99.0}  # 4 never delivered
    m = measure(window(handoffs, 4, deliveries=deliveries))
    # 0.2, 0.4, 1.5: p50 .4, p90 at rank 1.8 = .4 + .8 * 1.1 = 1.28
    assert (m.notify_latency.n, m.notify_latency.p50) == (3, 0.4)
    assert m.notify_latency.p90 == pytest.approx(1.28)
    counts = {b.low: b.count for b in m.notify_latency.histogram}
    assert counts == {0: 0, 0.1: 1, 0.25: 1, 0.5: 0, 1: 1, 2: 0, 5: 0, 10: 0, 30: 0, 60: 0}
    assert [b.low for b in m.notify_latency.histogram] == list(NOTIFY_EDGES)
    assert m.to_dict()["notify_latency"]["handoffs"] == 4


def test_top_triggers_rank_rules_by_escalated_conversations() -> None:
    handoffs = [
        make_handoff("1", reasons=[("trigger", "cancellation"),
                                   ("low_confidence", "question_types.billing")]),
        make_handoff("2", reasons=[("trigger", "cancellation")]),
        make_handoff("2b", conversation_id="c-2", reasons=[("trigger", "cancellation")]),
        make_handoff("3", reasons=[("human_requested", "signals.human_requested")])]
    top = measure(window(handoffs, 10)).top_triggers
    assert [(t.rule, t.code, t.share) for t in top] == [
        ("cancellation", "trigger", Rate(2, 3)),  # c-1 and c-2, of 3 escalated
        ("question_types.billing", "low_confidence", Rate(1, 3)),
        ("signals.human_requested", "human_requested", Rate(1, 3))]


def test_decisions_by_action_count_conversations() -> None:
    handoffs = [make_handoff("1"),
                make_handoff("2", decision={"action": "callback"}),
                make_handoff("3", decision={"action": "hold"}),
                # handed back and escalated again: the latest action counts, once
                make_handoff("3b", conversation_id="c-3", created_at=T0 + 60 * S,
                             decision={"action": "escalate"})]
    assert measure(window(handoffs, 10)).by_action == {
        "continue": 7, "escalate": 2, "hold": 0, "callback": 1}


def test_trend_buckets_are_hours_for_a_day_and_half_days_for_a_week() -> None:
    assert bucket_width(T0, T0 + DAY) == H
    assert bucket_width(T0, T0 + 7 * DAY) == 12 * H
    assert bucket_width(T0, T0 + 30 * DAY) == 48 * H  # 15 buckets; a day would be 30
    assert trend_buckets(T0, T0 + 150 * 60 * S) == [
        (T0, T0 + H), (T0 + H, T0 + 2 * H), (T0 + 2 * H, T0 + 150 * 60 * S)]


def test_trend_rates_have_their_own_bucket_denominators() -> None:
    starts = [T0, T0 + H, T0 + 2 * H]
    handoffs = [make_handoff("1", created_at=T0 + 10 * S),
                make_handoff("2", created_at=T0 + 20 * S,
                             reasons=[("human_requested", "signals.human_requested")]),
                make_handoff("3", created_at=T0 + H + 5 * S),
                make_handoff("4", created_at=T0 + 3 * H)]  # past the last bucket
    found = trend(handoffs, starts, H, [4, 1, 0], reasons_of)
    assert found.reasons == ("trigger", "human_requested")
    first, second, third = found.buckets
    assert (first.escalated, first.by_reason) == (
        Rate(2, 4), {"trigger": Rate(1, 4), "human_requested": Rate(1, 4)})
    assert (second.escalated, second.by_reason["trigger"]) == (Rate(1, 1), Rate(1, 1))
    assert third.escalated == Rate(0, 0)
    with pytest.raises(ValueError, match="3 buckets but 2"):
        trend(handoffs, starts, H, [4, 1], reasons_of)


def test_measure_gives_no_trend_without_bucket_counts() -> None:
    assert measure(window([make_handoff("1")], 1)).trend is None
    since = T0
    counted = Window(since=since, until=since + DAY, handoffs=[make_handoff("1")],
                     conversations=2, bucket_conversations=[2] + [0] * 23)
    m = measure(counted)
    assert m.trend is not None
    assert m.trend.buckets[0].escalated == Rate(1, 2)


PRICES = CostAssumptions(platform_per_minute=0.10, transfer_fee=0.25, rep_per_minute=0.60,
                         cost_of_escalation=6.0)


def test_one_handoff_costs_platform_minutes_fee_and_rep_minutes() -> None:
    done = make_handoff("1", accepted_at=T0 + 60 * S, completed_at=T0 + 360 * S)
    # live 6 min * .10 = .60, fee .25, rep 5 min * .60 = 3.00
    assert handoff_cost(done, PRICES) == pytest.approx((3.85, 6.0, 5.0))
    left = make_handoff("2", status=HandoffStatus.ABANDONED, completed_at=T0 + 120 * S)
    assert handoff_cost(left, PRICES) == pytest.approx((0.45, 2.0, 0.0))  # no rep minutes
    callback = make_handoff("3", decision={"action": "callback"}, accepted_at=T0,
                            completed_at=T0 + 60 * S)
    assert handoff_cost(callback, PRICES) == pytest.approx((0.70, 1.0, 1.0))  # no fee
    assert handoff_cost(make_handoff("4", status=HandoffStatus.QUEUED), PRICES) is None


def test_cost_per_month_scales_the_window_volume_to_30_days() -> None:
    handoffs = [make_handoff("1", accepted_at=T0 + 60 * S, completed_at=T0 + 360 * S),
                make_handoff("2", status=HandoffStatus.ABANDONED, completed_at=T0 + 120 * S),
                make_handoff("3", status=HandoffStatus.QUEUED)]
    c = cost(handoffs, PRICES, timedelta(days=10))
    # finished: 3.85 and .45 -> mean 2.15; 3 handoffs in 10 days -> 9 a month
    assert c.per_handoff.n == 2
    assert c.per_handoff.mean == pytest.approx(2.15)
    assert c.total == pytest.approx(4.30)
    assert c.per_month == pytest.approx(19.35)
    assert (c.policy_per_handoff, c.policy_per_month) == (6.0, pytest.approx(54.0))
    assert c.to_dict()["per_month"] == 19.35


def test_many_costs_use_the_normal_interval() -> None:
    handoffs = [make_handoff(str(i), completed_at=T0 + (60 if i % 2 else 120) * S)
                for i in range(3000)]
    prices = CostAssumptions(platform_per_minute=1.0)
    c = cost(handoffs, prices, timedelta(days=30))
    # costs 1 and 2, half each: mean 1.5, sd = .5 * sqrt(3000/2999), half-width 1.96 sd / √n
    assert c.per_handoff.mean == pytest.approx(1.5)
    half = 1.959963984540054 * 0.5 * (3000 / 2999) ** 0.5 / 3000 ** 0.5
    assert c.per_handoff.low == pytest.approx(1.5 - half)
    assert c.per_handoff.high == pytest.approx(1.5 + half)


@pytest.mark.parametrize("field", ["platform_per_minute", "transfer_fee", "rep_per_minute",
                                   "cost_of_escalation"])
def test_prices_must_be_zero_or_more(field: str) -> None:
    with pytest.raises(ValueError, match=f"{field} must be a number >= 0, got -1"):
        CostAssumptions(**{field: -1.0})


def test_measure_includes_cost_only_with_prices() -> None:
    done = [make_handoff("1", accepted_at=T0 + 60 * S, completed_at=T0 + 360 * S)]
    assert measure(window(done, 1)).cost is None
    m = measure(window(done, 1), prices=PRICES)
    assert m.cost is not None
    assert m.cost.per_handoff.mean == pytest.approx(3.85)
    # the fixture window is 8 days: 1 handoff -> 30 / 8 = 3.75 a month
    assert m.cost.per_month == pytest.approx(3.85 * 3.75)
    assert (UNTIL - SINCE) == 8 * DAY
    assert datetime(2026, 1, 1, tzinfo=UTC) < T0
