"""Recursive-descent parser for CEL, following the grammar in the CEL language definition.

Macros (`has`, `exists`, `all`, `exists_one`, `filter`, `map`) become their own nodes here, as
in CEL. Nesting is bounded by `MAX_DEPTH` so that no user text can exhaust the Python stack.
"""

from __future__ import annotations

from warmline.core.policy.cel import syntax as s
from warmline.core.policy.cel.lexer import INT_MAX, RESERVED, ParseError, Token, tokenize

MAX_DEPTH = 64
TOO_DEEP = f"expression nests too deeply (over {MAX_DEPTH} levels)"
PRECEDENCE = {
    "||": 1, "&&": 2,
    "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3, "in": 3,
    "+": 4, "-": 4, "*": 5, "/": 5, "%": 5,
}  # fmt: skip
MACROS = frozenset({"exists", "all", "exists_one", "filter", "map"})
WORD_OPERATORS = {"and": "&&", "or": "||", "not": "!"}
PYTHONISMS = {"if": "CEL writes a condition as `c ? a : b`", "else": "CEL writes `c ? a : b`"}


def parse(source: str) -> s.Node:
    """The syntax tree of `source`; raises `ParseError` at the first mistake."""
    parser = _Parser(tokenize(source))
    node = parser.expr()
    parser.expect("eof", "an operator or the end of the expression")
    height, deepest = s.depth(node)
    if height - 1 > MAX_DEPTH:  # levels below the root
        raise ParseError(deepest.start, TOO_DEEP)
    return node


def _word_hint(token: Token) -> str | None:
    if token.kind == "ident" and token.text in WORD_OPERATORS:
        return f"CEL uses && || ! instead of and/or/not; write {WORD_OPERATORS[token.text]} here"
    return None


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.nesting = -1  # the whole expression is level 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != "eof":
            self.pos += 1
        return token

    def accept(self, kind: str) -> Token | None:
        return self.take() if self.peek.kind == kind else None

    def expect(self, kind: str, wanted: str) -> Token:
        if self.peek.kind != kind:
            raise self.unexpected(wanted)
        return self.take()

    def unexpected(self, wanted: str) -> ParseError:
        token = self.peek
        hint = _word_hint(token)
        if hint:
            return ParseError(token.offset, hint)
        found = "the end of the expression" if token.kind == "eof" else f"{token.text!r}"
        return ParseError(token.offset, f"expected {wanted}, found {found}")

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise ParseError(self.peek.offset, TOO_DEEP)

    def expr(self) -> s.Node:
        self.enter()
        cond = self.binary(1)
        if self.peek.kind == "?":
            op_at = self.take().offset
            then = self.binary(1)
            self.expect(":", "':' of a `c ? a : b` expression")
            otherwise = self.expr()
            cond = s.Conditional(
                start=cond.start, end=otherwise.end, cond=cond, then=then,
                otherwise=otherwise, op_at=op_at,
            )  # fmt: skip
        self.nesting -= 1
        return cond

    def binary(self, min_precedence: int) -> s.Node:
        """Operators by precedence climbing: each level loops, so a long chain stays flat."""
        left = self.unary()
        while True:
            token = self.peek
            precedence = PRECEDENCE.get(token.kind, 0)
            if precedence < min_precedence:
                return left
            self.take()
            right = self.binary(precedence + 1)
            left = _combine(token, left, right)

    def unary(self) -> s.Node:
        ops: list[Token] = []
        while self.peek.kind in ("!", "-"):
            ops.append(self.take())
            self.enter()
        node = self.member()
        for token in reversed(ops):
            self.nesting -= 1
            node = _negate(node, token) or s.Unary(
                start=token.offset, end=node.end, op=token.kind, operand=node
            )
        if isinstance(node, s.Literal) and type(node.value) is int and node.value > INT_MAX:
            raise ParseError(node.start, "integer is too large; ints are 64-bit")
        return node

    def member(self) -> s.Node:
        node = self.primary()
        while True:
            if self.accept("."):
                if self.peek.kind != "ident":
                    raise self.unexpected("a field or method name after '.'")
                node = self.after_dot(node, self.take())
            elif self.peek.kind == "[":
                op_at = self.take().offset
                index = self.expr()
                end = self.expect("]", "']'").offset + 1
                node = s.Index(start=node.start, end=end, operand=node, index=index, op_at=op_at)
            else:
                return node

    def after_dot(self, target: s.Node, name: Token) -> s.Node:
        if not self.accept("("):
            end = name.offset + len(name.text)
            return s.Select(start=target.start, end=end, operand=target, name=name.text,
                            name_at=name.offset)  # fmt: skip
        args, end = self.arguments()
        if name.text in MACROS:
            return _comprehension(target, name, args, end)
        return s.Call(start=target.start, end=end, name=name.text, name_at=name.offset,
                      target=target, args=args)  # fmt: skip

    def arguments(self) -> tuple[list[s.Node], int]:
        """The arguments after '(' and the offset just past ')'."""
        args: list[s.Node] = []
        if self.peek.kind != ")":
            args.append(self.expr())
            while self.accept(","):
                args.append(self.expr())
        return args, self.expect(")", "',' or ')'").offset + 1

    def primary(self) -> s.Node:
        token = self.peek
        kind = token.kind
        if kind in ("int", "double", "string", "true", "false", "null"):
            self.take()
            value = {"true": True, "false": False, "null": None}.get(kind, token.value)
            return s.Literal(start=token.offset, end=token.offset + len(token.text), value=value)
        if kind == "ident":
            return self.identifier()
        if kind == "(":
            self.take()
            node = self.expr()
            self.expect(")", "')'")
            return node
        if kind == "[":
            return self.list_literal()
        if kind == "{":
            return self.map_literal()
        raise self.unexpected("a value")

    def identifier(self) -> s.Node:
        token = self.take()
        hint = _word_hint(token)
        if hint:
            raise ParseError(token.offset, hint)
        if token.text in RESERVED:
            extra = PYTHONISMS.get(token.text, "it cannot be used as a name")
            raise ParseError(token.offset, f"{token.text!r} is a reserved word in CEL; {extra}")
        if not self.accept("("):
            return s.Ident(start=token.offset, end=token.offset + len(token.text), name=token.text)
        args, end = self.arguments()
        if token.text == "has":
            return _has(token, args, end)
        return s.Call(start=token.offset, end=end, name=token.text, name_at=token.offset,
                      target=None, args=args)  # fmt: skip

    def list_literal(self) -> s.Node:
        start = self.take().offset
        items: list[s.Node] = []
        while self.peek.kind != "]":
            items.append(self.expr())
            if not self.accept(","):
                break
        end = self.expect("]", "',' or ']'").offset + 1
        return s.ListLit(start=start, end=end, items=items)

    def map_literal(self) -> s.Node:
        start = self.take().offset
        entries: list[tuple[s.Node, s.Node]] = []
        while self.peek.kind != "}":
            key = self.expr()
            self.expect(":", "':' after a map key")
            entries.append((key, self.expr()))
            if not self.accept(","):
                break
        end = self.expect("}", "',' or '}'").offset + 1
        return s.MapLit(start=start, end=end, entries=entries)


