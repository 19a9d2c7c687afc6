"""Alembic migrations of the SQL store, run from code (no alembic.ini): `upgrade` brings a
database to the head revision; `check_current` refuses a database that is not there."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.exc import OperationalError

from warmline.adapters.storage.engine import SchemaNotCurrent, make_engine, safe_url
from warmline.core.errors import AdapterError

__all__ = ["check_current", "current_revision", "head_revision", "upgrade"]

# Any constant: serialises concurrent `upgrade`s of one PostgreSQL database.
_PG_LOCK_KEY = 0x5741524D  # "WARM"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder has no revisions"
    return head


def current_revision(url: str) -> str | None:
    """The database's revision; None when it was never migrated."""
    engine = make_engine(url, foreign_keys=False)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as err:
        raise _unreachable(url, err) from err
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate the database at `url` to `revision`; returns (from, to) revisions."""
    engine = make_engine(url, foreign_keys=False)
    config = alembic_config()
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK_KEY)))
            before = MigrationContext.configure(connection).get_current_revision()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            after = MigrationContext.configure(connection).get_current_revision()
    except OperationalError as err:
        raise _unreachable(url, err) from err
    except CommandError as err:
        raise AdapterError(f"cannot migrate database {safe_url(url)}: {err}") from err
    finally:
        engine.dispose()
    return before, after


def check_current(url: str) -> None:
    """Raise `SchemaNotCurrent`, saying what to run, unless the database is at the head."""
    current, head = current_revision(url), head_revision()
    if current == head:
        return
    where = safe_url(url)
    known = {script.revision for script in
             ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current is not None and current not in known:
        raise SchemaNotCurrent(
            f"the database {where} is at revision {current}, which this Warmline does not "
            f"know (its newest is {head}): upgrade Warmline")
    state = "not migrated" if current is None else f"at revision {current}, not {head}"
    raise SchemaNotCurrent(
        f"the database {where} is {state}: run `warmline db upgrade --db {where}`")


def _unreachable(url: str, err: OperationalError) -> AdapterError:
    reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
    return AdapterError(f"cannot reach database {safe_url(url)}: {reason}", retryable=True)
