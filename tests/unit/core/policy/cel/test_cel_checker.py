"""Load-time type checking: every error class, its message and its position."""

from __future__ import annotations

import pytest

from warmline.core.errors import InvalidInput
from warmline.core.policy.cel import CelError, Diagnostic, Type, compile_expression

SCHEMA = {
    "confidence": Type.nullable(Type.DOUBLE),
    "intent": Type.nullable(Type.STRING),
    "question_type": Type.STRING,
    "threshold": Type.DOUBLE,
    "text": Type.STRING,
    "turns": Type.INT,
    "customer": Type.object(
        {"segment": Type.nullable(Type.STRING), "deal_value": Type.nullable(Type.DOUBLE),
         "attributes": Type.map_of(Type.DYN)}, open=True),
    "business_hours": Type.BOOL,
    "local": Type.object({"hour": Type.INT, "weekday": Type.INT}, open=False),
    "human_requested": Type.BOOL,
    "tags": Type.list_of(Type.STRING),
    "anything": Type.DYN,
}  # fmt: skip


def errors(source: str, *, expect: Type = Type.BOOL) -> list[Diagnostic]:
    with pytest.raises(CelError) as info:
        compile_expression(source, SCHEMA, expect=expect)
    return info.value.diagnostics


def only_error(source: str) -> Diagnostic:
    (diagnostic,) = errors(source)
    return diagnostic


def test_unknown_name_suggests_closest_and_lists_known_names() -> None:
    diagnostic = only_error('intnet == "cancel"')
    assert diagnostic.message.startswith("unknown name 'intnet'; did you mean 'intent'?")
    assert "Known names: anything, business_hours, confidence, customer," in diagnostic.message
    assert (diagnostic.line, diagnostic.column) == (1, 1)


def test_unknown_name_without_a_close_match_still_lists_known_names() -> None:
    assert only_error("zzz").message.startswith("unknown name 'zzz'. Known names: anything,")


def test_python_spellings_of_literals_are_pointed_to_cel() -> None:
    assert "CEL writes true" in only_error("human_requested == True").message
    assert "CEL writes null" in only_error("intent == None").message


def test_all_unknown_names_are_reported_at_once_in_source_order() -> None:
    found = errors('intnet == "x" &&\n  turn > 2 || bizness_hours')
    assert [d.message.split(";")[0] for d in found] == [
        "unknown name 'intnet'", "unknown name 'turn'", "unknown name 'bizness_hours'",
    ]  # fmt: skip
    assert [(d.line, d.column) for d in found] == [(1, 1), (2, 3), (2, 15)]
    assert "did you mean 'turns'?" in found[1].message


def test_closed_object_field_typo_is_an_error_with_did_you_mean() -> None:
    diagnostic = only_error("local.hours >= 9")
    assert diagnostic.message == (
        "local has no field 'hours'; did you mean 'hour'? Its fields: hour, weekday."
    )
    assert diagnostic.column == 7


def test_open_object_allows_any_field() -> None:
    compiled = compile_expression('customer.plan == "pro" && customer.vip', SCHEMA)
    assert compiled.names == frozenset({"customer"})


@pytest.mark.parametrize(
    ("source", "column", "message"),
    [
        (
            'confidence < "high"',
            12,
            '`confidence` (a double or null) and `"high"` (a string) cannot be compared with <',
        ),
        ('turns == "3"', 7, '`turns` (an int) and `"3"` (a string) can never be equal'),
        ("human_requested != 1", 17, "can never be equal"),
        ("tags == text", 6, "can never be equal"),
        ("turns > null", 9, "> with null is always false"),
        ("tags < tags", 6, "cannot order `tags` (a list of string) with <"),
    ],
)
def test_comparing_incompatible_types_is_an_error_at_the_operator(
    source: str, column: int, message: str
) -> None:
    diagnostic = only_error(source)
    assert message in diagnostic.message
    assert diagnostic.column == column


def test_numbers_of_either_kind_compare_with_each_other() -> None:
    compile_expression("customer.deal_value >= 50000 && confidence < 1 && turns > 2.5", SCHEMA)
    compile_expression("threshold == 1 && turns != 0.5", SCHEMA)


def test_dyn_and_null_pass_static_checks() -> None:
    compile_expression('anything < 3 || anything == "x" || anything.a.b[0] == null', SCHEMA)
    compile_expression("intent == null && confidence != null", SCHEMA)


def test_negating_a_non_bool_is_an_error() -> None:
    diagnostic = only_error("!text")
    assert diagnostic.message == "! needs true or false, but `text` (a string) is not"
    assert diagnostic.column == 1


