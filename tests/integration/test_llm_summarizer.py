"""The optional LLM summary against a real local HTTP server speaking the OpenAI chat format:
it replaces the summary when the endpoint answers, and the deterministic brief stays when the
endpoint fails or is slow. What leaves the process is redacted."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from warmline.adapters.llm_summarizer import OpenAICompatibleSummarizer
from warmline.service.deciding import Decider
from warmline.testing import ai, customer, make_conversation, make_policy


class FakeLLM(BaseHTTPRequestHandler):
    mode: ClassVar[str] = "ok"
    reply: ClassVar[str] = ("Ann wants to cancel.\nAI offered a refund; declined.\n"
                            "Asked for a person.")
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeLLM.seen.append({"path": self.path, "body": body,
                             "auth": self.headers.get("Authorization")})
        if FakeLLM.mode == "slow":
            time.sleep(1.5)
        if FakeLLM.mode == "error":
            self.send_response(500)
            self.end_headers()
            return
        payload = json.dumps({"choices": [{"message": {"role": "assistant",
                                                       "content": FakeLLM.reply}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def llm_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLLM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeLLM.mode, FakeLLM.seen = "ok", []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def conversation():
    return make_conversation(customer={"name": "Ann Lee"}, turns=[
        customer("Hi, this is Ann Lee, my card 4111 1111 1111 1111 was charged twice"),
        ai("I can refund one charge.", 0.9),
        customer("No, I want to cancel. Let me talk to a person."),
    ])


def decider(url: str, timeout: float = 1.0) -> Decider:
    policy = make_policy(redact=["card_number", "name"])
    summarizer = OpenAICompatibleSummarizer(url, "test-model", "k-1", timeout,
                                            allow_private=True)  # a 127.0.0.1 endpoint
    return Decider(policy, None, summarizer)


def test_summary_comes_from_the_endpoint_when_it_answers(llm_url: str) -> None:
    decision = decider(llm_url).decide(conversation())
    assert decision.brief is not None
    assert decision.brief.summary.splitlines()[0] == "[name] wants to cancel."
    request = FakeLLM.seen[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer k-1"
    sent = json.dumps(request["body"])
    assert "4111" not in sent  # the card never leaves the process
    assert "Ann" not in sent


@pytest.mark.parametrize("mode", ["error", "slow"])
def test_deterministic_brief_stays_when_the_endpoint_fails(llm_url: str, mode: str) -> None:
    FakeLLM.mode = mode
    without = Decider(make_policy(redact=["card_number", "name"])).decide(conversation())
    started = time.perf_counter()
    decision = decider(llm_url, timeout=0.5).decide(conversation())
    assert time.perf_counter() - started < 1.4
    assert decision.brief is not None
    assert without.brief is not None
    assert decision.brief.summary == without.brief.summary


def test_long_answers_are_cut_to_three_lines(llm_url: str) -> None:
    FakeLLM.reply = "one\ntwo\n\nthree\nfour\nfive"
    try:
        decision = decider(llm_url).decide(conversation())
    finally:
        FakeLLM.reply = "x"
    assert decision.brief is not None
    assert decision.brief.summary == "one\ntwo\nthree"


def test_unreachable_endpoint_keeps_the_brief() -> None:
    decision = decider("http://127.0.0.1:9/v1", timeout=0.5).decide(conversation())
    assert decision.brief is not None
    assert decision.brief.summary


@pytest.mark.parametrize(("allowed", "asked"), [("true", 1), ("false", 0)])
def test_decide_reaches_a_local_llm_only_when_private_targets_are_allowed(
        llm_url: str, allowed: str, asked: int) -> None:
    from typer.testing import CliRunner

    from warmline.cli import app

    result = CliRunner().invoke(app, [
        "decide", "examples/conversations/ai-failure-loop.json", "--llm-url", llm_url],
        env={"WARMLINE_ALLOW_PRIVATE_TARGETS": allowed})
    assert result.exit_code == 0, result.output
    assert len(FakeLLM.seen) == asked  # refused: the deterministic brief, nothing sent
