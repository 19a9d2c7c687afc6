"""Policy versions (`service.policy_versions.PolicyVersionStore`) on SQL and in memory.

At most one version of a tenant is published: the partial unique index of migration 0007
refuses a second, and publishing retires the one before in the same transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from warmline.core.errors import Conflict, NotFound
from warmline.service.policy_versions import PolicyVersion, VersionState

from .engine import READ_ONLY, mapped_errors
from .sql import SqlStore
from .tables import policy_versions as table

_PUBLISHED = VersionState.PUBLISHED.value


def _version(row: Any) -> PolicyVersion:
    return PolicyVersion(tenant_id=row.tenant_id, version=row.version, yaml=row.yaml,
                         author=row.author, at=row.created_at, note=row.note,
                         state=VersionState(row.state), published_by=row.published_by,
                         published_at=row.published_at)


def _made(tenant_id: str, version: int, yaml: str, *, author: str, at: datetime, note: str,
          state: VersionState) -> PolicyVersion:
    published = state is VersionState.PUBLISHED
    return PolicyVersion(tenant_id, version, yaml, author, at, note, state,
                         published_by=author if published else None,
                         published_at=at if published else None)


def _row(made: PolicyVersion) -> dict[str, Any]:
    return {"tenant_id": made.tenant_id, "version": made.version, "yaml": made.yaml,
            "author": made.author, "created_at": made.at, "note": made.note,
            "state": made.state.value, "published_by": made.published_by,
            "published_at": made.published_at}


def _of(tenant_id: str) -> sa.ColumnElement[bool]:
    return table.c.tenant_id == tenant_id


class SqlPolicyVersions:
    """Policy versions in the `policy_versions` table of a `SqlStore`'s database."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self._published = (sa.select(table.c.version)
                           .where(table.c.tenant_id == sa.bindparam("tenant_id"),
                                  table.c.state == _PUBLISHED))

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        store = self._store
        with mapped_errors(store.url), store.writer, store.engine.begin() as connection:
            yield connection

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        # Deferred on SQLite, like `SqlStore.read`: a read inside a turn's write transaction
        # (the outbox asks for the tenant's policy) must not wait for the writer lock.
        with mapped_errors(self._store.url), self._store.engine.connect() as connection:
            reader = connection.execution_options(**{READ_ONLY: True})
            with reader.begin():
                yield reader

    def published_number(self, tenant_id: str) -> int | None:
        with self._read() as connection:
            value = connection.execute(self._published, {"tenant_id": tenant_id}).scalar()
        return None if value is None else int(value)

    def get(self, tenant_id: str, version: int) -> PolicyVersion | None:
        with self._read() as connection:
            row = connection.execute(sa.select(table).where(
                _of(tenant_id), table.c.version == version)).first()
        return None if row is None else _version(row)

    def all_versions(self, tenant_id: str) -> list[PolicyVersion]:
        with self._read() as connection:
            found = connection.execute(sa.select(table).where(_of(tenant_id))
                                       .order_by(table.c.version))
            return [_version(row) for row in found]

    def add(self, tenant_id: str, yaml: str, *, author: str, note: str, at: datetime,
            state: VersionState) -> PolicyVersion:
        with self._write() as connection:
            highest = connection.execute(sa.select(sa.func.max(table.c.version))
                                         .where(_of(tenant_id))).scalar()
            made = _made(tenant_id, int(highest or 0) + 1, yaml, author=author, at=at,
                         note=note, state=state)
            if state is VersionState.PUBLISHED:
                self._retire_published(connection, tenant_id)
            connection.execute(sa.insert(table).values(_row(made)))
        return made

    def save_draft(self, tenant_id: str, yaml: str, *, author: str, note: str, at: datetime,
                   check: Callable[[PolicyVersion | None], None]) -> PolicyVersion:
        with self._write() as connection:
            found = connection.execute(
                sa.select(table).where(_of(tenant_id),
                                       table.c.state == VersionState.DRAFT.value)
                .order_by(table.c.version.desc()).limit(1)).first()
            draft = None if found is None else _version(found)
            check(draft)
            if draft is None:
                highest = connection.execute(sa.select(sa.func.max(table.c.version))
                                             .where(_of(tenant_id))).scalar()
                made = _made(tenant_id, int(highest or 0) + 1, yaml,
                             author=author, at=at, note=note, state=VersionState.DRAFT)
                connection.execute(sa.insert(table).values(_row(made)))
                return made
            connection.execute(sa.update(table).where(_of(tenant_id),
                                                      table.c.version == draft.version)
                               .values(yaml=yaml, author=author, note=note, created_at=at))
        return replace(draft, yaml=yaml, author=author, note=note, at=at)

    def seed(self, tenant_id: str, yaml: str, *, author: str, note: str, at: datetime
             ) -> PolicyVersion | None:
        try:
            with self._write() as connection:
                if connection.execute(sa.select(table.c.version).where(_of(tenant_id))
                                      .limit(1)).first() is not None:
                    return None
                made = _made(tenant_id, 1, yaml, author=author, at=at, note=note,
                             state=VersionState.PUBLISHED)
                connection.execute(sa.insert(table).values(_row(made)))
        except Conflict:  # another process seeded it first
            return None
        return made

    def publish(self, tenant_id: str, version: int, *, by: str, note: str | None,
                at: datetime) -> PolicyVersion:
        with self._write() as connection:
            row = connection.execute(sa.select(table).where(
                _of(tenant_id), table.c.version == version)).first()
            if row is None:
                raise NotFound(f"no policy version {version}")
            done = replace(_version(row), state=VersionState.PUBLISHED, published_by=by,
                           published_at=at, note=row.note if note is None else note)
            self._retire_published(connection, tenant_id)
            connection.execute(sa.update(table).where(_of(tenant_id),
                                                      table.c.version == version)
                               .values(state=_PUBLISHED, published_by=by, published_at=at,
                                       note=done.note))
        return done

    @staticmethod
    def _retire_published(connection: sa.Connection, tenant_id: str) -> None:
        connection.execute(sa.update(table).where(_of(tenant_id), table.c.state == _PUBLISHED)
                           .values(state=VersionState.RETIRED.value))


