"""The signed webhook and Slack notifiers against a real local receiver: signatures that an
independent verifier accepts, the Standard Webhooks test vector, and errors that name the
target but never its URL or secret."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from warmline.adapters.notify.slack import SlackNotifier, slack_message
from warmline.adapters.notify.webhook import WebhookNotifier, sign, signing_key
from warmline.core.errors import AdapterError
from warmline.core.policy.model import NotifyTarget
from warmline.service.ports import OutboxMessage

from .conftest import SECRET, Receiver, verify

T0 = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
PAYLOAD = {"type": "handoff.created", "timestamp": "2026-11-24T17:00:00Z", "data": {
    "handoff_id": "h-1", "queue": "retention", "priority": 90, "mode": "warm",
    "reasons": [{"code": "trigger", "rule": "cancellation", "detail": "intent cancel"}],
    "tags": ["cancellation-risk"], "desk_url": "https://wl.example.com/desk#card-h-1",
    "brief": {"summary": "Sarah wants to cancel <Pro> & leave.\nDouble charge of $129.",
              "whisper": "Cancellation risk, double charge."}}}


def message(payload: dict[str, object] | None = None) -> OutboxMessage:
    return OutboxMessage(id=1, tenant_id="t-1", message_id="msg_abc123", target="crm",
                         type="handoff.created", payload=payload or PAYLOAD, created_at=T0,
                         due_at=T0)


def webhook(url: str, **options: object) -> NotifyTarget:
    return NotifyTarget(name="crm", type="webhook", url=url,
                        options={"secret": SECRET, "timeout": 0.5} | options)


def test_the_signer_reproduces_the_standard_webhooks_test_vector() -> None:
    # The specification's published vector (standard-webhooks reference libraries' tests).
    key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}') == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")


def test_a_delivery_carries_a_signature_an_independent_verifier_accepts(
        receiver: Receiver) -> None:
    WebhookNotifier(allow_private=True).send(webhook(f"{receiver.url}/hooks"), message())
    assert receiver.bad_signatures == 0
    assert receiver.processed["msg_abc123"] == PAYLOAD


def test_the_wrong_secret_fails_verification(receiver: Receiver) -> None:
    receiver.secret = "whsec_" + "b" * 44
    with pytest.raises(AdapterError, match="answered HTTP 401"):
        WebhookNotifier(allow_private=True).send(webhook(f"{receiver.url}/hooks"), message())
    assert receiver.bad_signatures == 1


def test_verification_refuses_a_stale_timestamp_or_a_changed_body() -> None:
    body = json.dumps(PAYLOAD).encode()
    stamp = 1_700_000_000
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(stamp),
               "webhook-signature": sign(signing_key(SECRET), "msg_1", stamp, body)}
    assert not verify(SECRET, headers, body)  # 2023: far outside the tolerance
    now = int(datetime.now(UTC).timestamp())
    headers |= {"webhook-timestamp": str(now),
                "webhook-signature": sign(signing_key(SECRET), "msg_1", now, body)}
    assert verify(SECRET, headers, body)
    assert not verify(SECRET, headers, body + b" ")


@pytest.mark.parametrize(("target", "expected"), [
    (NotifyTarget("crm", "webhook", "http://127.0.0.1:9/x", {}), "has no secret"),
    (NotifyTarget("crm", "webhook", "http://127.0.0.1:9/x", {"secret": "whsec_!!"}),
     "not whsec_ followed by base64"),
    (NotifyTarget("crm", "webhook", "${CRM_URL}", {"secret": SECRET}),
     "environment variable that is not set"),
    (NotifyTarget("crm", "webhook", "ftp://example.com", {"secret": SECRET}), "not http"),
], ids=["no-secret", "bad-secret", "unset-env", "not-http"])
def test_a_misconfigured_target_is_a_retryable_error_naming_it(target: NotifyTarget,
                                                               expected: str) -> None:
    with pytest.raises(AdapterError, match=expected) as raised:
        WebhookNotifier(allow_private=True).send(target, message())
    assert raised.value.retryable
    assert "crm" in str(raised.value)


def test_failures_name_the_target_never_its_url(receiver: Receiver) -> None:
    secret_url = f"{receiver.url}/hooks/T0KEN-SECRET"
    receiver.status = 500
    with pytest.raises(AdapterError, match="answered HTTP 500") as raised:
        WebhookNotifier(allow_private=True).send(webhook(secret_url), message())
    assert "T0KEN" not in str(raised.value)
    receiver.stop()
    with pytest.raises(AdapterError, match="unreachable") as raised:
        WebhookNotifier(allow_private=True).send(webhook(secret_url), message())
    assert "T0KEN" not in str(raised.value)


def test_a_receiver_slower_than_the_timeout_is_a_retryable_timeout(receiver: Receiver) -> None:
    receiver.delay = 1.0
    with pytest.raises(AdapterError, match=r"timed out after 0\.5 s") as raised:
        WebhookNotifier(allow_private=True).send(webhook(f"{receiver.url}/hooks"), message())
    assert raised.value.retryable


def test_slack_blocks_carry_reason_priority_brief_whisper_and_desk_link() -> None:
    body = slack_message(PAYLOAD)
    kinds = [block["type"] for block in body["blocks"]]
    assert kinds == ["header", "section", "section", "context", "actions"]
    assert body["blocks"][0]["text"]["text"] == "New handoff: retention · priority 90"
    text = json.dumps(body["blocks"])
    assert "*Why*\\ncancellation" in text
    assert "&lt;Pro&gt; &amp; leave" in text  # mrkdwn control characters escaped
    assert ">Double charge of $129." in text
    assert body["blocks"][4]["elements"][0]["url"] == "https://wl.example.com/desk#card-h-1"
    assert body["text"].startswith("New handoff: retention · priority 90: Sarah wants")


def test_slack_posts_to_the_incoming_webhook(receiver: Receiver) -> None:
    target = NotifyTarget("sales", "slack", f"{receiver.url}/slack/T000/B000/XXX", {})
    SlackNotifier(allow_private=True).send(target, message())
    assert receiver.slack == [slack_message(PAYLOAD)]


def test_slack_in_log_mode_writes_the_message_to_the_log(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="warmline.adapters.notify.slack")
    SlackNotifier(allow_private=True).send(NotifyTarget("sales", "slack", None, {}), message())
    [record] = caplog.records
    assert "Slack message for notify target sales" in record.getMessage()
    assert '"type": "header"' in record.getMessage()
