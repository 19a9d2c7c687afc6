"""Warmline: decide when, where and how an AI agent hands a customer to a person.

In-process use from an agent framework::

    from warmline import load_policy, decide
    policy = load_policy("saas")            # a bundled name or a path to YAML
    decision = decide({"id": "c-1", "turns": [...]}, policy)
    if decision.action != "continue":
        print(decision.brief.summary)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from warmline.adapters.policy_files import load_policy
from warmline.core.conversation import Conversation, Turn, parse_conversation
from warmline.core.decision.model import Action, Brief, Decision, Reason, ReasonCode
from warmline.core.errors import ConversationError, InvalidInput, PolicyError, WarmlineError
from warmline.core.policy.model import Policy

__all__ = [
    "Action", "Brief", "Conversation", "ConversationError", "Decision", "InvalidInput",
    "Policy", "PolicyError", "Reason", "ReasonCode", "Turn", "WarmlineError", "decide",
    "load_policy", "parse_conversation",
]
__version__ = "0.1.0"


def decide(
    conversation: Conversation | Mapping[str, Any],
    policy: Policy | str | None = None,
    *,
    now: datetime | None = None,
) -> Decision:
    """Decide one turn: a conversation (object or SPEC §1 dict) and a policy (object, file
    path or bundled name; default `general`). The policy's intent model is loaded once and
    reused."""
    from warmline.bootstrap import build_decider  # deferred: keeps `import warmline` light

    conv = conversation if isinstance(conversation, Conversation) else parse_conversation(
        conversation)
    return build_decider(policy).decide(conv, now=now)
