"""PII redaction for briefs, whispers, logs and stored transcripts (SPEC §3 `redact:`), and the
detectors of values said in words: dates of birth, emails, addresses, names (numbers: `pii`).

Each value of a listed kind becomes a typed mask (``[card •••• 1111]``); everything else,
including values of kinds the policy did not list, stays byte for byte. Pure and deterministic.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Iterator, Sequence
from functools import lru_cache

from warmline.core.language.pii import (
    CARD_DIGITS,
    TAIL_MIN_CHARS,
    Found,
    find_accounts,
    find_cards,
    find_cued_cards,
    find_ibans,
    find_phones,
    find_spoken_numbers,
    find_ssns,
    last_alnum,
    luhn_valid,
)

__all__ = ["KINDS", "MASK", "as_said", "luhn_valid", "mask", "redact", "redact_value"]

#: What `redact:` may name; equal to `warmline.core.policy.model.REDACT_KINDS`.
KINDS = frozenset({
    "card_number", "ssn", "date_of_birth", "email", "phone", "account", "iban", "address", "name",
})
#: Most specific first: on equal spans the earlier kind wins (a card is not also a phone).
KIND_ORDER = ("card_number", "iban", "ssn", "account", "phone", "date_of_birth", "email",
              "address", "name")
# Cards (Luhn-valid, or 13-19 digits after a card cue) and IBANs (mod-97) beat SSNs (SSA
# rules) beat the cue-and-shape kinds, whatever their length, so a Luhn-valid card inside a
# longer "account number ..." is still a card.
_TIER = {"card_number": 0, "iban": 0, "ssn": 1}
_MASKS = {
    "card_number": "[card •••• {}]", "ssn": "[ssn •••-••-{}]", "phone": "[phone •••• {}]",
    "account": "[account ••••{}]", "iban": "[iban •••• {}]", "date_of_birth": "[date of birth]",
    "email": "[email]", "address": "[address]", "name": "[name]",
}
_DIGIT = re.compile(r"[0-9]")
SSN_DIGITS = 9
_IN_IBANS = frozenset({"iban", "account", "phone"})
#: A mask as `mask` writes it; group 1 is its label ("card", "date of birth" ...).
MASK = re.compile(r"\[(card|ssn|phone|account|iban|date of birth|email|address|name)"
                  r"(?: [•\- 0-9A-Za-z]+)?\]")
#: What a word model (which reads every digit as 0) would have read for a masked value: the
#: usual shape of the digits, or nothing for values of words (names, addresses, emails).
_SAID = {"card": "0000 0000 0000 0000", "ssn": "000-00-0000", "phone": "000-000-0000",
         "account": "00000000", "iban": "", "date of birth": "00/00/0000", "email": "",
         "address": "", "name": ""}
_SPOKEN_KINDS = frozenset({"card_number", "ssn", "account", "phone"})


def redact(text: str, kinds: Collection[str], *, names: Sequence[str] = (),
           region: str | None = None) -> str:
    """Replace each value of a kind in ``kinds`` with its typed mask.

    Args:
        text: an utterance, summary, whisper or log line.
        kinds: names from `KINDS`; values of other kinds are left exactly as they are.
        names: the customer's known name parts, masked as whole words in any case.
        region: ISO country for national phone formats (default ``US``).

    Raises:
        ValueError: a kind is not in `KINDS`.
    """
    wanted = _known(kinds)
    if not wanted or not text:
        return text
    found = list(_candidates(text, wanted, names, region))
    if not found:
        return text
    chosen = [f for f in _winners(found, wanted) if f.kind in wanted]
    return _splice(text, chosen)


def as_said(text: str) -> str:
    """``text`` with each mask replaced by what an intent model would have read for the
    value, so that masking a card or an SSN does not change what the customer seems to want
    (the words of a mask, "card", "account", are not what was said)."""
    if "[" not in text:
        return text
    return MASK.sub(lambda m: _SAID[m[1]], text)


def redact_value(kind: str, value: str) -> str:
    """The mask for one already-extracted detail value (``brief.details``) of ``kind``."""
    (kind,) = _known((kind,))
    if kind in {"account", "iban"}:
        significant = last_alnum(value, n=len(value))
    else:
        significant = "".join(str(int(ch)) for ch in value if ch.isdecimal())
    return mask(kind, significant[-4:] if len(significant) >= TAIL_MIN_CHARS else "")


def mask(kind: str, tail: str = "") -> str:
    """``[card •••• 1111]`` with a tail; ``[card]`` without one."""
    template = _MASKS[kind]
    if "{}" not in template:
        return template
    return template.format(tail) if tail else f"[{template[1:].split(' ', 1)[0]}]"


def _known(kinds: Collection[str]) -> frozenset[str]:
    wanted = frozenset(kinds)
    unknown = wanted - KINDS
    if unknown:
        raise ValueError(f"unknown redaction kind {sorted(unknown)[0]!r} "
                         f"(known: {', '.join(sorted(KINDS))})")
    return wanted


def _candidates(text: str, wanted: frozenset[str], names: Sequence[str],
                region: str | None) -> Iterator[Found]:
    """The listed kinds' candidates, plus unlisted values that can hold a listed one inside
    them (an IBAN holds card-like digits, an email or a street address holds a name), so that
    masking never cuts into a detail the policy did not list."""
    digits = len(_DIGIT.findall(text))  # a cheap gate for each kind of number
    if digits:
        # An IBAN can hold a card's digits, or be mistaken for an account or a phone.
        ibans = (list(find_ibans(text)) if digits >= CARD_DIGITS.start or wanted & _IN_IBANS
                 else [])
        checked = list(ibans)
        if "card_number" in wanted and digits >= CARD_DIGITS.start:
            checked += [*find_cards(text, ibans=ibans), *find_cued_cards(text)]
        if "ssn" in wanted and digits >= SSN_DIGITS:
            checked += find_ssns(text)
        yield from checked
        if "account" in wanted:
            yield from find_accounts(text)
        if "phone" in wanted:
            # A phone never beats a card, IBAN or SSN, and the matcher is slowest on their
            # long digit runs: hide them from it.
            yield from find_phones(_hidden(text, checked), region)
        if wanted & {"address", "name"}:
            yield from find_addresses(text)
    if wanted & _SPOKEN_KINDS:
        yield from find_spoken_numbers(text, wanted, region)
    if "date_of_birth" in wanted and _DOB_GATE.search(text.lower()):
        yield from find_dates_of_birth(text)
    yield from find_emails(text)
    if "name" in wanted:
        yield from find_names(text, names)


def _hidden(text: str, spans: Sequence[Found]) -> str:
    """``text`` with each span's characters replaced by ``x``; positions stay the same."""
    if not spans:
        return text
    chars = list(text)
    for f in spans:
        chars[f.start:f.end] = "x" * (f.end - f.start)
    return "".join(chars)


