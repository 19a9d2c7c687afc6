"""Callbacks a rep can return, on every store: the result of calling back (done, no answer,
rescheduled) settles every callback of that customer in that queue, and the metrics count
it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from warmline.service.ports import Store

from .conftest import Api, serve_api

POLICY = """
version: 1
name: callbacks
timezone: UTC
defaults: {queue: desk}
triggers:
  - {name: cancellation, when: 'text.contains("cancel")', queue: retention}
queues:
  desk: {skills: [general]}
  retention: {skills: [retention], unstaffed: callback}
"""
SARAH = {"id": "cust-77", "name": "Sarah Okafor", "phone": "+15125550143"}


@pytest.fixture
def api(tmp_path: Path, store: Store) -> Iterator[Api]:
    with serve_api(tmp_path, store, POLICY) as found:
        yield found


def callback(api: Api, conversation: str, customer: dict[str, Any]) -> str:
    turn = {"speaker": "customer", "text": "I want to cancel", "at": api.clock.now().isoformat()}
    decision = api.post(f"/v1/conversations/{conversation}/turns",
                        {"turns": [turn], "customer": customer}).json()
    assert decision["action"] == "callback", decision
    handoff_id: str = decision["handoff_id"]
    return handoff_id


def test_a_callback_result_settles_every_callback_of_that_customer_and_counts(api: Api
                                                                               ) -> None:
    assert api.put("/v1/reps/ann", {"skills": ["general"]}).status_code == 200
    first = callback(api, "c1", SARAH)
    api.clock.advance(60)
    second = callback(api, "c2", SARAH)
    other = callback(api, "c3", {"id": "cust-9", "name": "Lee"})
    report = api.post(f"/v1/handoffs/{second}/callback-result",
                      {"rep_id": "ann", "result": "no_answer"})
    assert report.status_code == 200, report.text
    settled = report.json()["handoffs"]
    assert {h["id"] for h in settled} == {first, second}
    assert {h["status"] for h in settled} == {"callback"}  # still to call back
    api.clock.advance(1)  # the metrics window ends before now
    callbacks = api.get("/v1/metrics").json()["callbacks"]
    assert callbacks == {"scheduled": 3, "open": 1, "done": 0, "no_answer": 2,
                         "rescheduled": 0}
    done = api.post(f"/v1/handoffs/{first}/callback-result",
                    {"rep_id": "ann", "result": "done"}).json()["handoffs"]
    assert {(h["id"], h["status"], h["outcome"]) for h in done} == {
        (first, "completed", "callback_done"), (second, "completed", "callback_done")}
    assert api.get(f"/v1/handoffs/{other}").json()["status"] == "callback"
    callbacks = api.get("/v1/metrics").json()["callbacks"]
    assert (callbacks["done"], callbacks["no_answer"], callbacks["open"]) == (2, 0, 1)


def test_a_settled_or_unknown_callback_is_refused_with_the_reason(api: Api) -> None:
    assert api.put("/v1/reps/ann", {"skills": ["general"]}).status_code == 200
    first = callback(api, "c1", SARAH)
    api.post(f"/v1/handoffs/{first}/callback-result", {"rep_id": "ann", "result": "done"})
    again = api.post(f"/v1/handoffs/{first}/callback-result",
                     {"rep_id": "ann", "result": "done"})
    assert again.status_code == 409
    assert "not a callback waiting" in again.json()["error"]["message"]
    bad = api.post(f"/v1/handoffs/{first}/callback-result",
                   {"rep_id": "ann", "result": "maybe"})
    assert bad.status_code == 422
    assert api.post("/v1/handoffs/h-nope/callback-result",
                    {"rep_id": "ann", "result": "done"}).status_code == 404
