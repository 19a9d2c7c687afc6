"""Detectors of personal numbers: cards (Luhn), SSNs, IBANs (mod-97), cued account ids, phones,
and the same read out in words. Each yields candidate spans of one kind;
`warmline.core.language.redaction` picks the winners and masks them. Pure: no IO, no state."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass

import phonenumbers


@dataclass(frozen=True, slots=True)
class Found:
    """A candidate span ``text[start:end]`` of one redaction kind."""

    start: int
    end: int
    kind: str
    tail: str = ""
    """The last characters a mask may show: digits of a card, SSN or phone, the last
    alphanumerics of an account id or IBAN; empty for kinds whose mask shows nothing."""


# Words a speaker puts between a cue ("account number") and the value; bounded and
# single-step per repetition, so a failed match cannot backtrack exponentially.
FILLER = (r"(?:[\s:#,.=-]|\b(?:is|was|it[’']?s|it\s+is|number|num|no|id|uh|um|er"
          r"|ending\s+(?:in|with)|ends\s+(?:in|with))\b){0,12}")
# A number said as an order, ticket or case id is that id, not a phone or a card.
_OTHER_ID_CUE_END = re.compile(
    r"\b(?:order|confirmation|tracking|ticket|case|reference|ref|invoice|transaction|booking"
    r"|reservation)(?:\s+(?:number|num|no|#|id|code))?" + FILLER + r"\Z", re.IGNORECASE)


# --- card numbers ---------------------------------------------------------------------------

CARD_DIGITS = range(13, 20)
_DIGIT_RUN = re.compile(r"[0-9]+(?:[ -][0-9]+)*")
_GROUP = re.compile(r"[0-9]+")
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_valid(digits: str) -> bool:
    """Whether ``digits`` (ASCII digits; spaces and dashes ignored) passes the Luhn check."""
    digits = _digits_of(digits)
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    backwards = digits[::-1]
    total = sum(map(int, backwards[0::2])) + sum(_DOUBLED[int(ch)] for ch in backwards[1::2])
    return total % 10 == 0


def find_cards(text: str, *, ibans: Sequence[Found] | None = None) -> Iterator[Found]:
    """Luhn-valid runs of 13-19 digits, whole groups only, one separator style per card.

    A digit run may hold more than the card ("call 1 4111 1111 1111 1111"), so every window
    of whole groups is tried; overlapping valid windows are masked as one, so that no valid
    window is left half-masked. ``ibans``: the text's IBANs when the caller found them
    already (their digits are never a card).
    """
    owned = [(f.start, f.end) for f in (find_ibans(text) if ibans is None else ibans)]
    for run in _DIGIT_RUN.finditer(text):
        if len(run.group()) < CARD_DIGITS.start:
            continue
        windows = [w for groups in _groups_outside(text, run, owned)
                   for w in _luhn_windows(groups, text)]
        for start, end in merge_overlaps(windows):
            yield Found(start, end, "card_number", _digits_of(text[start:end])[-4:])


def merge_overlaps(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping (start, end) spans joined into their unions, sorted."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _groups_outside(text: str, run: re.Match[str], ibans: Sequence[tuple[int, int]],
                    ) -> Iterator[list[tuple[int, int, str]]]:
    """The run's digit groups as (start, end, digits), split where an IBAN owns the digits."""
    piece: list[tuple[int, int, str]] = []
    for g in _GROUP.finditer(text, run.start(), run.end()):
        if any(s < g.end() and g.start() < e for s, e in ibans):
            if piece:
                yield piece
            piece = []
        else:
            piece.append((g.start(), g.end(), g.group()))
    if piece:
        yield piece


def _digits_of(text: str) -> str:
    return text.replace(" ", "").replace("-", "")


def _luhn_windows(groups: Sequence[tuple[int, int, str]],
                  text: str | None) -> Iterator[tuple[int, int]]:
    """Every (start, end) of whole consecutive groups that passes Luhn; with ``text``, only
    windows whose groups are all joined by the same separator."""
    run = "".join(g[2] for g in groups)
    plain, doubled = _parity_sums(run)
    offsets = [0]
    for g in groups:
        offsets.append(offsets[-1] + len(g[2]))
    for i in range(len(groups)):
        separator = ""
        for j in range(i, len(groups)):
            a, b = offsets[i], offsets[j + 1]
            if b - a > CARD_DIGITS.stop - 1:
                break
            if j > i and text is not None:
                here = text[groups[j][0] - 1]
                if separator and here != separator:
                    break
                separator = here
            keep = (b - 1) % 2  # the rightmost digit keeps its value, the next is doubled
            total = (plain[keep][b] - plain[keep][a]
                     + doubled[1 - keep][b] - doubled[1 - keep][a])
            if b - a in CARD_DIGITS and total % 10 == 0:
                yield groups[i][0], groups[j][1]