def _winners(found: list[Found], wanted: frozenset[str]) -> list[Found]:
    """Non-overlapping spans. Equal spans: a listed kind, then the more specific. Otherwise
    the higher tier, then the longer span, then a listed kind, then the more specific."""
    same_span: dict[tuple[int, int], Found] = {}
    for f in sorted(found, key=lambda f: (f.kind not in wanted, KIND_ORDER.index(f.kind))):
        same_span.setdefault((f.start, f.end), f)
    ranked = sorted(same_span.values(), key=lambda f: (
        _TIER.get(f.kind, 2), f.start - f.end, f.kind not in wanted,
        KIND_ORDER.index(f.kind), f.start))
    chosen: list[Found] = []  # sorted by start, never overlapping
    for f in ranked:
        i = bisect.bisect_left(chosen, f.start, key=lambda c: c.start)
        if (i == 0 or chosen[i - 1].end <= f.start) and (
                i == len(chosen) or chosen[i].start >= f.end):
            chosen.insert(i, f)
    return chosen


def _splice(text: str, spans: list[Found]) -> str:
    """``text`` with each span (sorted, disjoint) replaced by its mask."""
    out: list[str] = []
    pos = 0
    for f in spans:
        out += (text[pos:f.start], mask(f.kind, f.tail))
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


