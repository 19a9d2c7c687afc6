"""Dates said in a conversation, as ISO dates, resolved against the local date of the turn.

Rules, so that every reader agrees:
- No year ("Nov 20", "11/20", "on the 3rd"): the candidate (last, this or next year; last, this or
  next month for a bare day) nearest the turn's date, which keeps it within about six months.
- Weekdays: "Friday" / "this Friday" is the next one on or after the turn's date (the last one
  on or before it when the clause says "called", "charged", "ago"...); "next Friday" is the
  Friday of next week (weeks start on Monday); "last Friday" the one before the turn's date.
  "next week" alone is the Monday of next week.
- Numbers: "11/20" is month first unless `day_first` (or the first number is above 12);
  two-digit years pivot at 69 as POSIX does ("26" -> 2026, "85" -> 1985); without a year,
  "1/2" or "3/4" (smaller number first, up to 8) is a fraction, not a date.
- Without a reference date only dates that carry their year are returned: nothing is guessed.
- "today" in "how can I help you today?" is small talk, not a date.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from warmline.core.language.spoken import DIGITS, Mention, compile_fast, without_overlaps

__all__ = ["find_dates"]

_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
           "sep": 9, "oct": 10, "nov": 11, "dec": 12}
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_MONTH = (r"(?P<mon>(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
          r"|May\b|MAY\b|may(?=\s+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b))")
_WEEKDAY = r"(?P<wd>(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b"
_LEAD = r"(?:(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday),?\s+)?"
_DAY = r"(?P<day>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\b(?!:)"
_YEAR = r"(?P<year>(?:19|20)\d{2}|(?:19|20) \d{2}|'\d{2})\b"
_FLAGS = re.IGNORECASE | re.ASCII

_MONTH_DAY = compile_fast(
    rf"\b{_LEAD}{_MONTH}\s*(?i:the\s+)?{_DAY}(?:,?\s+(?i:of\s+)?{_YEAR})?", "adfjmnostw", re.A)
_DAY_MONTH = compile_fast(
    rf"\b{_LEAD}(?i:the\s+)?{_DAY}\s+(?i:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?", DIGITS + "mtwfs",
    re.A)
_ISO = compile_fast(r"\b(?P<year>\d{4})-(?P<mon>\d{1,2})-(?P<day>\d{1,2})\b(?![-\d])", DIGITS)
_NUMERIC = compile_fast(
    r"(?<![\d/.:-])(?P<a>\d{1,2})(?P<sep>/|[.-](?=\d{1,2}[.-]\d))(?P<b>\d{1,2})"
    r"(?:(?P=sep)(?P<year>\d{4}|\d{2}))?(?![\d/]|[.-]\d)", DIGITS, 0)
_BARE_DAY = compile_fast(
    r"\b(?:on|by|until|till|before|after|since|from)\s+the\s+(?P<day>[12]\d|3[01]|0?[1-9])"
    r"(?:st|nd|rd|th)\b(?=\s*(?:[.,!?;)]|$|(?:at|and|or|please|then|instead|works?|is|would|if)"
    r"\b))", "abfostu", _FLAGS)
_RELATIVE = compile_fast(
    r"\b(?:(?P<after>(?:the\s+)?day\s+after\s+tomorrow)|(?P<before>(?:the\s+)?day\s+before\s+"
    r"yesterday)|(?P<today>today|tonight)|(?P<tomorrow>tomorrow|tmrw|tomorow)|"
    r"(?P<yesterday>yesterday))\b", "tyd", _FLAGS)
_WEEKDAY_DATE = compile_fast(
    rf"\b(?:(?P<mod>this\s+past|this\s+coming|this|next|last|coming|past)\s+)?{_WEEKDAY}"
    r"(?:,?\s+(?P<week>next|last|this)\s+week\b)?", "tnlcpmwfs", _FLAGS)
_WEEK_WEEKDAY = compile_fast(
    rf"\b(?P<week>next|last|this)\s+week\s*,?\s+(?:on\s+)?{_WEEKDAY}", "nlt", _FLAGS)
_NEXT_WEEK = compile_fast(r"\bnext\s+week\b", "n", _FLAGS)
_IN_DAYS = compile_fast(
    r"\bin\s+(?P<n>\d{1,3}|an?)\s+(?P<unit>days?|weeks?)\b|"
    r"\b(?P<n2>\d{1,3}|an?)\s+(?P<unit2>days?|weeks?)\s+ago\b", DIGITS + "ia", _FLAGS)
_PAST = re.compile(
    r"\b(?:called|charged|billed|came|paid|happened|went|spoke|talked|ordered|bought|received|"
    r"arrived|delivered|shipped|sent|cancell?ed|ago|yesterday)\b", _FLAGS)
_DIGIT = re.compile(r"\d")
#: "How can I help you today?" is a greeting, not a date a rep needs.
_HELP_TODAY = re.compile(r"\b(?:help|assist)(?:\s+(?:you|with|anything|else|further)){0,3}\s*$",
                         _FLAGS)
_RELATIVE_WORDS = ("today", "tonight", "tomorrow", "tmrw", "tomorow", "yesterday")
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_OFFSETS = {"after": 2, "before": -2, "today": 0, "tomorrow": 1, "yesterday": -1}


def find_dates(text: str, today: date | None, *, day_first: bool = False) -> list[Mention]:
    """Every date in `text` as `(start, end, "YYYY-MM-DD")`, in text order.

    Args:
        text: one utterance, with phones, amounts, percentages and times already masked.
        today: the turn's local date; `None` keeps only dates that carry a year.
        day_first: read "03/04" as 3 April (most of the world) rather than March 4 (US).
    """
    low = text.lower()
    has_digit = _DIGIT.search(text) is not None
    found: list[Mention] = []
    if has_digit:
        if any(month in low for month in _MONTHS):
            found += _absolute(_MONTH_DAY, text, today) + _absolute(_DAY_MONTH, text, today)
        if "-" in text:
            found += _absolute(_ISO, text, today)
        if "/" in text or "." in text or "-" in text:
            found += _numeric(text, today, day_first=day_first)
    if today is not None:
        found += _relative(text, low, today, has_digit=has_digit)
    return without_overlaps(found)


def _absolute(pattern: re.Pattern[str], text: str, today: date | None) -> list[Mention]:
    out: list[Mention] = []
    for m in pattern.finditer(text):
        mon = m["mon"]
        month = int(mon) if mon.isdigit() else _MONTHS[mon[:3].lower()]
        day = _resolve(_year(m["year"]), month, int(m["day"]), today)
        if day is not None:
            out.append((m.start(), m.end(), day.isoformat()))
    return out


def _numeric(text: str, today: date | None, *, day_first: bool) -> list[Mention]:
    out: list[Mention] = []
    for m in _NUMERIC.finditer(text):
        a, b = int(m["a"]), int(m["b"])
        if m["year"] is None and a < b <= 8:
            continue  # "1/2", "3/4": a fraction more often than a date
        month, day_of_month = (b, a) if (day_first or a > 12) and b <= 12 else (a, b)
        day = _resolve(_year(m["year"]), month, day_of_month, today)
        if day is not None:
            out.append((m.start(), m.end(), day.isoformat()))
    return out


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    digits = text.replace(" ", "").lstrip("'")
    year = int(digits)
    if len(digits) == 2:
        year += 2000 if year < 69 else 1900
    return year


def _resolve(year: int | None, month: int, day: int, today: date | None) -> date | None:
    """The date, or for a missing year the candidate nearest `today`; None when invalid."""
    if year is not None:
        return _date(year, month, day)
    if today is None:
        return None
    candidates = [d for y in (today.year - 1, today.year, today.year + 1)
                  if (d := _date(y, month, day)) is not None]
    return min(candidates, key=lambda d: (abs((d - today).days), d < today), default=None)


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _relative(text: str, low: str, today: date, *, has_digit: bool) -> list[Mention]:
    """Relative words; each pattern runs only when a word it needs is in `low` (speed)."""
    out: list[Mention] = []
    if any(word in low for word in _RELATIVE_WORDS):
        for m in _RELATIVE.finditer(text):
            if m.lastgroup == "today" and _HELP_TODAY.search(text, max(0, m.start() - 40),
                                                             m.start()):
                continue
            day = today + timedelta(_OFFSETS[m.lastgroup or ""])
            out.append((m.start(), m.end(), day.isoformat()))
    monday = today - timedelta(today.weekday())
    if any(name in low for name in _WEEKDAY_NAMES):
        for pattern in (_WEEKDAY_DATE, _WEEK_WEEKDAY):
            out += [(m.start(), m.end(), _weekday(m, today, monday).isoformat())
                    for m in pattern.finditer(text)]
    if "week" in low:
        out += [(m.start(), m.end(), (monday + timedelta(7)).isoformat())
                for m in _NEXT_WEEK.finditer(text)]
    if "day" in low or "week" in low:
        for m in _IN_DAYS.finditer(text):
            n, unit = (m["n"], m["unit"]) if m["n"] else (m["n2"], m["unit2"])
            days = (1 if n.isalpha() else int(n)) * (7 if unit[0] in "wW" else 1)
            day = today + timedelta(days if m["n"] else -days)
            out.append((m.start(), m.end(), day.isoformat()))
    if has_digit and "the" in low:
        for m in _BARE_DAY.finditer(text):
            near = _nearest_in_months(int(m["day"]), today)
            if near is not None:
                out.append((m.start(), m.end(), near.isoformat()))
    return out


def _weekday(m: re.Match[str], today: date, monday: date) -> date:
    wd = _WEEKDAYS[m["wd"][:3].lower()]
    week = (m["week"] or "").lower()
    if week:
        return monday + timedelta(wd + {"next": 7, "last": -7, "this": 0}[week])
    mod = " ".join((m["mod"] or "").lower().split())
    if mod == "next":
        return monday + timedelta(7 + wd)
    if mod in {"last", "past", "this past"} or (not mod and _is_past(m.string, m.start())):
        return today - timedelta((today.weekday() - wd) % 7 or (7 if mod else 0))
    return today + timedelta((wd - today.weekday()) % 7)


def _is_past(text: str, start: int) -> bool:
    """Whether the clause before `start` tells of something done ("I called on Monday")."""
    clause = re.split(r"[.!?;]", text[max(0, start - 60):start])[-1]
    return _PAST.search(clause) is not None


def _nearest_in_months(day: int, today: date) -> date | None:
    months = [(today.year, today.month)]
    months.append((today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1))
    months.append((today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1))
    candidates = [d for y, mo in months if (d := _date(y, mo, day)) is not None]
    return min(candidates, key=lambda d: (abs((d - today).days), d < today), default=None)
