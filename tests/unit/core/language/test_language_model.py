"""The embedded language model (issue 19): the committed file scores as recorded, any text gets
a score, a bad file is named, and decisions quote the words a signal came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from warmline.adapters import language_files
from warmline.adapters.language_files import bundled_language_model, load_language_model
from warmline.core.conversation import parse_conversation
from warmline.core.errors import InvalidInput
from warmline.core.language.model_signals import cancel_head, human_head
from warmline.core.language.scorer import HEADS, clauses

SAMPLE = Path(__file__).parents[3] / "data" / "language_sample.jsonl"
AT = "2026-01-06T10:00:00-06:00"


def _rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("row", _rows(), ids=lambda r: str(r["text"])[:40])
def test_the_committed_model_scores_the_sample_as_recorded(row: dict[str, object]) -> None:
    scores = bundled_language_model().score(str(row["text"]))
    expected = row["expected"]
    assert isinstance(expected, dict)
    for head in HEADS:
        assert getattr(scores, head).score == pytest.approx(expected[head], abs=2e-3), head


def test_the_sample_is_mostly_read_right() -> None:
    model = bundled_language_model()
    for head in HEADS:
        judged = [r for r in _rows() if r[head] is not None]
        right = sum(1 for r in judged
                    if (getattr(model.score(str(r["text"])), head).score
                        >= model.thresholds[head]) == bool(r[head]))
        assert right / len(judged) >= 0.85, head


BAD_INPUT = ["", " ", "x" * 20_000, "word " * 4_000 + "can I talk to someone?",
             "¿Dónde está mi pedido? Quiero hablar con alguien", "😡😡😡🙄", "WHERE IS MY REFUND",
             "\x00\x01\x02\ufffd\ufffe\x7f", "%PDF-1.4 \x89PNG\r\n\x1a\n", "....!!!???", "0" * 500]


@pytest.mark.parametrize("text", BAD_INPUT, ids=lambda t: repr(t[:20]))
def test_any_text_gets_a_score_never_an_exception(text: str) -> None:
    model = bundled_language_model()
    scores = model.score(text)
    for head in HEADS:
        assert 0.0 <= getattr(scores, head).score <= 1.0
    from warmline.bootstrap import build_decider

    decision = build_decider("general").decide(parse_conversation({
        "id": "c", "started_at": AT, "turns": [{"speaker": "customer", "text": text or "-"}]}))
    assert decision.signals["frustration"] >= 0.0


def test_a_request_at_the_end_of_a_very_long_message_is_read() -> None:
    text = "I have a question about my order. " * 300 + "Is there someone I can call?"
    assert len(clauses(text)) <= 16
    assert human_head(bundled_language_model(), text).fired


@pytest.mark.parametrize("text", ["Is there someone I can call?", "Chat with agrnt",
                                  "Connect an agent", "Live person please",
                                  "i need a contact number to speak to alive person by phone"])
def test_the_ways_customers_ask_for_a_person_are_read(text: str) -> None:
    assert human_head(bundled_language_model(), text).fired


@pytest.mark.parametrize("text", ["I don't need an agent", "am I talking to a human?",
                                  "No, you don't transfer me to operator"])
def test_negated_requests_and_identity_questions_are_not(text: str) -> None:
    assert not human_head(bundled_language_model(), text).fired


@pytest.mark.parametrize("text", ["No cancellation", "My phone was stolen",
                                  "How do I add the card to my account?",
                                  "please don't cancel my order"])
def test_mentions_of_cards_and_negated_cancellations_are_not_cancellations(text: str) -> None:
    assert not cancel_head(bundled_language_model(), text).fired


def _decide(text: str, *, name: str | None = None, redact: str = "") -> dict[str, object]:
    from warmline.adapters.policy_files import parse_policy_text
    from warmline.bootstrap import build_decider

    policy = parse_policy_text(
        "version: 1\nname: t\ntimezone: UTC\nsignals: {human_requested: true}\n"
        "queues: {front-desk: {skills: [general]}}\n" + redact,
        source="<test>")
    conv = {"id": "c", "started_at": AT, "turns": [{"speaker": "customer", "text": text}]}
    if name:
        conv["customer"] = {"name": name}
    return build_decider(policy).decide(parse_conversation(conv)).to_dict()


def test_a_language_reason_carries_its_score_and_the_words_it_came_from() -> None:
    decision = _decide("My order is late again. Is there someone I can call?")
    reasons = decision["reasons"]
    assert isinstance(reasons, list)
    detail = reasons[0]["detail"]
    assert detail.startswith("human_requested 1.00: ")
    assert detail.endswith('"Is there someone I can call?"')


def test_the_quoted_words_are_masked_by_the_policys_redaction() -> None:
    decision = _decide("This is Dana Whitfield needing to speak to someone", name="Dana Whitfield",
                       redact="redact: [name]\n")
    detail = decision["reasons"][0]["detail"]  # type: ignore[index]
    assert "Dana" not in detail
    assert "Whitfield" not in detail
    assert "[name]" in detail


def test_a_missing_model_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "language.npz"
    with pytest.raises(InvalidInput, match="no such language model file") as err:
        load_language_model(missing)
    assert str(missing) in str(err.value.problems[0].file)


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04 truncated"])
def test_a_corrupt_model_file_is_named(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "language.npz"
    bad.write_bytes(content)
    with pytest.raises(InvalidInput, match="language model") as err:
        load_language_model(bad)
    assert err.value.problems[0].file == str(bad)


def test_start_up_stops_when_the_bundled_model_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from warmline.bootstrap import build_services
    from warmline.config import Settings

    monkeypatch.setattr(language_files, "BUNDLED_LANGUAGE_MODEL", "gone.npz")
    bundled_language_model.cache_clear()
    try:
        with pytest.raises(InvalidInput, match="bundled language model is missing") as err:
            build_services(Settings(db="memory:"))
        assert err.value.problems[0].file == "warmline/models/gone.npz"
    finally:
        bundled_language_model.cache_clear()


@pytest.mark.parametrize(("text", "escalates"), [("my card was stolen last night", False),
                                                 ("My phone was stolen", False),
                                                 ("Is there someone I can call?", True),
                                                 ("please close my account", True)])
def test_the_general_policy_reads_cancellation_and_requests_through_the_model(
    text: str, escalates: bool
) -> None:
    from warmline.bootstrap import build_decider

    conversation = parse_conversation({"id": "c", "started_at": AT, "turns": [
        {"speaker": "customer", "text": text, "at": AT}]})
    decision = build_decider("general").decide(conversation)
    assert decision.is_handoff is escalates