# --- dates of birth -------------------------------------------------------------------------

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?")
_UNITS = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_TENS = r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
_TEENS = r"(?:ten|eleven|twelve|(?:thir|four|fif|six|seven|eigh|nine)teen)"
_ORDINAL = (r"(?:(?:twenty|thirty)[\s-])?(?:first|second|third|fourth|fifth|sixth|seventh"
            r"|eighth|ninth)|tenth|eleventh|twelfth|(?:thir|four|fif|six|seven|eigh|nine)teenth"
            r"|twentieth|thirtieth")
_DAY = rf"(?:[0-9]{{1,2}}(?:st|nd|rd|th)?(?![0-9])|{_ORDINAL})"
_SPOKEN_YEAR = (rf"(?:(?:nineteen|twenty)[\s-](?:{_TENS}(?:[\s-]{_UNITS})?|{_TEENS}"
                rf"|oh[\s-]{_UNITS}|hundred)|two\s+thousand(?:\s+(?:and\s+)?(?:{_TENS}"
                rf"(?:[\s-]{_UNITS})?|{_TEENS}|{_UNITS}))?)\b")
_YEAR = rf"(?:(?:19|20)[0-9]{{2}}(?![0-9])|'[0-9]{{2}}(?![0-9])|{_SPOKEN_YEAR})"
_DATE = (rf"(?:[0-9]{{1,2}}[/.-][0-9]{{1,2}}[/.-](?:[0-9]{{4}}|[0-9]{{2}})(?![0-9])"
         rf"|(?:19|20)[0-9]{{2}}-[0-9]{{1,2}}-[0-9]{{1,2}}(?![0-9])"
         rf"|{_MONTH}\s+(?:the\s+)?{_DAY}(?:,?\s+(?:of\s+)?{_YEAR})?"
         rf"|(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?"
         rf"|{_MONTH},?\s+(?:of\s+)?{_YEAR}"
         rf"|{_YEAR})")
# Case-sensitive gates on lowered text cost a fraction of the IGNORECASE patterns they guard.
_DOB_GATE = re.compile(r"dob|d\.o\.b|birth|born")
_DOB = re.compile(
    r"\b(?:dob\b|d\.o\.b\.?|date\s+of\s+birth|birth\s*date|birthday|born|gave\s+birth\s+to\s+me)"
    r"(?:[\s:,=-]|[’']s\b|\b(?:is|was|on|in|it[’']?s|it\s+is|of|(?:would|should|will)\s+be)"
    r"\b){0,8}?"
    rf"(?<![0-9A-Za-z])({_DATE})", re.IGNORECASE)


def find_dates_of_birth(text: str) -> Iterator[Found]:
    """A date (numeric, with a month name, or spoken) right after DOB, date of birth, born ..."""
    for m in _DOB.finditer(text):
        yield Found(m.start(1), m.end(1), "date_of_birth")


# --- email addresses ------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+"
                    r"(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])")
_SPOKEN_EMAIL = re.compile(
    r"(?<![a-z0-9])([a-z0-9]+(?:\s+(?:dot|period|underscore|dash|hyphen)\s+[a-z0-9]+){0,5})"
    r"\s+at\s+([a-z0-9]+(?:\s+dot\s+[a-z0-9]+){0,3}?)\s+dot\s+"
    r"(?:com|net|org|edu|gov|io|co|us|uk|ca|de|fr|au|info|biz|me|ai)(?![a-z0-9])",
    re.IGNORECASE)
