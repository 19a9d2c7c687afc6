"""What to do now: the situation read from a conversation, the engine's decision (mode, route,
queue, experiment arm), the brief and the SIP header, and what is masked when written.
Rule: may read `policy` and `language`; imports nothing from `analytics`."""

from warmline.core.decision.arms import Arm, assign_arm
from warmline.core.decision.engine import decide
from warmline.core.decision.masking import Masker, masker_for
from warmline.core.decision.model import Action, Brief, Decision, Reason, ReasonCode

__all__ = ["Action", "Arm", "Brief", "Decision", "Masker", "Reason", "ReasonCode", "assign_arm",
           "decide", "masker_for"]
