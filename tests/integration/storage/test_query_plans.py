"""The turn path's lookups use the index meant for them, whatever the planner knows: a
conversation's own lookup only the primary key (the repeat-contacts index is partial, so a
generic plan made on a small, unanalyzed table cannot scan a whole tenant through it), and
repeat contacts the partial index. Migration 0003 has the numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from warmline.adapters.storage.engine import make_engine
from warmline.adapters.storage.migrations import upgrade
from warmline.adapters.storage.pg_turns import _sql, conninfo
from warmline.adapters.storage.statements import statements
from warmline.bootstrap import build_services
from warmline.config import Settings

REPEATS_INDEX = "ix_conversations_tenant_id_customer_key_started_at"


def _seed(url: str) -> str:
    """Three conversations, one with a known customer, and no statistics: what a new
    deployment's planner sees. Returns the tenant's id."""
    services = build_services(Settings(db=url, policy="saas"))
    try:
        tenant = services.tenants.ensure_tenant("acme")
        for n in range(3):
            body: dict[str, Any] = {"turns": [{"speaker": "customer", "text": "hello",
                                               "at": "2026-11-24T15:00:00+00:00"}]}
            if n == 0:
                body["customer"] = {"id": "1"}
            services.turns.post_turns(tenant, f"c{n}", body)
        return tenant.id
    finally:
        services.close()


def test_postgres_generic_plans_look_a_conversation_up_by_its_primary_key(
        pg_schema: Callable[[], str]) -> None:
    url = pg_schema()
    upgrade(url)
    tenant = _seed(url)
    plain, options = conninfo(make_url(url))
    sql = _sql()
    with psycopg.connect(plain, autocommit=True, **options) as connection:
        connection.execute("SET plan_cache_mode = force_generic_plan")
        cursor = psycopg.ClientCursor(connection)
        values = {"tenant_id": tenant, "id": "c1", "turn_id": None, "data": "{}",
                  "customer_key": "id:1", "exclude": "c0", "since": "2026-01-01T00:00:00Z",
                  "before": "2027-01-01T00:00:00Z", "started_at": None, "updated_at": None,
                  "handoff_id": None}
        plans = {}
        for name, query in (("load", sql.load), ("save", sql.save),
                            ("repeats", sql.recent_contacts)):
            types = ", ".join("text" for _ in query.names)
            connection.execute(f"PREPARE {name} ({types}) AS {query.sql.decode()}")
            args = ", ".join("%s" for _ in query.names)
            rows = cursor.execute(f"EXPLAIN EXECUTE {name} ({args})",
                                  [values[n] for n in query.names]).fetchall()
            plans[name] = "\n".join(row[0] for row in rows)
    assert "pk_conversations" in plans["load"], plans["load"]
    assert REPEATS_INDEX not in plans["load"] + plans["save"], plans
    assert REPEATS_INDEX in plans["repeats"], plans["repeats"]


def test_sqlite_uses_the_primary_key_for_lookups_and_the_partial_index_for_repeats(
        empty_sqlite_url: str) -> None:
    url = empty_sqlite_url
    upgrade(url)
    tenant = _seed(url)
    s = statements("sqlite")
    dialect = make_url("sqlite://").get_dialect()(paramstyle="named")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            def plan(statement: sa.Executable) -> str:
                sql = str(statement.compile(dialect=dialect))  # type: ignore[attr-defined]
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", {
                    "tenant_id": tenant, "id": "c1", "turn_id": None, "customer_key": "id:1",
                    "exclude": "c0", "since": "2026", "before": "2027"}).fetchall()
                return "\n".join(str(row[-1]) for row in rows)

            load, repeats = plan(s.load_turn_state), plan(s.recent_contacts)
    finally:
        engine.dispose()
    assert REPEATS_INDEX not in load, load
    assert REPEATS_INDEX in repeats, repeats
