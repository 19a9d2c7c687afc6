"""Deciding as a use case: a policy bound to its intent classifier, with latency measured
around the pure engine (the core keeps no clock)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from warmline.core.conversation import Contact, Conversation
from warmline.core.decision import Decision
from warmline.core.engine import decide
from warmline.core.intents import IntentClassifier
from warmline.core.policy import Policy


@dataclass(frozen=True, slots=True)
class Decider:
    """A loaded policy and the classifier it names, ready for many conversations."""

    policy: Policy
    classifier: IntentClassifier | None = None

    def decide(
        self,
        conversation: Conversation,
        *,
        now: datetime | None = None,
        history: Sequence[Contact] = (),
        queue_has_free_rep: Callable[[str], bool] | None = None,
    ) -> Decision:
        started = time.perf_counter()
        decision = decide(conversation, self.policy, classifier=self.classifier, now=now,
                          history=history, queue_has_free_rep=queue_has_free_rep)
        return replace(decision, latency_ms=(time.perf_counter() - started) * 1000.0)
