"""The warm-vs-cold experiment's arms (policy `experiment: {cold_share, seed}`), pure.

Assignment: a customer is cold when sha256(seed + ":" + customer key) read as a number in
[0, 1) falls below `cold_share` — stable across conversations, processes and servers, so the
same customer is always in the same arm. The key is the customer's id, else phone, else
email, else the conversation id. The statistics are `core.analytics.experiment`."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from enum import StrEnum

from warmline.core.conversation import Conversation
from warmline.core.policy.model import Experiment


class Arm(StrEnum):
    WARM = "warm"
    COLD = "cold"

    @property
    def tag(self) -> str:
        return f"experiment:{self.value}"


TAGS: Mapping[str, Arm] = {arm.tag: arm for arm in Arm}


def experiment_key(conversation: Conversation) -> str:
    """Who the customer is: id, else phone, else email, else the conversation id."""
    for name in ("id", "phone", "email"):
        value = getattr(conversation.customer, name)
        if value:
            return f"{name}:{str(value).strip().lower()}"
    return f"conversation:{conversation.id}"


def assign_arm(experiment: Experiment, key: str) -> Arm:
    """The customer's arm: cold for a stable, hashed `cold_share` of keys."""
    digest = hashlib.sha256(f"{experiment.seed}:{key}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    return Arm.COLD if position < experiment.cold_share else Arm.WARM