def _parity_sums(digits: str) -> tuple[list[list[int]], list[list[int]]]:
    """Prefix sums of digit values and of Luhn-doubled values, split by position parity, so
    any window's Luhn total costs four look-ups."""
    plain = [[0], [0]]
    doubled = [[0], [0]]
    for p, ch in enumerate(digits):
        d = ord(ch) - 48
        for parity in (0, 1):
            hit = p % 2 == parity
            plain[parity].append(plain[parity][-1] + (d if hit else 0))
            doubled[parity].append(doubled[parity][-1] + (_DOUBLED[d] if hit else 0))
    return plain, doubled


# A caller who misreads one digit still said their card: after a card cue, 13-19 digits are
# masked even when Luhn fails ("my card number is 5445 8595 5625 5525").
_CARD_CUE = r"\bcard(?:\s+(?:number|num|no|#))?(?:\s+[a-z’']+){0,3}?" + FILLER
_CUED_CARD = re.compile(_CARD_CUE + r"(?<![0-9])([0-9]+(?:[ -][0-9]+)*)", re.IGNORECASE)
_CARD_CUE_END = re.compile(_CARD_CUE + r"\Z", re.IGNORECASE)


def find_cued_cards(text: str) -> Iterator[Found]:
    """13-19 digits said right after "card" / "card number", Luhn-valid or not, unless an
    order, ticket or other id cue sits right before them."""
    for m in _CUED_CARD.finditer(text):
        digits = _digits_of(m[1])
        if len(digits) in CARD_DIGITS and not _OTHER_ID_CUE_END.search(
                text, max(0, m.start(1) - 40), m.start(1)):
            yield Found(m.start(1), m.end(1), "card_number", digits[-4:])


# --- social security numbers ----------------------------------------------------------------

_SSN = re.compile(r"(?<![0-9-])([0-9]{3})([ -])([0-9]{2})\2([0-9]{4})(?![0-9]|-[0-9])")
_SSN_CUE = r"\b(?:ssn|ss#|social(?:\s+security)?(?:\s+(?:number|num|no))?)" + FILLER
_SSN_CUED = re.compile(
    _SSN_CUE + r"(?<![0-9])([0-9]{3})([0-9]{2})([0-9]{4})(?![0-9])", re.IGNORECASE)


def is_valid_ssn(area: str, group: str, serial: str) -> bool:
    """SSA rules: no area 000, 666 or 9xx, no group 00, no serial 0000."""
    return (area not in {"000", "666"} and not area.startswith("9")
            and group != "00" and serial != "0000")


def find_ssns(text: str) -> Iterator[Found]:
    """ddd-dd-dddd and ddd dd dddd anywhere; nine bare digits only after an SSN cue."""
    for m in _SSN.finditer(text):
        if is_valid_ssn(m[1], m[3], m[4]):
            yield Found(m.start(1), m.end(4), "ssn", m[4])
    for m in _SSN_CUED.finditer(text):
        if is_valid_ssn(m[1], m[2], m[3]):
            yield Found(m.start(1), m.end(3), "ssn", m[3])


# --- IBANs ----------------------------------------------------------------------------------

#: IBAN length by country (SWIFT IBAN registry).
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}
# A zero-width match at each token start, so a failed candidate does not swallow a real IBAN
# that starts a few characters later.
_IBAN = re.compile(r"(?<![A-Za-z0-9])(?=([A-Za-z]{2}[0-9]{2}(?:[ ]?[A-Za-z0-9]){11,30}))")


def iban_valid(iban: str) -> bool:
    """Whether ``iban`` (spaces ignored) has its country's length and passes mod-97."""
    compact = iban.replace(" ", "").upper()
    if not compact.isascii() or not compact.isalnum():
        return False
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def find_ibans(text: str) -> Iterator[Found]:
    """IBANs, compact or in groups of four, cut at their country's length."""
    for m in _IBAN.finditer(text):
        raw = m[1]
        want = IBAN_LENGTHS.get(raw[:2].upper())
        if want is None:
            continue
        cut = _cut_after(raw, want)
        end = m.start() + cut
        if cut and not text[end:end + 1].isalnum() and iban_valid(raw[:cut]):
            yield Found(m.start(), end, "iban", raw[:cut].replace(" ", "")[-4:])


