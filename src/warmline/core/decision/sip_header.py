"""The brief as a SIP header value (`X-Warmline-Brief`) for SIP transfers: one line of
printable ASCII, no characters a SIP parser or a Refer-To URI would trip on, cut at a word
boundary. It carries the brief's summary, which is already redacted by the policy.
`sip_headers` adds the handoff id (`X-Warmline-Handoff`) for a whole decision."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from warmline.core.decision.model import Brief

#: The header names platforms send the values under.
BRIEF_HEADER = "X-Warmline-Brief"
HANDOFF_HEADER = "X-Warmline-Handoff"
#: Many PBXs and SBCs cap a custom header near 256 bytes; 250 leaves room for the name.
DEFAULT_LIMIT = 250
_LINE_JOIN = " | "
_ELLIPSIS = "..."
#: Typography the brief uses, spelled in ASCII before anything else is dropped.
_SPELLED = str.maketrans({
    "…": "...", "—": "-", "–": "-", "‘": "'", "’": "'", "“": "'", "”": "'", "≥": " at least ",
    "≤": " at most ", "€": "EUR", "£": "GBP", "\u00a0": " ",
})
#: Characters that end or quote a header value, a parameter or a URI in SIP.
_UNSAFE = str.maketrans({'"': "'", "<": "(", ">": ")", "\\": "/", ";": ","})


def _text(brief: Brief | Mapping[str, Any]) -> str:
    if isinstance(brief, Brief):
        return brief.summary or brief.whisper
    summary = brief.get("summary") or brief.get("whisper") or ""
    return str(summary)


def _ascii(text: str) -> str:
    text = "".join(" " if ch.isspace() else ch for ch in text.translate(_SPELLED))
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if " " <= ch <= "~")  # printable ASCII only
    return kept.translate(_UNSAFE)


def brief_header(brief: Brief | Mapping[str, Any], *, limit: int = DEFAULT_LIMIT) -> str:
    """The brief's summary as one header-safe line of at most `limit` characters.

    Lines are joined with `` | ``; anything outside printable ASCII is spelled out or
    dropped; a value over `limit` is cut at the last word boundary that fits and ends with
    ``...``. Accepts a `Brief` or its SPEC §2 JSON form.
    """
    if limit < 1:
        raise ValueError(f"a header needs room for at least one character, got limit={limit}")
    lines = [" ".join(_ascii(line).split()) for line in _text(brief).splitlines()]
    value = _LINE_JOIN.join(line for line in lines if line)
    if len(value) <= limit:
        return value
    if limit <= len(_ELLIPSIS):
        return value[:limit]
    room = limit - len(_ELLIPSIS)
    cut = value[: room + 1].rfind(" ")
    head = value[:cut] if cut > 0 else value[:room]
    head = head.rstrip(" |,.-")
    return (head or value[:room]) + _ELLIPSIS


def sip_headers(decision: Mapping[str, Any], *, limit: int = DEFAULT_LIMIT) -> dict[str, str]:
    """The custom SIP headers for a decision's transfer (SPEC §2 JSON): the brief, when there
    is one (warm), and the handoff id, when a server made one; empty for `continue`."""
    if decision.get("action") in (None, "continue"):
        return {}
    out: dict[str, str] = {}
    brief = decision.get("brief")
    if isinstance(brief, Mapping):
        value = brief_header(brief, limit=limit)
        if value:
            out[BRIEF_HEADER] = value
    if decision.get("handoff_id"):
        out[HANDOFF_HEADER] = str(decision["handoff_id"])
    return out
