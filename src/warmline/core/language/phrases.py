"""The phrase patterns behind the built-in signals of SPEC §3 (`signals:`), compiled once at import.

Every pattern runs on `normalise(text)`: lower case, straight apostrophes, single spaces. The
lists were grown on development splits only (see `bench/eval_signals.py`), never on held-out data.
"""

from __future__ import annotations

import itertools
import re

# --- human_requested -------------------------------------------------------------------------

_DET = r"(?:(?:a|an|the|your|some|any|one of your|one of the|a real|to a) )?"
_ADJ = r"(?:(?:real|live|actual|human|physical|proper|real live|live human|flesh and blood) )?"
_QUAL = (r"(?:(?:customer|client|member) )?(?:(?:service|services|care|support|sales|billing|"
         r"technical|tech|account|help ?desk|chat|call cent(?:er|re)) )?")
# "reprehensitive", "representitive", "represntative" ...: speech-to-text and typing slips.
_REPRESENTATIVE = r"rep[a-z]{0,5}s[a-z]{0,4}t[a-z]{0,3}ve?s?"
_STAFF = (rf"(?:{_REPRESENTATIVE}|rep|reps|agents?|operators?|associates?|advis[eo]rs?|executives?|"
          r"specialists?|staff members?|team members?|employees?|attendants?|consultants?)")
# An agent of another trade ("find an insurance agent near me", NatCS FindAgent) is no handoff:
# such qualifiers are simply not in _QUAL, and these words after the noun rule it out.
_NOT_HANDOFF_AFTER = (r"(?! (?:near|nearby|close|in my (?:area|city|town|state)|around me|"
                      r"licen[cs]e|code|id|number|portal|app|login|commission|fees?))")
_NOUN_CORE = (
    rf"(?:{_ADJ}(?:person|people|human beings?|humans?)"
    r"(?! (?:added|removed|(?:on|to|from|in) (?:my|our|the) (?:plan|policy|account|card)))"
    rf"|{_ADJ}{_QUAL}{_STAFF}{_NOT_HANDOFF_AFTER}"
    r"|manager|supervisor|superior|boss|person in charge|team lead(?:er)?"
    r"|customer (?:service|services|care|support)(?: (?:team|department|desk|line|office))?"
    r"(?! (?:no|number|numbers|phone|contact|email|hours|timings?|address)\b)"
    r"|front desk|help ?desk|reception(?:ist)?|live (?:chat|support)"
    r"|member of (?:staff|the staff|the team|your team)"
    r"|one of your (?:people|staff|team|colleagues|agents|reps|representatives|employees)"
    r"|[a-z]+ (?:department|dept|team))"
)
_NOUN = rf"{_DET}(?:{_NOUN_CORE}|someone|somebody|anyone|anybody|someone real)\b"
_NOUN_NO_PRONOUN = rf"{_DET}{_NOUN_CORE}\b"
_ADVERB = r"(?: (?:directly|right now|now|immediately|quickly|asap|please|again|straight))?"

