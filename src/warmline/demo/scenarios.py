"""Scripted conversations for `warmline demo`, written for the bundled `saas` policy: some the
AI handles, some that must reach a person (cancellation, low-confidence billing, a request for
a human, frustration, a VIP after hours). AI turns carry what real platforms send."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Scenario:
    name: str
    customer: dict[str, Any]
    turns: list[dict[str, Any]]
    channel: str = "voice"
    escalates: bool = True
    tags: tuple[str, ...] = field(default_factory=tuple)


def _c(text: str) -> dict[str, Any]:
    return {"speaker": "customer", "text": text}


def _a(text: str, confidence: float, question_type: str | None = None, intent: str | None = None,
       **extra: Any) -> dict[str, Any]:
    turn: dict[str, Any] = {"speaker": "ai", "text": text, "confidence": confidence}
    if question_type:
        turn["question_type"] = question_type
    if intent:
        turn["intent"] = intent
    turn.update(extra)
    return turn


SCENARIOS: list[Scenario] = [
    Scenario("cancellation", {"name": "Sarah Okafor", "phone": "+15125550143",
                              "segment": "smb", "deal_value": 12000}, [
        _c("Hi, I was charged twice for my Pro plan on November 20th."),
        _a("I can see two charges of $129 on Nov 20. I can refund the duplicate now.", 0.88,
           "billing", "billing_dispute",
           actions=[{"name": "lookup_charges", "status": "ok", "detail": "2 x $129.00"},
                    {"name": "refund_offer", "status": "declined"}]),
        _c("No. This is the third time I'm calling. I want to cancel my account."),
    ]),
    Scenario("hours-faq", {"name": "Luis Ortega"}, [
        _c("What time does support open on Saturday?"),
        _a("Our support team is available Saturday from 9 am to 1 pm Pacific.", 0.95, "faq",
           "opening_hours"),
        _c("Great, thanks!"),
    ], channel="chat", escalates=False),
    Scenario("billing-unsure", {"name": "Tom Becker", "email": "tom.becker@example.com"}, [
        _c("Why is my invoice forty dollars higher this month?"),
        _a("It may be a prorated charge from your seat change, but I'm not certain.", 0.58,
           "billing", "invoice_question"),
    ], channel="chat"),
    Scenario("human-please", {"name": "Dana Whitfield", "phone": "+14155550123"}, [
        _c("My exports keep failing with error 504."),
        _a("Sorry about that. Could you tell me which report you are exporting?", 0.81,
           "complex", "export_failure"),
        _c("Honestly, can I just talk to a real person?"),
    ]),
    Scenario("password-reset", {"name": "Mei Chen"}, [
        _c("I forgot my password and the reset email never came."),
        _a("I've sent a new reset link to the email on file; it can take two minutes.", 0.91,
           "faq", "password_reset",
           actions=[{"name": "send_reset_link", "status": "ok"}]),
        _c("Got it, it just arrived. Thanks."),
    ], channel="chat", escalates=False),
    Scenario("frustrated", {"name": "Marco Bellini"}, [
        _c("The dashboard has been down since this morning."),
        _a("Please try clearing your browser cache and reloading.", 0.9, "faq"),
        _c("I ALREADY DID THAT. This is the third time I've been told to clear my cache!!!"),
        _a("I understand. Could you try a different browser?", 0.86, "faq"),
        _c("This is ridiculous and useless. Worst support ever."),
    ], channel="chat"),
    Scenario("integration-vip", {"name": "Priya Raman", "segment": "top10",
                                 "deal_value": 120000}, [
        _c("Our CRM sync stopped pushing invoices an hour ago."),
        _a("Let me check the sync logs for your workspace.", 0.47, "complex",
           "integration_issue",
           actions=[{"name": "check_sync_logs", "status": "error", "detail": "403 from CRM"}]),
    ]),
    Scenario("seat-upgrade", {"name": "Ana Souza"}, [
        _c("How do I add three more seats to our plan?"),
        _a("Go to Settings, then Billing, then Seats, and choose Add seats.", 0.93, "faq",
           "add_seats"),
        _c("Perfect, done."),
    ], channel="chat", escalates=False),
]
