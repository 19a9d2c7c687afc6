"""The built-in signals of SPEC §3 (`human_requested`, `frustration`, `ai_failures`).

Deterministic and cheap: stdlib `re` with the patterns of `core.language.phrases`, compiled once;
no model, no IO. Each text is lower-cased and normalised once, then searched by one regex.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from warmline.core.conversation import Speaker, Turn
from warmline.core.language import phrases

__all__ = [
    "count_ai_failures",
    "frustration_score",
    "is_ai_failure_text",
    "is_human_requested",
    "normalise",
]

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_NON_WORD = re.compile(r"[^a-z0-9' ]+")
#: How far before a match (characters) a negation or an identity question is looked for.
_SCOPE = 48
#: The longest utterance that can be an IVR-style bare request ("representative please").
_BARE_MAX = 60

# frustration_score: see its docstring for the formula.
_CARRY = 0.90              # what an earlier score keeps when the customer is still upset
_NEUTRAL_DECAY = 0.75      # a neutral answer ("John Smith", "1596") lowers the score a little
_SATISFIED_DECAY = 0.40    # "ok thanks, that works" lowers it a lot
_CAPS_WEIGHT = 0.45        # a turn written mostly in capitals
_ECHO_WEIGHT = 0.45        # the customer sends the same words again
_ECHO_MIN_WORDS = 3
_BANGS = frozenset({"bang2", "bang3"})


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """Lower case, straight apostrophes and single spaces: what every phrase pattern expects."""
    t = text.lower()
    if "\u2019" in t or "\u2018" in t or "\u02bc" in t or "`" in t:  # rare: skip the copy
        t = t.translate(_QUOTES)
    return " ".join(t.split())


# --- human_requested -------------------------------------------------------------------------


def is_human_requested(text: str) -> bool:
    """Whether the customer asks for a person in `text` (one utterance).

    True for requests in many voice and chat phrasings: "can I talk to a person", "agent
    please", "transfer me", "is there anyone available", "I need a real human", and a bare
    "representative" or "operator" as the whole utterance (IVR style). False when the request is
    negated in its clause ("I don't need an agent", "without talking to anyone"), for questions
    about what the AI is ("are you a real person?"), for agents of other trades ("find an
    insurance agent near me") and for mentions without a request ("the agent told me
    yesterday..."). A bare "0" or "zero" is not a request: in a voice call it is more often an
    answer ("zero dollars") than an IVR key.
    """
    t = normalise(text)
    if "rep" not in t and phrases.HUMAN_TRIGGERS.isdisjoint(phrases.WORDS.findall(t)):
        return False
    for match in phrases.HUMAN_REQUEST.finditer(t):
        if not _is_ruled_out(t, match.start(), is_mention=match.lastgroup == "mention"):
            return True
    if len(t) > _BARE_MAX:
        return False
    bare = " ".join(_NON_WORD.sub(" ", t).split())
    return phrases.HUMAN_BARE.fullmatch(bare) is not None


def _is_ruled_out(t: str, start: int, *, is_mention: bool) -> bool:
    """A match is void when its clause negates it; a bare mention ("a real person") is also
    void inside a sentence that asks what the AI is ("are you a bot or a real person?")."""
    before = t[max(0, start - _SCOPE):start]
    if phrases.NEGATION.search(phrases.CLAUSE_BREAK.split(before)[-1]):
        return True
    return is_mention and phrases.IDENTITY_QUESTION.search(
        phrases.SENTENCE_BREAK.split(before)[-1]) is not None


# --- frustration -----------------------------------------------------------------------------


def frustration_score(customer_texts: Sequence[str]) -> float:
    """The customer's frustration now, 0..1, from their turns in order (oldest first).

    Each turn gets an intensity, a noisy-OR of the cues found in it:
    ``intensity = 1 - prod(1 - w)`` over every cue match, with the weights ``w`` of
    `phrases.CUE_WEIGHTS`: profanity, masked or not, 0.60; insults at the service ("useless",
    "ridiculous", "waste of time") 0.55; repeat contact ("third time", "I've called 3 times",
    "I already told you") 0.45; "frustrated", "not helping", "are you even listening" 0.40;
    general negatives ("terrible", "this sucks", "damn") 0.25; "!!!" 0.25; "ugh", "seriously",
    "??", "!!" 0.15. Exclamation marks do not count in a turn that also thanks ("thank you!!!").
    A turn mostly in capitals (acronyms such as PIN aside) adds 0.45, and sending the same words
    again adds 0.45. A negated or self-directed cue ("I'm not angry", "I'm such an idiot") counts
    0. The score then runs over the turns, from 0:

    - a turn with cues: ``score = 1 - (1 - 0.9 * score) * (1 - intensity)``, so complaints across
      turns add up while older ones fade a little;
    - a turn without cues: ``score *= 0.4`` when it sounds satisfied ("ok thanks, perfect"),
      else ``score *= 0.75`` (a neutral answer such as an account number).

    So one "This is ridiculous, I've called three times!!!" scores 0.81, "this is fucking
    useless" 0.82, a lone "this is the third time" 0.45, "I'm really annoyed" 0.40, and a
    satisfied "ok thanks" after an outburst brings the score back under 0.5.
    """
    score = 0.0
    seen: set[str] = set()
    for text in customer_texts:
        t = normalise(text)
        intensity = _intensity(text, t, seen)
        if intensity > 0.0:
            score = 1.0 - (1.0 - _CARRY * score) * (1.0 - intensity)
        elif phrases.SATISFIED.search(t):
            score *= _SATISFIED_DECAY
        else:
            score *= _NEUTRAL_DECAY
    return round(min(1.0, max(0.0, score)), 4)


def _intensity(raw: str, t: str, seen: set[str]) -> float:
    keep = _cue_keep(raw, t)
    words = _NON_WORD.sub(" ", t).split()
    if len(words) >= _ECHO_MIN_WORDS:
        key = " ".join(words)
        if key in seen:
            keep *= 1.0 - _ECHO_WEIGHT
        seen.add(key)
    return 1.0 - keep


@lru_cache(maxsize=8192)
def _cue_keep(raw: str, t: str) -> float:
    """What a turn's own cues leave of calm (1 = no cue). Cached: a live conversation is
    re-scored on every turn, and its earlier turns do not change."""
    keep = 1.0
    bangs = 1.0
    for match in phrases.FRUSTRATION_CUE.finditer(t):
        cue = phrases.cue_label(match.group())
        if cue in _BANGS:
            bangs *= 1.0 - phrases.CUE_WEIGHTS[cue]
        else:
            keep *= 1.0 - phrases.CUE_WEIGHTS.get(cue, 0.0)
    if bangs < 1.0 and not phrases.SATISFIED.search(t):
        keep *= bangs
    if _is_shouting(raw):
        keep *= 1.0 - _CAPS_WEIGHT
    return keep


def _is_shouting(raw: str) -> bool:
    """At least two capitalised words, not acronyms, and 60% or more of all words."""
    if not phrases.CAPS_PAIR.search(raw):
        return False
    caps = sum(1 for w in phrases.CAPS_WORD.findall(raw) if w not in phrases.ACRONYMS)
    if caps < 2:
        return False
    return caps * 10 >= len(phrases.ANY_WORD.findall(raw)) * 6


# --- ai_failures -----------------------------------------------------------------------------


def is_ai_failure_text(text: str) -> bool:
    """Whether an AI reply says it did not understand or cannot help.

    "I'm sorry, I didn't catch that", "I don't quite understand", "could you rephrase", "I'm not
    able to help with that", "I can only help with ...". A business outcome is not a failure:
    "I cannot authenticate you", "the reservation was not successful", "I understand".
    """
    return phrases.AI_FAILURE.search(normalise(text)) is not None


def count_ai_failures(turns: Sequence[Turn]) -> int:
    """AI fallback replies in a row at the end of the conversation (SPEC §3 `ai_failures`).

    An AI turn counts when it carries `fallback: true` or its text is a failure
    (`is_ai_failure_text`). Customer and system turns between them do not break the run; an AI
    turn that is not a failure ends it, and so does a rep turn.
    """
    run = 0
    for turn in reversed(turns):
        if turn.speaker is Speaker.AI:
            if not (turn.fallback or is_ai_failure_text(turn.text)):
                break
            run += 1
        elif turn.speaker is Speaker.REP:
            break
    return run
