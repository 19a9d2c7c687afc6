"""Outbound targets inside the operator's network are refused at `warmline policy check` and
at every send, unless WARMLINE_ALLOW_PRIVATE_TARGETS allows them. No test reaches the
network: IP literals, and a resolver swapped for a dictionary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from typer.testing import CliRunner

from warmline.adapters import outbound
from warmline.adapters.llm_summarizer import OpenAICompatibleSummarizer
from warmline.adapters.notify.slack import SlackNotifier
from warmline.adapters.notify.webhook import WebhookNotifier
from warmline.adapters.outbound import GuardedTransport, forbidden_range, guarded_client
from warmline.cli import app
from warmline.core.decision.model import Brief
from warmline.core.errors import AdapterError
from warmline.core.policy.model import NotifyTarget
from warmline.service.ports import OutboxMessage

from .conftest import SECRET, Receiver


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("172.31.255.254", "private"),
    ("192.168.1.1", "private"), ("fc00::1", "private"), ("fd12:3456::1", "private"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"),
    ("100.64.0.1", "not publicly routable"),
    ("93.184.216.34", None), ("172.32.0.1", None), ("2606:4700:4700::1111", None),
])
def test_every_non_public_range_is_named_and_public_addresses_pass(address: str,
                                                                   kind: str | None) -> None:
    assert forbidden_range(address) == kind


def resolver(table: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    """A resolver answering from `table` (IP literals answer themselves), counting calls."""
    def resolve(host: str, port: int) -> list[str]:
        resolve.calls.append(host)  # type: ignore[attr-defined]
        return table.get(host, [host])
    resolve.calls = []  # type: ignore[attr-defined]
    return resolve


def message() -> OutboxMessage:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    return OutboxMessage(id=1, tenant_id="t", message_id="msg_1", target="crm",
                         type="handoff.created", created_at=at, due_at=at,
                         payload={"type": "handoff.created", "data": {"queue": "desk"}})


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """What names resolve to, for every guarded client made in the test."""
    table: dict[str, list[str]] = {}
    monkeypatch.setattr(outbound, "resolve", lambda host, port: table.get(host, [host]))
    return table


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hooks", "http://[::1]:9/hooks",
                                 "http://169.254.169.254/latest/meta-data/",
                                 "https://crm.internal.example/hooks"])
def test_a_webhook_to_a_private_address_is_refused_before_connecting(
        dns: dict[str, list[str]], url: str) -> None:
    dns["crm.internal.example"] = ["10.0.0.7"]
    target = NotifyTarget("crm", "webhook", url, {"secret": SECRET})
    with pytest.raises(AdapterError, match=r"refused: .* address; outbound targets "
                                           r"must be public") as caught:
        WebhookNotifier().send(target, message())
    assert caught.value.retryable
    assert "/hooks" not in str(caught.value)  # the URL's path (a secret for Slack) stays out


def test_a_receiver_on_loopback_is_reached_only_when_the_operator_allows_it(
        receiver: Receiver) -> None:
    target = NotifyTarget("sales", "slack", f"{receiver.url}/slack/T0/B0/x", {})
    with pytest.raises(AdapterError, match="loopback"):
        SlackNotifier().send(target, message())
    assert receiver.slack == []
    SlackNotifier(allow_private=True).send(target, message())
    assert len(receiver.slack) == 1


def test_a_name_that_moves_to_a_private_address_after_the_check_is_refused_at_send() -> None:
    """DNS rebinding: the check and the connection use one answer, never two."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    seen: list[httpx.Request] = []

    def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    transport = GuardedTransport(resolver=rebinding)
    transport._pool = lambda host: httpx.MockTransport(  # type: ignore[method-assign]
        lambda request: seen.append(request) or httpx.Response(200))
    with httpx.Client(transport=transport) as client:
        assert client.post("https://hooks.example.com/x", content=b"{}").status_code == 200
        with pytest.raises(outbound.TargetRefused, match=r"resolves to 127\.0\.0\.1"):
            client.post("https://hooks.example.com/x", content=b"{}")
    [sent] = seen
    assert sent.url.host == "93.184.216.34"  # connected to the address that was checked
    assert sent.headers["host"] == "hooks.example.com"
    assert sent.extensions["sni_hostname"] == "hooks.example.com"  # TLS checks the name


def test_the_llm_summarizer_keeps_the_deterministic_brief_for_a_private_url(
        receiver: Receiver) -> None:
    brief = Brief(summary="s", whisper="w", intent=None)
    summary = OpenAICompatibleSummarizer(f"{receiver.url}/v1", "m").summarize("hi", brief)
    assert summary is None
    assert sum(receiver.attempts.values()) == 0  # nothing was sent


def test_the_guarded_client_ignores_proxies_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.1:3128")
    with guarded_client(allow_private=False) as client:
        assert not client._mounts  # a proxy would connect on our behalf, unchecked


POLICY = """\
version: 1
name: outbound
defaults: {{queue: desk}}
queues:
  desk: {{skills: [general]}}
notify:
  slack-sales: {{type: slack, url: "${{SLACK_URL}}"}}
  crm:
    type: webhook
    url: {url}
    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
"""


def _check(tmp_path: Path, url: str, **env: str) -> Any:
    policy = tmp_path / "outbound.yaml"
    policy.write_text(POLICY.format(url=url))
    return CliRunner().invoke(app, ["policy", "check", str(policy)], env=env)


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest", "https://[fd00::1]/x",
                                 "http://crm.corp.example:8080/in"])
def test_policy_check_locates_a_target_that_resolves_inside_the_network(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setattr(outbound, "resolve", resolver({"crm.corp.example": ["192.168.4.4"]}))
    result = _check(tmp_path, url)
    assert result.exit_code == 1, result.output
    assert "outbound.yaml:10:10" in result.output  # notify.crm.url's line and column
    assert "notify target 'crm'" in result.output
    assert "WARMLINE_ALLOW_PRIVATE_TARGETS=true" in result.output


def test_policy_check_accepts_public_and_allowed_targets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "resolve", resolver({"hooks.example.com": ["93.184.216.34"]}))
    assert _check(tmp_path, "https://hooks.example.com/in").exit_code == 0
    allowed = _check(tmp_path, "http://127.0.0.1:9/in", WARMLINE_ALLOW_PRIVATE_TARGETS="true")
    assert allowed.exit_code == 0, allowed.output


def test_policy_check_passes_a_name_that_does_not_resolve_now(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline (CI) a name cannot be checked; every send checks it again."""
    def offline(host: str, port: int) -> list[str]:
        raise OSError("Temporary failure in name resolution")

    monkeypatch.setattr(outbound, "resolve", offline)
    assert _check(tmp_path, "https://hooks.example.com/in").exit_code == 0
