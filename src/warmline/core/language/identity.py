"""Who the customer is and what they refer to: name, phone, e-mail, account and order numbers.

Each finder reads one utterance already normalised by `core.language.entities.scan_text` (spoken
numbers in digits) and returns mentions in text order. Cue words decide what a number is: a
number said after "account" or "order" is never a phone number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers

from warmline.core.language.spoken import DIGITS, Mention, compile_fast, word_alternation

__all__ = ["find_emails", "find_ids", "find_names", "find_phones", "phone_region"]

_FLAGS = re.IGNORECASE
_DIGIT = re.compile(r"\d")

# --- e-mail --------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_TLD = r"(?:com|net|org|edu|gov|io|co|us|uk|ca|au|de|fr|ie|info|biz|me|ai|app|dev)"
_SPOKEN_DOT = r"(?:\s+dot\s+|\.)"
_SPOKEN_EMAIL = re.compile(
    rf"\b(?P<local>[a-z0-9]+(?:(?:\s+(?:dot|underscore|dash|hyphen)\s+|[._-]|\s+(?=\d))"
    rf"[a-z0-9]+)*)\s+at\s+(?P<domain>[a-z0-9-]+(?:{_SPOKEN_DOT}[a-z0-9-]+)*{_SPOKEN_DOT}{_TLD})"
    r"\b", _FLAGS)
_DOT_TLD = compile_fast(rf"\.{_TLD}\b", ".")
_SPOKEN_PARTS = re.compile(r"\s+(dot|underscore|dash|hyphen)\s+|\s+", _FLAGS)
_SPOKEN_SIGNS = {"dot": ".", "underscore": "_", "dash": "-", "hyphen": "-"}
#: A business's own mailbox, when an AI reads it out, is not the customer's e-mail.
_SHARED_MAILBOXES = frozenset({
    "support", "help", "info", "noreply", "no-reply", "billing", "service", "sales", "contact",
    "hello", "team", "care", "customerservice", "appointments", "admin", "office"})


def find_emails(text: str, *, is_customer: bool = True) -> list[Mention]:
    """E-mail addresses, written or spoken ("john dot smith at gmail dot com"), lower-cased."""
    low = text.lower()
    spoken = " at " in low and (" dot " in low or _DOT_TLD.search(low) is not None)
    if "@" not in text and not spoken:
        return []
    found = [(m.start(), m.end(), m.group().lower()) for m in _EMAIL.finditer(text)]
    if spoken:
        for m in _SPOKEN_EMAIL.finditer(text):
            local, domain = (_SPOKEN_PARTS.sub(_sign, m[g]).lower() for g in ("local", "domain"))
            found.append((m.start(), m.end(), f"{local}@{domain}"))
    if not is_customer:
        found = [f for f in found if f[2].split("@")[0] not in _SHARED_MAILBOXES]
    return sorted(found)


def _sign(m: re.Match[str]) -> str:
    return _SPOKEN_SIGNS.get((m[1] or "").lower(), "")


# --- account and order numbers ---------------------------------------------------------------

_ACCOUNT_CUES = frozenset({
    "account", "acct", "member", "membership", "policy", "customer", "client", "patient",
    "subscriber", "subscription", "contract", "loyalty", "rewards", "medicare", "medicaid",
    "insurance", "student", "employee", "user", "id"})
_ORDER_CUES = frozenset({
    "order", "confirmation", "conf", "booking", "reservation", "ticket", "case", "tracking",
    "reference", "ref", "invoice", "claim", "rma", "incident", "shipment", "transaction",
    "receipt", "return"})
_KIND = r"(?:\s+(?:id|number|no\.?|num|code|#|reference|ref))?"
_LINK = r"(?:\s*(?:#|:|is|was|it's|it\s+is|would\s+be|should\s+be|reads|=|number|no\.))*"
_ID = (r"(?P<id>(?:[A-Z][\s-]+){0,4}#?[A-Za-z0-9]+"
       r"(?:(?:\s*-\s*|\s+(?i:dash|hyphen)\s+)[A-Za-z0-9]+|\s+\d+\b)*)")
_IDS = compile_fast(
    rf"\b(?i:(?P<cue>{word_alternation(_ACCOUNT_CUES | _ORDER_CUES)})\b{_KIND}{_LINK})\s*{_ID}",
    "".join({cue[0] for cue in _ACCOUNT_CUES | _ORDER_CUES}))
_ID_SEPARATOR = re.compile(r"\s+(?i:dash|hyphen)\s+|\s*-\s*")
#: Said after a cue word but not an id: a year ("customer since 2019"), a date ("booking 11-20").
_NOT_ID = re.compile(r"(?:19|20)\d\d|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}(?:-\d{2,4})?")


def find_ids(text: str) -> list[tuple[str, Mention]]:
    """Account-like and order-like numbers after their cue word: `("account", mention)`."""
    found: list[tuple[str, Mention]] = []
    if len(_DIGIT.findall(text)) < 2:
        return found
    for m in _IDS.finditer(text):
        value = _identifier(m["id"])
        if value is not None:
            kind = "account" if m["cue"].lower() in _ACCOUNT_CUES else "order"
            found.append((kind, (m.start("id"), m.end("id"), value)))
    return found


def _identifier(raw: str) -> str | None:
    """The id as written ("PRO-48213"), or None when it is a word, a year or too short."""
    value = _ID_SEPARATOR.sub("-", raw.strip()).replace(" ", "").lstrip("#").upper()
    first = re.split(r"[\s-]+", raw.strip().lstrip("#"))[0]
    digits = sum(c.isdigit() for c in value)
    if digits < 2 or len(value) < 4 or len(value) > 32:
        return None
    if not (any(c.isdigit() for c in first) or first.isupper() or "-" in raw):
        return None  # "account is locked 12345": a word, not an id
    return None if _NOT_ID.fullmatch(value) else value


# --- phone numbers --------------------------------------------------------------------------

_PHONE_RUN = compile_fast(
    r"(?<![\w$€£.,/:+-])(?:\+\s?)?\(?\d[\d\s().-]{5,}\d\)?(?![\w/:])", "+(" + DIGITS)
#: Runs longer than a few numbers side by side are noise; searching them inside costs ms.
_MAX_RUN_DIGITS = 45
_DATE_SHAPE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}([./-])\d{1,2}\1\d{2,4}")
_BUSINESS_LINE = re.compile(
    r"\b(?:call\s+us|reach\s+us|our\s+(?:number|line|office|phone)|dial|toll[\s-]?free|"
    r"text\s+us|hotline)\b[^.?!]{0,30}$", _FLAGS)


def find_phones(text: str, region: str | None, *, is_customer: bool = True
                ) -> tuple[list[Mention], list[Mention]]:
    """Valid phone numbers in E.164, and every phone-like run of 7+ digits (for masking)."""
    phones: list[Mention] = []
    runs: list[Mention] = []
    if _DIGIT.search(text) is None or len(_DIGIT.findall(text)) < 7:
        return phones, runs
    for m in _PHONE_RUN.finditer(text):
        digits = sum(c.isdigit() for c in m.group())
        if digits < 7 or _DATE_SHAPE.fullmatch(m.group().strip("()")):
            continue
        runs.append((m.start(), m.end(), m.group()))
        if not is_customer and _BUSINESS_LINE.search(text, 0, m.start()):
            continue
        phones += [(m.start() + s, m.start() + e, v) for s, e, v in _parse(m.group(), region)]
    return phones, runs


def _parse(run: str, region: str | None) -> list[Mention]:
    """E.164 numbers in one run of digits: the whole run, else any valid number inside it."""
    if region is None and not run.lstrip("(").startswith("+"):
        return []
    try:
        number = phonenumbers.parse(run, region)
        if phonenumbers.is_valid_number(number):
            return [(0, len(run), _e164(number))]
    except phonenumbers.NumberParseException:
        pass
    if not 14 <= sum(c.isdigit() for c in run) <= _MAX_RUN_DIGITS:
        return []  # too short to hold two numbers: the whole run was the only candidate
    matcher = phonenumbers.PhoneNumberMatcher(run, region, leniency=phonenumbers.Leniency.VALID)
    return [(match.start, match.end, _e164(match.number)) for match in matcher]


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_region(phone: str | None) -> str | None:
    """The ISO region of an E.164 number ("+15125550143" -> "US"), for `region=`."""
    if not phone:
        return None
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return None


# --- names ----------------------------------------------------------------------------------

_WORD = r"[^\W\d_][\w'-]*\.?"
_HONORIFIC = r"(?:(?:mr|mrs|ms|miss|mx|dr)\.?\s+)?"
_NAME = rf"(?P<name>{_HONORIFIC}{_WORD}(?:\s+{_WORD}){{0,3}})"
_GREETING = (r"(?:(?:hi|hello|hey|yes|yeah|yep|yup|sure|ok|okay|um|uh|so|good\s+(?:morning|"
             r"afternoon|evening))\b[\s,.!]*)*")
_STRONG = compile_fast(
    # "His name is Robert": a third party's name, not the speaker's.
    r"\b(?i:(?<!his\s)(?<!her\s)(?<!their\s)(?<!'s\s)(?<!whose\s)"
    r"(?:my\s+)?(?:full\s+|first\s+)?(?<!last\s)(?<!family\s)(?<!sur)name\s+is|"
    r"my\s+name's|name's|name\s+on\s+the\s+account\s+is|under\s+the\s+name(?:\s+of)?)"
    rf"\s*[:,]?\s+{_NAME}", "mfnu")
_LAST = compile_fast(
    rf"\b(?i:(?:my\s+)?(?:last|family|sur)\s*name\s+is)\s*[:,]?\s+{_NAME}", "mlfs")
# These two are tried at sentence starts only (`_SENTENCE_START`).
_INTRODUCED = re.compile(rf"(?i:{_GREETING}(?:this\s+is|it's|it\s+is|i'm|i\s+am))\s+{_NAME}")
_SPEAKING = re.compile(rf"(?i:{_GREETING}){_NAME}\s+(?i:speaking|here)\b")
_SENTENCE_START = re.compile(r"[.!?]\s+")
_ASKED = compile_fast(
    rf"\b(?i:am\s+i\s+(?:speaking|talking)\s+(?:with|to)|is\s+this|are\s+you|your\s+name\s+is|"
    rf"i\s+have\s+you\s+(?:down\s+)?as|under\s+the\s+name(?:\s+of)?|account\s+holder\s+is)"
    rf"\s+{_NAME}", "aiuy")
#: Words one of which every name cue contains: a cheap test before the patterns run.
_INTRODUCED_CUES = ("this is", "it's", "it is", "i'm", "i am")
_ASKED_CUES = ("speaking", "talking", "is this", "are you", "name", "have you", "holder")
_NOT_NAME_WORDS = """
a about actually again also am an and any are as at back be but by calling can could did do
does for from going good had has have having he her here hi his how i i'm in is it it's just
like looking me my no not of oh ok okay on or our please really she so sorry speaking still sure
thank thanks that the their there they this to trying uh um up very want was we were what when
where who why will with would yes you your customer calling fine great well new glad happy
monday tuesday wednesday thursday friday saturday sunday january february march april may june
july august september october november december
"""
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())
#: "I've", "we're", "you'll", "he'd", "don't": a pronoun or verb, never a name.
_CONTRACTION = re.compile(r"['\u2019](?:ve|re|ll|d|m|t)$")


def find_names(text: str, *, is_customer: bool = True) -> list[Mention]:
    """The customer's name where a cue says it ("my name is ...", "this is ...", "... speaking").

    After "my name is" lower-case names are read too (voice transcripts); after the weaker cues
    the name must be capitalised. The AI's own "this is Ava" is never read: only the AI's
    questions and confirmations about the customer ("am I speaking with ...") count.
    """
    low = text.lower()
    found: list[Mention] = []
    if is_customer:
        if "name" in low:
            found += _names(_STRONG.finditer(text), needs_capital=False)
        starts = [0, *(m.end() for m in _SENTENCE_START.finditer(text))]
        if any(cue in low for cue in _INTRODUCED_CUES):
            found += _names((_INTRODUCED.match(text, i) for i in starts), needs_capital=True)
        if "speaking" in low or "here" in low:
            found += _names((_SPEAKING.match(text, i) for i in starts), needs_capital=True)
        if found and "name" in low:
            found += _last_names(text, found)
    elif any(cue in low for cue in _ASKED_CUES):
        found += _names(_ASKED.finditer(text), needs_capital=True)
    return sorted(found)


def _names(matches: Iterable[re.Match[str] | None], *, needs_capital: bool) -> list[Mention]:
    found: list[Mention] = []
    for m in matches:
        name = _name_words(m["name"], needs_capital=needs_capital) if m else None
        if m and name:
            found.append((m.start("name"), m.end("name"), name))
    return found


def _name_words(raw: str, *, needs_capital: bool) -> str | None:
    words: list[str] = []
    for word in raw.split():
        bare = word.rstrip(".").lower()
        honorific = bare in {"mr", "mrs", "ms", "miss", "mx", "dr"} and not words
        if not honorific and (bare in _NOT_NAMES or bare.endswith("'s") or _is_not_a_name(
                word, needs_capital=needs_capital)):
            break  # "this is Sarah's phone" names someone else
        if word.endswith(".") and not honorific:
            words.append(word.rstrip("."))
            break
        words.append(word)
    if not words or all(w.rstrip(".").lower() in {"mr", "mrs", "ms", "miss", "mx", "dr"}
                        for w in words):
        return None
    name = " ".join(words)
    return name.title() if name.islower() else name


def _is_not_a_name(word: str, *, needs_capital: bool) -> bool:
    """Digits never; after a weak cue, only a capitalised word that is not all capitals
    ("It's URGENT")."""
    if any(c.isdigit() for c in word) or _CONTRACTION.search(word.lower()):
        return True
    return needs_capital and (not word[0].isupper() or (len(word) > 1 and word.isupper()))


def _last_names(text: str, found: list[Mention]) -> list[Mention]:
    """ "first name is Sarah, last name Okafor" -> one more mention, "Sarah Okafor"."""
    out: list[Mention] = []
    for m in _LAST.finditer(text):
        last = _name_words(m["name"], needs_capital=False)
        firsts = [f for f in found if f[0] < m.start()]
        if last and firsts and len(firsts[-1][2].split()) == 1:
            out.append((m.start("name"), m.end("name"), f"{firsts[-1][2]} {last}"))
    return out
