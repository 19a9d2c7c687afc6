"""Opening hours: day ranges, several intervals a day, overnight intervals, `always`, holidays.

Written in a policy as ``{mon-fri: "08:00-18:00", sat: ["09:00-12:00", "13:00-15:00"],
holidays: [2026-12-25]}`` or the word ``always``. Times are local to the policy's zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
MINUTES_PER_DAY = 24 * 60


class HoursSyntaxError(ValueError):
    """A business-hours value is malformed; `key` names the offending entry."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True, slots=True)
class Hours:
    """When something is open. `weekly[d]` holds minute intervals [start, end) for weekday d
    (0 = Monday); an overnight interval is stored split across the two days."""

    weekly: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7
    always: bool = False
    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_open(self, local: datetime) -> bool:
        """Whether it is open at `local`, a time already in the policy's zone."""
        if self.always:
            return True
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.weekly[local.weekday()])


ALWAYS = Hours(always=True)


def _day_range(key: str) -> list[int]:
    parts = [p.strip().lower() for p in key.split("-")]
    if len(parts) == 1 and parts[0] in DAYS:
        return [DAYS.index(parts[0])]
    if len(parts) == 2 and parts[0] in DAYS and parts[1] in DAYS:
        first, last = DAYS.index(parts[0]), DAYS.index(parts[1])
        if last < first:  # "sat-mon" wraps over the week's end
            return [*range(first, 7), *range(last + 1)]
        return list(range(first, last + 1))
    if key.strip().lower() in ("daily", "everyday", "every-day"):
        return list(range(7))
    raise HoursSyntaxError(key, f"{key!r} is not a day or day range (use mon, tue, ..., sun, "
                           "a range like mon-fri, or daily)")


def _intervals(key: str, value: object) -> list[tuple[int, int]]:
    if isinstance(value, str) and value.strip().lower() == "closed":
        return []
    items: list[object]
    if isinstance(value, list):
        items = list(value)
    elif isinstance(value, str):
        items = list(value.split(","))
    else:
        items = [value]
    out: list[tuple[int, int]] = []
    for item in items:
        match = _INTERVAL.match(item) if isinstance(item, str) else None
        if match is None:
            raise HoursSyntaxError(key, f"{item!r} is not a time interval like \"08:00-18:00\"")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
            raise HoursSyntaxError(key, f"{item!r} has an impossible time of day")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if start == end:
            raise HoursSyntaxError(key, f"{item!r} is empty: start and end are the same")
        out.append((start, end))
    return out


def _holidays(value: object) -> frozenset[date]:
    if not isinstance(value, list):
        raise HoursSyntaxError("holidays", "holidays must be a list of dates like 2026-12-25")
    days: set[date] = set()
    for item in value:
        if isinstance(item, date) and not isinstance(item, datetime):
            days.add(item)
            continue
        try:
            days.add(date.fromisoformat(str(item)))
        except ValueError:
            raise HoursSyntaxError(
                "holidays", f"{item!r} is not a date like 2026-12-25") from None
    return frozenset(days)


def parse_hours(value: object) -> Hours:
    """Build `Hours` from a policy value: ``"always"`` or a mapping of day ranges.

    Raises:
        HoursSyntaxError: naming the entry that is wrong.
    """
    if isinstance(value, str) and value.strip().lower() in ("always", "24/7"):
        return ALWAYS
    if not isinstance(value, Mapping):
        raise HoursSyntaxError("", f"expected `always` or a mapping like "
                               f"{{mon-fri: \"08:00-18:00\"}}, got {value!r}")
    weekly: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    holidays: frozenset[date] = frozenset()
    for raw_key, spec in value.items():
        key = str(raw_key)
        if key == "holidays":
            holidays = _holidays(spec)
            continue
        for day in _day_range(key):
            for start, end in _intervals(key, spec):
                if end > start:
                    weekly[day].append((start, end))
                else:  # overnight, e.g. 22:00-06:00: split over midnight
                    weekly[day].append((start, MINUTES_PER_DAY))
                    weekly[(day + 1) % 7].append((0, end))
    return Hours(weekly=tuple(tuple(sorted(d)) for d in weekly), holidays=holidays)
