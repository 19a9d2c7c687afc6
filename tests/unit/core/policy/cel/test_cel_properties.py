"""Properties for all inputs: a boolean rule never raises when evaluated, whatever the
expression and context; compiling any text raises nothing but `CelError`; `&&`/`||` absorb
errors; and the fast regex test agrees with RE2's own search."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warmline.core.policy.cel import CelError, Type, compile_expression, functions
from warmline.core.policy.cel.functions import compile_regex, regex_searcher

SCHEMA = {
    "x": Type.DYN, "y": Type.DYN, "n": Type.INT, "f": Type.nullable(Type.DOUBLE),
    "s": Type.STRING, "l": Type.list_of(Type.DYN),
    "o": Type.object({"k": Type.INT}, open=True),
}  # fmt: skip
PROPERTY_SETTINGS = settings(
    max_examples=400, derandomize=True, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.integers(-(2**64), 2**64), st.floats(),
    st.sampled_from(["", "a", "x y", "k"]), st.text(max_size=5),
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["k", "a", ""]) | st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=8,
)
# Any value for any name, including the wrong type for a typed one, or no value at all.
contexts = st.dictionaries(st.sampled_from([*SCHEMA, "extra"]), json_values)

LITERALS = [
    "null", "true", "false", "0", "1", "-1", "9223372036854775807", "2.5", "1e308", "-0.0",
    '""', '"a"', "'x y'", "[]", "[1, 'a', null]", "{}", '{"k": 1}',
]  # fmt: skip
leaves = st.sampled_from(
    [
        *SCHEMA,
        "x",
        "x",
        "y",
        "x.k",
        "o.k",
        "o.missing",
        *LITERALS,
        *(f"dyn({lit})" for lit in LITERALS),
    ]
)
BINARY = ["||", "&&", "==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "*", "/", "%"]
METHODS = ["contains", "startsWith", "endsWith", "matches", "lowerAscii", "upperAscii", "trim",
           "size"]  # fmt: skip
MACROS = ["exists", "all", "exists_one", "filter", "map"]


def _extend(typed: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    # Operands are often hidden behind dyn() so that most expressions pass the checker and
    # reach the run-time paths; the rest exercise the typed fast paths.
    inner = typed | typed.map(lambda a: f"dyn({a})")
    return st.one_of(
        st.builds(lambda a, op, b: f"({a} {op} {b})", inner, st.sampled_from(BINARY), inner),
        st.builds(lambda op, a: f"{op}({a})", st.sampled_from(["!", "-"]), inner),
        st.builds(lambda c, a, b: f"({c} ? {a} : {b})", inner, inner, inner),
        st.builds(lambda f, a: f"{f}({a})", st.sampled_from(["size", "int", "double", "string",
                                                              "dyn"]), inner),
        st.builds(lambda a, m, b: f"({a}).{m}({b})" if m not in ("lowerAscii", "upperAscii",
                  "trim", "size") else f"({a}).{m}()", inner, st.sampled_from(METHODS), inner),
        st.builds(lambda a, m, b: f"({a}).{m}(v, {b})", inner, st.sampled_from(MACROS),
                  inner | st.just("v") | st.just("v > 1")),
        st.builds(lambda a, b: f"({a})[{b}]", inner, inner),
        st.builds(lambda a, b: f"[{a}, {b}]", inner, inner),
        st.builds(lambda a, b: f"{{{a}: {b}}}", inner, inner),
        st.builds(lambda a: f"has(({a}).k)", inner),
    )  # fmt: skip


expressions = st.recursive(leaves, _extend, max_leaves=10)


@PROPERTY_SETTINGS
@given(source=expressions, context=contexts)
def test_no_expression_or_context_makes_a_boolean_rule_raise(
    source: str, context: dict[str, Any]
) -> None:
    for candidate in (source, f"dyn({source})"):
        try:
            rule = compile_expression(candidate, SCHEMA)
        except CelError:
            continue
        assert type(rule.evaluate(context)) is bool


@PROPERTY_SETTINGS
@given(source=expressions, context=contexts)
def test_evaluation_is_repeatable_and_leaves_the_context_unchanged(
    source: str, context: dict[str, Any]
) -> None:
    try:
        rule = compile_expression(f"dyn({source}) == true", SCHEMA)
    except CelError:
        return
    before = repr(context)
    first = rule.evaluate(context)
    assert rule.evaluate(context) is first
    assert repr(context) == before


@PROPERTY_SETTINGS
@given(
    source=st.text(alphabet="abnxy01.'\"\\()[]{}<>=!&|?:+-*/%, \n_rtuefl", max_size=40)
    | st.text(max_size=20)
)
def test_compiling_any_text_raises_only_cel_error(source: str) -> None:
    try:
        compile_expression(source, SCHEMA)
    except CelError as err:
        diagnostics = err.diagnostics
    else:
        return
    assert diagnostics
    for diagnostic in diagnostics:
        assert 0 <= diagnostic.offset <= len(source)
        assert diagnostic.snippet.count("\n") == 1


@PROPERTY_SETTINGS
@given(source=expressions, context=contexts)
def test_true_or_anything_is_true_and_false_and_anything_is_false(
    source: str, context: dict[str, Any]
) -> None:
    schema = {**SCHEMA, "on": Type.BOOL, "off": Type.BOOL}
    context = {**context, "on": True, "off": False}  # names, so that nothing is folded
    try:
        rules = [compile_expression(f"dyn({source}) {op} {name}", schema)
                 for op, name in (("||", "on"), ("&&", "off"))]  # fmt: skip
        flipped = [compile_expression(f"{name} {op} dyn({source})", schema)
                   for op, name in (("||", "on"), ("&&", "off"))]  # fmt: skip
    except CelError:
        return
    assert [rule.evaluate(context) for rule in rules] == [True, False]
    assert [rule.evaluate(context) for rule in flipped] == [True, False]


PATTERNS = [r"(?i)\b(lawyer|sue)\b", "^é+$", r"\d{3}", "a|b", "^$", r"\p{Greek}", "."]


@PROPERTY_SETTINGS
@given(pattern=st.sampled_from(PATTERNS), text=st.text(max_size=12) | st.sampled_from(
    ["Call my LAWYER", "éé", "x123", "", "αβ", "\n"]))  # fmt: skip
def test_the_fast_regex_test_agrees_with_re2_search(pattern: str, text: str) -> None:
    expected = compile_regex(pattern).search(text) is not None
    assert regex_searcher(pattern)(text) is expected


def test_without_the_raw_re2_object_the_regex_test_falls_back_to_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class PublicOnly:
        def __init__(self, pattern: str) -> None:
            self.regex = compile_regex(pattern)

        def search(self, text: str) -> object:
            return self.regex.search(text)

    monkeypatch.setattr(functions, "compile_regex", PublicOnly)
    search = functions.regex_searcher("b+")
    assert search("abbc")
    assert not search("ac")