def _cut_after(raw: str, alnum_count: int) -> int:
    """The length of the prefix of ``raw`` holding ``alnum_count`` non-space characters, or 0."""
    count = 0
    for i, ch in enumerate(raw):
        count += ch != " "
        if count == alnum_count:
            return i + 1
    return 0


# --- account ids ----------------------------------------------------------------------------

_ACCOUNT_CUE = (
    r"\b(?:(?:account|acct|acc|a/c|membership|member|policy|routing|subscriber|mrn)"
    r"(?:\s+(?:number|num|no|#|id))?"
    r"|(?:customer|patient|insurance|claim|medical\s+record)\s+(?:number|num|no|#|id))"
    + FILLER)
_ACCOUNT = re.compile(
    _ACCOUNT_CUE
    + r"(?<![A-Za-z0-9])((?:[A-Za-z]{1,5}[ -]?)?[0-9](?:[0-9]|[ -][0-9])*(?:[A-Za-z]{1,3}\b)?)",
    re.IGNORECASE)
_SPACE = re.compile(r" ")
ACCOUNT_MIN_DIGITS = 4
#: A mask shows the last four characters only when at least this many were said, so a
#: four-digit "account ending in 3213" is not echoed back whole.
TAIL_MIN_CHARS = 6
ACCOUNT_MAX_CHARS = 34


def find_accounts(text: str) -> Iterator[Found]:
    """Ids said right after a cue: account, member, policy, routing, customer number ...

    An id may be said in groups ("1234 5678"), so each prefix that ends a group is a
    candidate too: the longest one that does not run into another value wins.
    """
    for m in _ACCOUNT.finditer(text):
        value = m[1]
        ends = [g.start() for g in _SPACE.finditer(value)] + [len(value)]
        for end in ends:
            part = value[:end]
            if (sum(ch.isdigit() for ch in part) >= ACCOUNT_MIN_DIGITS
                    and len(part) <= ACCOUNT_MAX_CHARS):
                yield Found(m.start(1), m.start(1) + end, "account", shown_tail(part))


def shown_tail(value: str) -> str:
    """The last four letters and digits of ``value`` when it has enough to hide the rest."""
    alnum = last_alnum(value, n=len(value))
    return alnum[-4:] if len(alnum) >= TAIL_MIN_CHARS else ""


def last_alnum(value: str, n: int = 4) -> str:
    """The last ``n`` ASCII letters and digits of ``value``."""
    return "".join(ch for ch in value if ch.isascii() and ch.isalnum())[-n:]


# --- phone numbers --------------------------------------------------------------------------

# Cheap gate before the phonenumbers matcher (~60 µs): seven ASCII digits close together.
_SEVEN_DIGITS = re.compile(r"[0-9](?:[^0-9A-Za-z]{0,3}[0-9]){6}")
_LINE = re.compile(r"[^\n]+")


def find_phones(text: str, region: str | None) -> Iterator[Found]:
    """Numbers phonenumbers holds valid for ``region`` (default US) or in +international form."""
    for line in _LINE.finditer(text):  # line by line: the matcher slows down on long texts
        if not _SEVEN_DIGITS.search(line.group()):
            continue
        matcher = phonenumbers.PhoneNumberMatcher(
            line.group(), (region or "US").upper(), leniency=phonenumbers.Leniency.VALID)
        for match in matcher:
            start, end = line.start() + match.start, line.start() + match.end
            if not _OTHER_ID_CUE_END.search(text, max(0, start - 40), start):
                yield Found(start, end, "phone", str(match.number.national_number)[-4:])


# --- numbers said in words -----------------------------------------------------------------

_WORD_DIGITS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
                "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_WORD_TEENS = {"ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
               "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18",
               "nineteen": "19"}
_WORD_TENS = {"twenty": "2", "thirty": "3", "forty": "4", "fifty": "5", "sixty": "6",
              "seventy": "7", "eighty": "8", "ninety": "9"}
