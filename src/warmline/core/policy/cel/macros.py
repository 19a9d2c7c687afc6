"""The list macros: exists, all, exists_one, filter, map. They bind their variable in the
per-call scope dict and spend the shared iteration budget, so no rule runs unbounded."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from warmline.core.policy.cel.runtime import (
    BUDGET_KEY,
    MAX_ITERATIONS,
    BudgetError,
    EvalError,
    check_size,
    kind_of,
)

Fn = Callable[[Mapping[str, Any]], Any]
Scope = dict[str, Any]
_UNBOUND = object()


def _elements(kind: str, target: Any) -> list[Any]:
    if type(target) is list:
        return target
    if type(target) is dict:
        return list(target)
    raise EvalError(f"{kind}() works on a list or map, not a {kind_of(target)}")


def _spend(scope: Scope) -> None:
    budget: list[int] = scope[BUDGET_KEY]
    budget[0] -= 1
    if budget[0] < 0:
        raise BudgetError(f"iteration budget exceeded: over {MAX_ITERATIONS:,} macro steps")


def _as_bool(kind: str, value: Any) -> bool:
    if value is True or value is False:
        return value
    raise EvalError(f"the condition of {kind}() gave a {kind_of(value)}, not true or false")


def _bind(kind: str, target: Fn, var: str, body: Callable[[Scope, list[Any]], Any]) -> Fn:
    """Evaluate `target`, bind `var` around `body`, and restore any outer binding."""

    def macro(ctx: Mapping[str, Any]) -> Any:
        scope: Scope = ctx  # type: ignore[assignment]  # macro rules always run on a scope dict
        elements = _elements(kind, target(scope))
        outer = scope.get(var, _UNBOUND)
        try:
            return body(scope, elements)
        finally:
            if outer is _UNBOUND:
                scope.pop(var, None)
            else:
                scope[var] = outer

    return macro


def quantifier(kind: str, target: Fn, var: str, pred: Fn) -> Fn:
    """`exists` (some true), `all` (none false) or `exists_one` (exactly one true).

    As in CEL, an error from one element is absorbed when another element decides the result.
    """
    decisive = kind != "all"

    def body(scope: Scope, elements: list[Any]) -> bool:
        error: EvalError | None = None
        count = 0
        for element in elements:
            _spend(scope)
            scope[var] = element
            try:
                value = _as_bool(kind, pred(scope))
            except BudgetError:
                raise
            except Exception as err:  # a CEL error value: absorbed if decided
                if kind == "exists_one":  # counts every element, so it cannot absorb errors
                    raise
                error = err if isinstance(err, EvalError) else EvalError(str(err))
                continue
            if value is decisive:
                count += 1
                if kind != "exists_one" or count > 1:
                    return kind == "exists"
        if error is not None:
            raise error
        return count == 1 if kind == "exists_one" else kind == "all"

    return _bind(kind, target, var, body)


def filter_map(kind: str, target: Fn, var: str, pred: Fn | None, transform: Fn | None) -> Fn:
    """`filter(x, p)`, `map(x, e)` or `map(x, p, e)`: a new list."""

    def body(scope: Scope, elements: list[Any]) -> list[Any]:
        out: list[Any] = []
        for element in elements:
            _spend(scope)
            scope[var] = element
            if pred is not None and not _as_bool(kind, pred(scope)):
                continue
            out.append(transform(scope) if transform is not None else element)
        return check_size(out)

    return _bind(kind, target, var, body)
