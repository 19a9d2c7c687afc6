"""Schemathesis against the app's own `/openapi.json`, in process (ASGI): with an API key,
every `/v1` and `/integrations` operation answers without a 5xx and as documented; without
one, every integration request for a tenant whose policy configures platform secrets is a
401. Bounded: WARMLINE_FUZZ_EXAMPLES cases per operation (default 15), derandomized so that
CI is repeatable."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from warmline.adapters.storage.memory import InMemoryStore
from warmline.bootstrap import build_services
from warmline.config import Settings
from warmline.testing import FakeClock
from warmline.web.app import create_app

EXAMPLES = int(os.environ.get("WARMLINE_FUZZ_EXAMPLES", "15"))
POLICY = """
version: 1
name: fuzz
timezone: UTC
defaults: {queue: desk, threshold: 0.6}
triggers:
  - {name: cancellation, when: 'text.contains("cancel")', queue: retention}
queues:
  desk: {skills: [general]}
  retention: {skills: [retention]}
"""
#: A tenant whose policy makes every platform sign its requests.
SIGNED = POLICY.replace("name: fuzz", "name: signed") + """
integrations:
  vapi: {secret: vapi-secret}
  generic: {secret: generic-secret}
  retell: {api_key: key_retell}
  twilio: {auth_token: twilio-token}
"""
KEY: dict[str, str] = {}
STREAM = "/v1/events"


def _leaves_at_once(app: Any) -> Any:
    """The app, with every `/v1/events` client gone as soon as it connects: the stream sends
    its first line and ends (an open one never does); the rest of the app is untouched."""
    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != STREAM:
            await app(scope, receive, send)
            return

        async def gone() -> dict[str, Any]:  # a GET with no body never needs `receive`
            return {"type": "http.disconnect"}

        # ASGI 2.4: Starlette then learns of the disconnect from the stream's own check.
        scope = {**scope, "asgi": {**scope.get("asgi", {}), "spec_version": "2.4"}}
        await app(scope, gone, send)

    return wrapped


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "policy.yaml").write_text(POLICY)
    (folder / "signed.yaml").write_text(SIGNED)
    services = build_services(Settings(db="memory:", policy=str(folder / "policy.yaml")),
                              store=InMemoryStore(), clock=FakeClock())
    KEY["value"] = services.tenants.create_key("fuzz")
    services.tenants.ensure_tenant("signed", policy=str(folder / "signed.yaml"))
    # A rate limit high enough that fuzzing never meets it (429s are tested elsewhere).
    services.settings.rate_limit_per_second = 1e9
    services.settings.rate_limit_burst = 1e9
    return _leaves_at_once(create_app(services, sweep=False))


@pytest.fixture(scope="module")
def api_schema(app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


CHECKS = [checks.not_a_server_error, checks.response_schema_conformance,
          checks.status_code_conformance, checks.content_type_conformance]


def _with_key(case: Any) -> None:
    response = case.call(headers={"Authorization": f"Bearer {KEY['value']}"})
    case.validate_response(response, checks=CHECKS)


def _unsigned(case: Any) -> None:
    """No API key, `?tenant=signed`, and whatever signature headers were generated: none
    can verify, so the answer is the one 401 (never a 5xx, never a parsed body)."""
    case.query = {**(case.query or {}), "tenant": "signed"}
    response = case.call()
    case.validate_response(response, checks=CHECKS)
    assert response.status_code == 401, (response.status_code, response.text[:200])


def _fuzz(operation: Any, mode: GenerationMode, send: Any = _with_key) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        send(case)

    run()


def _operations(api_schema: Any, prefix: str) -> list[Any]:
    return [op for op in (result.ok() for result in api_schema.get_all_operations())
            if op.path.startswith(prefix)]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
def test_every_operation_answers_without_5xx_and_as_documented(api_schema: Any,
                                                               mode: GenerationMode) -> None:
    operations = _operations(api_schema, "/v1/") + _operations(api_schema, "/integrations/")
    assert len(operations) >= 20
    assert {STREAM, "/integrations/vapi", "/integrations/twilio/status"} <= {
        op.path for op in operations}
    for operation in operations:
        try:
            _fuzz(operation, mode)
        except Unsatisfiable:  # nothing to make invalid: the operation takes no input
            assert mode is GenerationMode.NEGATIVE
        except Exception as err:
            raise AssertionError(f"{operation.method.upper()} {operation.path}: {err}") from err


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
def test_an_unsigned_integration_request_is_401_whatever_its_body(api_schema: Any,
                                                                  mode: GenerationMode) -> None:
    operations = _operations(api_schema, "/integrations/")
    assert len(operations) >= 9
    for operation in operations:
        try:
            _fuzz(operation, mode, _unsigned)
        except Exception as err:
            raise AssertionError(f"{operation.method.upper()} {operation.path}: {err}") from err


def test_the_schema_has_the_api_operations(api_schema: Any) -> None:
    paths = set(api_schema.raw_schema["paths"])
    assert {"/v1/conversations/{conversation_id}/turns", "/v1/decide",
            "/v1/handoffs/{handoff_id}/accept"} <= paths


def test_the_event_stream_is_documented_as_text_event_stream(api_schema: Any) -> None:
    answer = api_schema.raw_schema["paths"][STREAM]["get"]["responses"]["200"]
    assert set(answer["content"]) == {"text/event-stream"}


def test_every_integration_documents_its_body_and_errors(api_schema: Any) -> None:
    for path, operations in api_schema.raw_schema["paths"].items():
        for method, operation in operations.items():
            if not path.startswith("/integrations/"):
                continue
            assert {"401", "413", "422"} <= set(operation["responses"]), (method, path)
            assert method == "get" or "requestBody" in operation, (method, path)
