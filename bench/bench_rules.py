"""Rule-engine benchmark: Warmline's CEL against the Rust `cel` package and plain Python.

A realistic 20-rule policy over the SPEC §3 names. Every engine must agree with the others on
500 random contexts before anything is timed. Prints numbers and same-run ratios; it never
asserts a timing. Run: `python bench/bench_rules.py` (about 20 s).
"""

from __future__ import annotations

import platform
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import cel

from warmline.core.policy.cel import Type, compile_expression

Context = dict[str, Any]
Rule = Callable[[Context], bool]

SCHEMA = {
    "confidence": Type.nullable(Type.DOUBLE),
    "intent": Type.nullable(Type.STRING),
    "question_type": Type.nullable(Type.STRING),
    "threshold": Type.DOUBLE,
    "text": Type.STRING,
    "transcript": Type.STRING,
    "turns": Type.INT,
    "customer": Type.object(
        {"id": Type.nullable(Type.STRING), "segment": Type.nullable(Type.STRING),
         "deal_value": Type.nullable(Type.DOUBLE), "attributes": Type.map_of(Type.DYN)},
        open=True),
    "business_hours": Type.BOOL,
    "local": Type.object({"hour": Type.INT, "weekday": Type.INT}, open=False),
    "human_requested": Type.BOOL,
    "frustration": Type.DOUBLE,
    "ai_failures": Type.INT,
    "repeat_contacts": Type.INT,
}  # fmt: skip

LEGAL = re.compile(r"(?i)\b(lawyer|attorney|sue)\b")

# (CEL rule, the same rule in plain Python with CEL's null semantics spelled out)
POLICY: list[tuple[str, Rule]] = [
    ('intent == "cancel" || text.contains("cancel")',
     lambda c: c["intent"] == "cancel" or "cancel" in c["text"]),
    ('repeat_contacts >= 1 && question_type == "billing"',
     lambda c: c["repeat_contacts"] >= 1 and c["question_type"] == "billing"),
    ('customer.segment == "top10" && !business_hours',
     lambda c: c["customer"]["segment"] == "top10" and not c["business_hours"]),
    ("customer.deal_value >= 50000",
     lambda c: c["customer"]["deal_value"] is not None and c["customer"]["deal_value"] >= 50000),
    ("confidence < threshold",
     lambda c: c["confidence"] is not None and c["confidence"] < c["threshold"]),
    ('question_type == "faq" && confidence < 0.85',
     lambda c: c["question_type"] == "faq" and c["confidence"] is not None
     and c["confidence"] < 0.85),
    ('question_type == "complex" && confidence < 0.5',
     lambda c: c["question_type"] == "complex" and c["confidence"] is not None
     and c["confidence"] < 0.5),
    ('intent in ["refund", "chargeback", "dispute"]',
     lambda c: c["intent"] in ("refund", "chargeback", "dispute")),
    (r'text.matches("(?i)\\b(lawyer|attorney|sue)\\b")',
     lambda c: LEGAL.search(c["text"]) is not None),
    ("human_requested || frustration >= 0.8",
     lambda c: c["human_requested"] or c["frustration"] >= 0.8),
    ("ai_failures >= 2", lambda c: c["ai_failures"] >= 2),
    ("local.hour >= 18 || local.hour < 8",
     lambda c: c["local"]["hour"] >= 18 or c["local"]["hour"] < 8),
    ('local.weekday >= 6 && customer.segment != "top10"',
     lambda c: c["local"]["weekday"] >= 6 and c["customer"]["segment"] != "top10"),
    ("turns > 12 && confidence < 0.7",
     lambda c: c["turns"] > 12 and c["confidence"] is not None and c["confidence"] < 0.7),
    ('customer.attributes.plan == "enterprise" && intent == "outage"',
     lambda c: c["customer"]["attributes"]["plan"] == "enterprise" and c["intent"] == "outage"),
    ('size(transcript) > 2000 && question_type == "complex"',
     lambda c: len(c["transcript"]) > 2000 and c["question_type"] == "complex"),
    ('text.contains("manager") || text.contains("supervisor")',
     lambda c: "manager" in c["text"] or "supervisor" in c["text"]),
    ("customer.deal_value > 10000 && repeat_contacts >= 2",
     lambda c: c["customer"]["deal_value"] is not None and c["customer"]["deal_value"] > 10000
     and c["repeat_contacts"] >= 2),
    ("frustration > 0.5 && ai_failures >= 1 && !business_hours",
     lambda c: c["frustration"] > 0.5 and c["ai_failures"] >= 1 and not c["business_hours"]),
    ('question_type == "scheduling" && local.weekday == 5 && local.hour >= 16',
     lambda c: c["question_type"] == "scheduling" and c["local"]["weekday"] == 5
     and c["local"]["hour"] >= 16),
]  # fmt: skip

