"""The CEL parser: precedence, associativity, literals, and located syntax errors."""

from __future__ import annotations

import pytest

from warmline.core.policy.cel import MAX_DEPTH, MAX_SOURCE, CelError, Type, compile_expression
from warmline.core.policy.cel import syntax as s
from warmline.core.policy.cel.parser import parse


def show(node: s.Node) -> str:
    """A fully parenthesised rendering of the tree, to assert its shape."""
    match node:
        case s.Literal(value=value):
            return repr(value)
        case s.Ident(name=name):
            return name
        case s.Select(operand=operand, name=name):
            return f"{show(operand)}.{name}"
        case s.Index(operand=operand, index=index):
            return f"{show(operand)}[{show(index)}]"
        case s.Call(name=name, target=target, args=args):
            prefix = f"{show(target)}." if target is not None else ""
            return f"{prefix}{name}({', '.join(show(a) for a in args)})"
        case s.Unary(op=op, operand=operand):
            return f"({op}{show(operand)})"
        case s.Binary(op=op, left=left, right=right):
            return f"({show(left)} {op} {show(right)})"
        case s.Logical(op=op, operands=operands):
            return "(" + f" {op} ".join(show(o) for o in operands) + ")"
        case s.Conditional(cond=cond, then=then, otherwise=otherwise):
            return f"({show(cond)} ? {show(then)} : {show(otherwise)})"
    return show_literal_or_macro(node)


def show_literal_or_macro(node: s.Node) -> str:
    match node:
        case s.ListLit(items=items):
            return "[" + ", ".join(show(i) for i in items) + "]"
        case s.MapLit(entries=entries):
            return "{" + ", ".join(f"{show(k)}: {show(v)}" for k, v in entries) + "}"
        case s.Has(select=select):
            return f"has({show(select)})"
        case s.Comprehension(kind=kind, target=target, var=var, pred=pred, transform=transform):
            parts = [var] + [show(p) for p in (pred, transform) if p is not None]
            return f"{show(target)}.{kind}({', '.join(parts)})"
    raise AssertionError(node)


def syntax_error(source: str) -> CelError:
    with pytest.raises(CelError) as info:
        compile_expression(source, {"a": Type.DYN, "b": Type.DYN, "c": Type.DYN})
    return info.value


@pytest.mark.parametrize(
    ("source", "shape"),
    [
        ("a || b && c", "(a || (b && c))"),
        ("a && b || c", "((a && b) || c)"),
        ("a || b || c", "(a || b || c)"),
        ("(a || b) || c", "(a || b || c)"),
        ("a == b && c", "((a == b) && c)"),
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("1 - 2 - 3", "((1 - 2) - 3)"),
        ("8 / 4 / 2", "((8 / 4) / 2)"),
        ("1 + 2 < 3 * 4", "((1 + 2) < (3 * 4))"),
        ("a < b == c", "((a < b) == c)"),
        ("a in b == c", "((a in b) == c)"),
        ("!a == b", "((!a) == b)"),
        ("!!a", "(!(!a))"),
        ("-a.b", "(-a.b)"),
        ("-a * b", "((-a) * b)"),
        ("a ? b : c ? 1 : 2", "(a ? b : (c ? 1 : 2))"),
        ("a || b ? 1 : 2", "((a || b) ? 1 : 2)"),
        ("a.b.c(1)[0].d", "a.b.c(1)[0].d"),
        ("size(a) + a.size()", "(size(a) + a.size())"),
    ],
)
def test_operators_bind_by_cel_precedence_and_associate_left(source: str, shape: str) -> None:
    assert show(parse(source)) == shape


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("42", 42),
        ("0x1F", 31),
        ("-9223372036854775808", -(2**63)),
        ("9223372036854775807", 2**63 - 1),
        ("3.5", 3.5),
        ("1e3", 1000.0),
        ("2.5e-3", 0.0025),
        (".5", 0.5),
        ("-1.5", -1.5),
        ('"double"', "double"),
        ("'single'", "single"),
        ('"it\'s"', "it's"),
        ("'say \"hi\"'", 'say "hi"'),
        (r'"a\nb\t\\\"\'"', "a\nb\t\\\"'"),
        (r'"\x41\u00e9\U0001F600\101"', "A\u00e9\U0001f600A"),
        (r'r"raw\n"', "raw\\n"),
        (r"R'\d+'", "\\d+"),
        ('"""multi\nline"""', "multi\nline"),
        ("'''it's'''", "it's"),
        ("true", True),
        ("false", False),
        ("null", None),
    ],
)
def test_every_literal_form_parses_to_its_value(source: str, value: object) -> None:
    node = parse(source)
    assert isinstance(node, s.Literal)
    assert node.value == value
    assert type(node.value) is type(value)


def test_list_and_map_literals_allow_a_trailing_comma() -> None:
    assert show(parse("[1, 'a', [],]")) == "[1, 'a', []]"
    assert show(parse('{"k": 1, 2: true,}')) == "{'k': 1, 2: True}"
    assert show(parse("{}")) == "{}"


