"""Benchmark: in-process `decide` on a 20-rule policy and 30-turn conversations, and `replay`
throughput, against a trivial baseline measured in the same run.

    python bench/bench_decide.py [--n 5000] [--replay 20000]

Targets (issue #2): decide p99 <= 1 ms; replay >= 5,000 conversations/s. Prints numbers only;
nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from warmline.bootstrap import build_decider
from warmline.core.conversation import Conversation, Speaker, parse_conversation
from warmline.core.policy.reader import parse_policy

RULES = [
    'intent == "cancel" || text.lowerAscii().contains("cancel")',
    'repeat_contacts >= 1 && question_type == "billing"',
    'customer.segment == "top10" && !business_hours',
    "customer.deal_value >= 50000",
    'text.lowerAscii().matches("lawyer|attorney|sue you")',
    "frustration >= 0.6 && turns > 10",
    'question_type == "complex" && confidence < 0.4',
    "local.hour >= 20 || local.hour < 7",
    "local.weekday >= 6 && customer.deal_value >= 10000",
    'customer.attributes.plan == "enterprise"',
    'intent in ["close_account", "terminate", "downgrade"]',
    "ai_failures >= 1 && repeat_contacts >= 2",
    'transcript.contains("manager")',
    'channel == "voice" && frustration > 0.5',
    'text.contains("refund") && customer.deal_value > 1000',
    'customer.segment in ["gold", "platinum"] && confidence < threshold + 0.1',
    "human_requested && turns < 4",
    'text.lowerAscii().contains("outage") || text.lowerAscii().contains("down")',
    'customer.recent_contacts.exists(c, c.reason == "billing")',
    'has(customer.attributes.churn_risk) && customer.attributes.churn_risk == "high"',
]
WORDS = (
    "account", "invoice", "plan", "upgrade", "password", "reset", "shipping", "order",
    "refund", "appointment", "thanks", "please", "really", "help", "today", "tomorrow",
    "billing", "card", "charge",
)


def make_policy() -> Any:
    triggers = [{"name": f"rule-{i}", "when": when, "priority": 50 + i}
                for i, when in enumerate(RULES[:14])]
    routes = [{"name": f"route-{i}", "when": when, "queue": "vip"}
              for i, when in enumerate(RULES[14:])]
    return parse_policy({
        "version": 1, "name": "bench", "timezone": "America/Chicago",
        "business_hours": {"mon-fri": "08:00-18:00"},
        "defaults": {"queue": "desk", "threshold": 0.6, "cost_of_escalation": 6},
        "question_types": {"faq": {"threshold": 0.85}, "complex": {"threshold": 0.5},
                           "billing": {"cost_of_wrong_answer": 30, "queue": "billing"}},
        "triggers": triggers, "routes": routes,
        "queues": {"desk": {}, "vip": {}, "billing": {}},
    })


def make_conversation(rng: random.Random, i: int, turns: int = 30,
                      with_metadata: bool = True) -> dict[str, Any]:
    start = datetime.fromisoformat("2026-11-24T10:00:00-06:00") + timedelta(minutes=i)
    out = []
    for t in range(turns):
        speaker = "customer" if t % 2 == 0 else "ai"
        turn: dict[str, Any] = {"speaker": speaker,
                                "text": " ".join(rng.choices(WORDS, k=rng.randint(6, 18))),
                                "at": (start + timedelta(seconds=5 * t)).isoformat()}
        if speaker == "ai" and with_metadata:
            turn.update(confidence=round(rng.random(), 2), intent=rng.choice(
                ["billing_q", "cancel", "faq_hours", "close_account"]),
                question_type=rng.choice(["faq", "complex", "billing", "other"]))
        out.append(turn)
    return {"id": f"c-{i}", "channel": rng.choice(["voice", "chat"]), "started_at":
            start.isoformat(), "customer": {
                "id": f"cust-{i}", "name": "Sam Doe", "segment": rng.choice(["top10", "smb"]),
                "deal_value": rng.choice([500, 20000, 80000]),
                "attributes": {"plan": rng.choice(["pro", "enterprise"])},
                "recent_contacts": [{"at": (start - timedelta(days=2)).isoformat(),
                                     "reason": "billing"}]},
            "turns": out}


def trivial_decide(conv: Conversation) -> str:
    """Baseline: read the last AI confidence and compare with one threshold."""
    for turn in reversed(conv.turns):
        if turn.speaker is Speaker.AI and turn.confidence is not None:
            return "escalate" if turn.confidence < 0.6 else "continue"
    return "continue"


def timed(fn: Callable[[Any], Any], items: list[Any]) -> list[float]:
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t0) * 1e6)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, us: list[float], base_p50: float | None = None) -> None:
    line = (f"  {name:<44} p50 {pct(us, .5):8.1f} µs   p99 {pct(us, .99):8.1f} µs   "
            f"mean {statistics.fmean(us):8.1f} µs")
    if base_p50:
        line += f"   x{pct(us, .5) / base_p50:5.1f} baseline"
    print(line)


def bench_decide(n: int) -> None:
    rng = random.Random(7)
    policy = make_policy()
    decider = build_decider(policy)
    given = [parse_conversation(make_conversation(rng, i)) for i in range(n)]
    bare = [parse_conversation(make_conversation(rng, i, with_metadata=False)) for i in range(n)]
    raw = [make_conversation(rng, i) for i in range(n)]
    for conv in given[:200]:
        decider.decide(conv)
    print(f"decide: 20-rule policy, 30-turn conversations, n={n}")
    base = timed(trivial_decide, given)
    report("baseline (last confidence vs 0.60)", base)
    b50 = pct(base, .5)
    report("decide, AI gives intent/type/confidence", timed(decider.decide, given), b50)
    report("decide, all inferred (bundled model)", timed(decider.decide, bare), b50)
    plain = dataclasses.replace(decider, language=None)
    report("decide, given, phrase rules (no language model)", timed(plain.decide, given), b50)
    report("parse + decide + to_dict (JSON dict in/out)",
           timed(lambda d: decider.decide(parse_conversation(d)).to_dict(), raw), b50)
    escalated = sum(decider.decide(c).is_handoff for c in given)
    print(f"  escalated {escalated}/{n} ({100 * escalated / n:.0f}%) — every rule evaluated")


def _replay_once(n: int, tmp: Path, rng: random.Random) -> tuple[float, float, float]:
    """Replay n conversations in a fresh process; return (seconds, MB of input, peak RSS MB)."""
    src = tmp / f"in-{n}.jsonl"
    with src.open("w") as fh:
        for i in range(n):
            fh.write(json.dumps(make_conversation(rng, i, turns=12)) + "\n")
    policy = tmp / "policy.yaml"
    policy.write_text(json.dumps(_policy_data()))  # JSON is YAML
    cmd = [sys.executable, "-m", "warmline", "replay", str(src), "--policy", str(policy),
           "--out", str(tmp / "out.jsonl"), "--quiet"]
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
             "print(time.perf_counter() - t, "
             "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], check=True, capture_output=True,
                         text=True).stdout.split()
    return float(out[0]), src.stat().st_size / 1e6, int(out[1]) / 1024


def bench_replay(n: int) -> None:
    rng = random.Random(11)
    print("replay: 12-turn conversations, whole CLI process (start-up included)")
    with tempfile.TemporaryDirectory() as tmp:
        for count in (n // 10, n, n * 5):
            seconds, size_mb, rss_mb = _replay_once(count, Path(tmp), rng)
            print(f"  {count:7d} conversations ({size_mb:7.1f} MB): {count / seconds:7.0f} "
                  f"conversations/s, {seconds:6.2f} s, peak RSS {rss_mb:6.1f} MB")


def _policy_data() -> dict[str, Any]:
    triggers = [{"name": f"rule-{i}", "when": w} for i, w in enumerate(RULES[:14])]
    routes = [{"when": w, "queue": "vip"} for w in RULES[14:]]
    return {"version": 1, "name": "bench", "timezone": "America/Chicago",
            "defaults": {"queue": "desk"}, "triggers": triggers, "routes": routes,
            "queues": {"desk": {}, "vip": {}}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--replay", type=int, default=20000)
    args = parser.parse_args()
    bench_decide(args.n)
    bench_replay(args.replay)


if __name__ == "__main__":
    main()
