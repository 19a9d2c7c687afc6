"""Labelled answer history for `warmline calibrate`: CSV rows `question_type,confidence,correct`
read into `Answer`s, every bad cell reported with its file, line and column (pure: the
caller passes the text)."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from warmline.core.errors import InvalidInput, Problem
from warmline.core.handoff import Handoff

COLUMNS = ("question_type", "confidence", "correct")
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "t", "correct", "right"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "f", "wrong", "incorrect"})
#: Stop listing after this many bad cells: one mistake repeated 10,000 times is one message.
MAX_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class Answer:
    """One AI answer: its question type, the AI's confidence (0..1) and whether it was right."""

    question_type: str
    confidence: float
    correct: bool


def _columns(line: str, fields: Sequence[str]) -> list[int]:
    """1-based character column where each field starts (exact for unquoted fields)."""
    out, start = [], 0
    for value in fields:
        found = line.find(value, start) if value else start
        column = found if found >= 0 else start
        if column > 0 and line[column - 1] == '"':
            column -= 1
        out.append(column + 1)
        start = column + len(value) + 1
    return out


def _truth(text: str) -> bool | None:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def read_history(text: str, *, source: str) -> list[Answer]:
    """Parse history CSV text. Extra columns are ignored; blank lines are skipped.

    Raises:
        InvalidInput: a missing column, or any bad cell (file, line, column, field named).
    """
    lines = text.lstrip("\ufeff").splitlines()
    header_at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        raise InvalidInput([Problem("is empty; expected a header "
                                    "`question_type,confidence,correct`", file=source)])
    header = [h.strip().lower() for h in next(csv.reader([lines[header_at]]))]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidInput([Problem(
            f"the header lacks {', '.join(repr(m) for m in missing)}; expected the columns "
            f"question_type,confidence,correct (got {','.join(header)})",
            file=source, line=header_at + 1, column=1)])
    index = {name: header.index(name) for name in COLUMNS}
    answers: list[Answer] = []
    problems: list[Problem] = []
    for number, line in enumerate(lines[header_at + 1:], start=header_at + 2):
        if not line.strip():
            continue
        fields = next(csv.reader([line]))
        answer = _row(fields, _columns(line, fields), index, at=(source, number),
                      problems=problems)
        if answer is not None:
            answers.append(answer)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InvalidInput(problems)
    return answers


def _row(fields: Sequence[str], columns: Sequence[int], index: dict[str, int], *,
         at: tuple[str, int], problems: list[Problem]) -> Answer | None:
    source, number = at

    def fail(name: str, message: str) -> None:
        i = index[name]
        column = columns[i] if i < len(columns) else (columns[-1] if columns else 1)
        problems.append(Problem(message, file=source, line=number, column=column, path=name))

    if len(fields) <= max(index.values()):
        problems.append(Problem(f"expected {max(index.values()) + 1} columns, got "
                                f"{len(fields)}", file=source, line=number, column=1))
        return None
    before = len(problems)
    question_type = fields[index["question_type"]].strip()
    if not question_type:
        fail("question_type", "is empty; name the question type (e.g. billing)")
    raw = fields[index["confidence"]].strip()
    try:
        confidence = float(raw)
    except ValueError:
        confidence = math.nan
    if not 0.0 <= confidence <= 1.0:
        fail("confidence", f"{raw!r} is not a number from 0 to 1")
    correct = _truth(fields[index["correct"]])
    if correct is None:
        fail("correct", f"{fields[index['correct']].strip()!r} is not true or false "
                        "(also accepted: 1/0, yes/no, correct/wrong)")
    if len(problems) > before or correct is None:
        return None
    return Answer(question_type, confidence, correct)


def write_history(answers: Iterable[Answer]) -> str:
    """The CSV text of `answers`, header first (what `read_history` reads back)."""
    lines = [",".join(COLUMNS)]
    lines += [f"{_quoted(a.question_type)},{a.confidence:.4f},{str(a.correct).lower()}"
              for a in answers]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    if any(ch in text for ch in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


@dataclass(frozen=True, slots=True)
class LabelledHandoff:
    """A history row exported from a server's handoffs, with where its label came from."""

    answer: Answer
    source: str
    """``rep`` (the rep's "the AI's answer was wrong"), ``repeat_contact`` (the customer
    came back within the window) or ``no_repeat_contact`` (the window passed without)."""
    handoff_id: str


def label_handoffs(handoffs: Sequence[Handoff],
                   contacts: Mapping[str, Sequence[tuple[datetime, str]]], *,
                   window: timedelta, now: datetime) -> list[LabelledHandoff]:
    """History rows from handoffs whose decision carried a confidence and a question type.

    `correct` is the rep's word when given (`ai_was_wrong`); else False when the customer
    contacted again (another conversation) within `window`, True when the whole window has
    passed without; handoffs with neither (anonymous, or too recent) are left out."""
    out = []
    for h in handoffs:
        signals = h.decision.get("signals")
        if not isinstance(signals, Mapping):
            continue
        confidence = _field(signals, "confidence", "confidence")
        question_type = _field(signals, "question_type", "label")
        if not isinstance(confidence, int | float) or not isinstance(question_type, str):
            continue
        if h.ai_was_wrong is not None:
            correct, source = not h.ai_was_wrong, "rep"
        elif h.customer_key:
            later = [at for at, conversation in contacts.get(h.customer_key, ())
                     if conversation != h.conversation_id
                     and h.created_at < at <= h.created_at + window]
            if later:
                correct, source = False, "repeat_contact"
            elif now - h.created_at >= window:
                correct, source = True, "no_repeat_contact"
            else:
                continue
        else:
            continue
        out.append(LabelledHandoff(Answer(question_type, float(confidence), correct), source,
                                   h.id))
    return out


def _field(signals: Mapping[str, Any], name: str, key: str) -> object:
    found = signals.get(name)
    return found.get(key) if isinstance(found, Mapping) else None


def write_labelled(rows: Iterable[LabelledHandoff]) -> str:
    """CSV of exported rows: the three history columns, then `source,handoff_id`."""
    lines = [",".join((*COLUMNS, "source", "handoff_id"))]
    lines += [f"{_quoted(r.answer.question_type)},{r.answer.confidence:.4f},"
              f"{str(r.answer.correct).lower()},{r.source},{_quoted(r.handoff_id)}"
              for r in rows]
    return "\n".join(lines) + "\n"
