"""The outbox worker runs in the app's lifespan: a turn posted over HTTP that escalates
reaches the webhook receiver, signed, with no test code driving the worker."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from warmline.bootstrap import build_services
from warmline.config import Settings
from warmline.web.app import create_app

from .conftest import SECRET, Receiver

POLICY = """
version: 1
name: app-outbox
timezone: UTC
defaults: {{queue: desk, threshold: 0.6}}
triggers:
  - name: cancellation
    when: text.lowerAscii().contains("cancel")
queues:
  desk: {{skills: [general]}}
notify:
  crm: {{type: webhook, url: "{url}/hooks", secret: "{secret}", timeout: 2}}
"""


def test_the_app_delivers_webhooks_while_it_runs(tmp_path: Path, receiver: Receiver) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(url=receiver.url, secret=SECRET))
    settings = Settings(db="memory:", policy=str(policy), outbox_seconds=0.05,
                        sweep_seconds=60, public_url="https://wl.example.com/",
                        allow_private_targets=True)  # the receiver listens on 127.0.0.1
    services = build_services(settings)
    key = services.tenants.create_key("acme")
    turn = {"speaker": "customer", "text": "Please cancel my account",
            "at": "2026-11-24T17:00:00+00:00"}
    with TestClient(create_app(services)) as client:
        answer = client.post("/v1/conversations/c-1/turns", json={"turns": [turn]},
                             headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200, answer.text
        handoff_id = answer.json()["handoff_id"]
        deadline = time.monotonic() + 10
        while not receiver.processed and time.monotonic() < deadline:
            time.sleep(0.05)
    services.close()
    [body] = receiver.processed.values()
    assert body["type"] == "handoff.created"
    assert body["data"]["handoff_id"] == handoff_id
    assert body["data"]["desk_url"] == f"https://wl.example.com/desk#card-{handoff_id}"
    assert receiver.bad_signatures == 0
