"""The composition root: builds deciders (policy + intent model) from names and paths.
Nothing is built at import time."""

from __future__ import annotations

import os
from functools import lru_cache

from warmline.adapters.intent_files import load_bundled_model, load_model
from warmline.adapters.llm_summarizer import OpenAICompatibleSummarizer
from warmline.adapters.policy_files import load_policy
from warmline.core.intents import IntentClassifier
from warmline.core.policy import Policy
from warmline.service.deciding import Decider
from warmline.service.ports import Summarizer


@lru_cache(maxsize=8)
def _classifier(path: str | None) -> IntentClassifier:
    return load_bundled_model() if path is None else load_model(path)


def classifier_for(policy: Policy) -> IntentClassifier:
    """The policy's own intent model (`intents: {model: PATH}`), else the bundled one."""
    return _classifier(policy.intent_model)


def build_decider(policy: Policy | str | os.PathLike[str] | None = None, *,
                  summarizer: Summarizer | None = None) -> Decider:
    """A `Decider` for a `Policy`, a policy file, or a bundled policy name (default
    `general`), with an optional prose summarizer."""
    loaded = policy if isinstance(policy, Policy) else load_policy(policy)
    return Decider(loaded, classifier_for(loaded), summarizer)


def build_summarizer(url: str | None, model: str, api_key: str | None,
                     timeout_s: float) -> Summarizer | None:
    """The OpenAI-compatible summarizer when a URL is configured, else None (the default)."""
    if not url:
        return None
    return OpenAICompatibleSummarizer(base_url=url, model=model, api_key=api_key,
                                      timeout_s=timeout_s)
