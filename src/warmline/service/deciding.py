"""Deciding as a use case: a policy bound to its intent classifier, with latency measured
around the pure engine (the core keeps no clock)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from warmline.core.conversation import Contact, Conversation
from warmline.core.decision.brief import clean_transcript, known_names, write_brief
from warmline.core.decision.engine import decide, find_reasons
from warmline.core.decision.model import Brief, Decision
from warmline.core.decision.routing import Staffing
from warmline.core.decision.situation import assess
from warmline.core.language.intents import IntentClassifier
from warmline.core.language.redaction import redact
from warmline.core.language.scorer import LanguageModel
from warmline.core.policy.model import Policy
from warmline.service.ports import Summarizer


@dataclass(frozen=True, slots=True)
class Decider:
    """A loaded policy and the classifier it names, ready for many conversations."""

    policy: Policy
    classifier: IntentClassifier | None = None
    summarizer: Summarizer | None = None
    """Optional prose summaries (off by default); failures keep the deterministic brief."""
    language: LanguageModel | None = None
    """The embedded language model the signals read (bootstrap gives the bundled one)."""
    version: int | None = None
    """The tenant's policy version `policy` is (`service.policy_versions`); None for a file."""

    def under_version(self, version: int) -> Decider:
        """This decider, its decisions marked as made under policy version `version`."""
        return replace(self, version=version)

    def decide(
        self,
        conversation: Conversation,
        *,
        now: datetime | None = None,
        history: Sequence[Contact] = (),
        queue_has_free_rep: Callable[[str], bool] | None = None,
        queue_staffing: Callable[[str], Staffing] | None = None,
    ) -> Decision:
        started = time.perf_counter()
        decision = decide(conversation, self.policy, classifier=self.classifier, now=now,
                          history=history, queue_has_free_rep=queue_has_free_rep,
                          language=self.language,
                          queue_staffing=queue_staffing)
        if self.summarizer is not None and decision.brief is not None:
            decision = self._with_prose(conversation, decision)
        return replace(decision, latency_ms=(time.perf_counter() - started) * 1000.0,
                       policy_version=self.version)

    def brief(self, conversation: Conversation, *, now: datetime | None = None) -> Brief:
        """The brief the rep would get if the AI handed off now, whether or not the policy
        would hand off yet."""
        decision = self.decide(conversation, now=now)
        if decision.brief is not None:
            return decision.brief
        situation = assess(conversation, self.policy, classifier=self.classifier, now=now,
                           language=self.language)
        brief = write_brief(conversation, self.policy, situation,
                            find_reasons(self.policy, situation, []))
        if self.summarizer is None:
            return brief
        prose = self._prose(conversation, brief)
        return brief if prose is None else replace(brief, summary=prose)

    def _prose(self, conversation: Conversation, brief: Brief) -> str | None:
        assert self.summarizer is not None
        prose = self.summarizer.summarize(clean_transcript(conversation, self.policy), brief)
        if prose is None:
            return None
        return redact(prose, self.policy.redact, names=known_names(conversation))

    def _with_prose(self, conversation: Conversation, decision: Decision) -> Decision:
        assert decision.brief is not None
        prose = self._prose(conversation, decision.brief)
        if prose is None:
            return decision
        return replace(decision, brief=replace(decision.brief, summary=prose))
