"""Databases shared by every test that needs one: a migrated SQLite file and PostgreSQL
schemas created for this run (`WARMLINE_TEST_PG_URL`). PostgreSQL tests skip when the server
is unreachable, except in CI (`CI=true`), where they fail."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from warmline.adapters.storage.engine import make_engine
from warmline.adapters.storage.migrations import upgrade
from warmline.adapters.storage.sql import SqlStore
from warmline.adapters.storage.tables import metadata

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: scrypt's cost in tests (log2 N): the production default, 17, takes ~0.6 s a hash;
#: tests/unit/service/test_passwords.py checks that default without this.
TEST_PASSWORD_LOG_N = "10"


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARMLINE_PASSWORD_LOG_N", TEST_PASSWORD_LOG_N)



def _pg_unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url = os.environ.get("WARMLINE_TEST_PG_URL", PG_DEFAULT)
    probe = make_url(url)
    if "connect_timeout" not in probe.query:  # a black-holed host must not hang the run
        probe = probe.update_query_dict({"connect_timeout": "3"})
    engine = make_engine(probe.render_as_string(hide_password=False))
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as err:
        _pg_unavailable(str(err.orig).strip().splitlines()[0])
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def pg_schema(pg_server_url: str) -> Iterator[Callable[[], str]]:
    """Makes empty schemas (`wl_test_<random>`) and returns URLs that use them; every schema
    is dropped at the end of the run."""
    admin = make_engine(pg_server_url)
    made: list[str] = []

    def new_schema() -> str:
        name = f"wl_test_{secrets.token_hex(6)}"
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        made.append(name)
        url = make_url(pg_server_url).update_query_dict(
            {"options": f"-csearch_path={name}"})
        return url.render_as_string(hide_password=False)

    yield new_schema
    with admin.begin() as connection:
        for name in made:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_url(pg_schema: Callable[[], str]) -> str:
    """A migrated schema shared by the run's contract tests (emptied before each)."""
    url = pg_schema()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "warmline.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


@pytest.fixture
def empty_sqlite_url(sqlite_url: str) -> str:
    """The run's migrated SQLite file, emptied for this test."""
    store = SqlStore(sqlite_url)
    empty_database(store)
    store.close()
    return sqlite_url


def empty_database(store: SqlStore) -> None:
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with store.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())




@pytest.fixture(scope="session")
def emptier() -> Callable[[SqlStore], None]:
    """Empties every table of a SQL store (nested conftests can't import this module)."""
    return empty_database
