"""Schemathesis against the app's own `/openapi.json`, in process (ASGI), with an API key:
no 5xx and every response matches the schema. Bounded: WARMLINE_FUZZ_EXAMPLES cases per
operation (default 15), derandomized so that CI is repeatable."""

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
KEY: dict[str, str] = {}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    policy = tmp_path_factory.mktemp("fuzz") / "policy.yaml"
    policy.write_text(POLICY)
    services = build_services(Settings(db="memory:", policy=str(policy)),
                              store=InMemoryStore(), clock=FakeClock())
    KEY["value"] = services.tenants.create_key("fuzz")
    # A rate limit high enough that fuzzing never meets it (429s are tested elsewhere).
    services.settings.rate_limit_per_second = 1e9
    services.settings.rate_limit_burst = 1e9
    return create_app(services, sweep=False)


@pytest.fixture(scope="module")
def api_schema(app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


#: Server-sent event streams never end by themselves: tests/integration cover them.
STREAMS = {"/v1/events"}
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance,
          checks.status_code_conformance, checks.content_type_conformance]


def _fuzz(operation: Any, mode: GenerationMode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        response = case.call(headers={"Authorization": f"Bearer {KEY['value']}"})
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
def test_every_operation_answers_without_5xx_and_as_documented(api_schema: Any,
                                                               mode: GenerationMode) -> None:
    operations = [op for op in (result.ok() for result in api_schema.get_all_operations())
                  if op.path.startswith("/v1/") and op.path not in STREAMS]
    assert len(operations) >= 10
    for operation in operations:
        try:
            _fuzz(operation, mode)
        except Unsatisfiable:  # nothing to make invalid: the operation takes no input
            assert mode is GenerationMode.NEGATIVE
        except Exception as err:
            raise AssertionError(f"{operation.method.upper()} {operation.path}: {err}") from err


def test_the_schema_has_the_api_operations(api_schema: Any) -> None:
    paths = set(api_schema.raw_schema["paths"])
    assert {"/v1/conversations/{conversation_id}/turns", "/v1/decide",
            "/v1/handoffs/{handoff_id}/accept"} <= paths
