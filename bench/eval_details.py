"""Detail extraction measured on the held-out labelled set `tests/data/briefs/` (written by
hand, by someone who never saw the extractor, and never used to tune it).

    python bench/eval_details.py [--show-errors]

Scores every SPEC §2 detail key: scalars (name, phone, email, account, order) exact after
normalising case and separators for ids; lists (dates, times, amounts) as sets. Prints
precision, recall and F1 per key and overall (micro-averaged over values)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "briefs"
SCALARS = ("name", "phone", "email", "account", "order")
LISTS = ("dates", "times", "amounts")


def _norm(key: str, value: str) -> str:
    if key in ("account", "order"):
        return re.sub(r"[\s\-/.]", "", value).upper()
    if key in ("name", "email"):
        return " ".join(value.lower().split())
    return value


def _values(key: str, details: dict[str, Any]) -> set[str]:
    if key not in details:
        return set()
    raw = details[key]
    items = raw if isinstance(raw, list) else [raw]
    return {_norm(key, str(v)) for v in items}


def score(show_errors: bool = False) -> dict[str, Counter[str]]:
    sys.path.insert(0, str(ROOT / "src"))
    from warmline.core.conversation import parse_conversation
    from warmline.core.language.entities import extract_details

    counts: dict[str, Counter[str]] = {k: Counter() for k in (*SCALARS, *LISTS)}
    for path in sorted(DATA.glob("conv-*.json")):
        data = json.loads(path.read_text())
        conv = parse_conversation(data)
        found = extract_details(conv.turns, zone=ZoneInfo(data["timezone"]),
                                region=data.get("region"),
                                fallback_time=conv.last_time()).to_dict()
        for key, tally in counts.items():
            want, got = _values(key, data["expected"]), _values(key, found)
            tally["tp"] += len(want & got)
            tally["fp"] += len(got - want)
            tally["fn"] += len(want - got)
            if show_errors and want != got:
                print(f"{path.name} {key}: expected {sorted(want)} got {sorted(got)}")
    return counts


def _prf(c: Counter[str]) -> tuple[float, float, float]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show-errors", action="store_true")
    counts = score(parser.parse_args().show_errors)
    total: Counter[str] = Counter()
    print(f"{'key':<10}{'precision':>10}{'recall':>8}{'F1':>7}{'TP':>6}{'FP':>5}{'FN':>5}")
    for key, c in counts.items():
        total.update(c)
        p, r, f = _prf(c)
        print(f"{key:<10}{p:>10.1%}{r:>8.1%}{f:>7.1%}{c['tp']:>6}{c['fp']:>5}{c['fn']:>5}")
    p, r, f = _prf(total)
    print(f"{'all':<10}{p:>10.1%}{r:>8.1%}{f:>7.1%}{total['tp']:>6}{total['fp']:>5}"
          f"{total['fn']:>5}")


if __name__ == "__main__":
    main()
