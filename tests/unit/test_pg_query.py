"""`_Query`: the event-loop path's statements, split once at their placeholders and filled
with literals by a quoting function — never by string formatting."""

from __future__ import annotations

import pytest

from warmline.adapters.storage.pg_turns import _Query, _sql


def quoted(value: object) -> bytes:
    return b"NULL" if value is None else b"<" + str(value).encode() + b">"


def test_each_placeholder_takes_its_value_through_the_quoting_function() -> None:
    query = _Query.parse("SELECT %(a)s, %(b)s WHERE x = %(a)s AND y LIKE 'p%%'")
    assert query.render(quoted, {"a": 1, "b": None}) == (
        b"SELECT <1>, NULL WHERE x = <1> AND y LIKE 'p%'")


def test_a_missing_value_is_an_error_not_an_empty_literal() -> None:
    with pytest.raises(KeyError, match="b"):
        _Query.parse("SELECT %(a)s, %(b)s").render(quoted, {"a": 1})


def test_the_compiled_statements_keep_every_placeholder() -> None:
    sql = _sql()
    assert sql.begin_and_load.texts[0].startswith(b"BEGIN; SELECT pg_advisory_xact_lock(")
    assert set(sql.begin_and_load.names) == {
        "pg_advisory_xact_lock_2", "key", "turn_id", "tenant_id", "id"}
    assert sql.save_with_decision_and_commit.texts[-1].endswith(b"; COMMIT")
    for query in (sql.begin_and_load, sql.save_and_commit, sql.save_with_decision_and_commit,
                  sql.recent_contacts):
        assert all(b"%(" not in text for text in query.texts)
        assert len(query.texts) == len(query.names) + 1
