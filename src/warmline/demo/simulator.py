"""Simulated AI-agent traffic and simulated reps for `warmline demo`, talking to a running
server over its public HTTP API exactly as an integration would. Every loop is bounded by a
stop event and only ever targets the server it was given (loopback in the demo)."""

from __future__ import annotations

import itertools
import logging
import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2 as httpx

from warmline.demo.scenarios import SCENARIOS, Scenario

log = logging.getLogger(__name__)

#: Simulated reps: (id, skills). Their queue skills match the demo policy.
SIM_REPS = [
    ("sim-ana", ["general", "billing", "retention"]),
    ("sim-ben", ["general", "integrations", "accounts"]),
    ("sim-cleo", ["general", "billing", "integrations", "retention", "accounts"]),
]


@dataclass
class DemoStats:
    conversations: int = 0
    turns: int = 0
    handoffs: int = 0
    accepted: int = 0
    completed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


class Simulation:
    """Starts an AI-agent thread and a reps thread against `base_url`."""

    def __init__(self, base_url: str, api_key: str, *, pace: float = 1.0, seed: int = 7) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=10.0,
                                   headers={"Authorization": f"Bearer {api_key}"})
        self.pace = pace
        self.random = random.Random(seed)
        self.stop = threading.Event()
        self.stats = DemoStats()
        self.threads = [threading.Thread(target=self._agents, name="sim-agents", daemon=True),
                        threading.Thread(target=self._reps, name="sim-reps", daemon=True)]
        self._accept_at: dict[str, float] = {}
        self._finish_at: dict[str, float] = {}

    def start(self) -> None:
        for rep_id, skills in SIM_REPS:
            self.client.put(f"/v1/reps/{rep_id}", json={
                "name": rep_id.removeprefix("sim-").title(), "skills": skills,
                "capacity": 1, "status": "available"}).raise_for_status()
        for thread in self.threads:
            thread.start()

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=5)
        self.client.close()

    def _sleep(self, low: float, high: float) -> bool:
        """Wait a random while; False once the demo is stopping."""
        return not self.stop.wait(self.random.uniform(low, high) * self.pace)

    def _agents(self) -> None:
        for n in itertools.count(1):
            if self.stop.is_set():
                return
            scenario = self.random.choice(SCENARIOS)
            worker = threading.Thread(target=self._converse, args=(n, scenario), daemon=True)
            worker.start()
            if not self._sleep(2.0, 4.0):
                return

    def _converse(self, n: int, scenario: Scenario) -> None:
        conv_id = f"demo-{datetime.now(UTC):%H%M%S}-{n}"
        customer = dict(scenario.customer, id=f"cust-{scenario.name}")  # same person again
        self.stats.add(conversations=1)
        for i, turn in enumerate(scenario.turns):
            body: dict[str, Any] = {"turns": [dict(turn, id=f"{conv_id}-{i}",
                                                   at=datetime.now(UTC).isoformat())]}
            if i == 0:
                body.update(customer=customer, channel=scenario.channel,
                            started_at=datetime.now(UTC).isoformat())
            try:
                response = self.client.post(f"/v1/conversations/{conv_id}/turns", json=body)
                response.raise_for_status()
            except httpx.HTTPError as err:
                log.warning("demo agent: %s", err)
                return
            self.stats.add(turns=1)
            if response.json().get("action") != "continue":
                self.stats.add(handoffs=1)
                return
            if not self._sleep(1.0, 2.5):
                return

    def _reps(self) -> None:
        sim_ids = {rep_id for rep_id, _ in SIM_REPS}
        while self._sleep(0.8, 1.2):
            try:
                self._rep_tick(sim_ids)
            except httpx.HTTPError as err:
                log.warning("demo reps: %s", err)

    def _rep_tick(self, sim_ids: set[str]) -> None:
        now = datetime.now(UTC).timestamp()
        offered = self.client.get("/v1/handoffs", params={"status": "offered"}).json()
        for handoff in offered["handoffs"]:
            if handoff["rep_id"] not in sim_ids:
                continue  # offered to a person at the desk: theirs to take
            due = self._accept_at.setdefault(handoff["id"], now + self.random.uniform(3, 8))
            if now >= due:
                self._act(handoff, "accept", {})
        accepted = self.client.get("/v1/handoffs", params={"status": "accepted"}).json()
        for handoff in accepted["handoffs"]:
            if handoff["rep_id"] not in sim_ids:
                continue
            due = self._finish_at.setdefault(handoff["id"], now + self.random.uniform(10, 25))
            if now >= due:
                csat = self.random.choice([4, 5, 5, 5] if handoff["mode"] == "warm" else [2, 3, 4])
                self._act(handoff, "complete", {"csat": csat, "outcome": "resolved",
                                                "ai_was_wrong": self.random.random() < 0.2})

    def _act(self, handoff: dict[str, Any], action: str, extra: dict[str, Any]) -> None:
        response = self.client.post(f"/v1/handoffs/{handoff['id']}/{action}",
                                    json={"rep_id": handoff["rep_id"], **extra})
        if response.status_code == 409:
            return  # someone else got there first: exactly what the desk should allow
        response.raise_for_status()
        self.stats.add(**{"accepted" if action == "accept" else "completed": 1})