class MemoryPolicyVersions:
    """Policy versions in memory (the `memory:` store's)."""

    def __init__(self) -> None:
        self._versions: dict[str, list[PolicyVersion]] = {}
        self._lock = threading.Lock()

    def published_number(self, tenant_id: str) -> int | None:
        found = [v.version for v in self._versions.get(tenant_id, [])
                 if v.state is VersionState.PUBLISHED]
        return found[0] if found else None

    def get(self, tenant_id: str, version: int) -> PolicyVersion | None:
        return next((v for v in self._versions.get(tenant_id, []) if v.version == version),
                    None)

    def all_versions(self, tenant_id: str) -> list[PolicyVersion]:
        return list(self._versions.get(tenant_id, []))

    def add(self, tenant_id: str, yaml: str, *, author: str, note: str, at: datetime,
            state: VersionState) -> PolicyVersion:
        with self._lock:
            kept = self._versions.setdefault(tenant_id, [])
            if state is VersionState.PUBLISHED:
                self._retire_published(kept)
            made = _made(tenant_id, len(kept) + 1, yaml, author=author, at=at, note=note,
                         state=state)
            kept.append(made)
        return made

    def save_draft(self, tenant_id: str, yaml: str, *, author: str, note: str, at: datetime,
                   check: Callable[[PolicyVersion | None], None]) -> PolicyVersion:
        with self._lock:
            kept = self._versions.setdefault(tenant_id, [])
            drafts = [v for v in kept if v.state is VersionState.DRAFT]
            draft = drafts[-1] if drafts else None
            check(draft)
            if draft is None:
                made = _made(tenant_id, len(kept) + 1, yaml, author=author, at=at,
                             note=note, state=VersionState.DRAFT)
                kept.append(made)
                return made
            kept[draft.version - 1] = replace(draft, yaml=yaml, author=author, note=note,
                                              at=at)
            return kept[draft.version - 1]

    def seed(self, tenant_id: str, yaml: str, *, author: str, note: str, at: datetime
             ) -> PolicyVersion | None:
        with self._lock:
            if self._versions.get(tenant_id):
                return None
            made = _made(tenant_id, 1, yaml, author=author, at=at, note=note,
                         state=VersionState.PUBLISHED)
            self._versions[tenant_id] = [made]
        return made

    def publish(self, tenant_id: str, version: int, *, by: str, note: str | None,
                at: datetime) -> PolicyVersion:
        with self._lock:
            kept = self._versions.get(tenant_id, [])
            if not 0 < version <= len(kept):
                raise NotFound(f"no policy version {version}")
            self._retire_published(kept)
            old = kept[version - 1]
            kept[version - 1] = replace(old, state=VersionState.PUBLISHED, published_by=by,
                                        published_at=at, note=old.note if note is None else note)
            return kept[version - 1]

    @staticmethod
    def _retire_published(kept: list[PolicyVersion]) -> None:
        for index, old in enumerate(kept):
            if old.state is VersionState.PUBLISHED:
                kept[index] = replace(old, state=VersionState.RETIRED)