def _combine(token: Token, left: s.Node, right: s.Node) -> s.Node:
    if token.kind in ("||", "&&"):
        operands: list[s.Node] = []
        for node in (left, right):
            if isinstance(node, s.Logical) and node.op == token.kind:
                operands.extend(node.operands)
            else:
                operands.append(node)
        return s.Logical(start=left.start, end=right.end, op=token.kind, operands=operands)
    return s.Binary(
        start=left.start, end=right.end, op=token.kind, op_at=token.offset, left=left, right=right
    )


def _negate(node: s.Node, token: Token) -> s.Node | None:
    """`-literal` as one literal (so that the smallest int can be written), else None."""
    if token.kind != "-" or not isinstance(node, s.Literal):
        return None
    value = node.value
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return s.Literal(start=token.offset, end=node.end, value=-value)


def _has(token: Token, args: list[s.Node], end: int) -> s.Node:
    if len(args) != 1 or not isinstance(args[0], s.Select):
        raise ParseError(token.offset, "has() needs a field selection, like has(customer.email)")
    return s.Has(start=token.offset, end=end, select=args[0])


def _comprehension(target: s.Node, name: Token, args: list[s.Node], end: int) -> s.Node:
    usage = f"{name.text}() takes a variable name and an expression, like l.{name.text}(x, x > 1)"
    arity_ok = len(args) == 2 or (name.text == "map" and len(args) == 3)
    if not arity_ok:
        raise ParseError(name.offset, usage)
    var = args[0]
    if not isinstance(var, s.Ident):
        raise ParseError(var.start, usage)
    if name.text == "map":
        pred, transform = (args[1], args[2]) if len(args) == 3 else (None, args[1])
    else:
        pred, transform = args[1], None
    return s.Comprehension(
        start=target.start, end=end, kind=name.text, name_at=name.offset, target=target,
        var=var.name, pred=pred, transform=transform,
    )  # fmt: skip
