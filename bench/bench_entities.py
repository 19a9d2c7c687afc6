"""Benchmark: `extract_details` per utterance and per 30-turn conversation.

    python bench/bench_entities.py [--n 2000]

Budget (issue #3): the whole brief p99 <= 5 ms for 30 turns, so detail extraction should stay
near 2 ms per 30-turn conversation. Utterances come from `tests/data/entities_dev/` plus plain
chit-chat; conversations are 30 turns drawn from them. A same-run baseline (`str.lower` on every
turn) shows how fast this machine is. Prints numbers only; nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from warmline.core.conversation import Speaker, Turn
from warmline.core.language.entities import extract_details

DEV = Path(__file__).parents[1] / "tests" / "data" / "entities_dev" / "conversations.jsonl"
ZONE = ZoneInfo("America/Chicago")
START = datetime(2026, 11, 24, 10, 0, tzinfo=ZONE)
CHITCHAT = [
    "Okay, thanks.", "Yes please.", "I understand. Let me look into that for you.",
    "I'd like to cancel my subscription, I've been double charged and I'm not happy about it.",
    "Can I talk to a person please?", "One moment while I check your account.",
    "That doesn't help me at all, this is the third time I'm calling.",
    "Is there anything else I can help you with today?",
]


def utterances() -> list[tuple[str, str]]:
    """(speaker, text) pairs: every dev turn, then as many chit-chat lines as dev turns."""
    pairs: list[tuple[str, str]] = []
    for line in DEV.read_text(encoding="utf-8").splitlines():
        pairs += [(t["speaker"], t["text"]) for t in json.loads(line)["turns"]]
    rng = random.Random(7)
    pairs += [(rng.choice(["customer", "ai"]), rng.choice(CHITCHAT)) for _ in range(len(pairs))]
    return pairs


def conversation(rng: random.Random, pool: Sequence[tuple[str, str]], n: int = 30
                 ) -> list[Turn]:
    return [Turn(speaker=Speaker(rng.choice(pool)[0]), text=rng.choice(pool)[1],
                 at=START + timedelta(seconds=10 * i)) for i in range(n)]


def timed(fn: Callable[[], object], n: int) -> list[float]:
    """Microseconds per call, one sample per call."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1e6)
    return out


def report(label: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p50 = statistics.median(samples)
    p99 = samples[int(len(samples) * 0.99) - 1]
    print(f"{label:<42} p50 {p50:8.1f} µs   p99 {p99:8.1f} µs   mean "
          f"{statistics.fmean(samples):8.1f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="conversations to time")
    args = parser.parse_args()
    pool = utterances()
    rng = random.Random(42)
    turns = [Turn(speaker=Speaker(s), text=t, at=START) for s, t in pool]
    extract_details(turns[:5], zone=ZONE, region="US")  # warm up the library's metadata

    def each(selected: list[Turn]) -> list[float]:
        return [s for turn in selected for s in timed(
            partial(extract_details, [turn], zone=ZONE, region="US"), 20)]

    report(f"one utterance ({len(turns)} distinct)", each(turns))
    report("  ...with digits", each([t for t in turns if any(c.isdigit() for c in t.text)]))

    convs = [conversation(rng, pool) for _ in range(args.n)]
    it = iter(convs)
    report("30-turn conversation", timed(
        lambda: extract_details(next(it), zone=ZONE, region="US"), args.n))
    it = iter(convs)
    report("baseline: str.lower on 30 turns", timed(
        lambda: [t.text.lower() for t in next(it)], args.n))


if __name__ == "__main__":
    main()
