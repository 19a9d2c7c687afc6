"""`GET /v1/metrics` through the ASGI app on every store: numbers after real turns, accepts
and completes; filters; bad values; one tenant never sees another's numbers."""

from __future__ import annotations

from typing import Any

import pytest

from warmline.core.analytics.estimate import Rate
from warmline.web.dashboard import install_metrics

from .conftest import Api


@pytest.fixture
def metrics_api(api: Api) -> Api:
    install_metrics(api.client.app)  # type: ignore[arg-type]  # a no-op once create_app does it
    return api


def say(api: Api, conversation: str, text: str, customer: str, key: str | None = None
        ) -> dict[str, Any]:
    response = api.post(f"/v1/conversations/{conversation}/turns", {
        "turns": [{"speaker": "customer", "text": text, "at": api.clock.now().isoformat()}],
        "customer": {"id": customer}}, key=key)
    assert response.status_code == 200, response.text
    decision: dict[str, Any] = response.json()
    return decision


def act(api: Api, handoff_id: str, action: str, rep_id: str, **body: Any) -> None:
    response = api.post(f"/v1/handoffs/{handoff_id}/{action}", {"rep_id": rep_id, **body})
    assert response.status_code == 200, response.text


def rate(count: int, total: int) -> dict[str, Any]:
    return Rate(count, total).to_dict()


def run_a_shift(api: Api) -> None:
    """Four conversations, two escalate; reps pick up after 4 s and 12 s and finish with CSAT
    5 and 3; the cancelling customer comes back a minute later."""
    for rep_id, skills in (("r-ret", ["retention"]), ("r-desk", ["general"])):
        assert api.put(f"/v1/reps/{rep_id}", {"skills": skills, "capacity": 2,
                                              "status": "available"}).status_code == 200
    cancel = say(api, "c-1", "I want to cancel my plan", "ann")
    human = say(api, "c-2", "let me talk to a human please", "bob")
    assert say(api, "c-3", "What are your opening hours?", "cy")["action"] == "continue"
    assert say(api, "c-4", "thanks, bye", "dee")["action"] == "continue"
    api.clock.advance(4)
    act(api, cancel["handoff_id"], "accept", "r-ret")
    api.clock.advance(8)
    act(api, human["handoff_id"], "accept", "r-desk")
    api.clock.advance(30)
    act(api, cancel["handoff_id"], "complete", "r-ret", csat=5, outcome="resolved")
    act(api, human["handoff_id"], "complete", "r-desk", csat=3, outcome="resolved")
    api.clock.advance(18)
    assert say(api, "c-5", "thanks again", "ann")["action"] == "continue"
    api.clock.advance(1)


def test_metrics_follow_turns_accepts_and_completes(metrics_api: Api) -> None:
    api = metrics_api
    run_a_shift(api)
    response = api.get("/v1/metrics")
    assert response.status_code == 200, response.text
    m = response.json()
    assert m["conversations"] == 5
    assert m["handoffs"] == 2
    assert m["escalation"]["rate"] == rate(2, 5)
    assert m["escalation"]["by_reason"] == {"human_requested": rate(1, 5),
                                            "trigger": rate(1, 5)}
    assert m["escalation"]["by_rule"] == {"cancellation": rate(1, 5),
                                          "signals.human_requested": rate(1, 5)}
    time = m["handoff_time"]
    # waits 4 s and 12 s: p50 = 8, p90 = 4 + .9·8 = 11.2, p99 = 4 + .99·8 = 11.92
    assert (time["accepted"], time["p50_seconds"], time["p90_seconds"],
            time["p99_seconds"]) == (2, 8.0, 11.2, 11.92)
    assert time["under_10s"] == rate(1, 2)
    assert m["csat"]["warm"]["n"] == 2
    assert m["csat"]["warm"]["mean"] == 4.0
    assert m["csat"]["cold"] == {"n": 0, "mean": None, "low": None, "high": None}
    assert m["repeat_contact"]["warm"] == rate(1, 2)  # ann came back, bob did not
    assert m["by_status"]["completed"] == 2
    assert m["abandonment"] == rate(0, 2)
    assert m["queues"] == {}
    assert m["truncated"] is False


def test_filters_narrow_the_handoffs(metrics_api: Api) -> None:
    run_a_shift(metrics_api)
    retention = metrics_api.get("/v1/metrics", params={"queue": "retention"}).json()
    assert retention["filters"]["queue"] == "retention"
    assert retention["handoffs"] == 1
    assert retention["escalation"]["rate"] == rate(1, 5)
    assert retention["handoff_time"]["p50_seconds"] == 4.0
    by_rule = metrics_api.get("/v1/metrics", params={"rule": "signals.human_requested"}).json()
    assert by_rule["handoff_time"]["p50_seconds"] == 12.0
    cold = metrics_api.get("/v1/metrics", params={"mode": "cold"}).json()
    assert cold["handoffs"] == 0
    assert cold["escalation"]["rate"] == rate(0, 5)


def test_windows_take_dates_and_times(metrics_api: Api) -> None:
    run_a_shift(metrics_api)
    day = metrics_api.clock.now().date().isoformat()
    whole_day = metrics_api.get("/v1/metrics", params={"since": day, "until": day}).json()
    assert whole_day["conversations"] == 5
    assert whole_day["window"]["since"] == f"{day}T00:00:00+00:00"  # the policy is UTC
    later = (metrics_api.clock.now()).isoformat()
    empty = metrics_api.get("/v1/metrics", params={
        "since": later, "until": f"{day}T23:59:59Z"}).json()
    assert empty["conversations"] == 0
    assert empty["escalation"]["rate"]["value"] is None


@pytest.mark.parametrize(("params", "path"), [
    ({"since": "last tuesday"}, "$.since"),
    ({"until": "2026-13-01"}, "$.until"),
    ({"since": "2026-11-25", "until": "2026-11-24"}, "$.since"),
    ({"since": "2030-01-01"}, "$.since"),  # after now, the default until
    ({"mode": "lukewarm"}, "$.mode"),
    ({"queue": "q" * 201}, "$.queue"),
    ({"since": "2020-01-01"}, "$.since"),  # a window longer than 400 days
], ids=["since-words", "bad-month", "since-after-until", "since-after-now", "mode",
        "too-long", "window-too-long"])
def test_bad_values_are_422_naming_the_parameter(metrics_api: Api, params: dict[str, str],
                                                 path: str) -> None:
    response = metrics_api.get("/v1/metrics", params=params)
    assert response.status_code == 422, response.text
    assert path in [p["path"] for p in response.json()["error"]["problems"]]


def test_another_tenant_sees_only_its_own_numbers(metrics_api: Api) -> None:
    run_a_shift(metrics_api)
    other = metrics_api.get("/v1/metrics", key=metrics_api.other_key).json()
    assert other["conversations"] == 0
    assert other["handoffs"] == 0
    assert other["escalation"]["rate"]["value"] is None
    assert other["handoff_time"]["accepted"] == 0
    assert other["csat"]["warm"]["n"] == 0
    assert set(other["by_status"].values()) == {0}
    say(metrics_api, "c-1", "hello there", "ann", key=metrics_api.other_key)
    metrics_api.clock.advance(1)
    mine = metrics_api.get("/v1/metrics", key=metrics_api.other_key).json()
    assert mine["conversations"] == 1
    assert metrics_api.get("/v1/metrics").json()["conversations"] == 5


def test_metrics_need_a_key(metrics_api: Api) -> None:
    assert metrics_api.client.get("/v1/metrics").status_code == 401