_EMAIL_CUE = re.compile(r"\b(?:e-?mail|mail|address)\b[^.?!]{0,30}$", re.IGNORECASE)
_MAIL_PROVIDERS = frozenset({
    "gmail", "googlemail", "yahoo", "hotmail", "outlook", "icloud", "aol", "protonmail",
    "proton", "live", "msn", "mac", "comcast", "verizon", "att", "gmx", "zoho",
})
# One-word "mailboxes" that are ordinary speech: "I bought it at amazon dot com".
_NOT_A_MAILBOX = frozenset({
    "me", "us", "him", "her", "them", "it", "you", "that", "this", "i", "we", "they", "here",
    "there", "home", "look", "looked", "bought", "ordered", "shop", "shopped", "online", "one",
    "something", "anything", "everything", "stuff", "paid", "signed", "up", "in", "out",
})


def find_emails(text: str) -> Iterator[Found]:
    """Written addresses, and spoken ones ("john dot smith at gmail dot com")."""
    if "@" in text:
        for m in _EMAIL.finditer(text):
            yield Found(m.start(), m.end(), "email")
    lowered = text.lower()
    if " at " in lowered and " dot " in lowered:
        for m in _SPOKEN_EMAIL.finditer(text):
            if _is_mailbox(text, m):
                yield Found(m.start(), m.end(), "email")


def _is_mailbox(text: str, m: re.Match[str]) -> bool:
    local, domain = m[1].lower(), m[2].lower().split()[0]
    if " " not in local and local in _NOT_A_MAILBOX:
        return False
    return (" " in local or any(ch.isdigit() for ch in local) or domain in _MAIL_PROVIDERS
            or _EMAIL_CUE.search(text, max(0, m.start() - 40), m.start()) is not None)


# --- street addresses -----------------------------------------------------------------------

_SUFFIXES = ("street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "ln",
             "drive", "dr", "court", "ct", "place", "pl", "way", "terrace", "circle", "parkway",
             "pkwy", "highway", "hwy", "square", "trail", "crescent", "plaza", "alley")
_HOUSE = r"(?<![A-Za-z0-9])[0-9]{1,6}[A-Za-z]?"
_UNIT = r"(?:,?\s+(?:apt|apartment|suite|ste|unit|\#)\.?\s*\#?[a-z0-9-]+)?"
_ZIP = r"[0-9]{5}(?:-[0-9]{4})?(?![0-9])"
_CITY = r"[a-z]+(?:,?\s+[a-z]+){0,2}"
_STATE = r"(?-i:[A-Z]{2})\b"
# City and state after a comma, or anything up to a ZIP code.
_PLACE = (rf"(?:,?\s+{_CITY},?\s+(?:{_STATE}\s+)?{_ZIP}|,\s*{_CITY},?\s+{_STATE}"
          rf"|,?\s+{_ZIP})?")
# Without a cue the street name must look like one: capitalised words before a capitalised
# suffix, so "paid 40 dollars on the way" stays.
_STREET = re.compile(
    rf"{_HOUSE}(?:\s+(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?)?"
    rf"(?:\s+(?:[A-Z][a-z]+|[0-9]{{1,3}}(?:st|nd|rd|th))){{1,3}}"
    rf"\s+(?:{'|'.join(s.title() for s in _SUFFIXES)})\b\.?(?i:{_UNIT}{_PLACE})")
_CUED_STREET = re.compile(
    r"\b(?:i\s+live\s+(?:at|on)|live\s+at|(?:my\s+|home\s+)?address\s+is|address:"
    r"|located\s+at|reside\s+at|(?:ship|send|mail|deliver)\s+(?:it\s+|them\s+)?to)\s+"
    rf"({_HOUSE}(?:\s+[a-z0-9.'’-]+){{1,4}}?\s+(?:{'|'.join(_SUFFIXES)})\b\.?{_UNIT}{_PLACE})",
    re.IGNORECASE)
_PO_BOX = re.compile(r"\b(?:p\.?\s?o\.?\s*box|post\s+office\s+box)\s+[0-9]+\b", re.IGNORECASE)