@pytest.mark.parametrize(
    ("source", "column", "message"),
    [
        ("turns && business_hours", 1, "&& needs true or false on both sides, but `turns`"),
        ("business_hours || text", 19, "|| needs true or false on both sides, but `text`"),
        ("turns ? true : false", 1, "the condition of `?:` must be true or false"),
        ("business_hours ? 1 : 'one'", 16, "the branches of `?:` differ"),
        ("-text == 1", 1, "- needs a number"),
        ("text - 1 > 0", 6, "- needs numbers, but `text` (a string) is not"),
        ("text + 1 == 'a'", 6, "`text` (a string) and `1` (an int) cannot be combined with +"),
        ("text + true == 'a'", 6, "+ needs numbers, strings or lists, but `true` (a bool)"),
        ("text + tags == []", 6, "cannot be combined with +"),
        ("turns in text", 7, "`in` needs a list or map on its right"),
        ("turns in tags", 7, "do not match: the right side holds string values"),
        ("tags['0'] == 'a'", 6, "a list index must be an int"),
        ("text[0] == 'a'", 5, "cannot index `text`"),
        ("text.size == 3", 6, "cannot select field 'size' of `text` (a string); did you mean"),
        ("{[1]: 2} == {}", 2, "a map key must be a string, int or bool"),
        ('{"a": 1, "a": 2} == {}', 10, "duplicate map key 'a'"),
        ("turns.exists(x, x > 1)", 7, "exists() works on a list or map"),
        ("tags.all(t, t.size())", 13, "the condition of all() must be true or false"),
        ("has(text.x)", 10, "has() needs an object or map"),
    ],
)
def test_operator_and_macro_type_errors_are_located(source: str, column: int, message: str) -> None:
    diagnostic = only_error(source)
    assert message in diagnostic.message
    assert diagnostic.column == column


def test_for_a_substring_in_on_a_string_suggests_contains() -> None:
    assert "write text.contains(...)" in only_error('"a" in text').message


@pytest.mark.parametrize(
    ("source", "column", "message"),
    [
        ('text.contain("x")', 6, "unknown method contain(); did you mean 'contains'?"),
        ('text.lower() == "x"', 6, "unknown method lower(); did you mean lowerAscii()?"),
        ("sise(text) > 3", 1, "unknown function sise(); did you mean 'size'?"),
        ("len(text) > 3", 1, "unknown function len(); did you mean size()?"),
        ('contains(text, "x")', 1, "contains() is a method; write x.contains(...)"),
        ('text.contains("a", "b")', 6, "contains() takes 1 argument, got 2"),
        ("size(text, tags) > 1", 1, "size() takes 1 argument, got 2"),
        ("text.trim(1) == ''", 6, "trim() takes 0 arguments, got 1"),
        ("text.contains(3)", 15, "contains() needs string, but `3` (an int) is not"),
        ('turns.startsWith("1")', 1, "startsWith() works on string, but `turns` (an int)"),
        ('tags.contains("a")', 1, "to test list membership write `x in list`"),
        ("size(turns) > 1", 6, "size() needs list or map or object or string"),
        ("int(tags) > 1", 5, "int() needs double or int or string"),
    ],
)
def test_unknown_functions_and_bad_arguments_are_errors(
    source: str, column: int, message: str
) -> None:
    diagnostic = only_error(source)
    assert message in diagnostic.message
    assert diagnostic.column == column


def test_a_bad_literal_regex_is_a_compile_error_at_the_pattern() -> None:
    diagnostic = only_error('text.matches("(unclosed")')
    assert diagnostic.message.startswith("invalid regular expression '(unclosed': missing )")
    assert diagnostic.column == 14


def test_regex_features_re2_rejects_are_compile_errors() -> None:
    assert "invalid regular expression" in only_error(r'text.matches("(a)\\1")').message


def test_a_rule_must_be_boolean() -> None:
    diagnostic = only_error("  text")
    assert diagnostic.message == "a `when:` rule must be true or false; this is a string"
    assert diagnostic.column == 3
    assert "this is an int" in only_error("turns + 1").message


def test_other_expected_types_are_checked_too() -> None:
    compile_expression("turns * 2", SCHEMA, expect=Type.DOUBLE)
    (diagnostic,) = errors("text", expect=Type.INT)
    assert diagnostic.message == "the expression must be an int; this is a string"


def test_nullable_types_check_as_the_type_they_wrap() -> None:
    compile_expression("confidence < threshold && intent.startsWith('can')", SCHEMA)
    assert "can never be equal" in only_error("intent == 3").message


def test_type_errors_after_an_unknown_name_are_still_reported() -> None:
    found = errors("turnz > 2 && !text && confidence < 'x'")
    assert len(found) == 3


def test_macro_variables_are_scoped_to_their_macro() -> None:
    compile_expression("tags.exists(t, t.startsWith('vip'))", SCHEMA)
    assert "unknown name 't'" in only_error("tags.exists(t, true) && t == 'a'").message


def test_macro_variable_shadows_a_top_level_name_and_is_not_read() -> None:
    compiled = compile_expression("tags.exists(text, text == 'a')", SCHEMA)
    assert compiled.names == frozenset({"tags"})


def test_names_lists_only_the_top_level_names_read() -> None:
    compiled = compile_expression("customer.segment == 'top10' && !business_hours", SCHEMA)
    assert compiled.names == frozenset({"customer", "business_hours"})


def test_cel_error_is_an_invalid_input_with_located_problems() -> None:
    with pytest.raises(InvalidInput) as info:
        compile_expression("a\n && turns > 'x'", SCHEMA)
    first, second = info.value.problems
    assert (first.line, first.column) == (1, 1)
    assert (second.line, second.column) == (2, 11)
    assert second.snippet == " && turns > 'x'\n          ^"