UTTERANCES = [
    "I want to cancel my subscription", "Can I talk to a manager please?", "my bill is wrong",
    "I'll call my lawyer if this isn't fixed", "what time do you open on saturday",
    "the app keeps crashing since the outage", "I need to move my appointment to friday",
    "why was I charged twice", "supervisor now", "thanks, that's all", "how do I reset it",
]  # fmt: skip


def random_context(rng: random.Random) -> Context:
    """One turn's names, as the engine would compute them."""
    return {
        "confidence": rng.choice([None, round(rng.random(), 2)]),
        "intent": rng.choice([None, "cancel", "refund", "billing", "outage", "schedule", "other"]),
        "question_type": rng.choice([None, "faq", "complex", "billing", "scheduling"]),
        "threshold": rng.choice([0.5, 0.6, 0.8, 0.85]),
        "text": rng.choice(UTTERANCES),
        "transcript": "\n".join(rng.choices(UTTERANCES, k=rng.randint(1, 120))),
        "turns": rng.randint(1, 30),
        "customer": {
            "id": f"cust-{rng.randint(1, 999)}",
            "segment": rng.choice([None, "top10", "smb", "enterprise"]),
            "deal_value": rng.choice([None, float(rng.randint(0, 120_000))]),
            "attributes": {"plan": rng.choice(["pro", "enterprise", "free"])},
        },
        "business_hours": rng.random() < 0.6,
        "local": {"hour": rng.randint(0, 23), "weekday": rng.randint(1, 7)},
        "human_requested": rng.random() < 0.1,
        "frustration": round(rng.random(), 2),
        "ai_failures": rng.randint(0, 3),
        "repeat_contacts": rng.randint(0, 3),
    }


def ours(sources: list[str]) -> Callable[[Context], list[bool]]:
    rules = [compile_expression(source, SCHEMA).evaluate for source in sources]
    return lambda ctx: [rule(ctx) for rule in rules]


def rust(sources: list[str]) -> Callable[[Context], list[bool]]:
    programs = [cel.compile(source) for source in sources]

    def run(ctx: Context) -> list[bool]:
        shared = cel.Context(variables=ctx)  # one conversion per turn, shared by all programs
        return [_rust_bool(program, shared) for program in programs]

    return run


def _rust_bool(program: Any, context: Any) -> bool:
    try:
        return program.execute(context) is True
    except Exception:  # its errors (e.g. null < 0.6) make a rule false, as in Warmline
        return False


def python(rules: list[Rule]) -> Callable[[Context], list[bool]]:
    return lambda ctx: [bool(rule(ctx)) for rule in rules]


def check_agreement(policy: list[tuple[str, Rule]], n: int) -> None:
    engines = build_engines(policy)
    rng = random.Random(7)
    contexts = [random_context(rng) for _ in range(n)]
    fired = [0] * len(policy)
    for ctx in contexts:
        results = {name: run(ctx) for name, run in engines.items()}
        if len({tuple(r) for r in results.values()}) != 1:
            sys.exit(f"engines disagree on {ctx}: {results}")
        fired = [f + r for f, r in zip(fired, results["python"], strict=True)]
    print(f"all {len(engines)} engines agree on {n}/{n} random contexts "
          f"(each rule fired on {min(fired)}-{max(fired)} of them)")  # fmt: skip


