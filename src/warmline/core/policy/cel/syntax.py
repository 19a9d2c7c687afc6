"""The parsed form of an expression. Every node knows its span; the checker fills in `type`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from warmline.core.policy.cel.types import Type


@dataclass(slots=True, kw_only=True, eq=False)
class Node:
    """A node: source span [start, end) and, after checking, its static type."""

    start: int
    end: int
    type: Type = field(default=Type.DYN)

    def children(self) -> Iterator[Node]:
        return iter(())


@dataclass(slots=True, kw_only=True, eq=False)
class Literal(Node):
    value: object


@dataclass(slots=True, kw_only=True, eq=False)
class Ident(Node):
    name: str


@dataclass(slots=True, kw_only=True, eq=False)
class Select(Node):
    """`operand.name`; `name_at` is the offset of the field name."""

    operand: Node
    name: str
    name_at: int

    def children(self) -> Iterator[Node]:
        yield self.operand


@dataclass(slots=True, kw_only=True, eq=False)
class Index(Node):
    operand: Node
    index: Node
    op_at: int

    def children(self) -> Iterator[Node]:
        yield self.operand
        yield self.index


@dataclass(slots=True, kw_only=True, eq=False)
class Call(Node):
    """`name(args)` or, with a target, `target.name(args)`."""

    name: str
    name_at: int
    target: Node | None
    args: list[Node]

    def children(self) -> Iterator[Node]:
        if self.target is not None:
            yield self.target
        yield from self.args


@dataclass(slots=True, kw_only=True, eq=False)
class Unary(Node):
    op: str
    operand: Node

    def children(self) -> Iterator[Node]:
        yield self.operand


@dataclass(slots=True, kw_only=True, eq=False)
class Binary(Node):
    """Arithmetic, comparison and `in`; `op_at` is the operator's offset."""

    op: str
    op_at: int
    left: Node
    right: Node

    def children(self) -> Iterator[Node]:
        yield self.left
        yield self.right


@dataclass(slots=True, kw_only=True, eq=False)
class Logical(Node):
    """A flattened chain `a && b && c` (or `||`)."""

    op: str
    operands: list[Node]

    def children(self) -> Iterator[Node]:
        yield from self.operands


@dataclass(slots=True, kw_only=True, eq=False)
class Conditional(Node):
    cond: Node
    then: Node
    otherwise: Node
    op_at: int

    def children(self) -> Iterator[Node]:
        yield self.cond
        yield self.then
        yield self.otherwise


@dataclass(slots=True, kw_only=True, eq=False)
class ListLit(Node):
    items: list[Node]

    def children(self) -> Iterator[Node]:
        yield from self.items


@dataclass(slots=True, kw_only=True, eq=False)
class MapLit(Node):
    entries: list[tuple[Node, Node]]

    def children(self) -> Iterator[Node]:
        for key, value in self.entries:
            yield key
            yield value


@dataclass(slots=True, kw_only=True, eq=False)
class Has(Node):
    """The `has(a.b)` macro."""

    select: Select

    def children(self) -> Iterator[Node]:
        yield self.select


@dataclass(slots=True, kw_only=True, eq=False)
class Comprehension(Node):
    """A list macro: `target.kind(var, pred)`, or `map(var, transform)` / `map(var, pred, t)`."""

    kind: str
    name_at: int
    target: Node
    var: str
    pred: Node | None
    transform: Node | None

    def children(self) -> Iterator[Node]:
        yield self.target
        if self.pred is not None:
            yield self.pred
        if self.transform is not None:
            yield self.transform


def depth(root: Node) -> tuple[int, Node]:
    """The height of the tree under `root` and its deepest node (without recursion)."""
    deepest, deepest_node = 1, root
    stack = [(root, 1)]
    while stack:
        node, level = stack.pop()
        if level > deepest:
            deepest, deepest_node = level, node
        stack.extend((child, level + 1) for child in node.children())
    return deepest, deepest_node
