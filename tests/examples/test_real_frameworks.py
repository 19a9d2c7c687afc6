"""The examples against the real frameworks: the names and signatures the fakes stand in for
are the real ones, and the Warmline processor runs in a real Pipecat pipeline.

livekit-agents and pipecat-ai are the `frameworks` extra (about 630 MB installed), which
.ci/run installs: in CI (`CI=true`) a missing framework fails these tests; elsewhere it skips
them (`pip install -e '.[dev,frameworks]'` to run them)."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
from collections.abc import Callable
from types import ModuleType

import pytest

from warmline import Policy


def framework(module: str) -> ModuleType:
    """Import a framework the examples use: skipped when absent, except in CI."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{module} must be installed in CI (the `frameworks` extra): {err}")
        pytest.skip(f"{module} is not installed (pip install -e '.[dev,frameworks]')")


@pytest.mark.usefixtures("keep_modules")
def test_livekit_example_uses_the_real_agents_api(
        example: Callable[..., ModuleType], policy: Policy) -> None:
    agents = framework("livekit.agents")
    from livekit.agents.beta.workflows import WarmTransferTask

    mod = example("livekit", "agent.py", {})
    assert issubclass(mod.SupportAgent, agents.Agent)
    assert mod.StopResponse is agents.StopResponse
    params = inspect.signature(WarmTransferTask.__init__).parameters
    assert {"sip_call_to", "sip_headers", "ringing_timeout", "instructions"} <= set(params)
    assert "on_user_turn_completed" in vars(agents.Agent)

    chat = agents.ChatContext.empty()
    chat.add_message(role="system", content="You are helpful.")
    chat.add_message(role="user", content="Hi there")
    chat.add_message(role="assistant", content="Hello! How can I help?")
    gate = mod.WarmlineGate("room-1", mod.in_process(policy))
    mod.observe_chat(gate, chat.items)
    mod.observe_chat(gate, chat.items)  # each message once
    assert [(t["speaker"], t["text"]) for t in gate.turns] == [
        ("customer", "Hi there"), ("ai", "Hello! How can I help?")]


# pipecat-ai 1.14 imports the stdlib `audioop`, deprecated since Python 3.11.
@pytest.mark.filterwarnings("ignore:'audioop' is deprecated:DeprecationWarning")
@pytest.mark.usefixtures("keep_modules")
def test_pipecat_processor_in_a_real_pipeline(
        example: Callable[..., ModuleType], policy: Policy) -> None:
    framework("pipecat")
    from pipecat.frames.frames import LLMContextFrame, TTSSpeakFrame
    from pipecat.processors.aggregators.llm_context import LLMContext
    from pipecat.tests.utils import run_test

    bot = example("pipecat", "bot.py", {})
    gate = bot.WarmlineGate("room-1", bot.in_process(policy))
    processor = bot.WarmlineProcessor(gate, bot.WarmTransfer(transport=None, gate=gate))
    calm = LLMContext([{"role": "user", "content": "Hi there"}])
    cancel = LLMContext([{"role": "user", "content": "Hi there"},
                         {"role": "assistant", "content": "Hello!"},
                         {"role": "user", "content": "I want to cancel my account"}])
    down, _ = asyncio.run(run_test(
        processor, frames_to_send=[LLMContextFrame(calm), LLMContextFrame(cancel)],
        expected_down_frames=[LLMContextFrame, TTSSpeakFrame]))
    assert down[-1].text == gate.transfer.say_to_customer
