"""The rest of the SPEC §6 surface through the ASGI app on every store: queue waits, top
triggers, escalation trend, cost, notify latency recorded by the event stream, and
Prometheus' `GET /metrics` — each number worked out by hand from `run_a_shift`."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from warmline.adapters.storage.sql import SqlStore
from warmline.bootstrap import build_services
from warmline.core.analytics.estimate import Rate
from warmline.web.app import create_app

from .conftest import Api
from .test_metrics_api import metrics_api, run_a_shift, say

__all__ = ["metrics_api"]  # the fixture, used by name


def rate(count: int, total: int) -> dict[str, Any]:
    return Rate(count, total).to_dict()


def priced(api: Api) -> None:
    """Prices that make round numbers: $0.10 a platform minute, $0.25 a transfer, $0.60 a
    rep minute."""
    api.services.settings = api.services.settings.model_copy(update={
        "platform_cost_per_minute": 0.10, "transfer_fee": 0.25, "rep_cost_per_minute": 0.60})


def test_queue_waits_top_triggers_and_actions(metrics_api: Api) -> None:
    run_a_shift(metrics_api)
    m = metrics_api.get("/v1/metrics").json()
    assert {q: (d["n"], d["p50_seconds"], d["p90_seconds"])
            for q, d in m["queue_times"].items()} == {"desk": (1, 12.0, 12.0),
                                                      "retention": (1, 4.0, 4.0)}
    assert m["top_triggers"] == [
        {"rule": "cancellation", "code": "trigger", "count": 1, "share": rate(1, 2)},
        {"rule": "signals.human_requested", "code": "human_requested", "count": 1,
         "share": rate(1, 2)}]
    assert m["by_action"] == {"continue": 3, "escalate": 2, "hold": 0, "callback": 0}


def test_escalation_trend_buckets_the_window(metrics_api: Api) -> None:
    run_a_shift(metrics_api)  # everything within the last minute of a 7-day window
    trend = metrics_api.get("/v1/metrics").json()["trend"]
    assert trend["bucket_seconds"] == 12 * 3600  # 7 days / 12 h = 14 buckets (<= 24)
    assert len(trend["buckets"]) == 14
    assert trend["reasons"] == ["human_requested", "trigger"]
    *quiet, last = trend["buckets"]
    assert all(b["conversations"] == 0 and b["escalated"] == rate(0, 0) for b in quiet)
    assert last["conversations"] == 5
    assert last["escalated"] == rate(2, 5)
    assert last["by_reason"] == {"human_requested": rate(1, 5), "trigger": rate(1, 5)}


def test_cost_per_handoff_and_per_month(metrics_api: Api) -> None:
    priced(metrics_api)
    run_a_shift(metrics_api)
    cost = metrics_api.get("/v1/metrics").json()["cost"]
    # cancel: live 0-42 s (0.7 min * .10 = .07) + .25 + rep 4-42 s (38/60 min * .60 = .38)
    # = .70; human: .07 + .25 + rep 12-42 s (.5 min * .60 = .30) = .62
    assert cost["per_handoff"]["n"] == 2
    assert cost["per_handoff"]["mean"] == pytest.approx(0.66)
    assert cost["total"] == 1.32
    assert (cost["platform_minutes"], cost["rep_minutes"]) == (1.4, 1.13)
    # 2 handoffs in 7 days -> 2 * 30 / 7 a month, at .66 each = 5.657
    assert cost["per_month"] == 5.66
    assert cost["assumptions"] == {"platform_per_minute": 0.10, "transfer_fee": 0.25,
                                   "rep_per_minute": 0.60, "cost_of_escalation": None}
    assert cost["policy"] == {"per_handoff": None, "per_month": None}


def read_until(lines: Any, wanted: str) -> None:
    for line in lines:
        if line == f"event: {wanted}":
            return
    raise AssertionError(f"the stream ended before {wanted}")


def test_notify_latency_is_decision_to_first_delivery_on_the_event_stream(
        metrics_api: Api) -> None:
    api = metrics_api
    with api.client.stream("GET", "/v1/events", headers=api.headers()) as stream:
        lines = stream.iter_lines()
        assert next(lines) == "retry: 1000"
        handoff = say(api, "c-1", "I want to cancel", "ann")["handoff_id"]
        api.clock.advance(2.5)  # the desk is served the event 2.5 s after the decision
        read_until(lines, "handoff.created")
        read_until(lines, "handoff.delivered")
    # A second listener sees it again: only the first delivery counts.
    api.clock.advance(10)
    with api.client.stream("GET", "/v1/events?after=0", headers=api.headers()) as stream:
        read_until(stream.iter_lines(), "handoff.delivered")
    m = api.get("/v1/metrics").json()
    latency = m["notify_latency"]
    assert (latency["handoffs"], latency["n"]) == (1, 1)
    assert latency["p50_seconds"] == latency["p99_seconds"] == 2.5
    assert [b["count"] for b in latency["histogram"] if b["count"]] == [1]
    assert next(b for b in latency["histogram"] if b["count"])["low"] == 2
    other = api.get("/v1/metrics", key=api.other_key).json()["notify_latency"]
    assert (other["handoffs"], other["n"]) == (0, 0)
    assert handoff


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_prometheus_metrics_of_the_trailing_window(metrics_api: Api) -> None:
    run_a_shift(metrics_api)
    response = metrics_api.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    assert found[("warmline_window_seconds", ())] == 3600
    assert found[("warmline_conversations", ())] == 5
    assert found[("warmline_decisions", (("action", "continue"),))] == 3
    assert found[("warmline_decisions", (("action", "escalate"),))] == 2
    assert found[("warmline_escalations", (("reason", "trigger"),))] == 1
    assert found[("warmline_escalation_ratio", ())] == 0.4
    assert found[("warmline_handoffs", (("status", "completed"),))] == 2
    # pickups after 4 s and 12 s: <= 5 s one, <= 10 s one, <= 15 s both; sum 16
    bucket = "warmline_handoff_time_seconds_bucket"
    assert [found[(bucket, (("le", le),))] for le in ("5.0", "10.0", "15.0", "+Inf")] == [
        1, 1, 2, 2]
    assert found[("warmline_handoff_time_seconds_gsum", ())] == 16
    wait = "warmline_queue_wait_seconds_bucket"
    assert found[(wait, (("le", "5.0"), ("queue", "retention")))] == 1
    assert found[(wait, (("le", "10.0"), ("queue", "desk")))] == 0
    assert found[(wait, (("le", "15.0"), ("queue", "desk")))] == 1
    assert found[("warmline_trigger_escalations",
                  (("code", "trigger"), ("rule", "cancellation")))] == 1


def test_prometheus_needs_a_key_and_shows_only_its_tenant(metrics_api: Api) -> None:
    run_a_shift(metrics_api)
    assert metrics_api.client.get("/metrics").status_code == 401
    wrong = metrics_api.client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    theirs = samples(metrics_api.get("/metrics", key=metrics_api.other_key).text)
    assert theirs[("warmline_conversations", ())] == 0
    assert not any(name == "warmline_escalations" for name, _ in theirs)


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_two_workers_on_one_database_give_the_same_scrape(metrics_api: Api,
                                                          sqlite_url: str) -> None:
    """What `serve --workers 2` does: a second process (its own engine and caches) on the
    same database answers a scrape with the same numbers."""
    run_a_shift(metrics_api)
    first = metrics_api.get("/metrics").text
    other = SqlStore(sqlite_url)
    try:
        worker = build_services(metrics_api.services.settings, store=other,
                                clock=metrics_api.clock)
        with TestClient(create_app(worker, sweep=False)) as client:
            second = client.get("/metrics", headers=metrics_api.headers()).text
    finally:
        other.close()
    assert samples(second) == samples(first)
    assert samples(second)[("warmline_conversations", ())] == 5
