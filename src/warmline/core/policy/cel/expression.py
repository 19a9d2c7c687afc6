"""`compile_expression`: parse, check and compile a rule once, at load time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from warmline.core.errors import WarmlineError
from warmline.core.policy.cel.checker import Checker
from warmline.core.policy.cel.compiler import Compiler
from warmline.core.policy.cel.cost import MAX_COST, estimate
from warmline.core.policy.cel.diagnostic import CelError, Diagnostic
from warmline.core.policy.cel.lexer import ParseError
from warmline.core.policy.cel.parser import parse
from warmline.core.policy.cel.runtime import BUDGET_KEY, MAX_ITERATIONS
from warmline.core.policy.cel.syntax import Node
from warmline.core.policy.cel.types import Kind, Type, is_assignable

MAX_SOURCE = 4096
Fn = Callable[[Mapping[str, Any]], Any]


class CompiledExpression:
    """A checked, compiled expression; `evaluate` it once per context.

    Attributes:
        source: the expression as written.
        names: the top-level names it reads, so callers can skip computing the others.
        type: its static result type.
    """

    __slots__ = ("_run", "names", "source", "type")

    def __init__(self, source: str, names: frozenset[str], result: Type, run: Fn) -> None:
        self.source = source
        self.names = names
        self.type = result
        self._run = run

    def evaluate(self, ctx: Mapping[str, Any]) -> Any:
        """The value of the expression in `ctx` (plain Python values; missing keys are errors,
        except inside objects, where they are null).

        For a rule compiled with ``expect=Type.BOOL`` this is a ``bool`` and never raises: an
        error (a method on null, a division by zero, a spent budget) makes the rule false. For
        other types a run-time error raises `EvaluationError`.
        """
        return self._run(ctx)

    def __repr__(self) -> str:
        return f"CompiledExpression({self.source!r})"


class EvaluationError(WarmlineError):
    """A non-boolean expression produced a CEL error value (e.g. a division by zero)."""


def compile_expression(
    source: str, schema: Mapping[str, Type], *, expect: Type = Type.BOOL
) -> CompiledExpression:
    """Parse, type-check against `schema` and compile `source`.

    Raises:
        CelError: with every diagnostic found (all unknown names and type errors once the
            source parses).
    """
    if len(source) > MAX_SOURCE:
        raise CelError([Diagnostic.at(source, MAX_SOURCE, f"expression is longer than "
                                      f"{MAX_SOURCE:,} characters")])  # fmt: skip
    try:
        tree = parse(source)
    except ParseError as problem:
        raise CelError([Diagnostic.at(source, problem.offset, problem.message)]) from None
    checker = Checker(source, schema)
    result = checker.check(tree)
    _check_result(checker, tree, expect)
    if checker.diagnostics:
        raise CelError(checker.diagnostics)
    cost = estimate(tree)
    if cost.total > MAX_COST:
        raise CelError([Diagnostic.at(source, cost.offset, (
            f"expression is too costly to run on every turn (estimated {cost.total:,}, "
            f"limit {MAX_COST:,}): scan text outside macros, or iterate over a short "
            "literal list"))])
    compiler = Compiler()
    code = compiler.compile(tree)
    run = _runner(code.fn, is_bool=expect.kind is Kind.BOOL, has_macros=compiler.has_macros)
    return CompiledExpression(source, frozenset(checker.names), result, run)


def _check_result(checker: Checker, tree: Node, expect: Type) -> None:
    actual = tree.type
    if is_assignable(expect, actual):
        return
    start = len(checker.source) - len(checker.source.lstrip())
    if expect.kind is Kind.BOOL:
        message = f"a `when:` rule must be true or false; this is {actual.describe()}"
    else:
        message = f"the expression must be {expect.describe()}; this is {actual.describe()}"
    checker.error(start, message)


def _runner(fn: Fn, *, is_bool: bool, has_macros: bool) -> Fn:
    if is_bool and not has_macros:

        def run_bool(ctx: Mapping[str, Any]) -> bool:
            try:
                return fn(ctx) is True
            except Exception:  # SPEC §3: rules never fail at call time
                return False

        return run_bool
    if is_bool:

        def run_bool_scoped(ctx: Mapping[str, Any]) -> bool:
            try:
                scope = dict(ctx)
                scope[BUDGET_KEY] = [MAX_ITERATIONS]
                return fn(scope) is True
            except Exception:  # SPEC §3: rules never fail at call time
                return False

        return run_bool_scoped

    def run_value(ctx: Mapping[str, Any]) -> Any:
        scope = dict(ctx)
        scope[BUDGET_KEY] = [MAX_ITERATIONS]
        try:
            return fn(scope)
        except KeyError as err:
            raise EvaluationError(f"no value given for {err.args[0]!r}") from err
        except Exception as err:  # reported uniformly as a CEL error value
            raise EvaluationError(str(err) or type(err).__name__) from err

    return run_value
