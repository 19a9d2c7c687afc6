"""`POST /v1/policy/what-if` (issue 21): the draft against the published version over the
tenant's stored conversations — counts before and after, and each changed conversation with
both decisions and the turn where they first differ."""

from __future__ import annotations

from datetime import timedelta

from .conftest import POLICY, Api

#: Cancellations go to the desk instead of retention.
NEXT = POLICY.replace("queue: retention\n    priority: 90", "queue: desk\n    priority: 70")


def _converse(api: Api) -> None:
    api.turn("calm", "what are your opening hours?", turn_id="t1")
    api.turn("calm", "thanks", turn_id="t2")
    api.turn("cancel", "hello there", turn_id="t1")
    api.turn("cancel", "I want to cancel my plan", turn_id="t2")
    api.turn("other", "hi", turn_id="t1", key=api.other_key)  # another tenant's


def test_what_if_lists_the_changed_conversations_with_both_decisions(api: Api) -> None:
    _converse(api)
    assert api.put("/v1/policy/draft", {"yaml": NEXT, "note": "to the desk"}).status_code == 200
    answer = api.post("/v1/policy/what-if", {"last": 10})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["published_version"], result["conversations"]) == (1, 2)
    assert result["before"]["by_queue"] == {"retention": 1}
    assert result["after"]["by_queue"] == {"desk": 1}
    assert result["before"]["escalation_rate"] == result["after"]["escalation_rate"] == 0.5
    [changed] = result["changed"]
    assert changed["conversation_id"] == "cancel"
    assert (changed["first_differs_at_turn"], changed["turn_id"]) == (2, "t2")
    assert changed["before"]["destination"]["queue"] == "retention"
    assert changed["after"]["destination"]["queue"] == "desk"
    assert result["changed_count"] == 1
    # The published policy against itself changes nothing; the last 1 is one conversation.
    same = api.post("/v1/policy/what-if", {"last": 1, "yaml": POLICY}).json()
    assert (same["conversations"], same["changed"]) == (1, [])


def test_an_empty_window_says_so_and_bad_bodies_are_refused(api: Api) -> None:
    _converse(api)
    later = api.clock.now() + timedelta(days=1)
    empty = api.post("/v1/policy/what-if", {"since": later.isoformat(),
                                            "until": (later + timedelta(days=1)).isoformat(),
                                            "yaml": NEXT}).json()
    assert empty.get("conversations") == 0, empty
    assert empty["message"] == "no stored conversations in the window"
    assert api.post("/v1/policy/what-if", {"yaml": NEXT}).status_code == 422
    bad_time = api.post("/v1/policy/what-if", {"since": "yesterday", "until": "today"})
    assert bad_time.json()["error"]["problems"][0]["path"] == "$.since"
    assert api.post("/v1/policy/what-if", {"last": 5}).status_code == 404  # no draft yet
    broken = api.post("/v1/policy/what-if", {"last": 5, "yaml": "version: 1\nname: [\n"})
    assert broken.status_code == 409
    assert broken.json()["error"]["problems"][0]["line"] is not None