def test_macros_become_their_own_nodes() -> None:
    assert show(parse("l.exists(x, x > 1)")) == "l.exists(x, (x > 1))"
    assert show(parse("l.map(x, x > 1, x * 2)")) == "l.map(x, (x > 1), (x * 2))"
    assert isinstance(parse("has(a.b)"), s.Has)


def test_line_comments_are_skipped_as_in_the_cel_grammar() -> None:
    assert show(parse("a // first\n  && b // second")) == "(a && b)"


@pytest.mark.parametrize(
    ("source", "line", "column", "message"),
    [
        ("confidence <", 1, 13, "expected a value, found the end of the expression"),
        ("a &&\n  b ==", 2, 7, "expected a value"),
        ("a == (b", 1, 8, "expected ')'"),
        ("[1, 2", 1, 6, "expected ',' or ']'"),
        ('{"a" 1}', 1, 6, "expected ':' after a map key"),
        ("a ? b", 1, 6, "':' of a `c ? a : b`"),
        ("a b", 1, 3, "expected an operator or the end of the expression"),
        ("a.", 1, 3, "a field or method name after '.'"),
        ('"open', 1, 1, "this string is not closed"),
        ('"line\nbreak"', 1, 1, "this string is not closed"),
        (r'"bad \q escape"', 1, 6, "bad escape sequence '\\\\q'"),
        ("a @ b", 1, 3, "unexpected character '@'"),
        ("a\n\n  = b", 3, 3, "use == to compare"),
        ("a & b", 1, 3, "use && for 'and'"),
        ("a | b", 1, 3, "use || for 'or'"),
        ("a ** 2", 1, 3, "no ** operator"),
        ("a # note", 1, 3, "comments in CEL start with //"),
        ("1u", 1, 2, "unsigned integers are not supported"),
        ('b"x"', 1, 1, "bytes literals are not supported"),
        ("12abc", 1, 1, "malformed number"),
        ("9223372036854775808", 1, 1, "integer is too large"),
        ("99999999999999999999", 1, 1, "too large; ints are 64-bit"),
        ("if a", 1, 1, "'if' is a reserved word in CEL"),
        ("has(a)", 1, 1, "has() needs a field selection"),
        ("l.exists(1, true)", 1, 10, "exists() takes a variable name and an expression"),
        ("l.all(x)", 1, 3, "all() takes a variable name"),
    ],
)
def test_syntax_errors_name_the_problem_at_its_line_and_column(
    source: str, line: int, column: int, message: str
) -> None:
    (diagnostic,) = syntax_error(source).diagnostics
    assert message in diagnostic.message
    assert (diagnostic.line, diagnostic.column) == (line, column)
    lines_before = source.split("\n")[: line - 1]
    assert diagnostic.offset == sum(len(text) + 1 for text in lines_before) + column - 1


@pytest.mark.parametrize(
    ("source", "column", "replacement"),
    [("a and b", 3, "&&"), ("a or b", 3, "||"), ("not a", 1, "!"), ("a &&\nnot b", 1, "!")],
)
def test_word_operators_get_the_cel_hint(source: str, column: int, replacement: str) -> None:
    (diagnostic,) = syntax_error(source).diagnostics
    assert "CEL uses && || ! instead of and/or/not" in diagnostic.message
    assert f"write {replacement} here" in diagnostic.message
    assert diagnostic.column == column


def test_the_snippet_shows_the_line_with_a_caret_under_the_column() -> None:
    (diagnostic,) = syntax_error("a &&\n\tb ==").diagnostics
    assert diagnostic.snippet == "\tb ==\n\t    ^"
    assert str(diagnostic).startswith("2:6: expected a value")


def test_nesting_deeper_than_the_limit_is_a_compile_error() -> None:
    assert parse("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH)
    (diagnostic,) = syntax_error("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1)).diagnostics
    assert "nests too deeply" in diagnostic.message


def test_a_long_flat_chain_of_or_does_not_count_as_nesting() -> None:
    source = " || ".join(f"a == {i}" for i in range(200))
    assert isinstance(parse(source), s.Logical)


def test_a_long_chain_of_additions_is_too_deep() -> None:
    (diagnostic,) = syntax_error(" + ".join(["1"] * 100) + " == 1").diagnostics
    assert "nests too deeply" in diagnostic.message


def test_deep_unary_chains_cannot_exhaust_the_python_stack() -> None:
    (diagnostic,) = syntax_error("!" * 2000 + "a").diagnostics
    assert "nests too deeply" in diagnostic.message


def test_sources_longer_than_the_limit_are_rejected() -> None:
    source = "a == " + " || a == ".join(['"x"'] * 1000)
    assert len(source) > MAX_SOURCE
    (diagnostic,) = syntax_error(source).diagnostics
    assert f"longer than {MAX_SOURCE:,} characters" in diagnostic.message