HUMAN_REQUEST = re.compile("|".join([
    # "talk to a person", "speak with someone", "chat with an agent", "get through to a human"
    rf"\b(?:talk|speak|chat|converse|communicate|get through|be put through){_ADVERB} "
    rf"(?:to|with) {_NOUN}",
    # "connect me to an agent", "transfer my call to a representative", "connect to agent"
    r"\b(?:connect|transfer|put|patch|switch|pass|hand|forward|route|redirect|escalate)"
    r"(?: (?:me|us|my call|this call|the call|this|my case|my issue|it))?"
    rf"(?: (?:over|through|across|back))?{_ADVERB} (?:to|with) {_NOUN}",
    rf"\b(?:be|get|being) (?:connected|transferred|put through|passed|routed|redirected|escalated)"
    rf" (?:to|with) {_NOUN}",
    rf"\b(?:reach|contact|get hold of|get ahold of|get in touch with) {_NOUN}",
    # "can I get a human", "I need a real person", "I want the manager", "give me an agent"
    r"\b(?:want|need|get|give me|gimme|request|requesting|prefer|looking for|where(?:'s| is| are)"
    rf"|find me|bring me|get me|send me|i'd like|i would like) {_NOUN_NO_PRONOUN}",
    # "transfer me", "put me through", "escalate this"
    r"\b(?:put|patch|pass|hand|switch) me (?:over|through|across)\b",
    r"\btransfer me\b(?! (?:\$|\d|money|funds|cash|the money|my money))",
    r"\b(?:transfer|connect) (?:my|this|the) call\b",
    r"\bescalate (?:this|it|me|my (?:issue|case|complaint|ticket|problem|call|query))\b",
    r"\b(?:want|need|request|like) (?:an |to )?escalat(?:e|ion)\b",
    # Mentions, void inside a question about what the AI is ("are you a bot or a real person?"):
    # "agent please" (but not "a nearby agent please"), "a real person", "live agent"
    r"(?P<mention>\b(?<!insurance )(?<!travel )(?<!estate )(?<!nearby )(?<!local )(?<!delivery )"
    r"(?<!my )(?:agent|human|representative|rep|operator|real person|live person|person"
    r"|supervisor|manager) (?:please|pls|plz)\b"
    r"|\b(?:real|live|actual|physical) (?:human beings?|person|human|agent|representative|rep"
    r"|operator|people|someone|somebody)s?\b"
    r"|\bhuman (?:agent|representative|rep|operator)s?\b|\b(?:someone|somebody) real\b)",
    # "is there anyone available", "any humans online"
    r"\b(?:is the?re?|are there|is|any) (?:anyone|anybody|someone|somebody|a human|a person"
    r"|an agent|a real person|humans|agents|a live agent|a representative|a rep)(?: [a-z]+)? "
    r"(?:available"
    r"|online|around|there to help|to help|who can help|i can (?:talk|speak|chat)"
    r"|to (?:talk|speak|chat))\b",
    r"\b(?:someone|somebody|anyone|anybody|a person|a human|an agent) (?:i can|who i can|to) "
    r"(?:talk|speak|chat) (?:to|with)\b",
    r"\bwho (?:can|could|do|should) i (?:talk|speak|chat) (?:to|with)\b",
    r"\b(?:human|person|agent|representative|rep|someone real) (?:to|who can|that can) "
    r"(?:talk|speak|chat|answer|help|assist)\b",
    # "have someone call me", "need a call from your representative"
    r"\b(?:have|get|can|could|let) (?:someone|somebody|a person|a human|an agent|a representative"
    r"|a rep|a manager|a supervisor|your (?:agent|representative|rep|team|manager)) (?:to )?"
    r"(?:call|ring|phone|contact) (?:me|us)\b",
    r"\bcall (?:back )?from (?:a |an |your |the )?(?:representative|rep|agent|person|human"
    r"|executive|manager|supervisor|someone)\b",
]))

# Every request above names one of these words (or a word starting "rep", as representative and
# its misspellings do), so an utterance without any of them skips the regex: most do.
HUMAN_TRIGGERS = frozenset({
    "person", "persons", "people", "human", "humans", "agent", "agents", "operator", "operators",
    "associate", "associates", "advisor", "advisors", "adviser", "advisers", "executive",
    "executives", "specialist", "specialists", "staff", "member", "members", "team", "employee",
    "employees", "attendant", "attendants", "consultant", "consultants", "manager", "managers",
    "supervisor", "supervisors", "superior", "boss", "customer", "desk", "helpdesk", "reception",
    "receptionist", "live", "colleagues", "department", "dept", "someone", "somebody", "anyone",
    "anybody", "transfer", "connect", "through", "over", "across", "escalate", "escalation",
    "who",
})
WORDS = re.compile(r"[a-z]+")

# IVR style: the whole utterance is the request ("representative", "agent agent", "operator!").
_BARE_NOUN = (r"(?:(?:a|an|the|some) )?(?:(?:real|live|actual|human) )?(?:agent|representative"
              rf"|{_REPRESENTATIVE}|rep|operator|human|person|customer (?:service|care|support)"
              r"|help ?desk|front desk|reception|manager|supervisor|live chat|live support)s?")
