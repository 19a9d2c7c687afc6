"""Turn a checked syntax tree into nested Python closures, folding constant sub-expressions.

No user text is ever given to Python's eval, exec or compile: each node becomes a closure
over the closures of its children.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from warmline.core.policy.cel import fastpath as fp
from warmline.core.policy.cel import macros
from warmline.core.policy.cel import syntax as s
from warmline.core.policy.cel.functions import FUNCTIONS, METHODS, regex_searcher
from warmline.core.policy.cel.runtime import (
    BUDGET_KEY,
    MAX_ITERATIONS,
    EvalError,
    add,
    divide,
    equals,
    index,
    is_in,
    kind_of,
    modulo,
    multiply,
    negate,
    no_overload,
    order,
    select,
    subtract,
)
from warmline.core.policy.cel.types import Kind

Fn = Callable[[Mapping[str, Any]], Any]
ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": add, "-": subtract, "*": multiply, "/": divide, "%": modulo,
}  # fmt: skip
STRING_TESTS: dict[str, Callable[[str, str], bool]] = {
    "contains": operator.contains, "startsWith": str.startswith, "endsWith": str.endswith,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Code:
    """A compiled node: its closure and, when it does not depend on the context, its value."""

    fn: Fn
    is_const: bool = False
    value: Any = None


def constant(value: Any) -> Code:
    return Code(lambda ctx: value, is_const=True, value=value)


class Compiler:
    """Compiles one checked expression; `has_macros` tells whether it needs a scope dict."""

    def __init__(self) -> None:
        self.has_macros = False

    def compile(self, node: s.Node) -> Code:
        return _HANDLERS[type(node)](self, node)

    def _fold(self, fn: Fn, parts: Sequence[Code]) -> Code:
        """`fn` evaluated now when all `parts` are constant; an error stays a run-time error."""
        if not all(part.is_const for part in parts):
            return Code(fn)
        try:
            return constant(fn({BUDGET_KEY: [MAX_ITERATIONS]}))
        except Exception:  # e.g. 1/0: CEL makes it an error value, not a failure
            return Code(fn)

    def _literal(self, node: s.Literal) -> Code:
        return constant(node.value)

    def _ident(self, node: s.Ident) -> Code:
        return Code(operator.itemgetter(node.name))

    def _select(self, node: s.Select) -> Code:
        operand = self.compile(node.operand)
        get, name = operand.fn, node.name

        def select_fn(ctx: Mapping[str, Any]) -> Any:
            value = get(ctx)
            if value.__class__ is dict:
                return value.get(name)
            return select(value, name)

        return self._fold(select_fn, [operand])

    def _index(self, node: s.Index) -> Code:
        operand, key = self.compile(node.operand), self.compile(node.index)
        get, get_key = operand.fn, key.fn
        return self._fold(lambda ctx: index(get(ctx), get_key(ctx)), [operand, key])

    def _unary(self, node: s.Unary) -> Code:
        operand = self.compile(node.operand)
        get = operand.fn
        fn = fp.logical_not_fn(get) if node.op == "!" else (lambda ctx: negate(get(ctx)))
        return self._fold(fn, [operand])

    def _binary(self, node: s.Binary) -> Code:
        left, right = self.compile(node.left), self.compile(node.right)
        if left.is_const and right.is_const:
            return self._fold(_binary_fn(node.op, left.fn, right.fn), [left, right])
        if node.op in ("==", "!="):
            return Code(self._equality(node, left, right))
        if node.op in fp.COMPARE:
            return Code(_ordering(node.op, left, right))
        if node.op == "in" and right.is_const and type(right.value) is list:
            fn = fp.in_const(left.fn, right.value)
            if fn is not None:
                return Code(fn)
        return Code(_binary_fn(node.op, left.fn, right.fn))

    def _equality(self, node: s.Binary, left: Code, right: Code) -> Fn:
        negated = node.op == "!="
        if right.is_const:
            return fp.equal_const(left.fn, right.value, negate=negated)
        if left.is_const:
            return fp.equal_const(right.fn, left.value, negate=negated)
        if node.left.type.kind is node.right.type.kind is Kind.STRING:
            get_left, get_right = left.fn, right.fn
            compare = operator.ne if negated else operator.eq
            return lambda ctx: compare(get_left(ctx), get_right(ctx))
        return _binary_fn(node.op, left.fn, right.fn)

    def _logical(self, node: s.Logical) -> Code:
        parts = [self.compile(operand) for operand in node.operands]
        absorbing = node.op == "||"
        if any(part.is_const and part.value is absorbing for part in parts):
            return constant(absorbing)
        fns = [part.fn for part in parts]
        fn = fp.logical_or(fns) if absorbing else fp.logical_and(fns)
        return self._fold(fn, parts)

    def _conditional(self, node: s.Conditional) -> Code:
        cond, then, otherwise = (self.compile(n) for n in (node.cond, node.then, node.otherwise))
        if cond.is_const and type(cond.value) is bool:
            return then if cond.value else otherwise
        test, if_true, if_false = cond.fn, then.fn, otherwise.fn

        def conditional(ctx: Mapping[str, Any]) -> Any:
            value = test(ctx)
            if value is True:
                return if_true(ctx)
            if value is False:
                return if_false(ctx)
            raise no_overload("?:", value)

        return self._fold(conditional, [cond, then, otherwise])

    def _list(self, node: s.ListLit) -> Code:
        items = [self.compile(item) for item in node.items]
        fns = tuple(item.fn for item in items)
        return self._fold(lambda ctx: [fn(ctx) for fn in fns], items)

    def _map(self, node: s.MapLit) -> Code:
        entries = [(self.compile(k), self.compile(v)) for k, v in node.entries]
        fns = tuple((k.fn, v.fn) for k, v in entries)
        parts = [code for entry in entries for code in entry]
        return self._fold(lambda ctx: _build_map([(k(ctx), v(ctx)) for k, v in fns]), parts)

    def _has(self, node: s.Has) -> Code:
        operand = self.compile(node.select.operand)
        get, name = operand.fn, node.select.name

        def has_fn(ctx: Mapping[str, Any]) -> bool:
            value = get(ctx)
            if value.__class__ is dict:
                return value.get(name) is not None
            if value is None:
                return False
            raise EvalError(f"has() needs a map or object, not a {kind_of(value)}")

        return self._fold(has_fn, [operand])

    def _call(self, node: s.Call) -> Code:
        args = [self.compile(arg) for arg in node.args]
        if node.target is None:
            return self._apply(FUNCTIONS[node.name].impl, args)
        target = self.compile(node.target)
        if node.name in STRING_TESTS and args[0].is_const and type(args[0].value) is str:
            return self._fold(_string_test(node.name, target.fn, args[0].value), [target])
        if node.name == "matches" and args[0].is_const and type(args[0].value) is str:
            try:
                return self._fold(_regex_test(target.fn, args[0].value), [target])
            except Exception:  # a pattern built from constants, bad: an error when evaluated
                return self._apply(METHODS["matches"].impl, [target, *args])
        return self._apply(METHODS[node.name].impl, [target, *args])

    def _apply(self, impl: Callable[..., Any], args: list[Code]) -> Code:
        fns = [arg.fn for arg in args]
        if len(fns) == 1:
            only = fns[0]
            return self._fold(lambda ctx: impl(only(ctx)), args)
        first, second = fns
        return self._fold(lambda ctx: impl(first(ctx), second(ctx)), args)

    def _comprehension(self, node: s.Comprehension) -> Code:
        self.has_macros = True
        target = self.compile(node.target).fn
        pred = self.compile(node.pred).fn if node.pred is not None else None
        transform = self.compile(node.transform).fn if node.transform is not None else None
        if node.kind in ("filter", "map"):
            return Code(macros.filter_map(node.kind, target, node.var, pred, transform))
        assert pred is not None  # the parser gives every quantifier a condition
        return Code(macros.quantifier(node.kind, target, node.var, pred))


# Keyed by node class; each handler takes that class, hence Any.
_HANDLERS: dict[type[s.Node], Callable[[Compiler, Any], Code]] = {
    s.Literal: Compiler._literal,
    s.Ident: Compiler._ident,
    s.Select: Compiler._select,
    s.Index: Compiler._index,
    s.Call: Compiler._call,
    s.Unary: Compiler._unary,
    s.Binary: Compiler._binary,
    s.Logical: Compiler._logical,
    s.Conditional: Compiler._conditional,
    s.ListLit: Compiler._list,
    s.MapLit: Compiler._map,
    s.Has: Compiler._has,
    s.Comprehension: Compiler._comprehension,
}


def _binary_fn(op: str, left: Fn, right: Fn) -> Fn:
    if op == "==":
        return lambda ctx: equals(left(ctx), right(ctx))
    if op == "!=":
        return lambda ctx: not equals(left(ctx), right(ctx))
    if op == "in":
        return lambda ctx: is_in(left(ctx), right(ctx))
    if op in fp.COMPARE:
        return lambda ctx: order(left(ctx), right(ctx), op)
    arithmetic = ARITHMETIC[op]
    return lambda ctx: arithmetic(left(ctx), right(ctx))


def _ordering(op: str, left: Code, right: Code) -> Fn:
    if right.is_const and type(right.value) in (int, float, str):
        return fp.order_const(left.fn, op, right.value)
    if left.is_const and type(left.value) in (int, float, str):
        return fp.order_const(right.fn, fp.FLIPPED[op], left.value)
    get_left, get_right, compare = left.fn, right.fn, fp.COMPARE[op]

    def ordering(ctx: Mapping[str, Any]) -> bool:
        a, b = get_left(ctx), get_right(ctx)
        if (a.__class__ is int or a.__class__ is float) and (
            b.__class__ is int or b.__class__ is float
        ):
            return compare(a, b)
        return order(a, b, op)

    return ordering


def _string_test(name: str, get: Fn, const: str) -> Fn:
    test = STRING_TESTS[name]

    def string_test(ctx: Mapping[str, Any]) -> bool:
        value = get(ctx)
        if value.__class__ is str:
            return test(value, const)
        raise no_overload(name, value, const)

    return string_test


def _regex_test(get: Fn, pattern: str) -> Fn:
    search = regex_searcher(pattern)

    def regex_test(ctx: Mapping[str, Any]) -> bool:
        value = get(ctx)
        if value.__class__ is str:
            return search(value)
        raise no_overload("matches", value, pattern)

    return regex_test


def _build_map(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    result: dict[Any, Any] = {}
    for key, value in pairs:
        if type(key) not in (str, int, bool):
            raise EvalError(f"a map key must be a string, int or bool, not a {kind_of(key)}")
        if key in result:
            raise EvalError(f"duplicate map key {key!r}")
        result[key] = value
    return result
