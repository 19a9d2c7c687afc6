"""The key details a rep needs, read deterministically from what was said (SPEC §2 `details`).

No model, no IO: compiled patterns and `phonenumbers`. Scalars (name, phone, email, account,
order) take the customer's latest statement, else the latest from the AI or a rep; dates, times
and amounts list every distinct value in order of first mention. `system` turns are not speech
and are skipped. A detail is only ever returned if its text is in a turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from warmline.core.conversation import Speaker, Turn
from warmline.core.language.dates import find_dates
from warmline.core.language.identity import (
    find_emails,
    find_ids,
    find_names,
    find_phones,
    phone_region,
)
from warmline.core.language.money import find_amounts, find_percentages
from warmline.core.language.spoken import digitize, mask
from warmline.core.language.times_said import find_times

__all__ = ["Details", "extract_details", "phone_region", "scan_text"]

#: Longer turns are read up to here: a pasted document is not what a rep needs summarised.
MAX_TEXT = 4000
_SPACES_AND_QUOTES = str.maketrans({
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u201c": '"', "\u201d": '"',
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u2013": "-", "\u2014": "-",
    "\u2011": "-", "\x00": " "})
#: Regions that write numeric dates month first; everyone else reads "03/04" as 3 April.
_MONTH_FIRST = frozenset({"US", "CA", "PH", "FM", "MH", "PW", "GU", "AS", "PR", "VI", "MP"})


@dataclass(frozen=True, slots=True)
class Details:
    """SPEC §2 `brief.details`; only what was said in the conversation.

    Forms: `phone` E.164 ("+15125550143"); `email` lower-cased; `account` / `order` as said,
    upper-cased, spoken "dash" as "-" ("PRO-48213"); `dates` ISO ("2026-11-25"); `times` 24 h
    ("15:00"); `amounts` symbol, thousands separators and two decimals ("$1,299.99", "€50.00",
    "£12.50", "CA$20.00"). Rules for years, weekdays and am/pm: `warmline.core.language.dates`,
    `warmline.core.language.times_said`, `warmline.core.language.money`.
    """

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    account: str | None = None
    order: str | None = None
    dates: tuple[str, ...] = ()
    times: tuple[str, ...] = ()
    amounts: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The SPEC keys that were found, and nothing else."""
        out: dict[str, Any] = {}
        for key in ("name", "phone", "email", "account", "order"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        for key in ("dates", "times", "amounts"):
            values = getattr(self, key)
            if values:
                out[key] = list(values)
        return out


@dataclass(slots=True)
class TextDetails:
    """What one utterance says, each kind in text order (scalars may repeat: last one wins)."""

    scalars: list[tuple[str, str]] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    times: list[str] = field(default_factory=list)
    amounts: list[str] = field(default_factory=list)


def extract_details(
    turns: Sequence[Turn], *, zone: tzinfo, region: str | None = None,
    fallback_time: datetime | None = None,
) -> Details:
    """The details said in `turns`.

    Args:
        turns: the conversation so far.
        zone: the policy's time zone; relative dates use the turn's local date there.
        region: ISO country ("US", "GB") for national phone numbers and numeric dates; without
            one only "+"-prefixed phone numbers are read, and "03/04" is month first.
        fallback_time: the time of a turn without `at` when no earlier turn has one.
    """
    customer: dict[str, str] = {}
    others: dict[str, str] = {}
    lists: dict[str, dict[str, None]] = {"dates": {}, "times": {}, "amounts": {}}
    region = region.upper() if region else None
    at = fallback_time
    for turn in turns:
        at = turn.at or at
        if turn.speaker is Speaker.SYSTEM or not turn.text:
            continue
        is_customer = turn.speaker is Speaker.CUSTOMER
        found = scan_text(turn.text, today=_local_date(at, zone), region=region,
                          is_customer=is_customer)
        (customer if is_customer else others).update(found.scalars)
        lists["dates"].update(dict.fromkeys(found.dates))
        lists["times"].update(dict.fromkeys(found.times))
        lists["amounts"].update(dict.fromkeys(found.amounts))
    scalars = {**others, **customer}
    return Details(
        name=scalars.get("name"), phone=scalars.get("phone"), email=scalars.get("email"),
        account=scalars.get("account"), order=scalars.get("order"),
        dates=tuple(lists["dates"]), times=tuple(lists["times"]),
        amounts=tuple(lists["amounts"]))


def _local_date(at: datetime | None, zone: tzinfo) -> date | None:
    if at is None:
        return None
    return (at.astimezone(zone) if at.tzinfo is not None else at).date()


def _normalise(text: str) -> str:
    """Straight quotes, plain spaces and hyphens, no NULs (the mask); same length."""
    if text.isascii() and "`" not in text and "\x00" not in text:
        return text  # the common case: skip the copy
    return text.translate(_SPACES_AND_QUOTES)


def scan_text(text: str, *, today: date | None, region: str | None = None,
              is_customer: bool = True) -> TextDetails:
    """Every detail in one utterance; `today` is its local date (None: no relative dates).

    Each kind is masked once found, in this order, so that no text is read twice: e-mails,
    amounts, percentages, account and order numbers, times, phone numbers, then dates and names.
    """
    t = digitize(_normalise(text[:MAX_TEXT]))
    out = TextDetails()
    emails = find_emails(t, is_customer=is_customer)
    t = mask(t, emails)
    amounts = find_amounts(t, region)
    t = mask(mask(t, amounts), find_percentages(t))
    ids = find_ids(t)
    t = mask(t, [m for _, m in ids])
    times = find_times(t)
    t = mask(t, times)
    phones, phone_like = find_phones(t, region, is_customer=is_customer)
    t = mask(t, phone_like)
    day_first = region is not None and region.upper() not in _MONTH_FIRST
    out.dates = [v for _, _, v in find_dates(t, today, day_first=day_first)]
    out.times = [v for _, _, v in times]
    out.amounts = [v for _, _, v in amounts]
    names = find_names(t, is_customer=is_customer)
    mentions = [*(("email", m) for m in emails), *(("phone", m) for m in phones),
                *(("name", m) for m in names), *ids]
    mentions.sort(key=lambda km: km[1][0])
    out.scalars = [(kind, value) for kind, (_, _, value) in mentions]
    return out