HUMAN_BARE = re.compile(
    r"(?:(?:hi|hello|hey|ok|okay|yes|yeah|yep|um+|uh+|just|please|pls|plz|i said|again) )*"
    rf"{_BARE_NOUN}(?: (?:{_BARE_NOUN}|please|pls|plz|now|right now|asap|immediately|thanks"
    r"|thank you|again))*"
)

# A negation voids a match when only these words stand between them: "I don't really need to
# talk to anyone" is negated, "the query is not answered, can you connect me to an agent" is not.
CLAUSE_BREAK = re.compile(r"[,.;:!?]| but | so | and | then | or | because ")
_FILLER = (r"(?:really|want|wanna|need|needs|to|have|like|would|think|i|even|going|gonna|be"
           r"|able|get|actually|necessarily|a|an|the|any|wish|care|ask|for|try|trying|it's|its"
           r"|necessary|required|want to|have to|talking|speaking|chatting|this|time|at|all|with"
           r"|me|my|you|your|just|right|now|longer)")
NEGATION = re.compile(
    r"(?:\b(?:don'?t|do not|doesn'?t|does not|didn'?t|did not)(?! know)|\b(?:won'?t|will not"
    r"|wouldn'?t|would not|never|no need|not|no longer|without|rather not|instead of|neither"
    rf"|nor))(?: {_FILLER})* \Z|\bno \Z"
)
# "are you a bot or a real person?", "is this a live agent": asking what the AI is.
IDENTITY_QUESTION = re.compile(
    r"\b(?:are you|am i (?:talking|speaking|chatting)|is this|is it|is that|could you be"
    r"|if you(?:'re| are)|whether you(?:'re| are)|you(?:'re| are)|like a|like an|was it"
    r"|are they|are these|is he|is she)\b"
)
SENTENCE_BREAK = re.compile(r"[.;!?]")

# --- ai_failures -----------------------------------------------------------------------------

AI_FAILURE = re.compile("|".join([
    # "I didn't quite understand", "I'm not sure I follow", "I could not recognise that"
    r"\b(?:didn'?t|did not|don'?t|do not|couldn'?t|could not|can'?t|cannot|not able to|unable to"
    r"|wasn'?t able to|was not able to|not sure (?:that )?i|failed to)(?: [a-z]+)? (?:understand"
    r"|follow|comprehend|recogni[sz]e)(?! your (?:frustration|concern|situation|feelings))\b",
    r"\b(?:didn'?t|did not|couldn'?t|could not|can'?t|cannot|unable to|wasn'?t able to|failed to)"
    r"(?: [a-z]+)? (?:(?:catch|hear|make out) (?:that|this|what|it|you|your)|get (?:that|what you"
    r"|your (?:last|answer|response|message|reply|question|request)))\b",
    r"\b(?:not sure|don'?t know|do not know) what you (?:mean|meant|are asking|'re asking|want)\b",
    # "could you rephrase", "please say that again", "come again?"
    r"\b(?:could|can|would|will) you (?:please |kindly |maybe )?(?:rephrase|reword|repeat (?:that"
    r"|it|your|what)|say (?:that|it) again|say (?:that|it) (?:differently|another way)|restate"
    r"|try (?:again|asking)|clarify (?:what you mean|that|your (?:question|request)))",
    r"\bplease (?:rephrase|reword|repeat (?:that|it|your)|try again|say (?:that|it) again)"
    r"|\btry (?:rephrasing|rewording)|\bcome again\b|\bpardon\?|\bsay that again\b",
    # "I'm not able to help with that", "I can't do that", "that's outside what I can do"
    r"\b(?:can'?t|cannot|can not|not able to|unable to|don'?t know how to)(?: really)? "
    r"(?:help|assist|answer)(?: you)?(?: with)?(?: (?:that|this|it|those|these|your [a-z]+"
    r"|that [a-z]+|this [a-z]+)\b| ?[.!,]|\Z)",
    r"\bi (?:missed|lost) (?:that|you)\b|\bsorry,? what was that\b",
    r"\b(?:can'?t|cannot|can not|not able to|unable to) (?:do|handle) (?:that|this|it)\b",
    r"\bnot something (?:i|that i) (?:can|am able to|'m able to)\b",
    r"\b(?:outside|beyond) (?:of )?(?:my|what i|the scope of what i)\b|\bout of (?:my )?scope\b",
    r"\bi(?:'m| am) (?:only|just) (?:able|here|programmed|designed|trained|set up) to\b",
    r"\bi (?:can|could) (?:only|just) (?:help|assist|answer|handle|do|deal|support|provide|tell"
    r"|file|play|retrieve|book|check|process|talk|discuss)\b",
    r"\bi(?:'m| am) not (?:programmed|designed|trained|able|equipped) to (?:help|answer|assist"
    r"|handle|do)\b",
    r"\bi (?:don'?t|do not) have (?:an answer|the answer|any information|information|that"
    r" information|details) (?:to|about|on|for) (?:that|this)\b",
    r"\bi(?:'m| am) (?:having trouble|struggling) (?:understanding|with (?:that|this|your"
    r" request))|\bsomething went wrong\b",
]))

