"""Ring-no-answer on every store: an offer not accepted within its queue's
`offer_timeout_seconds` goes to the next rep with the skills; a rep who lets
`away_after_missed_offers` in a row ring out is set away. Two reps, one silent, a fake clock
and the server's sweep called by hand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from warmline.service.ports import Store

from .conftest import Api, serve_api

POLICY = """
version: 1
name: ring
timezone: UTC
defaults: {queue: desk}
triggers:
  - {name: help, when: 'text.contains("help")', queue: desk}
  - {name: sales, when: 'text.contains("upgrade")', queue: sales}
queues:
  desk: {skills: [general], offer_timeout_seconds: 15}
  sales: {skills: [general]}
"""


@pytest.fixture
def api(tmp_path: Path, store: Store) -> Iterator[Api]:
    with serve_api(tmp_path, store, POLICY, away_after_missed_offers=2) as found:
        yield found


def rep(api: Api, rep_id: str) -> None:
    response = api.put(f"/v1/reps/{rep_id}", {"skills": ["general"], "status": "available"})
    assert response.status_code == 200, response.text


def handoff(api: Api, handoff_id: str) -> tuple[str, str | None]:
    found = api.get(f"/v1/handoffs/{handoff_id}").json()
    return found["status"], found["rep_id"]


def test_an_unanswered_offer_goes_to_the_next_rep_at_its_queues_timeout(api: Api) -> None:
    rep(api, "ann")  # silent; ties on idle time go by id, so she is offered first
    rep(api, "bob")
    first = api.turn("c1", "help please").json()["handoff_id"]
    assert handoff(api, first) == ("offered", "ann")
    api.clock.advance(14.9)
    api.services.handoffs.sweep()
    assert handoff(api, first) == ("offered", "ann")
    api.clock.advance(0.1)  # 15 s: the desk queue's offer_timeout_seconds
    assert api.services.handoffs.sweep() >= 1
    assert handoff(api, first) == ("offered", "bob")
    ann = api.get("/v1/reps/ann").json()
    assert (ann["status"], ann["active"], ann["missed_offers"]) == ("available", 0, 1)
    assert api.post(f"/v1/handoffs/{first}/accept", {"rep_id": "bob"}).status_code == 200


def test_the_default_timeout_is_twenty_seconds(api: Api) -> None:
    rep(api, "ann")
    rep(api, "bob")
    sale = api.turn("c1", "I want an upgrade").json()["handoff_id"]
    api.clock.advance(19)
    api.services.handoffs.sweep()
    assert handoff(api, sale) == ("offered", "ann")
    api.clock.advance(1)
    api.services.handoffs.sweep()
    assert handoff(api, sale) == ("offered", "bob")


def test_a_rep_who_misses_offers_in_a_row_is_set_away_and_the_handoff_waits(api: Api
                                                                           ) -> None:
    rep(api, "ann")
    first = api.turn("c1", "help please").json()["handoff_id"]
    api.clock.advance(15)
    api.services.handoffs.sweep()
    assert handoff(api, first) == ("queued", None)  # nobody else: it waits, not back to ann
    second = api.turn("c2", "help me too").json()["handoff_id"]
    assert handoff(api, second) == ("offered", "ann")
    api.clock.advance(15)
    api.services.handoffs.sweep()
    ann = api.get("/v1/reps/ann").json()
    assert (ann["status"], ann["missed_offers"]) == ("away", 2)
    assert handoff(api, second) == ("queued", None)
    rep(api, "bob")  # the next rep in gets the waiting handoffs
    assert handoff(api, first) == ("offered", "bob")
    rep(api, "ann")  # back at the desk: the run of missed offers starts again
    assert api.get("/v1/reps/ann").json()["missed_offers"] == 0


def test_accepting_ends_a_run_of_missed_offers(api: Api) -> None:
    rep(api, "ann")
    first = api.turn("c1", "help please").json()["handoff_id"]
    api.clock.advance(15)
    api.services.handoffs.sweep()
    second = api.turn("c2", "help me too").json()["handoff_id"]
    assert api.post(f"/v1/handoffs/{second}/accept", {"rep_id": "ann"}).status_code == 200
    ann = api.get("/v1/reps/ann").json()
    assert (ann["status"], ann["missed_offers"]) == ("available", 0)
    assert handoff(api, first) == ("queued", None)
