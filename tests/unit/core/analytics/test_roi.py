"""`warmline roi` arithmetic (`warmline.core.analytics.roi`) on numbers worked out by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warmline.cli.roi import PlatformName
from warmline.core.analytics.metrics import CustomerContact, Window
from warmline.core.analytics.roi import PLATFORMS, Assumptions, compare, measure_inputs
from warmline.core.handoff import Handoff, HandoffStatus
from warmline.testing import T0


def test_retell_cold_vs_warm_with_the_seed_effects() -> None:
    # 1,000 calls, 10 % handed off = 100; repeat rate .10 x 1.30 = .13 cold, x .78 = .078 warm.
    # Cold: 13 repeat calls -> 1,013 calls, 101.3 handoffs, 4,052 min x .07 = 283.64,
    # reps 101.3 x 5 min x $0.50 = 253.25 -> 536.89. Warm: 7.8 -> 1,007.8 calls, 100.78
    # handoffs, 4,031.2 min = 282.184, reps 251.95 -> 534.134. Saving 2.756 a month.
    r = compare("retell", Assumptions())
    assert r.cold.repeat_calls == pytest.approx(13.0)
    assert r.cold.platform == pytest.approx(283.64)
    assert r.cold.reps == pytest.approx(253.25)
    assert r.cold.total == pytest.approx(536.89)
    assert r.warm.total == pytest.approx(534.134)
    assert r.saving_per_month == pytest.approx(2.756)
    assert r.to_dict()["saving_per_year"] == pytest.approx(33.07)


def test_synthflow_includes_2000_minutes_and_gohighlevel_is_flat() -> None:
    # 4,052 min: 375 + 2,052 x .19 = 764.88
    assert compare("synthflow", Assumptions()).cold.platform == pytest.approx(764.88)
    assert compare("gohighlevel", Assumptions()).cold.platform == pytest.approx(97.0)


def test_a_warm_fee_can_make_warm_dearer() -> None:
    # 100.78 warm handoffs x $1 = 100.78 more than the 2.756 repeat calls save.
    r = compare("bland", Assumptions(warm_fee=1.0))
    assert r.warm.transfer_fees == pytest.approx(100.78)
    assert r.saving_per_month < 0


def test_given_repeat_rates_replace_the_seed_effects() -> None:
    a = Assumptions(cold_repeat_rate=0.2, warm_repeat_rate=0.1)
    r = compare("vapi", a)
    assert (r.cold.repeat_calls, r.warm.repeat_calls) == (pytest.approx(20), pytest.approx(10))


def test_the_cli_offers_every_platform_of_the_price_table() -> None:
    assert sorted(p.value for p in PlatformName) == sorted(PLATFORMS)


def _h(i: int, mode: str, *, key: str, csat: int | None = None) -> Handoff:
    created = T0 + timedelta(hours=i)
    return Handoff(id=f"h{i}", tenant_id="t", conversation_id=f"c{i}", queue="q",
                   status=HandoffStatus.COMPLETED, priority=50, mode=mode, created_at=created,
                   accepted_at=created, completed_at=created + timedelta(minutes=4), csat=csat,
                   customer_key=key)


def test_measured_inputs_replace_assumptions_only_with_enough_data() -> None:
    warm = [_h(i, "warm", key=f"w{i}", csat=5) for i in range(20)]
    cold = [_h(100 + i, "cold", key=f"k{i}", csat=3) for i in range(20)]
    # 5 of the 20 cold customers call again the next day; no warm one does.
    contacts = [CustomerContact(f"k{i}", f"again{i}", T0 + timedelta(days=5)) for i in range(5)]
    window = Window(since=T0, until=T0 + timedelta(days=10), handoffs=warm + cold,
                    conversations=400, contacts=contacts)
    m = measure_inputs(window, repeat_window_days=7)
    assert m["cold_repeat_rate"] == pytest.approx(0.25)
    assert m["warm_repeat_rate"] == 0.0
    assert m["rep_minutes"] == pytest.approx(4.0)
    assert m["escalation_rate"] == pytest.approx(40 / 400)
    assert m["calls_per_month"] == pytest.approx(400 * 30 / 10)
    assert m["csat_points"] == pytest.approx(100.0)
    few = Window(since=T0, until=T0 + timedelta(days=10), handoffs=warm[:3], conversations=5)
    assert set(measure_inputs(few, repeat_window_days=7).values()) == {None}
    a = Assumptions().with_measured(**m)
    assert a.measured == frozenset(m)
    assert compare("retell", a).cold.repeat_calls == pytest.approx(400 * 30 / 10 * 0.1 * 0.25)