# --- frustration -----------------------------------------------------------------------------

_MASK = r"[*#@$%&]"
# Weight of each cue family (0..1): one cue's contribution to a turn, combined by noisy-OR.
CUE_WEIGHTS: dict[str, float] = {
    "calm": 0.0,        # a negated or self-directed cue: "I'm not angry", "I'm such an idiot"
    "swear": 0.60,      # profanity, masked or not
    "insult": 0.55,     # at the service: "useless", "ridiculous", "waste of time"
    "repeat": 0.45,     # "third time", "I've called 3 times", "I already told you"
    "upset": 0.40,      # "frustrated", "annoyed", "not helping", "are you even listening"
    "negative": 0.25,   # general: "terrible", "this sucks", "damn", "can't believe"
    "mild": 0.15,       # "ugh", "seriously", "excuse me?", "??"
    "bang2": 0.15,      # "!!"   (the two bang cues are ignored in a satisfied turn:
    "bang3": 0.25,      # "!!!"   "thank you!!!" is enthusiasm)
}
_NUMBER = (r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|many|multiple|so many"
           r"|a dozen)")
_CUES: list[tuple[str, str]] = [
    # calm: listed first, so that "not angry" is taken before "angry" can be
    ("calm", r"not (?:[a-z']+ )?(?:angry|upset|mad|annoyed|frustrated|a problem|bad|terrible"
             r"|complaining|ridiculous|useless|unhappy)\b"),
    ("calm", r"never (?:[a-z']+ )?(?:angry|upset|mad|annoyed|frustrated|a problem|bad)\b"),
    ("calm", r"no (?:longer (?:[a-z']+ )?(?:angry|upset|mad|annoyed|frustrated)|complaints?|problem"
             r"|worries)\b"),
    ("calm", r"nothing (?:[a-z']+ )?(?:bad|terrible|ridiculous)\b"),
    ("calm", r"hate to (?:bother|ask|trouble|say|be)\b"),
    ("calm", r"thank(?:s| you) again\b"),
    ("calm", r"i(?:'m| am) (?:such |so |a |an |such an |a real |really )*(?:idiot|dumb|stupid"
             r"|moron)\b"),
    ("swear", r"(?:fuck\w*|f\*?cking|motherf\w+|shit\w*|bullshit|bs|wtf|ffs|stfu|omfg|goddamn\w*"
              r"|bastards?|assholes?|bitch\w*|dickheads?|piss(?:ed|ing)? off|screw (?:you|this"
              r"|that|it)|effing|fricking)\b"),
    ("insult", r"(?:useless|ridiculous|absurd|unacceptable|outrageous|pathetic|incompetent|idiot\w*"
               r"|stupid|moron\w*|dumb|disgrace\w*|appalling|atrocious|garbage|rubbish|a joke"
               r"|fed up|sick (?:and tired )?of|had enough|enough is enough|furious|livid|pissed"
               r"|fuming|infuriat\w+|waste of (?:my |our )?(?:time|money)|wast(?:ing|ed) my time"
               r"|thanks for nothing|what the (?:hell|heck)|the hell|hell no)\b"),
    ("insult", r"(?:are you (?:kidding|serious|joking|deaf|stupid|blind)|you (?:must be|gotta be"
               r"|have got to be) kidding|kidding me|for (?:god|christ|heaven|pete|crying out loud)"
               r"'?s? sake|scam(?:mers?|med)?|rip[- ]?off|liars?|never again|disgusting|shameful"
               r"|horrendous|what(?:'s| is) wrong with you|worst (?:service|company|bank|experience"
               r"|support|customer service|app|bot) ever)\b"),
    ("repeat", r"(?:second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|tenth|hundredth|millionth"
               r"|umpteenth) time\b"),
    ("repeat", r"for the last time\b"),
    ("repeat", r"(?:called|contacted|tried|asked|written|wrote|emailed|messaged|told you|explained"
               rf"|been here|rang|phoned|chatted|complained|reached out)(?: you| this| about this)?"
               rf" {_NUMBER} times\b"),
    ("repeat", rf"{_NUMBER} times (?:already|now|today|this week|this month|before)\b"),
    ("repeat", r"(?:how many (?:more )?times|(?:already|just) (?:told|said|gave|explained"
               r"|answered|asked|sent|provided)|(?:as|like) i (?:said|told you|already said"
               r"|mentioned)|i keep (?:asking|telling|saying|getting|trying|calling|explaining)"
               r"|over and over|again and again|yet again|every (?:single )?time|still (?:not|no"
               r"|nothing|waiting|haven'?t|hasn'?t|isn'?t|doesn'?t|can'?t|don'?t|didn'?t|broken"
               r"|wrong))\b"),
    ("upset", r"(?:angry|annoyed|annoying|irritat\w+|frustrat\w+|upset|mad at|exasperat\w+"
              r"|not (?:helping|helpful|listening|happy|good enough)|no help|unhelpful"
              r"|(?:doesn'?t|didn'?t|isn'?t) help(?:ing)?|aren'?t (?:listening|helping)"
              r"|are you (?:even )?listening"
              r"|(?:didn'?t|did) you (?:even )?(?:read|hear|listen))\b"),
    ("upset", r"(?:(?:you|it|this bot|the bot) (?:don'?t|do not|doesn'?t|didn'?t) (?:get it"
              r"|understand|listen)|(?:nobody|no one|no-one) (?:is )?(?:help\w*|answer\w*"
              r"|respond\w*|cares|listens)|taking (?:forever|so long|ages|too long)|poor service"
              r"|bad service|give me a break|come on|get your act together|you(?:'d| had)? better"
              r"|report you|lawyer|sue you|just great|yeah right|real helpful|rude|i give up"
              r"|forget it|i'?m done|done with (?:this|you)|why (?:isn'?t|won'?t|can'?t|doesn'?t)"
              r" (?:it|this|anything|anyone))\b"),
    ("negative", r"(?:terrible|horrible|awful|worst|hate|hating|sucks?|damn\w*|dammit|crap\w*"
                 r"|bloody|freaking|frigging|screwed|complain\w*|disappoint\w*|unhappy"
                 r"|unbelievable|can'?t believe|not (?:very )?nice)\b"),
    ("mild", r"(?:ugh+|argh+|seriously|hurry|jeez|geez|sigh|smh|whatever|excuse me)\b"),
]
# Not at a word start: tried after the word alternatives, in this order.
_CUES_INSIDE: list[tuple[str, str]] = [
    ("calm", r"n't (?:[a-z']+ )?(?:angry|upset|mad|annoyed|frustrated|a problem|bad|terrible"
             r"|complaining|ridiculous|useless|unhappy)\b"),
    ("swear", rf"\b[a-z]{_MASK}{{2,}}[a-z]*"),
    ("mild", r"\?\?+|\?!|!\?"),
    ("bang3", r"!{3,}"),
    ("bang2", r"!!"),
]


