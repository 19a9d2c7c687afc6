"""Closures for the shapes rules use most: comparisons with a constant, `&&`/`||` chains,
`!`, and string tests. Each keeps the exact semantics of `runtime`, only faster: a fast path
guarded by a class check, and the general function for everything else."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from warmline.core.policy.cel.runtime import equals, logical_not, no_overload, order

Fn = Callable[[Mapping[str, Any]], Any]

COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def equal_const(get: Fn, const: object, *, negate: bool) -> Fn:
    """`x == const` (or `!=`) without the general equality for scalar constants."""
    if const is None or type(const) is bool:

        def eq_identity(ctx: Mapping[str, Any]) -> bool:
            return (get(ctx) is const) is not negate

        return eq_identity
    if type(const) is str:
        if negate:
            return lambda ctx: get(ctx) != const
        return lambda ctx: get(ctx) == const
    if type(const) in (int, float):

        def eq_number(ctx: Mapping[str, Any]) -> bool:
            value = get(ctx)
            same = value == const and value.__class__ is not bool
            return same is not negate

        return eq_number

    def eq_general(ctx: Mapping[str, Any]) -> bool:
        return equals(get(ctx), const) is not negate

    return eq_general


def order_const(get: Fn, op: str, const: Any) -> Fn:
    """`x op const` for op in < <= > >= and a number or string constant."""
    compare = COMPARE[op]
    if type(const) is str:

        def order_string(ctx: Mapping[str, Any]) -> bool:
            value = get(ctx)
            if value.__class__ is str:
                return compare(value, const)
            return order(value, const, op)

        return order_string

    def order_number(ctx: Mapping[str, Any]) -> bool:
        value = get(ctx)
        if value.__class__ is float or value.__class__ is int:
            return compare(value, const)
        return order(value, const, op)

    return order_number


def in_const(get: Fn, items: Sequence[object]) -> Fn | None:
    """`x in [constants]` as a set lookup when every constant is a string or every one a
    number; None when the list is mixed (the caller uses the general `in`)."""
    if items and all(type(item) is str for item in items):
        strings = frozenset(items)
        return lambda ctx: (value := get(ctx)).__class__ is str and value in strings
    if items and all(type(item) in (int, float) for item in items):
        numbers = frozenset(items)

        def in_numbers(ctx: Mapping[str, Any]) -> bool:
            value = get(ctx)
            return (value.__class__ is int or value.__class__ is float) and value in numbers

        return in_numbers
    return None


def logical_not_fn(get: Fn) -> Fn:
    def negate(ctx: Mapping[str, Any]) -> bool:
        value = get(ctx)
        if value is True:
            return False
        if value is False:
            return True
        return logical_not(value)

    return negate


def logical_and(fns: Sequence[Fn]) -> Fn:
    """`a && b && ...`: false if any operand is false, even if another is an error."""
    return _absorbing(fns, absorbing=False)


def logical_or(fns: Sequence[Fn]) -> Fn:
    """`a || b || ...`: true if any operand is true, even if another is an error."""
    return _absorbing(fns, absorbing=True)


def _absorbing(fns: Sequence[Fn], *, absorbing: bool) -> Fn:
    if len(fns) == 2:
        return _absorbing_pair(fns[0], fns[1], absorbing=absorbing)
    op = "||" if absorbing else "&&"

    def chain(ctx: Mapping[str, Any]) -> Any:
        error: Exception | None = None
        for fn in fns:
            try:
                value = fn(ctx)
            except Exception as err:  # a CEL error value, absorbed if another wins
                error = err
                continue
            if value is absorbing:
                return absorbing
            if value is not (not absorbing):
                error = no_overload(op, value)
        if error is not None:
            raise error
        return not absorbing

    return chain


def _absorbing_pair(first: Fn, second: Fn, *, absorbing: bool) -> Fn:
    neutral = not absorbing

    def pair(ctx: Mapping[str, Any]) -> Any:
        try:
            left = first(ctx)
        except Exception:
            if second(ctx) is absorbing:
                return absorbing
            raise
        if left is absorbing:
            return absorbing
        right = second(ctx)
        if right is absorbing:
            return absorbing
        if left is neutral and right is neutral:
            return neutral
        raise no_overload("||" if absorbing else "&&", left, right)

    return pair
