"""Who hears of which handoff event: the subscription rule of `warmline.core.policy.notify`."""

from __future__ import annotations

from warmline.core.policy.model import NotifyTarget
from warmline.core.policy.notify import recipients, target_problems

WEBHOOK = NotifyTarget("crm", "webhook", "https://crm.example.com/hook", {"secret": "whsec_x"})
NOTES = NotifyTarget("notes", "webhook", "https://n.example.com",
                     {"events": ["handoff.created", "crm.note"], "handoffs": "named"})
SLACK = NotifyTarget("sales", "slack", "https://hooks.slack.com/services/x", {})
TARGETS = {t.name: t for t in (WEBHOOK, NOTES, SLACK)}


def delivered(named: list[str], kind: str) -> list[tuple[str, str]]:
    return [(t.name, message) for t, message in recipients(TARGETS, named, kind)]


def test_webhooks_hear_every_lifecycle_event_of_every_handoff_by_default() -> None:
    for kind in ("handoff.created", "handoff.accepted", "handoff.completed", "handoff.failed",
                 "handoff.callback_scheduled"):
        assert ("crm", kind) in delivered([], kind)
    assert delivered([], "handoff.offered") == []
    assert delivered([], "handoff.declined") == []


def test_slack_hears_only_the_creation_of_handoffs_that_name_it() -> None:
    assert ("sales", "handoff.created") not in delivered([], "handoff.created")
    assert ("sales", "handoff.created") in delivered(["sales"], "handoff.created")
    assert ("sales", "handoff.accepted") not in delivered(["sales"], "handoff.accepted")


def test_a_crm_note_goes_with_the_creation_to_webhooks_that_ask_for_it() -> None:
    assert delivered(["notes"], "handoff.created") == [
        ("crm", "handoff.created"), ("notes", "handoff.created"), ("notes", "crm.note")]
    assert delivered(["notes"], "handoff.completed") == [("crm", "handoff.completed")]


def test_wrong_options_are_reported_by_name() -> None:
    bad = NotifyTarget("x", "webhook", None, {"events": ["handoff.created", "handoff.done"],
                                              "handoffs": "some", "colour": "red"})
    assert target_problems(bad) == [
        ("colour", "unknown option for a webhook target (known: events, handoffs, secret, "
                   "timeout)"),
        ("events", "unknown event 'handoff.done' (known: handoff.created, handoff.accepted, "
                   "handoff.completed, handoff.failed, handoff.callback_scheduled, crm.note)"),
        ("handoffs", "expected all or named, got 'some'"),
    ]
    assert target_problems(NotifyTarget("s", "slack", None, {"mode": "log"})) == []
    assert target_problems(WEBHOOK) == []
