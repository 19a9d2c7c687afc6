"""Stand-ins for the few LiveKit Agents and Pipecat names the examples import, so the examples
run in CI without the frameworks (hundreds of MB of native wheels). Each fake keeps the real
signature it replaces and records what the example did with it."""

from __future__ import annotations

import enum
import sys
import types
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar


def module(name: str, **attrs: Any) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    return mod


# --- LiveKit Agents (livekit.agents 1.8: Agent, AgentSession, beta.workflows) ---------------

class StopResponse(Exception):
    pass


class Agent:
    def __init__(self, *, instructions: str, chat_ctx: Any = None, **_: Any) -> None:
        self.instructions = instructions
        self._chat_ctx = chat_ctx
        self.session: FakeSession = FakeSession()

    @property
    def chat_ctx(self) -> Any:
        return self._chat_ctx


class FakeSession:
    """`AgentSession` as an agent sees it: `say`, `update_agent`, `shutdown`."""

    def __init__(self) -> None:
        self.said: list[str] = []
        self.agents: list[Agent] = []
        self.closed = False

    def say(self, text: str, *, allow_interruptions: bool = True) -> Any:
        self.said.append(text)

        class Handle:  # SpeechHandle is awaitable
            def __await__(self) -> Generator[None, None, None]:
                yield from ()

        return Handle()

    def update_agent(self, agent: Agent) -> None:
        agent.session = self
        self.agents.append(agent)

    def shutdown(self, *, drain: bool = True) -> None:
        self.closed = True


@dataclass
class WarmTransferResult:
    human_agent_identity: str


class WarmTransferTask:
    """Records each task created; awaiting it returns `result` or raises `error`."""

    created: ClassVar[list[dict[str, Any]]] = []
    error: ClassVar[Exception | None] = None

    def __init__(self, sip_call_to: str = "", **kwargs: Any) -> None:
        WarmTransferTask.created.append({"sip_call_to": sip_call_to, **kwargs})

    def __await__(self) -> Generator[None, None, WarmTransferResult]:
        if WarmTransferTask.error is not None:
            raise WarmTransferTask.error
        yield from ()
        return WarmTransferResult("human-agent-sip")


class AgentServer:
    setup_fnc: Any = None

    def rtc_session(self, **_: Any) -> Any:
        return lambda fn: fn


def chat_message(role: str, text: str, item_id: str) -> Any:
    return types.SimpleNamespace(type="message", role=role, text_content=text, id=item_id)


def livekit_modules() -> dict[str, types.ModuleType]:
    WarmTransferTask.created = []
    WarmTransferTask.error = None
    placeholders = {n: type(n, (), {}) for n in
                    ("AgentSession", "ChatContext", "ChatMessage", "JobContext", "JobProcess")}
    agents = module("livekit.agents", Agent=Agent, AgentServer=AgentServer,
                    StopResponse=StopResponse, cli=types.SimpleNamespace(run_app=None),
                    room_io=types.SimpleNamespace(RoomOptions=dict), **placeholders)
    workflows = module("livekit.agents.beta.workflows", WarmTransferTask=WarmTransferTask,
                       WarmTransferResult=WarmTransferResult)
    return {"livekit": module("livekit", agents=agents), "livekit.agents": agents,
            "livekit.agents.beta": module("livekit.agents.beta", workflows=workflows),
            "livekit.agents.beta.workflows": workflows}


# --- Pipecat (pipecat-ai 1.14: frames, FrameProcessor, user mute strategies) ---------------

class FrameDirection(enum.Enum):
    DOWNSTREAM = 1
    UPSTREAM = 2


class Frame:
    pass


class ControlFrame(Frame):
    pass


class BotStoppedSpeakingFrame(Frame):
    pass


class EndTaskFrame(Frame):
    pass


@dataclass
class LLMContextFrame(Frame):
    context: Any
    speculation: bool = False


@dataclass
class LLMMessagesAppendFrame(Frame):
    messages: list[Any]
    run_llm: bool | None = None


@dataclass
class TTSSpeakFrame(Frame):
    text: str


@dataclass
class FakeContext:
    messages: list[dict[str, Any]] = field(default_factory=list)

    def get_messages(self) -> list[dict[str, Any]]:
        return list(self.messages)


class FrameProcessor:
    """Records pushed frames instead of linking processors."""

    def __init__(self, **_: Any) -> None:
        self.pushed: list[tuple[Frame, FrameDirection]] = []

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        pass

    async def push_frame(self, frame: Frame,
                         direction: FrameDirection = FrameDirection.DOWNSTREAM) -> None:
        self.pushed.append((frame, direction))


class BaseUserMuteStrategy:
    def __init__(self, **_: Any) -> None:
        pass

    async def process_frame(self, frame: Frame) -> bool:
        return False


def pipecat_modules() -> dict[str, types.ModuleType]:
    frames = module("pipecat.frames.frames", Frame=Frame, ControlFrame=ControlFrame,
                    BotStoppedSpeakingFrame=BotStoppedSpeakingFrame, EndTaskFrame=EndTaskFrame,
                    LLMContextFrame=LLMContextFrame,
                    LLMMessagesAppendFrame=LLMMessagesAppendFrame, TTSSpeakFrame=TTSSpeakFrame)
    processor = module("pipecat.processors.frame_processor", FrameDirection=FrameDirection,
                       FrameProcessor=FrameProcessor)
    mute = module("pipecat.turns.user_mute.base_user_mute_strategy",
                  BaseUserMuteStrategy=BaseUserMuteStrategy)
    names = ["pipecat", "pipecat.frames", "pipecat.processors", "pipecat.turns",
             "pipecat.turns.user_mute"]
    return {**{n: module(n) for n in names}, frames.__name__: frames,
            processor.__name__: processor, mute.__name__: mute}


@contextmanager
def installed(modules: dict[str, types.ModuleType]) -> Iterator[None]:
    """Put `modules` in sys.modules for the block, restoring what was there."""
    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old
