"""Alembic's entry point for Warmline: migrates the connection that `migrations.upgrade`
hands over, against the store's own `metadata` (batch mode on SQLite, which cannot ALTER)."""

from __future__ import annotations

from alembic import context

from warmline.adapters.storage.tables import metadata


def _run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations with `warmline db upgrade`, not the alembic CLI")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_run()
