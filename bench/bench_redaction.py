"""Benchmark: `redact` on typical customer utterances, in µs per utterance, against a trivial
baseline (one compiled-regex search per utterance) measured in the same run.

    python bench/bench_redaction.py [--rounds 2000]

Target (issue #3): <= ~200 µs per typical utterance with every kind listed, and clean text
(no digits, no '@', no cue words) nearly free. Prints numbers only; asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable, Collection, Sequence

from warmline.core.language.redaction import KINDS, redact

NAMES = ("Sarah", "Okafor")

WITH_PII = [
    "Hi, this is Sarah Okafor, my number is 512-555-0143 and I was double charged $129.",
    "My card number is 4111 1111 1111 1111, expiry 09/28.",
    "Sure, my social is 123-45-6789.",
    "Date of birth March 3rd, 1985.",
    "You can email me at sarah.okafor@gmail.com or john dot smith at gmail dot com.",
    "My account number is 4821-3321-3213 and the routing number is 021000021.",
    "Please send the refund to DE89 3704 0044 0532 0130 00.",
    "I live at 123 Main Street, Austin, TX 78701.",
    "My policy number is PRO-48213, it renewed on November 20.",
    "It's Priya, I called yesterday about order 48213.",
]
CLEAN = [
    "Hi, I'm calling about my appointment tomorrow.",
    "I want to cancel my subscription, this is the third time I've called about it.",
    "Can I talk to a person please?",
    "The app keeps crashing when I open the billing page.",
    "Yes that works for me, thank you so much.",
    "I was charged twice last week and nobody has fixed it.",
    "No, that's not what I asked, I asked about the refund.",
    "Okay, and how long will the transfer take?",
    "Great, I'll wait on the line.",
    "I don't remember the exact date, sometime last month.",
]
ORDINARY_NUMBERS = [
    "I paid $129.00 at 3:30 pm on 2026-11-20.",
    "The appointment is at 15:00 on Nov 25, room 204.",
    "It costs 49.99 a month, I've had it for 3 years.",
    "Order 48213 arrived with 2 items missing out of 12.",
    "I'm on floor 7, it took 45 minutes.",
]
HEALTHCARE = ("card_number", "ssn", "date_of_birth")


def per_utterance_us(fn: Callable[[str], object], texts: Sequence[str], rounds: int) -> float:
    """Median over five repeats of the mean µs per utterance."""
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            for text in texts:
                fn(text)
        samples.append((time.perf_counter() - start) / (rounds * len(texts)) * 1e6)
    return statistics.median(samples)


def with_kinds(kinds: Collection[str]) -> Callable[[str], str]:
    return lambda text: redact(text, kinds, names=NAMES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds

    probe = re.compile(r"[0-9@]")
    sets = {"utterances with PII": WITH_PII, "clean utterances": CLEAN,
            "ordinary numbers (amounts, times, dates)": ORDINARY_NUMBERS}
    listings: dict[str, Collection[str]] = {
        "every kind": KINDS, "healthcare default (card, ssn, dob)": HEALTHCARE,
        "every kind but phone": KINDS - {"phone"}, "phone only": {"phone"}}
    print(f"redact(): mean µs per utterance, median of 5 x {rounds} rounds")
    for set_name, texts in sets.items():
        baseline = per_utterance_us(probe.search, texts, rounds)
        print(f"\n{set_name} ({len(texts)}), baseline regex search {baseline:.2f} µs")
        for listing, kinds in listings.items():
            us = per_utterance_us(with_kinds(kinds), texts, rounds)
            print(f"  {listing:38s} {us:8.1f} µs   {us / baseline:7.0f}x baseline")
    transcript = "\n".join((WITH_PII + CLEAN + ORDINARY_NUMBERS) * 2)
    us = per_utterance_us(with_kinds(KINDS), [transcript], max(1, rounds // 20))
    print(f"\na {len(transcript):,}-character transcript as one text, every kind: "
          f"{us / 1000:.2f} ms")
    print("\nsample output (every kind):")
    for text in WITH_PII[:5]:
        print(f"  {redact(text, KINDS, names=NAMES)}")


if __name__ == "__main__":
    main()
