"""Benchmark: the warm-transfer brief (details, redaction, summary, whisper) for 30-turn
conversations, against a trivial baseline measured in the same run.

    python bench/bench_brief.py [--n 2000]

Target (issue #3): p99 <= 5 ms for a 30-turn conversation. Prints numbers only.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta

from warmline.core.conversation import Conversation, parse_conversation
from warmline.core.decision.brief import write_brief
from warmline.core.decision.engine import find_reasons
from warmline.core.decision.situation import assess
from warmline.core.policy.reader import parse_policy

CUSTOMER = [
    "Hi, this is Sarah Okafor, I was charged twice for my Pro plan on November 20th.",
    "My account number is PRO-48213 and my phone is 512 555 0143.",
    "The charge was $129 each time, so two hundred fifty eight dollars total.",
    "Can someone call me back tomorrow at 3 pm? Or next Friday morning.",
    "My email is sarah dot okafor at example dot com.",
    "I already told you this, this is the third time I'm calling!",
    "Order 55-1902 never arrived either.",
    "ok thanks",
]
AI = [
    "I can see two charges of $129.00 on Nov 20.",
    "Let me look that up for you.",
    "I'm sorry, I didn't quite catch that. Could you repeat it?",
    "I can offer a refund of the duplicate charge.",
]


def conversation(rng: random.Random, i: int) -> Conversation:
    start = datetime.fromisoformat("2026-11-24T10:00:00-06:00") + timedelta(minutes=i)
    turns = []
    for t in range(30):
        speaker, pool = ("customer", CUSTOMER) if t % 2 == 0 else ("ai", AI)
        turns.append({"speaker": speaker, "text": rng.choice(pool),
                      "at": (start + timedelta(seconds=6 * t)).isoformat()})
    turns[-1]["actions"] = [{"name": "refund_offer", "status": "declined"}]
    return parse_conversation({"id": f"c-{i}", "started_at": start.isoformat(),
                               "customer": {"name": "Sarah Okafor", "segment": "top10"},
                               "turns": turns})


def policy(redact: list[str]):
    return parse_policy({"version": 1, "name": "b", "timezone": "America/Chicago",
                         "country": "US", "defaults": {"queue": "desk"},
                         "queues": {"desk": {}}, "redact": redact,
                         "triggers": [{"name": "t", "when": "true", "tags": ["risk"]}]})


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(name: str, convs: list[Conversation], pol, base: float | None = None) -> float:
    situations = [assess(c, pol) for c in convs]
    reasons = [find_reasons(pol, s, []) for s in situations]
    for c, s, r in zip(convs[:50], situations, reasons, strict=False):
        write_brief(c, pol, s, r)
    times = []
    for c, s, r in zip(convs, situations, reasons, strict=True):
        t0 = time.perf_counter()
        write_brief(c, pol, s, r)
        times.append((time.perf_counter() - t0) * 1e3)
    p50, p99 = pct(times, .5), pct(times, .99)
    ratio = f"   x{p50 / base:6.0f} baseline" if base else ""
    print(f"  {name:<44} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms{ratio}")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    n = parser.parse_args().n
    rng = random.Random(5)
    convs = [conversation(rng, i) for i in range(n)]
    print(f"brief: 30-turn conversations (15 customer turns full of details), n={n}")
    times = []
    for c in convs:
        t0 = time.perf_counter()
        " ".join(t.text for t in c.turns).lower()
        times.append((time.perf_counter() - t0) * 1e3)
    base = pct(times, .5)
    print(f"  {'baseline: join and lower-case the turns':<44} p50 {base:6.3f} ms   "
          f"p99 {pct(times, .99):6.3f} ms")
    measure("write_brief, no redaction", convs, policy([]), base)
    measure("write_brief, redact card/ssn/dob/email/phone", convs,
            policy(["card_number", "ssn", "date_of_birth", "email", "phone"]), base)


if __name__ == "__main__":
    main()
