"""Migrations on SQLite and PostgreSQL: upgrade reaches the head, the schema matches the
tables the store queries (the `alembic check` drift gate), and an un-migrated database is
refused with the command to run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from typer.testing import CliRunner

from warmline.adapters.storage.engine import SchemaNotCurrent, make_engine
from warmline.adapters.storage.migrations import (
    check_current,
    current_revision,
    head_revision,
    upgrade,
)
from warmline.adapters.storage.sql import SqlStore
from warmline.adapters.storage.tables import metadata
from warmline.cli import app
from warmline.core.errors import AdapterError, InvalidInput


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    new_schema: Callable[[], str] = request.getfixturevalue("pg_schema")
    return new_schema()


def _differences(url: str, target: sa.MetaData) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, target))
    finally:
        engine.dispose()


def test_upgrade_takes_an_empty_database_to_the_head_once(empty_url: str) -> None:
    head = head_revision()
    assert current_revision(empty_url) is None
    assert upgrade(empty_url) == (None, head)
    assert upgrade(empty_url) == (head, head)
    assert current_revision(empty_url) == head
    check_current(empty_url)
    store = SqlStore(empty_url)
    assert store.schema_revision() == head
    store.close()


def test_the_migrated_schema_matches_the_tables_the_store_queries(empty_url: str) -> None:
    upgrade(empty_url)
    assert _differences(empty_url, metadata) == []


def test_the_drift_check_notices_a_column_the_migrations_lack(empty_url: str) -> None:
    upgrade(empty_url)
    drifted = sa.MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["reps"].append_column(sa.Column("nickname", sa.String(50)))
    assert [d[0] for d in _differences(empty_url, drifted)] == [  # type: ignore[index]
        "add_column"]


def test_an_unmigrated_database_is_refused_with_the_command_to_run(empty_url: str) -> None:
    with pytest.raises(SchemaNotCurrent, match="not migrated: run `warmline db upgrade --db"):
        check_current(empty_url)
    store = SqlStore(empty_url)
    assert store.schema_revision() is None
    store.close()


def test_a_database_newer_than_the_code_is_refused(empty_url: str) -> None:
    upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff'"))
    engine.dispose()
    with pytest.raises(SchemaNotCurrent, match=r"revision ffff.*upgrade Warmline"):
        check_current(empty_url)


def test_database_urls_name_sqlite_or_postgresql() -> None:
    with pytest.raises(InvalidInput, match="'mysql' is not supported"):
        upgrade("mysql://localhost/warmline")
    with pytest.raises(InvalidInput, match="is not a URL"):
        upgrade("warmline.db")


def test_an_unreachable_database_is_a_retryable_adapter_error() -> None:
    with pytest.raises(AdapterError, match="cannot reach database") as raised:
        current_revision("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert raised.value.retryable


def test_db_upgrade_command_reports_from_and_to(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    first = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert first.exit_code == 0, first.output
    assert first.output == f"{url}: upgraded from an empty database to {head_revision()}\n"
    monkeypatch.setenv("WARMLINE_DB", url)
    again = runner.invoke(app, ["db", "upgrade"])
    assert again.output == f"{url}: already at revision {head_revision()}\n"


def test_0004_gives_existing_users_session_version_zero(empty_url: str) -> None:
    assert upgrade(empty_url, "0003") == (None, "0003")
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO tenants (id, name) VALUES ('t-1', 'acme')"))
        connection.execute(sa.text(
            "INSERT INTO users (id, tenant_id, username, password_hash, role) "
            "VALUES ('u-1', 't-1', 'dana', 'x', 'rep')"))
    assert upgrade(empty_url) == ("0003", head_revision())
    with engine.connect() as connection:
        versions = connection.execute(sa.text("SELECT session_version FROM users")).all()
    engine.dispose()
    assert [tuple(row) for row in versions] == [(0,)]
    assert _differences(empty_url, metadata) == []


def test_0004_downgrades_to_0003(empty_url: str) -> None:
    from alembic import command

    from warmline.adapters.storage.migrations import alembic_config

    upgrade(empty_url)
    engine = make_engine(empty_url, foreign_keys=False)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    engine.dispose()
    assert current_revision(empty_url) == "0003"
    assert upgrade(empty_url) == ("0003", head_revision())


def test_0005_gives_existing_reps_no_missed_offers(empty_url: str) -> None:
    assert upgrade(empty_url, "0004") == (None, "0004")
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO tenants (id, name) VALUES ('t-1', 'acme')"))
        connection.execute(sa.text(
            "INSERT INTO reps (tenant_id, id, name, skills, capacity, active, status, timezone,"
            " role) VALUES ('t-1', 'ann', 'Ann', '[]', 1, 0, 'available', 'UTC', 'rep')"))
    assert upgrade(empty_url) == ("0004", head_revision())
    with engine.connect() as connection:
        missed = connection.execute(sa.text("SELECT missed_offers FROM reps")).all()
    engine.dispose()
    assert [tuple(row) for row in missed] == [(0,)]
    assert _differences(empty_url, metadata) == []


def test_0005_downgrades_to_0004(empty_url: str) -> None:
    from alembic import command

    from warmline.adapters.storage.migrations import alembic_config

    upgrade(empty_url)
    engine = make_engine(empty_url, foreign_keys=False)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    engine.dispose()
    assert current_revision(empty_url) == "0004"
    engine = make_engine(empty_url)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("reps")}
    engine.dispose()
    assert "missed_offers" not in columns
    assert upgrade(empty_url) == ("0004", head_revision())
