"""The hot path's statements, built once per dialect with bound parameters. Building a
statement costs more than running it on SQLite (an upsert's `excluded` alone ~200 µs), so
the per-turn queries are built on first use and reused."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .tables import conversations, decisions, events, handoffs, reps

EVENTS_LOCK = 0x574C  # advisory-lock namespace of event ordering ("WL")
CONVERSATION_LOCK = 0x5743  # advisory-lock namespace of conversation writers ("WC")
QUEUE_ORDER = (handoffs.c.priority.desc(), handoffs.c.created_at, handoffs.c.id)


@dataclass(frozen=True, slots=True)
class Statements:
    lock_conversation: sa.Executable | None
    get_conversation: sa.Executable
    load_turn_state: sa.Executable
    save_conversation: sa.Executable
    save_turn_state: sa.Executable | None
    find_decision: sa.Executable
    save_decision: sa.Executable
    save_rep: sa.Executable
    recent_contacts: sa.Executable
    get_handoff: sa.Executable
    add_event: sa.Executable
    order_events: sa.Executable | None
    events_after: sa.Executable


def _insert(dialect: str, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _upsert(dialect: str, table: sa.Table, keep: tuple[str, ...] = ()) -> sa.Executable:
    """INSERT, or UPDATE every non-key column but `keep` when the primary key exists."""
    insert = _insert(dialect, table)
    keys = [c.name for c in table.primary_key.columns]
    return insert.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: insert.excluded[c.name] for c in table.columns
              if c.name not in keys and c.name not in keep})


def _save_turn_state() -> sa.Executable:
    """PostgreSQL: the conversation's upsert and the turn's decision in one statement (a
    data-modifying CTE), a round trip less per turn. The first decision for a turn wins."""
    p = sa.bindparam
    c = conversations
    insert = postgresql.insert(c).values(
        {col.name: p(col.name, type_=col.type) for col in c.columns})
    keys = [col.name for col in c.primary_key.columns]
    upsert = insert.on_conflict_do_update(
        index_elements=keys,
        set_={col.name: insert.excluded[col.name] for col in c.columns
              if col.name not in keys}).cte("saved")
    return (postgresql.insert(decisions).values(
        tenant_id=p("tenant_id"), conversation_id=p("id"), turn_id=p("turn_id"),
        decision=p("decision", type_=decisions.c.decision.type),
        created_at=p("created_at", type_=decisions.c.created_at.type))
        .on_conflict_do_nothing().add_cte(upsert))


@cache
def statements(dialect: str) -> Statements:
    """The statements for `dialect` ("sqlite" or "postgresql"), built on first use."""
    c, h, p = conversations, handoffs, sa.bindparam
    return Statements(
        # Two conversations whose keys share a 32-bit hash merely wait for each other.
        lock_conversation=(sa.select(sa.func.pg_advisory_xact_lock(
            CONVERSATION_LOCK, sa.func.hashtext(p("key")))) if dialect == "postgresql"
            else None),
        get_conversation=sa.select(c).where(c.c.tenant_id == p("tenant_id"),
                                            c.c.id == p("id")),
        load_turn_state=sa.select(c, sa.select(decisions.c.decision).where(
            decisions.c.tenant_id == c.c.tenant_id, decisions.c.conversation_id == c.c.id,
            decisions.c.turn_id == p("turn_id")).scalar_subquery().label("earlier_decision")
        ).where(c.c.tenant_id == p("tenant_id"), c.c.id == p("id")),
        save_conversation=_upsert(dialect, c),
        save_turn_state=_save_turn_state() if dialect == "postgresql" else None,
        find_decision=sa.select(decisions.c.decision).where(
            decisions.c.tenant_id == p("tenant_id"),
            decisions.c.conversation_id == p("conversation_id"),
            decisions.c.turn_id == p("turn_id")),
        save_decision=_insert(dialect, decisions).on_conflict_do_nothing(),
        # A rep's slot count and idle time move only through take/release_slot: a settings
        # write must not put back a count that an offer changed since it was read.
        save_rep=_upsert(dialect, reps, keep=("active", "idle_since")),
        recent_contacts=(
            sa.select(c.c.started_at, c.c.handoff_id, h.c.decision)
            .select_from(c.outerjoin(h, sa.and_(h.c.tenant_id == c.c.tenant_id,
                                                h.c.id == c.c.handoff_id)))
            .where(c.c.tenant_id == p("tenant_id"), c.c.customer_key == p("customer_key"),
                   c.c.id != p("exclude"), c.c.started_at >= p("since"),
                   c.c.started_at < p("before"))
            .order_by(c.c.started_at)),
        get_handoff=sa.select(h).where(h.c.tenant_id == p("tenant_id"), h.c.id == p("id")),
        add_event=sa.insert(events).returning(events.c.id),
        # A sequence hands out ids at INSERT, not at COMMIT: without this lock a reader
        # could see a tenant's event 11 before 10 commits, and page past 10 for good.
        # Held until commit, it makes a tenant's event ids commit in order.
        order_events=(sa.select(sa.func.pg_advisory_xact_lock(
            EVENTS_LOCK, sa.func.hashtext(p("tenant_id")))) if dialect == "postgresql"
            else None),
        events_after=(
            sa.select(events)
            .where(events.c.tenant_id == p("tenant_id"), events.c.id > p("after_id"))
            .order_by(events.c.id).limit(p("limit"))),
    )
