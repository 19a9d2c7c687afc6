"""What the user wrote: the policy file read into `Policy` (sections, rules in CEL, hours,
notify targets, transfer numbers). Rule: imports no other core package (only the vocabulary)."""

from warmline.core.policy.model import Mode, Policy
from warmline.core.policy.reader import parse_policy

__all__ = ["Mode", "Policy", "parse_policy"]
