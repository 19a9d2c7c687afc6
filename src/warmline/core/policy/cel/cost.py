"""A static cost limit for rules: every `when:` runs on every turn, so an expression whose
worst case is too slow is refused at load, with its position, instead of stalling the hot path.

The estimate counts one unit per node, `TEXT_PASS` for each pass over the conversation's
text (`contains`, `matches`, `lowerAscii`, string `+` on `text` or `transcript`: linear in
a transcript that may be long),
`REGEX_BUILD` for a `matches` whose pattern is only known at run time, and multiplies a
macro's body by its iterations: the list literal's length, else the run-time budget
(`MAX_ITERATIONS`), which nested macros share.
"""

from __future__ import annotations

from dataclasses import dataclass

from warmline.core.policy.cel import syntax as s
from warmline.core.policy.cel.runtime import MAX_ITERATIONS
from warmline.core.policy.cel.types import Kind

#: Above this a rule is refused. A literal-list macro scanning text (`["quit", "cancel"]
#: .exists(w, text.contains(w))`) costs ~300; a scan of the transcript inside a macro over
#: `customer.recent_contacts` (any length) costs ~1,000,000 and took seconds per turn.
MAX_COST = 100_000
TEXT_PASS = 100
REGEX_BUILD = 1_000
_TEXT_METHODS = frozenset({"contains", "startsWith", "endsWith", "matches", "lowerAscii",
                           "upperAscii", "trim"})
#: The names whose strings grow with the conversation (a customer field is short).
_LONG_TEXT = frozenset({"text", "transcript"})


@dataclass(frozen=True, slots=True)
class Cost:
    """The estimate and where the costliest repetition starts (for the message)."""

    total: int
    offset: int


def estimate(root: s.Node) -> Cost:
    """The worst-case cost of evaluating `root` once (a checked tree, so types are known)."""
    hot: list[tuple[int, int]] = []  # (cost, offset) of each macro
    total = _cost(root, 1, hot)
    offset = max(hot)[1] if hot else root.start
    return Cost(total, offset)


def _cost(node: s.Node, loops: int, hot: list[tuple[int, int]]) -> int:
    """`node`'s cost once; `loops` is how often its enclosing macros may run it."""
    if isinstance(node, s.Comprehension):
        runs = min(loops * _iterations(node.target), MAX_ITERATIONS)
        body = sum(_cost(part, runs, hot) for part in (node.pred, node.transform)
                   if part is not None)
        each = _cost(node.target, loops, hot) + body * max(1, runs // loops)
        hot.append((each, node.start))
        return 1 + each
    own = 1
    if isinstance(node, s.Call) and node.target is not None and node.name in _TEXT_METHODS:
        if _reads_long_text(node.target):
            own += TEXT_PASS
        if node.name == "matches" and not (node.args and isinstance(node.args[0], s.Literal)):
            own += REGEX_BUILD
    elif isinstance(node, s.Binary) and node.op == "+" and node.type.kind is Kind.STRING \
            and _reads_long_text(node):
        own += TEXT_PASS
    return own + sum(_cost(child, loops, hot) for child in node.children())


def _reads_long_text(node: s.Node) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, s.Ident) and current.name in _LONG_TEXT:
            return True
        stack.extend(current.children())
    return False


def _iterations(target: s.Node) -> int:
    if isinstance(target, s.ListLit):
        return max(1, len(target.items))
    if isinstance(target, s.MapLit):
        return max(1, len(target.entries))
    return MAX_ITERATIONS
