from __future__ import annotations

import pytest

from warmline.core.conversation import Speaker, parse_conversation, parse_turns
from warmline.core.errors import ConversationError


def base(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "c-1", "channel": "voice", "started_at": "2026-11-24T17:58:03-05:00",
        "turns": [{"speaker": "customer", "text": "hi", "at": "2026-11-24T17:58:05-05:00"}],
    }
    data.update(overrides)
    return data


def test_unknown_fields_are_kept_at_every_level() -> None:
    data = base(vendor_call_id="v-9", customer={"name": "Ann", "crm_id": 7},
                turns=[{"speaker": "ai", "text": "ok", "latency": 120,
                        "actions": [{"name": "lookup", "status": "ok", "cost": 2}]}])
    conv = parse_conversation(data)
    assert conv.extra == {"vendor_call_id": "v-9"}
    assert conv.customer.extra == {"crm_id": 7}
    assert conv.turns[0].extra == {"latency": 120}
    assert conv.turns[0].actions[0].extra == {"cost": 2}
    assert conv.customer.as_rule_map()["crm_id"] == 7


def test_naive_time_is_rejected_with_a_clear_message() -> None:
    data = base(turns=[{"speaker": "customer", "text": "hi", "at": "2026-11-24T17:58:05"}])
    with pytest.raises(ConversationError) as info:
        parse_conversation(data, source="call.json")
    problem = info.value.problems[0]
    assert problem.path == "$.turns[0].at"
    assert "no UTC offset" in problem.message
    assert str(problem).startswith("call.json: $.turns[0].at:")


def test_every_problem_is_reported_with_its_json_path() -> None:
    data = base(channel="fax", turns=[{"speaker": "bot", "text": 3},
                                      {"speaker": "ai", "confidence": 1.5}])
    data.pop("id")
    with pytest.raises(ConversationError) as info:
        parse_conversation(data)
    paths = {p.path for p in info.value.problems}
    assert paths == {"$.id", "$.channel", "$.turns[0].speaker", "$.turns[0].text",
                     "$.turns[1].text", "$.turns[1].confidence"}


def test_booleans_are_not_numbers() -> None:
    with pytest.raises(ConversationError, match="expected a number, got boolean true"):
        parse_conversation(base(turns=[{"speaker": "ai", "text": "x", "confidence": True}]))


def test_z_suffix_and_offsets_parse() -> None:
    conv = parse_conversation(base(turns=[{"speaker": "customer", "text": "x",
                                           "at": "2026-11-24T22:58:05Z"}]))
    assert conv.last_time() is not None
    assert conv.last_time().utcoffset().total_seconds() == 0


def test_parse_turns_reads_a_bare_list() -> None:
    turns = parse_turns([{"speaker": "rep", "text": "hello"}])
    assert turns[0].speaker is Speaker.REP
    with pytest.raises(ConversationError, match="expected a list"):
        parse_turns({"speaker": "rep"})


def test_a_turn_without_text_is_a_located_error_not_a_silent_empty_turn() -> None:
    data = base(turns=[{"speaker": "customer", "message": "get me a human"}])
    with pytest.raises(ConversationError) as info:
        parse_conversation(data, source="call.json")
    (problem,) = info.value.problems
    assert problem.path == "$.turns[0].text"
    assert problem.message.startswith("is required")


@pytest.mark.parametrize("text", ["", None], ids=["empty", "null"])
def test_an_ai_turn_that_says_nothing_is_kept(text: str | None) -> None:
    data = base(turns=[{"speaker": "ai", "text": text, "actions": [{"name": "lookup"}]}])
    (turn,) = parse_conversation(data).turns
    assert turn.text == ""
    assert turn.actions[0].name == "lookup"


def test_a_conversation_without_turns_is_a_located_error() -> None:
    data = base()
    data.pop("turns")
    with pytest.raises(ConversationError) as info:
        parse_conversation(data)
    assert [(p.path, p.message.split(":")[0]) for p in info.value.problems] == [
        ("$.turns", "is required")]
    assert parse_conversation(base(turns=[])).turns == ()  # not started yet: fine


def test_a_missing_speaker_says_missing_not_null() -> None:
    with pytest.raises(ConversationError) as info:
        parse_conversation(base(turns=[{"text": "hi"}]))
    (problem,) = info.value.problems
    assert problem.path == "$.turns[0].speaker"
    assert "required" in problem.message
    assert "null" not in problem.message