def build_engines(policy: list[tuple[str, Rule]]) -> dict[str, Callable[[Context], list[bool]]]:
    sources = [source for source, _ in policy]
    return {
        "warmline": ours(sources),
        "rust": rust(sources),
        "python": python([rule for _, rule in policy]),
    }


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    """Seconds of the fastest of `repeats` runs (the least disturbed by other processes)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def time_compile(compile_all: Callable[[], object], repeats: int = 7, rounds: int = 20) -> float:
    """µs per rule to compile the whole policy."""
    seconds = best_of(repeats, lambda: [compile_all() for _ in range(rounds)])
    return seconds / rounds / len(POLICY) * 1e6


def time_turns(run: Callable[[Context], list[bool]], contexts: list[Context]) -> float:
    """µs per turn (all 20 rules, plus any per-turn context conversion)."""
    seconds = best_of(7, lambda: [run(ctx) for ctx in contexts])
    return seconds / len(contexts) * 1e6


LABELS = {
    "warmline": "Warmline CEL (closures)",
    "rust": "Rust `cel`, one Context per turn",
    "python": "plain Python lambdas (baseline)",
}
# The same policy with its one regex rule as a substring test: Rust's `matches` compiles its
# pattern on every evaluation, which would otherwise dominate its numbers.
WITHOUT_REGEX = [
    ('text.contains("lawyer")', lambda c: "lawyer" in c["text"]) if "matches" in src else (src, fn)
    for src, fn in POLICY
]


def measure(title: str, policy: list[tuple[str, Rule]], contexts: list[Context]) -> None:
    sources = [source for source, _ in policy]
    compile_us = {
        "warmline": time_compile(lambda: [compile_expression(s, SCHEMA) for s in sources]),
        "rust": time_compile(lambda: [cel.compile(s) for s in sources]),
    }
    turn_us = {name: time_turns(run, contexts) for name, run in build_engines(policy).items()}
    baseline = turn_us["python"]
    print(f"\n{title}")
    print(f"{'engine':34} {'compile µs/rule':>16} {'eval µs/rule':>13} {'µs/turn':>8} "
          f"{'turns/s':>9} {'vs baseline':>11}")  # fmt: skip
    for name, label in LABELS.items():
        compiled = f"{compile_us[name]:.1f}" if name in compile_us else "-"
        per_turn = turn_us[name]
        print(f"{label:34} {compiled:>16} {per_turn / len(policy):>13.3f} {per_turn:>8.2f} "
              f"{1e6 / per_turn:>9,.0f} {per_turn / baseline:>10.1f}x")  # fmt: skip
    print(f"Rust / Warmline per turn: {turn_us['rust'] / turn_us['warmline']:.1f}x")


def main() -> None:
    print(f"Python {platform.python_version()}, {platform.machine()}, "
          f"common-expression-language {version('common-expression-language')}, "
          f"google-re2 {version('google-re2')}")  # fmt: skip
    check_agreement(POLICY, 500)
    check_agreement(WITHOUT_REGEX, 500)
    rng = random.Random(11)
    contexts = [random_context(rng) for _ in range(2000)]
    measure("20-rule policy (SPEC §3 names)", POLICY, contexts)
    measure("same policy, regex rule replaced by text.contains()", WITHOUT_REGEX, contexts)
    print(f"\nRust context conversion alone: {_conversion_us(contexts):.2f} µs/turn")
    _per_rule_breakdown([source for source, _ in POLICY], contexts[:500])


def _conversion_us(contexts: list[Context]) -> float:
    return (
        best_of(7, lambda: [cel.Context(variables=ctx) for ctx in contexts]) / len(contexts) * 1e6
    )


def _per_rule_breakdown(sources: list[str], contexts: list[Context]) -> None:
    """µs per evaluation of each rule alone (Warmline), to show the cost of each shape."""
    times = []
    for source in sources:
        rule = compile_expression(source, SCHEMA).evaluate
        seconds = best_of(5, lambda rule=rule: [rule(ctx) for ctx in contexts])  # type: ignore[misc]
        times.append((seconds / len(contexts) * 1e6, source))
    print(f"Warmline per rule: median {statistics.median(t for t, _ in times):.3f} µs; slowest:")
    for micros, source in sorted(times, reverse=True)[:3]:
        print(f"  {micros:.3f} µs  {source}")


if __name__ == "__main__":
    main()