def find_addresses(text: str) -> Iterator[Found]:
    """A house number, street name and suffix (with unit, city, state, ZIP when given)."""
    for m in _STREET.finditer(text):
        yield Found(m.start(), m.end(), "address")
    for m in _CUED_STREET.finditer(text):
        yield Found(m.start(1), m.end(1), "address")
    for m in _PO_BOX.finditer(text):
        yield Found(m.start(), m.end(), "address")


# --- names ----------------------------------------------------------------------------------

_NAME_CUE = re.compile(
    r"\b(?:(?P<strong>(?:my\s+)?(?:(?:first|last|full|sur)\s*)?name\s+is|(?:my\s+)?name[’']s)"
    r"|call\s+me|this\s+is|i\s+am|i[’']m|it[’']s|it\s+is|speaking\s+with"
    r"|you[’']re\s+(?:speaking|talking)\s+(?:to|with))[ \t]+", re.IGNORECASE)
_NAME_GATE = re.compile(r"name|this\s+is|i\s+am|i[’']m|it[’']s|it\s+is|call\s+me|speaking\s+with"
                        r"|you[’']re")
_NAME_TOKEN = re.compile(r"([^\W\d_](?:[^\W\d_]|[’'-])*)(?![\w’'-])([ \t]+)?")
_NAME_MAX_WORDS = 3
# Capitalised words that follow "this is" / "I'm" / "it's" and are not names.
_NOT_NAMES_TEXT = """
a an the and or but not no so very really just here oh um uh er well there now calling trying
going looking wondering sorry fine good great okay ok from with about for regarding in on at to
of by my your our his her their this that it i you we they me us him them is was be been am are
have has had do does did will would can could should may might must also still only glad happy
sure yes yeah hi hello hey thanks thank please urgent important ridiculous unacceptable
frustrated customer support service agent team monday tuesday wednesday thursday friday
saturday sunday january february march april june july august september october november
december today tomorrow yesterday spelled spelt card number account same different right wrong
correct under listed visa mastercard amex discover bank back what who how why when where which
again
"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())


def find_names(text: str, names: Sequence[str]) -> Iterator[Found]:
    """The customer's known name parts as whole words, and names said after a cue: "my name
    is X Y" (any case), "this is X", "I'm X", "it's X", "call me X" (capitalised words only)."""
    yield from _known_names(text, names)
    if not _NAME_GATE.search(text.lower()):
        return
    for cue in _NAME_CUE.finditer(text):
        # Every prefix is a candidate: "my name is Sam sam@x.com" still masks "Sam".
        for end in _cued_name_ends(text, cue.end(), strong=cue["strong"] is not None):
            yield Found(cue.end(), end, "name")


def _cued_name_ends(text: str, pos: int, *, strong: bool) -> Iterator[int]:
    for _ in range(_NAME_MAX_WORDS):
        m = _NAME_TOKEN.match(text, pos)
        if m is None:
            return
        word = m[1]
        if (len(word) < 2 or word.lower() in _NOT_NAMES
                or not (strong or word[0].isupper())):
            return
        yield m.end(1)
        if m[2] is None:
            return
        pos = m.end()


def _known_names(text: str, names: Sequence[str]) -> Iterator[Found]:
    """Each known name part, and each run of adjacent parts ("Sarah Okafor") as one span: the
    run gives one mask, the parts still mask when a longer value (an email) claims part of it."""
    pattern = _names_pattern(tuple(names))
    if pattern is None:
        return
    run: list[re.Match[str]] = []
    for m in pattern.finditer(text):
        yield Found(m.start(), m.end(), "name")
        if run and not _BLANKS.fullmatch(text, run[-1].end(), m.start()):
            run = []
        run.append(m)
        if len(run) > 1:
            yield Found(run[0].start(), m.end(), "name")


_BLANKS = re.compile(r"[ \t]+")


@lru_cache(maxsize=256)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    parts = {p.strip(".,;:()\"'") for name in names for p in name.split()}
    usable = sorted((p for p in parts if len(p) >= 2 and any(c.isalpha() for c in p)),
                    key=lambda p: (-len(p), p))
    if not usable:
        return None
    alternatives = "|".join(re.escape(p) for p in usable)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
