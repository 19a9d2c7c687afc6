"""Load the examples (examples/livekit, examples/pipecat) as modules, with the framework
they import replaced by the fakes in `fakes.py` unless a test asks for the real one."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import httpx2 as httpx
import pytest

from warmline import Policy
from warmline.adapters.policy_files import load_policy
from warmline.adapters.storage.memory import InMemoryStore
from warmline.bootstrap import build_services
from warmline.client import AsyncClient
from warmline.config import Settings
from warmline.core.handoff import RepStatus
from warmline.web.app import create_app

from .fakes import installed

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
POLICY = """
version: 1
name: examples-test
timezone: UTC
# The examples send AI turns without a confidence, and Warmline then infers one (often low:
# docs/integrations/livekit.md); a threshold of 0.01 keeps these tests about the triggers.
defaults: {queue: support, threshold: 0.01}
triggers:
  - {name: cancellation, when: 'text.lowerAscii().contains("cancel")', queue: retention,
     priority: 90, tags: [churn]}
  - {name: booking, when: 'text.lowerAscii().contains("reschedule")', queue: scheduling}
  - {name: refund, when: 'text.lowerAscii().contains("refund")'}
queues:
  support: {skills: [general]}
  retention: {skills: [retention], transfer: {number: "+15125550100"}}
  scheduling: {skills: [scheduling], transfer: {sip: "sip:scheduling@pbx.example.com"}}
"""
RETENTION = "+15125550100"


def load(path: Path, modules: dict[str, ModuleType]) -> ModuleType:
    """Execute an example file as a fresh module, with `modules` (framework fakes) installed."""
    name = f"example_{path.parent.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    with installed({**modules, name: mod}):
        spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def policy_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("policy") / "policy.yaml"
    path.write_text(POLICY)
    return path


@pytest.fixture(scope="session")
def policy(policy_path: Path) -> Policy:
    return load_policy(str(policy_path))


@pytest.fixture
def example() -> Callable[[str, str, dict[str, ModuleType]], ModuleType]:
    def make(directory: str, filename: str, modules: dict[str, ModuleType]) -> ModuleType:
        return load(EXAMPLES / directory / filename, modules)
    return make


@pytest.fixture
def keep_modules() -> Iterator[None]:
    """Drop whatever a test imported for real (a framework) after it, so fakes stay usable."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.split(".")[0] in ("livekit", "pipecat"):
            sys.modules.pop(name, None)


@pytest.fixture
def warmline_server(policy_path: Path) -> Callable[[], AsyncClient]:
    """A Warmline server app (the one `warmline serve` runs, in memory, one rep available),
    reached in process through httpx's ASGI transport; returns a client factory."""
    services = build_services(Settings(db="memory:", policy=str(policy_path)),
                              store=InMemoryStore())
    key = services.tenants.create_key("acme")
    services.reps.put(services.tenants.ensure_tenant("acme"), "ann", skills=("retention",),
                      capacity=5, status=RepStatus.AVAILABLE)
    app = create_app(services, sweep=False)
    return lambda: AsyncClient("http://warmline.test", key,
                              transport=httpx.ASGITransport(app=app))


@pytest.fixture(scope="session")
def gate() -> ModuleType:
    """`warmline.gate`, the framework-free part both examples use."""
    import warmline.gate

    return warmline.gate
