"""Honest routing when nobody with a queue's skills is signed in: no invented wait, no "reps
are busy", and the queue's `unstaffed:` choice, said in the decision — on every store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from warmline.service.ports import Store

from .conftest import Api, serve_api

POLICY = """
version: 1
name: unstaffed
timezone: UTC
defaults: {queue: desk}
triggers:
  - {name: cancellation, when: 'text.contains("cancel")', queue: retention}
  - {name: invoices, when: 'text.contains("invoice")', queue: billing}
  - {name: upgrades, when: 'text.contains("upgrade")', queue: sales}
queues:
  desk: {skills: [general]}
  retention: {skills: [retention], unstaffed: callback}
  billing: {skills: [billing], unstaffed: {to: desk}}
  sales: {skills: [sales]}
"""
BUSY_WORDS = "with another customer"


@pytest.fixture
def api(tmp_path: Path, store: Store) -> Iterator[Api]:
    with serve_api(tmp_path, store, POLICY) as found:
        yield found


def rep(api: Api, rep_id: str, skills: list[str], status: str = "available") -> None:
    response = api.put(f"/v1/reps/{rep_id}", {"skills": skills, "status": status})
    assert response.status_code == 200, response.text


def test_an_unstaffed_callback_queue_books_a_callback_and_says_nobody_is_there(api: Api
                                                                                ) -> None:
    rep(api, "ann", ["general"])  # someone is in, but not with the queue's skills
    rep(api, "ret", ["retention"], status="away")  # away is not signed in for work
    decision = api.turn("c1", "I want to cancel my plan").json()
    assert decision["action"] == "callback"
    assert decision["unstaffed"] == {"queue": "retention", "then": "callback"}
    assert "hold" not in decision
    assert BUSY_WORDS not in decision["say_to_customer"]
    assert "call you back" in decision["say_to_customer"]
    handoff = api.get(f"/v1/handoffs/{decision['handoff_id']}").json()
    assert handoff["status"] == "callback"


def test_an_unstaffed_hold_queue_holds_without_an_invented_wait(api: Api) -> None:
    decision = api.turn("c1", "I'd like to upgrade").json()
    assert decision["action"] == "hold"
    assert decision["unstaffed"] == {"queue": "sales", "then": "hold"}
    assert decision["hold"] == {"position": 1, "estimated_wait_seconds": None}
    assert BUSY_WORDS not in decision["say_to_customer"]
    rep(api, "sam", ["sales"])  # the first rep with the skills to sign in gets it
    handoff = api.get(f"/v1/handoffs/{decision['handoff_id']}").json()
    assert (handoff["status"], handoff["rep_id"]) == ("offered", "sam")


def test_an_unstaffed_queue_can_send_to_a_staffed_one(api: Api) -> None:
    rep(api, "ann", ["general"])
    decision = api.turn("c1", "question about my invoice").json()
    assert decision["action"] == "escalate"
    assert decision["destination"]["queue"] == "desk"
    assert decision["destination"]["skills"] == ["general"]
    assert decision["unstaffed"] == {"queue": "billing", "then": "queue", "to": "desk"}
    handoff = api.get(f"/v1/handoffs/{decision['handoff_id']}").json()
    assert (handoff["queue"], handoff["status"], handoff["rep_id"]) == ("desk", "offered", "ann")


def test_a_staffed_but_full_queue_still_holds_with_an_estimate(api: Api) -> None:
    rep(api, "sam", ["sales"])  # capacity 1
    assert api.turn("c1", "upgrade please").json()["action"] == "escalate"
    decision = api.turn("c2", "I want an upgrade too").json()
    assert decision["action"] == "hold"
    assert "unstaffed" not in decision
    assert decision["hold"]["estimated_wait_seconds"] > 0
    assert BUSY_WORDS in decision["say_to_customer"]
