"""Differential test: our CEL against the Rust `cel` package (common-expression-language).

Hypothesis writes random well-typed expressions over a fixed schema, printed with only the
parentheses precedence requires (so both parsers' precedence is exercised too), and random
contexts. Whenever the Rust side returns a value, ours must return the same value and type.

Kept out of the generator, because the semantics differ on purpose or by Rust's choice:
nulls and missing keys (Warmline: null, never an error; ordering with null is false); int and
double mixed in arithmetic (Rust: no overload; Warmline: a double); `%` on doubles and division
by zero (Rust: IEEE inf/NaN; Warmline: an error); `string()` of a double (formatting is
implementation-defined); non-ASCII strings (Rust's `size()` counts UTF-8 bytes, CEL code
points); ints beyond 2**53 compared with doubles (Rust rounds the int to a double first).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import cel
import pytest
from cel import stdlib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warmline.core.policy.cel import EvaluationError, Type, compile_expression
from warmline.core.policy.cel.diagnostic import CelError

SCHEMA = {
    "i": Type.INT, "j": Type.INT, "d": Type.DOUBLE, "e": Type.DOUBLE, "s": Type.STRING,
    "t": Type.STRING, "b": Type.BOOL, "c": Type.BOOL, "li": Type.list_of(Type.INT),
    "ls": Type.list_of(Type.STRING), "m": Type.map_of(Type.INT),
}  # fmt: skip

# Precedence of what an expression's text is, and the least each operand slot needs.
COND, OR, AND, REL, ADD, MUL, UNARY, ATOM = range(8)
Expr = tuple[str, int]
St = st.SearchStrategy[Expr]

small_ints = st.integers(-1000, 1000)
finite = st.floats(-1000, 1000, allow_nan=False, allow_infinity=False)
letters = st.text(alphabet="abAB _", max_size=6)
CONTEXTS = st.fixed_dictionaries({
    "i": small_ints, "j": small_ints, "d": finite, "e": finite | small_ints.map(float),
    "s": letters, "t": letters, "b": st.booleans(), "c": st.booleans(),
    "li": st.lists(st.integers(-5, 5), max_size=4), "ls": st.lists(letters, max_size=3),
    "m": st.dictionaries(st.sampled_from("abc"), st.integers(-5, 5), max_size=3),
})  # fmt: skip


def wrap(expr: Expr, needed: int) -> str:
    text, level = expr
    return text if level >= needed else f"({text})"


def binary(op: str, level: int) -> Any:
    return lambda left, right: (f"{wrap(left, level)} {op} {wrap(right, level + 1)}", level)


def atoms(*texts: str) -> St:
    return st.sampled_from([(text, ATOM) for text in texts])


def literal(strategy: st.SearchStrategy[Any], render: Any = repr) -> St:
    return strategy.map(
        lambda v: (render(v), ATOM if not str(render(v)).startswith("-") else UNARY)
    )


def conditional(branch: St, depth: int) -> St:
    return st.builds(
        lambda c, a, b: (f"{wrap(c, OR)} ? {wrap(a, OR)} : {wrap(b, COND)}", COND),
        bools(depth - 1), branch, branch,
    )  # fmt: skip


@cache
def ints(depth: int, names: tuple[str, ...] = ("i", "j")) -> St:
    leaves = atoms(*names, "size(s)", "size(li)", "li.size()", "t.size()") | literal(
        st.integers(-20, 20)
    )
    if depth <= 0:
        return leaves
    sub = ints(depth - 1, names)
    divisor = literal(st.integers(1, 9) | st.integers(-9, -1))
    return st.one_of(
        leaves,
        st.builds(binary("+", ADD), sub, sub), st.builds(binary("-", ADD), sub, sub),
        st.builds(binary("*", MUL), sub, sub), st.builds(binary("/", MUL), sub, divisor),
        st.builds(binary("%", MUL), sub, divisor),
        sub.map(lambda x: (f"-{wrap(x, UNARY)}", UNARY)),
        doubles(depth - 1).map(lambda x: (f"int({x[0]})", ATOM)),
        conditional(sub, depth),
    )  # fmt: skip


@cache
def doubles(depth: int, names: tuple[str, ...] = ("d", "e")) -> St:
    leaves = atoms(*names) | literal(st.sampled_from([0.5, 2.0, -1.25, 1e2, 3.0, 0.1]))
    if depth <= 0:
        return leaves
    sub = doubles(depth - 1, names)
    divisor = literal(st.sampled_from([2.0, -0.5, 4.0]))
    return st.one_of(
        leaves,
        st.builds(binary("+", ADD), sub, sub), st.builds(binary("-", ADD), sub, sub),
        st.builds(binary("*", MUL), sub, sub), st.builds(binary("/", MUL), sub, divisor),
        sub.map(lambda x: (f"-{wrap(x, UNARY)}", UNARY)),
        ints(depth - 1).map(lambda x: (f"double({x[0]})", ATOM)),
        conditional(sub, depth),
    )  # fmt: skip


@cache
def strings(depth: int, names: tuple[str, ...] = ("s", "t")) -> St:
    leaves = atoms(*names, "s.lowerAscii()", "t.upperAscii()", "s.trim()") | literal(
        st.sampled_from(["", "a", "Ab", "b_", " a "]), _quote
    )
    if depth <= 0:
        return leaves
    sub = strings(depth - 1, names)
    methods = st.sampled_from(["lowerAscii", "upperAscii", "trim"])
    return st.one_of(
        leaves,
        st.builds(binary("+", ADD), sub, sub),
        st.builds(lambda x, m: (f"{wrap(x, ATOM)}.{m}()", ATOM), sub, methods),
        ints(depth - 1).map(lambda x: (f"string({x[0]})", ATOM)),
        conditional(sub, depth),
    )  # fmt: skip


@cache
def int_lists(depth: int) -> St:
    leaves = atoms("li", "[]", "[1, 2]", "[0, -3, 5]")
    if depth <= 0:
        return leaves
    sub = int_lists(depth - 1)
    return st.one_of(
        leaves,
        st.builds(binary("+", ADD), sub, sub),
        st.builds(lambda xs, p: (f"{wrap(xs, ATOM)}.filter(x, {p[0]})", ATOM),
                  sub, bools(depth - 1, ("x",))),
        st.builds(lambda xs, f: (f"{wrap(xs, ATOM)}.map(x, {f[0]})", ATOM),
                  sub, ints(depth - 1, ("x", "i"))),
    )  # fmt: skip


@cache
def comparisons(depth: int, int_names: tuple[str, ...]) -> St:
    relations = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
    numbers = ints(depth, int_names) | doubles(depth)
    text = strings(depth)
    return st.one_of(
        st.builds(lambda a, op, b: binary(op, REL)(a, b), numbers, relations, numbers),
        st.builds(lambda a, op, b: binary(op, REL)(a, b), text, relations, text),
        st.builds(binary("==", REL), int_lists(depth), int_lists(depth)),
        st.builds(binary("in", REL), ints(depth, int_names), int_lists(depth)),
        st.builds(binary("in", REL), text, atoms("ls", "m", '["a", "Ab"]')),
    )  # fmt: skip


@cache
def bools(depth: int, int_names: tuple[str, ...] = ("i", "j")) -> St:
    leaves = atoms("b", "c", "true", "false", "has(m.a)", 's.startsWith("a")', "t.endsWith(s)")
    if depth <= 0:
        return leaves
    sub = bools(depth - 1, int_names)
    tests = st.sampled_from(["contains", "startsWith", "endsWith"])
    patterns = st.sampled_from(["a", "^A", "b$", "[ab]+_", "(?i)ab", "^$"])
    quantifiers = st.sampled_from(["exists", "all", "exists_one"])
    return st.one_of(
        leaves,
        comparisons(depth - 1, int_names),
        st.builds(binary("&&", AND), sub, sub), st.builds(binary("||", OR), sub, sub),
        st.builds(binary("==", REL), sub, sub),
        sub.map(lambda x: (f"!{wrap(x, UNARY)}", UNARY)),
        st.builds(lambda a, m, b: (f"{wrap(a, ATOM)}.{m}({b[0]})", ATOM),
                  strings(depth - 1), tests, strings(depth - 1)),
        st.builds(lambda a, p: (f"{wrap(a, ATOM)}.matches({_quote(p)})", ATOM),
                  strings(depth - 1), patterns),
        st.builds(lambda xs, q, p: (f"{wrap(xs, ATOM)}.{q}(x, {p[0]})", ATOM),
                  int_lists(depth - 1), quantifiers, bools(depth - 1, ("x", *int_names))),
        conditional(sub, depth),
    )  # fmt: skip


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Rules are boolean, so booleans get three shares of the draws.
EXPRESSIONS = st.one_of(bools(3), bools(3), bools(3), ints(3), doubles(3), strings(3), int_lists(2))


def same(ours: Any, theirs: Any) -> bool:
    if type(ours) is not type(theirs):
        return False
    if isinstance(ours, float):
        return ours == theirs or (math.isnan(ours) and math.isnan(theirs))
    if isinstance(ours, list):
        return len(ours) == len(theirs) and all(map(same, ours, theirs))
    return bool(ours == theirs)


def rust(source: str, context: dict[str, Any]) -> tuple[bool, Any]:
    """(True, value), or (False, None) when the Rust package raises."""
    rust_context = cel.Context(variables=context)
    stdlib.add_stdlib_to_context(rust_context)
    try:
        return True, cel.compile(source).execute(rust_context)
    except Exception:  # whatever it raises, the case is outside the comparison
        return False, None


@settings(
    max_examples=1000,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(expr=EXPRESSIONS, context=CONTEXTS)
def test_results_match_the_rust_cel_package_whenever_it_returns_a_value(
    expr: Expr, context: dict[str, Any]
) -> None:
    source = expr[0]
    try:
        compiled = compile_expression(source, SCHEMA, expect=Type.DYN)
    except CelError as err:
        # Refused at load by the cost limit (core/policy/cel/cost.py): never evaluated, so there is
        # nothing to compare. Any other compile error is a real failure.
        if "too costly" not in str(err):
            pytest.fail(f"{source!r} did not compile: {err}")
        return
    ok, theirs = rust(source, context)
    if not ok:
        return
    try:
        ours = compiled.evaluate(context)
    except EvaluationError as err:  # pragma: no cover - only on a real difference
        pytest.fail(f"{source!r} raised {err} here but Rust gave {theirs!r} for {context}")
    assert same(ours, theirs), f"{source!r}: ours {ours!r}, Rust {theirs!r}, context {context}"


def test_the_generator_covers_the_features_it_claims() -> None:
    """A guard against the differential test silently comparing only trivial expressions."""
    seen: list[str] = []

    @settings(max_examples=1000, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(expr=EXPRESSIONS)
    def collect(expr: Expr) -> None:
        seen.append(expr[0])

    collect()
    corpus = "\n".join(seen)
    for feature in (
        "&&",
        "||",
        "!",
        "?",
        " in ",
        ".exists",
        ".all",
        ".filter(",
        ".map(",
        ".matches(",
        ".contains(",
        "lowerAscii",
        "/",
        "%",
        "int(",
        "double(",
        "exists_one",
        "has(",
        ".startsWith(",
        "string(",
    ):
        assert feature in corpus, feature
