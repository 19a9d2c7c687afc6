"""What Warmline keeps of a conversation: its free text with the policy's `redact:` kinds
masked, applied where text is written (turns, a rep's note), so that every copy made from it
(stored rows, decisions, handoffs, events, webhooks, Slack, logs) is masked too. Also re-masks
decisions and notification payloads stored before (`warmline db redact`). Pure.

Kept as given: ids, times, speakers, channels, labels (`intent`, `question_type`, an action's
`name` and `status`) and the customer record's `id`, `name`, `phone`, `email` and `segment`,
which repeat contacts, callbacks and name masking need. Every other string is masked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from warmline.core.language.identity import phone_region
from warmline.core.language.redaction import MASK, redact, redact_value
from warmline.core.policy.model import Policy

#: Conversation, turn, action and customer fields whose strings are never free text.
_KEEP_CONVERSATION = frozenset({"id", "channel", "started_at", "customer", "turns"})
_KEEP_TURN = frozenset({"id", "speaker", "at", "confidence", "intent", "question_type",
                        "fallback"})
_KEEP_ACTION = frozenset({"name", "status"})
_KEEP_CUSTOMER = frozenset({"id", "name", "phone", "email", "segment", "deal_value"})
#: Brief details that are one value of a redaction kind (masked whole, as the brief does).
_SCALAR_DETAILS = frozenset({"name", "phone", "email", "account"})


@dataclass(frozen=True, slots=True)
class Masker:
    """Masks one conversation's text: the policy's kinds, the customer's name parts (for
    `name`) and the region national phone numbers are read in."""

    kinds: frozenset[str]
    names: tuple[str, ...] = ()
    region: str | None = None

    def text(self, text: str) -> str:
        return redact(text, self.kinds, names=self.names, region=self.region)

    def value(self, value: Any) -> Any:
        """Every string inside ``value`` (JSON-shaped) masked; the same object when none
        changed, so clean input costs no copies."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return self._fields(value, frozenset())
        if isinstance(value, list):
            items = [self.value(item) for item in value]
            return value if all(a is b for a, b in zip(items, value, strict=True)) else items
        return value

    def turn(self, turn: Any) -> Any:
        """A raw turn (SPEC §1) with its text, actions' details and extra fields masked."""
        if not isinstance(turn, Mapping):
            return turn
        if turn.keys() <= {"speaker", "text", "at", "id"}:  # the common case, made cheap
            text = turn.get("text")
            masked = self.text(text) if isinstance(text, str) else text
            return turn if masked == text else {**turn, "text": masked}
        out = self._fields(turn, _KEEP_TURN | {"actions"})
        actions = turn.get("actions")
        if isinstance(actions, list):
            done = [self._fields(a, _KEEP_ACTION) if isinstance(a, Mapping) else a
                    for a in actions]
            if any(a is not b for a, b in zip(done, actions, strict=True)):
                out = {**out, "actions": done}
        return out

    def conversation(self, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """A raw conversation (SPEC §1) with every turn, its extra fields and the customer's
        attributes and earlier contacts masked."""
        out = self._fields(data, _KEEP_CONVERSATION)
        customer = data.get("customer")
        if isinstance(customer, Mapping):
            masked = self._fields(customer, _KEEP_CUSTOMER)
            if masked is not customer:
                out = {**out, "customer": masked}
        turns = data.get("turns")
        if isinstance(turns, list):
            done = [self.turn(t) for t in turns]
            if any(a is not b for a, b in zip(done, turns, strict=True)):
                out = {**out, "turns": done}
        return out

    def decision(self, decision: Mapping[str, Any]) -> Mapping[str, Any]:
        """A stored SPEC §2 decision (or a webhook's `data`) with its reasons' details and
        its brief masked; the rest (actions, destinations, policy text) is kept."""
        out = dict(decision)
        reasons = decision.get("reasons")
        if isinstance(reasons, list):
            out["reasons"] = [self._fields(r, frozenset({"code", "rule"}))
                              if isinstance(r, Mapping) else r for r in reasons]
        brief = decision.get("brief")
        if isinstance(brief, Mapping):
            out["brief"] = self.brief(brief)
        note = decision.get("note")
        if isinstance(note, str):
            out["note"] = self.text(note)
        elif isinstance(note, Mapping):  # a CRM note: subject and body
            out["note"] = self.value(note)
        return out if out != decision else decision

    def brief(self, brief: Mapping[str, Any]) -> Mapping[str, Any]:
        out = dict(brief)
        for key in ("summary", "whisper"):
            if isinstance(brief.get(key), str):
                out[key] = self.text(brief[key])
        attempted = brief.get("attempted")
        if isinstance(attempted, list):
            out["attempted"] = [self._fields(a, _KEEP_ACTION) if isinstance(a, Mapping) else a
                                for a in attempted]
        details = brief.get("details")
        if isinstance(details, Mapping):
            out["details"] = {key: self._detail(key, value) for key, value in details.items()}
        return out

    def _detail(self, key: str, value: Any) -> Any:
        if (key in _SCALAR_DETAILS and key in self.kinds and isinstance(value, str)
                and not MASK.fullmatch(value)):
            return redact_value(key, value)
        return self.value(value)

    def _fields(self, obj: Mapping[str, Any], keep: frozenset[str]) -> Mapping[str, Any]:
        out: dict[str, Any] | None = None
        for key, value in obj.items():
            if key in keep:
                continue
            masked = self.value(value)
            if masked is not value and masked != value:
                if out is None:
                    out = dict(obj)
                out[key] = masked
        return obj if out is None else out


def masker_for(policy: Policy, customer: Any = None) -> Masker | None:
    """The masker of a conversation under ``policy``; None when the policy masks nothing,
    so that a policy without `redact:` costs nothing. ``customer``: the raw customer record,
    whose name parts are masked wherever they are said."""
    if not policy.redact:
        return None
    record: Mapping[str, Any] = customer if isinstance(customer, Mapping) else {}
    name = record.get("name")
    names: Sequence[str] = ()
    if "name" in policy.redact and isinstance(name, str):
        names = tuple(part for part in name.split() if len(part) > 1)
    region = policy.country
    if region is None and "phone" in policy.redact and isinstance(record.get("phone"), str):
        region = phone_region(record["phone"])
    return Masker(policy.redact, tuple(names), region)