_REPEATS = {"double": 2, "triple": 3}
_NONZERO = frozenset(w for w, d in _WORD_DIGITS.items() if d != "0")
_NUMBER_WORD = "|".join(sorted([*_WORD_DIGITS, *_WORD_TEENS, *_WORD_TENS, *_REPEATS],
                               key=len, reverse=True))
_SPOKEN_RUN = re.compile(rf"\b(?:{_NUMBER_WORD})(?:[\s,-]+(?:{_NUMBER_WORD}))+\b",
                         re.IGNORECASE)
_SPOKEN_WORD = re.compile(rf"\b(?:{_NUMBER_WORD})\b", re.IGNORECASE)
# A case-sensitive twin run on lowered text is ~4x faster than IGNORECASE: a cheap gate.
_SPOKEN_GATE = re.compile(rf"\b(?:{_NUMBER_WORD})[\s,-]+(?:{_NUMBER_WORD})\b")
_ACCOUNT_CUE_END = re.compile(_ACCOUNT_CUE + r"\Z", re.IGNORECASE)
_SSN_CUE_END = re.compile(_SSN_CUE + r"\Z", re.IGNORECASE)


def spoken_units(text: str, start: int = 0, end: int | None = None,
                 ) -> list[tuple[int, int, str]]:
    """The number words of ``text[start:end]`` as (start, end, digits): "double five" is 5
    then 5, "fifty" alone 50 but 5 before a digit word ("fifty seven" is 5 then 7), "oh" 0."""
    words = [(w.start(), w.end(), w.group().lower())
             for w in _SPOKEN_WORD.finditer(text, start, len(text) if end is None else end)]
    units: list[tuple[int, int, str]] = []
    for (at, to, word), (_, _, following) in zip(words, [*words[1:], (0, 0, "")], strict=True):
        if word in _REPEATS and following in _WORD_DIGITS:
            # "double five": the repeat word says the extra 5s, so a card may start at "five"
            units.append((at, to, _WORD_DIGITS[following] * (_REPEATS[word] - 1)))
        elif word in _WORD_TENS:  # "fifty four" is 5 then 4, so a card may start at "four"
            units.append((at, to, _WORD_TENS[word] + ("" if following in _NONZERO else "0")))
        elif word not in _REPEATS:
            units.append((at, to, _WORD_DIGITS.get(word) or _WORD_TEENS[word]))
    return units


def find_spoken_numbers(text: str, kinds: Collection[str],
                        region: str | None) -> Iterator[Found]:
    """Runs of number words ("four one one one ...", "zero six six nine") read as digits, as
    any of ``kinds`` they fit: a card (Luhn-valid, or after a card cue), an SSN or account id
    after its cue, a valid phone number."""
    if not _SPOKEN_GATE.search(text.lower()):
        return
    for m in _SPOKEN_RUN.finditer(text):
        units = spoken_units(text, m.start(), m.end())
        digits = "".join(u[2] for u in units)
        if len(digits) < ACCOUNT_MIN_DIGITS:
            continue
        start, end = m.start(), m.end()
        before = text[max(0, start - 80):start]
        if "card_number" in kinds:
            yield from _spoken_cards(text, units, cued=_CARD_CUE_END.search(before) is not None)
        if "ssn" in kinds and (len(digits) == 9 and _SSN_CUE_END.search(before)
                               and is_valid_ssn(digits[:3], digits[3:5], digits[5:])):
            yield Found(start, end, "ssn", digits[-4:])
        if "account" in kinds and _ACCOUNT_CUE_END.search(before):
            yield Found(start, end, "account", shown_tail(digits))
        if "phone" in kinds and _is_phone(digits, region):
            yield Found(start, end, "phone", digits[-4:])


def _spoken_cards(text: str, units: Sequence[tuple[int, int, str]], *,
                  cued: bool) -> Iterator[Found]:
    """Luhn-valid windows of spoken units (the card may run into other number words), or the
    whole run after a card cue."""
    windows = list(_luhn_windows(units, None))
    digits = "".join(u[2] for u in units)
    if cued and len(digits) in CARD_DIGITS:
        windows.append((units[0][0], units[-1][1]))
    for start, end in merge_overlaps(windows):
        said = "".join(u[2] for u in units if start <= u[0] and u[1] <= end)
        yield Found(start, end, "card_number", said[-4:])


def _is_phone(digits: str, region: str | None) -> bool:
    if not 7 <= len(digits) <= 15:
        return False
    try:
        number = phonenumbers.parse(digits, (region or "US").upper())
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)
