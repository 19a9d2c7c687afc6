"""Amounts of money said in a conversation, in one canonical form: the currency's symbol, then
the value with thousands separators and two decimals ("$129.00", "€1,299.99", "£12.50",
"CA$20.00", "A$15.00").

Only a currency that was said makes an amount: "$", "USD", "dollars", "bucks" -> "$" (as said;
the business knows which dollar it means unless "CAD"/"canadian dollars" is said); "pounds" is
money only for a GB-like region (elsewhere it is as often a weight). Percentages are found
separately so that callers can mask them; they are never amounts.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from warmline.core.language.spoken import DIGITS, Mention, compile_fast, without_overlaps

__all__ = ["find_amounts", "find_percentages"]

_FLAGS = re.IGNORECASE | re.ASCII
_NUM = r"(?P<num>\d{1,3}(?:[,.]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?![\d,.]\d)"
_SCALE = r"(?:\s?(?P<scale>k|thousand|million|mn|bn|billion)\b)?"
_SYMBOLS = {"$": "$", "us$": "$", "usd": "$", "€": "€", "eur": "€", "£": "£", "gbp": "£",
            "ca$": "CA$", "c$": "CA$", "cad": "CA$", "a$": "A$", "au$": "A$", "aud": "A$"}
_SYMBOL = r"(?P<sym>US\$|CA\$|C\$|AU\$|A\$|[$€£])"
_CODE = r"(?P<code>USD|EUR|GBP|CAD|AUD)\b"
_WORD = (r"(?P<word>(?:(?P<adj>us|u\.s\.|american|canadian|australian|aussie)\s+)?"
         r"(?:dollars?|bucks)|euros?|pounds?(?:\s+sterling)?|quid)\b")
_CENTS = r"(?:\s+(?:and\s+)?(?P<cents>\d{1,2})\s+(?:cents?|pence|p)\b)?"
_AFTER_SYMBOL = r"(?:\s?(?:dollars?|bucks|euros?|pounds?|USD|EUR|GBP)\b)?"
_SYMBOL_FIRST = compile_fast(
    rf"{_SYMBOL}\s?{_NUM}{_SCALE}{_AFTER_SYMBOL}{_CENTS}", "$€£uca", _FLAGS)
_CODE_FIRST = compile_fast(rf"\b{_CODE}\s?{_NUM}{_SCALE}", "uegca", _FLAGS)
_AMOUNT_FIRST = compile_fast(
    rf"(?<![\w.,]){_NUM}{_SCALE}\s?(?:{_CODE}|{_WORD}{_CENTS})", DIGITS, _FLAGS)
_CENTS_ONLY = compile_fast(
    r"(?<![\w.,])(?P<cents>\d{1,2})\s+(?:cents?|pence)\b", DIGITS, _FLAGS)
_PERCENT = compile_fast(
    r"(?<![\w.])\d+(?:[.,]\d+)?\s*(?:%|percent\b|per\s+cent\b)", DIGITS, _FLAGS)
_SCALES = {"k": 1000, "thousand": 1000, "million": 10**6, "mn": 10**6, "bn": 10**9,
           "billion": 10**9}
_DIGIT = re.compile(r"\d")
_POUND_REGIONS = frozenset({"GB", "GG", "JE", "IM"})
#: One of these is in every amount: a cheap test before the patterns run.
_HINTS = ("$", "€", "£", "usd", "eur", "gbp", "cad", "aud", "dollar", "buck", "euro", "pound",
          "quid", "cent", "pence")


def find_percentages(text: str) -> list[Mention]:
    """Every percentage in `text` ("15%", "15 percent"), for masking."""
    if "%" not in text and "cent" not in text.lower():
        return []
    return [(m.start(), m.end(), m.group()) for m in _PERCENT.finditer(text)]


def find_amounts(text: str, region: str | None = None) -> list[Mention]:
    """Every amount of money in `text` as `(start, end, "$129.00")`, in text order."""
    low = text.lower()
    if not any(hint in low for hint in _HINTS) or _DIGIT.search(text) is None:
        return []
    found: list[Mention] = []
    for pattern in (_SYMBOL_FIRST, _CODE_FIRST, _AMOUNT_FIRST):
        for m in pattern.finditer(text):
            value = _canonical(m, region)
            if value is not None:
                found.append((m.start(), m.end(), value))
    kept = without_overlaps(found)
    for m in _CENTS_ONLY.finditer(text):
        if not any(s <= m.start() < e for s, e, _ in kept):
            symbol = "£" if m.group().lower().endswith("pence") else "$"
            kept.append((m.start(), m.end(), f"{symbol}0.{int(m['cents']):02d}"))
    return without_overlaps(kept)


def _canonical(m: re.Match[str], region: str | None) -> str | None:
    groups = m.groupdict()
    symbol = _symbol(groups.get("sym") or groups.get("code"), groups.get("word"),
                     groups.get("adj"), region)
    if symbol is None:
        return None
    value = _decimal(m["num"], symbol)
    if value is None:
        return None
    if m["scale"]:
        value *= _SCALES[m["scale"].lower()]
    if groups.get("cents"):
        value += Decimal(int(groups["cents"])) / 100
    return f"{symbol}{value:,.2f}"


def _symbol(sign: str | None, word: str | None, adj: str | None, region: str | None
            ) -> str | None:
    if sign:
        return _SYMBOLS[sign.lower()]
    word = (word or "").lower()
    if word.startswith(("pound", "quid")):
        return "£" if word == "quid" or (region or "").upper() in _POUND_REGIONS else None
    if word.startswith("euro"):
        return "€"
    adj = (adj or "").lower()
    return {"canadian": "CA$", "australian": "A$", "aussie": "A$"}.get(adj, "$")


def _decimal(num: str, symbol: str) -> Decimal | None:
    """The value of a written number: "1,299.99", "1.299,99" (euro style), "12,50"."""
    if "," in num and "." in num:
        decimal_mark = "," if num.rfind(",") > num.rfind(".") else "."
    elif "," in num:
        decimal_mark = "," if re.fullmatch(r"\d+,\d{1,2}", num) else ""
    elif "." in num:
        thousands = re.fullmatch(r"\d{1,3}(?:\.\d{3})+", num)
        decimal_mark = "" if thousands and (num.count(".") > 1 or symbol == "€") else "."
    else:
        decimal_mark = "."
    grouping = {",": ".", ".": ","}.get(decimal_mark, ",.")
    for mark in grouping:
        num = num.replace(mark, "")
    try:
        return Decimal(num.replace(",", "."))
    except InvalidOperation:
        return None
