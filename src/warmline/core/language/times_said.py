"""Times of day said in a conversation, as 24-hour "HH:MM".

Read: "3 pm", "3:30pm", "3 30 p.m." (spoken, after `digitize`), "15:30", "noon", "midnight",
"half past three", "quarter to four", "three o'clock", "9 in the morning", "7 tonight", and
"at 3" where the words after it make it a time ("at 3 tomorrow", "at 3?").
Without am/pm an hour from 1 to 7 is read as afternoon (contact-center hours: nobody books a
3 am cleaning); 8-12, a leading zero ("07:30") and 0 or 13-23 are taken as said.
"""

from __future__ import annotations

import re

from warmline.core.language.spoken import DIGITS, Mention, compile_fast, without_overlaps

__all__ = ["find_times"]

_FLAGS = re.IGNORECASE | re.ASCII
_H12 = r"(?P<h>1[0-2]|0?[1-9])"
_MIN = r"(?P<m>[0-5]\d)"
_MERIDIEM = compile_fast(
    rf"(?<![\d:.]){_H12}(?:(?::|\.|\s)\s?{_MIN})?\s*(?P<ap>[ap])\.?\s?m\b\.?", DIGITS, _FLAGS)
_CLOCK = compile_fast(r"(?<![\d:.])(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?![\d:])", DIGITS)
_NOON = compile_fast(
    r"\b(?:12\s+)?(?:(?P<noon>noon|midday)|(?P<midnight>midnight))\b", "1nm", _FLAGS)
_QUARTER = compile_fast(
    rf"\b(?P<q>half|(?:a\s+)?quarter)\s+(?P<rel>past|after|to|till|before)\s+{_H12}\b"
    r"(?!:|\s*(?:%|percent|dollars?|days?|weeks?|hours?))", "hqa", _FLAGS)
_OCLOCK = compile_fast(rf"(?<![\d:.]){_H12}\s+o'?\s?clock\b", DIGITS, _FLAGS)
_PERIOD = compile_fast(
    rf"(?<![\d:.]){_H12}(?:(?::|\s){_MIN})?\s+(?P<p>in\s+the\s+(?:morning|afternoon|evening)|"
    r"this\s+(?:morning|afternoon|evening)|tonight|at\s+night)\b", DIGITS, _FLAGS)
_AT = compile_fast(
    rf"\bat\s+{_H12}(?:(?::|\s){_MIN})?(?=\s*(?:[.,!?;)]|$|(?:today|tomorrow|tonight|on|this|"
    r"next|then|or|and|please|works?|is|would|sharp|instead|if)\b))", "a", _FLAGS)
_DIGIT = re.compile(r"\d")


def find_times(text: str) -> list[Mention]:
    """Every time of day in `text` as `(start, end, "HH:MM")`, in text order."""
    low = text.lower()
    found: list[Mention] = []
    if "noon" in low or "midday" in low or "midnight" in low:
        found += [(m.start(), m.end(), "12:00" if m["noon"] else "00:00")
                  for m in _NOON.finditer(text)]
    if _DIGIT.search(text) is None:
        return found
    if "m" in low:
        for m in _MERIDIEM.finditer(text):
            hour = int(m["h"]) % 12 + (12 if m["ap"].lower() == "p" else 0)
            found.append((m.start(), m.end(), _hhmm(hour, m["m"])))
    if ":" in text:
        found += [(m.start(), m.end(), _hhmm(_unmarked(m["h"]), m["m"]))
                  for m in _CLOCK.finditer(text)]
    if "half" in low or "quarter" in low:
        found += [(m.start(), m.end(), _quarter(m)) for m in _QUARTER.finditer(text)]
    if "clock" in low:
        found += [(m.start(), m.end(), _hhmm(_unmarked(m["h"]), None))
                  for m in _OCLOCK.finditer(text)]
    if "ing" in low or "noon" in low or "night" in low:
        found += [(m.start(), m.end(), _period(m)) for m in _PERIOD.finditer(text)]
    if "at" in low:
        found += [(m.start(), m.end(), _hhmm(_unmarked(m["h"]), m["m"]))
                  for m in _AT.finditer(text)]
    return without_overlaps(found)


def _period(m: re.Match[str]) -> str:
    """ "9 in the morning" -> 09:00, "3 this afternoon" -> 15:00, "7 tonight" -> 19:00."""
    hour = int(m["h"]) % 12
    if not m["p"].lower().endswith("morning"):
        hour += 12
    return _hhmm(hour, m["m"])


def _unmarked(hour_text: str) -> int:
    """An hour said without am/pm: 1-7 is afternoon unless written with a leading zero."""
    hour = int(hour_text)
    return hour + 12 if 1 <= hour <= 7 and not hour_text.startswith("0") else hour


def _quarter(m: re.Match[str]) -> str:
    hour = _unmarked(m["h"])
    minutes = 30 if m["q"].lower() == "half" else 15
    if m["rel"].lower() in {"to", "till", "before"}:
        hour, minutes = (hour - 1) % 24, 60 - minutes
    return _hhmm(hour, str(minutes))


def _hhmm(hour: int, minutes: str | None) -> str:
    return f"{hour:02d}:{int(minutes or 0):02d}"
