"""`_Query`: the event-loop path's prepared statements, compiled once from SQLAlchemy's
``%(name)s`` placeholders to PostgreSQL's ``$n`` parameters, and `_text`: each value in
PostgreSQL's text input format, sent as a protocol parameter — never spliced into SQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType

import pytest

from warmline.adapters.storage.pg_turns import _Query, _sql, _text


def test_placeholders_become_numbered_parameters_and_a_repeated_name_is_one() -> None:
    query = _Query.parse("q", "SELECT %(a)s, %(b)s WHERE x = %(a)s AND y LIKE 'p%%'")
    assert query.sql == b"SELECT $1, $2 WHERE x = $1 AND y LIKE 'p%'"
    assert query.names == ("a", "b")
    assert query.values({"a": "1", "b": None, "unused": "x"}) == [b"1", None]


def test_a_missing_value_is_an_error_not_a_null() -> None:
    with pytest.raises(KeyError, match="b"):
        _Query.parse("q", "SELECT %(a)s, %(b)s").values({"a": 1})


def test_text_forms() -> None:
    at = datetime(2026, 11, 24, 9, 30, tzinfo=timezone(timedelta(hours=-6)))
    assert _text(None) is None
    assert _text("O'Brien; DROP TABLE x; --\\") == b"O'Brien; DROP TABLE x; --\\"
    assert _text(True) == b"true"
    assert _text(22339) == b"22339"
    assert _text(at) == b"2026-11-24T15:30:00+00:00"
    assert json.loads(_text({"turns": [{"text": "caf\u00e9 \u0000"}]}) or b"") == {
        "turns": [{"text": "caf\u00e9 \u0000"}]}
    assert json.loads(_text(MappingProxyType({"a": [1]})) or b"") == {"a": [1]}


def test_values_libpq_would_cut_or_cannot_send_are_refused() -> None:
    with pytest.raises(ValueError, match="NUL"):
        _text("before\x00after")  # libpq reads a text parameter up to its first NUL
    with pytest.raises(ValueError, match="naive"):
        _text(datetime(2026, 11, 24, 9, 30))
    with pytest.raises(TypeError, match="float"):
        _text(1.5)
    assert _text(datetime(2026, 11, 24, tzinfo=UTC)) == b"2026-11-24T00:00:00+00:00"


def test_the_compiled_statements_keep_every_parameter() -> None:
    sql = _sql()
    assert sql.lock.sql.startswith(b"SELECT pg_advisory_xact_lock($1::INTEGER, hashtext($2")
    assert set(sql.lock.names) | set(sql.load.names) == {
        "pg_advisory_xact_lock_2", "key", "turn_id", "tenant_id", "id"}
    assert "decision" in sql.save_with_decision.names
    assert "decision" not in sql.save.names
    names = [query.name for query in sql.all]
    assert len(set(names)) == len(names)
    for query in sql.all:
        assert b"%(" not in query.sql
        assert all(f"${i + 1}".encode() in query.sql for i in range(len(query.names)))
        assert f"${len(query.names) + 1}".encode() not in query.sql