def _factored(at_word: list[tuple[str, str]], inside: list[tuple[str, str]]) -> re.Pattern[str]:
    """One regex for many alternatives, fast on CPython.

    sre tries the branches of an alternation one after the other at every position, so the
    alternatives that start at a word (`at_word`) are expanded and grouped by first letter behind
    one ``\\b``: a word then tries one bucket instead of every branch (about four times faster).
    `inside` alternatives (punctuation, "n't") follow in order. Groups stay non-capturing
    (hundreds of capturing groups made sre slower than the plain alternation).
    """
    buckets: dict[str, list[str]] = {}
    others: list[str] = []
    for _, alt in at_word:
        for branch in _expand(alt):
            if branch[0].isalnum() and branch[1:2] not in ("?", "*", "+", "{"):
                buckets.setdefault(branch[0], []).append(branch[1:])
            else:
                others.append(r"\b" + branch)
    others.extend(alt for _, alt in inside)
    heads = [head + "(?:" + "|".join(tails) + ")" for head, tails in buckets.items()]
    return re.compile("|".join([r"\b(?:" + "|".join(heads) + ")", *others]))


def _by_label(alternatives: list[tuple[str, str]]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    grouped: dict[str, list[str]] = {}
    for label, alt in alternatives:
        grouped.setdefault(label, []).append(alt)
    return tuple((label, re.compile("|".join(alts))) for label, alts in grouped.items())


def _expand(alt: str) -> list[str]:
    """The branches of a leading ``(?:a|b)rest`` as ``a rest``, ``b rest``, recursively."""
    if not alt.startswith("(?:"):
        return [alt]
    depth, i, bars = 0, 0, [2]
    while True:
        c = alt[i]
        if c == "\\":
            i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                break
        elif c == "|" and depth == 1:
            bars.append(i)
        i += 1
    bars.append(i)
    rest = alt[i + 1:]
    if rest[:1] in ("?", "*", "+", "{"):
        return [alt]
    return [b for lo, hi in itertools.pairwise(bars)
            for b in _expand(alt[lo + 1:hi] + rest)]


FRUSTRATION_CUE = _factored(_CUES, _CUES_INSIDE)
_LABELLED = _by_label(_CUES + _CUES_INSIDE)


def cue_label(cue: str) -> str:
    """The family of a matched cue: the first, in `CUE_WEIGHTS` order, whose phrases match it
    whole (that is the family the match came from, as families are tried in that order)."""
    for label, pattern in _LABELLED:
        if pattern.fullmatch(cue):
            return label
    return ""
# A calm turn that also sounds satisfied lowers the score faster than a neutral answer.
SATISFIED = re.compile(
    r"\b(?:thanks|thank you|thx|ty|great|perfect|awesome|excellent|wonderful|lovely|appreciate"
    r"|cheers|brilliant|fantastic|that helps|that works|sounds good|all good|no worries)\b"
)
CAPS_PAIR = re.compile(r"[A-Z][A-Z']")  # cheap test before counting words
CAPS_WORD = re.compile(r"\b[A-Z][A-Z']+\b")
ANY_WORD = re.compile(r"\b[A-Za-z][A-Za-z']+\b")
# Upper-case words that are names, not shouting.
ACRONYMS = frozenset({
    "OK", "PIN", "ATM", "DOB", "ID", "SSN", "USA", "UK", "US", "SMS", "OTP", "KYC", "EMI", "UPI",
    "COD", "FAQ", "TV", "PC", "PM", "AM", "AI", "FBI", "IRS", "CEO", "IBAN", "VAT", "ETA", "ASAP",
    "DM", "IT", "HR", "API", "URL", "IP", "PDF", "NYC", "LA", "CA", "TX", "NY", "EU", "GPS",
})
