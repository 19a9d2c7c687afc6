"""Replay as a use case: decide a batch of JSON lines and count what happened, so that the
CLI can run batches in several processes and merge the counts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from warmline.core.conversation import parse_conversation
from warmline.core.decision.model import Decision
from warmline.core.errors import InvalidInput, Problem
from warmline.service.deciding import Decider


@dataclass
class ReplayStats:
    total: int = 0
    escalated: int = 0
    errors: int = 0
    by_action: Counter[str] = field(default_factory=Counter)
    by_code: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)
    qt_total: Counter[str] = field(default_factory=Counter)
    qt_escalated: Counter[str] = field(default_factory=Counter)

    def add(self, decision: Decision) -> None:
        self.total += 1
        self.by_action[decision.action.value] += 1
        qt = decision.signals.get("question_type", {}).get("label") or "(none)"
        self.qt_total[qt] += 1
        if not decision.is_handoff:
            return
        self.escalated += 1
        self.qt_escalated[qt] += 1
        self.by_code.update({r.code.value for r in decision.reasons})
        self.by_rule.update({r.rule for r in decision.reasons})

    def merge(self, other: ReplayStats) -> None:
        self.total += other.total
        self.escalated += other.escalated
        self.errors += other.errors
        for mine, theirs in ((self.by_action, other.by_action), (self.by_code, other.by_code),
                             (self.by_rule, other.by_rule), (self.qt_total, other.qt_total),
                             (self.qt_escalated, other.qt_escalated)):
            mine.update(theirs)


@dataclass
class BatchResult:
    """One output line per input line (a decision or an error record), in input order."""

    lines: list[str]
    stats: ReplayStats
    problems: list[str]


def decide_line(decider: Decider, line: bytes, number: int, source: str) -> Decision:
    """Decide one JSON line; errors are located at `source:number`."""
    try:
        data = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InvalidInput([Problem(f"not valid JSON: {getattr(err, 'msg', err)}", file=source,
                                    line=number, column=getattr(err, "colno", None))]) from err
    try:
        conversation = parse_conversation(data)
    except InvalidInput as err:
        raise InvalidInput([Problem(p.message, file=source, line=number, path=p.path)
                            for p in err.problems]) from err
    return decider.decide(conversation, now=datetime.now(UTC))


def replay_batch(decider: Decider, batch: Sequence[tuple[int, bytes]], source: str
                 ) -> BatchResult:
    stats = ReplayStats()
    out: list[str] = []
    problems: list[str] = []
    dumps = json.dumps
    for number, line in batch:
        try:
            decision = decide_line(decider, line, number, source)
        except InvalidInput as err:
            stats.errors += 1
            problems.extend(str(p) for p in err.problems)
            out.append(dumps({"line": number, "error": [str(p) for p in err.problems]},
                             ensure_ascii=False))
            continue
        stats.add(decision)
        out.append(dumps(decision.to_dict(), ensure_ascii=False))
    return BatchResult(out, stats, problems)
