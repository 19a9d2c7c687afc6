"""A tenant's policy as versions in the database: the published one decides every turn.

Each worker keeps the decider of each tenant's published version and asks the store for the
published version's number at most every `check_seconds`: a publish made anywhere (another
worker, another server, the CLI) is in force everywhere within that time, at one indexed
read per tenant and worker per period on the hot path. A turn takes its decider once, so it is
decided under one version, never a mix."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from time import monotonic
from typing import Protocol

from warmline.core.handoff import Tenant
from warmline.service.deciding import Decider

#: How long a worker trusts the published version number it last read.
CHECK_SECONDS = 0.5
#: Who seeds version 1 from a tenant's policy file.
SEED_AUTHOR = "warmline serve"


class VersionState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    tenant_id: str
    version: int
    yaml: str
    author: str
    at: datetime
    note: str
    state: VersionState
    published_by: str | None = None
    published_at: datetime | None = None

    def to_dict(self, *, with_yaml: bool = True) -> dict[str, object]:
        out: dict[str, object] = {
            "version": self.version, "author": self.author, "at": self.at.isoformat(),
            "note": self.note, "state": self.state.value, "published_by": self.published_by,
            "published_at": None if self.published_at is None else self.published_at.isoformat()}
        if with_yaml:
            out["yaml"] = self.yaml
        return out


class PolicyVersionStore(Protocol):
    """Where a tenant's policy versions live (SQL or memory)."""

    def published_number(self, tenant_id: str) -> int | None: ...

    def get(self, tenant_id: str, version: int) -> PolicyVersion | None: ...

    def all_versions(self, tenant_id: str) -> list[PolicyVersion]: ...

    def add(self, tenant_id: str, yaml: str, *, author: str, note: str, at: datetime,
            state: VersionState) -> PolicyVersion:
        """A new version numbered one past the tenant's highest. Publishing it (state
        `published`, by `author`) retires the one published before, in the same
        transaction."""
        ...

    def save_draft(self, tenant_id: str, yaml: str, *, author: str, note: str, at: datetime,
                   check: Callable[[PolicyVersion | None], None]) -> PolicyVersion:
        """Write the tenant's draft (its highest-numbered version, while a draft), or a new
        draft version when it has none. `check` sees the current draft (or None) first, in
        the same transaction, and raises to refuse the write (a stale `If-Match`)."""
        ...

    def seed(self, tenant_id: str, yaml: str, *, author: str, note: str, at: datetime
             ) -> PolicyVersion | None:
        """Version 1, published, when the tenant has no version at all; None (nothing
        written) when it has one, also when another process seeds it at the same time."""
        ...

    def publish(self, tenant_id: str, version: int, *, by: str, note: str | None,
                at: datetime) -> PolicyVersion:
        """Publish an existing version (by whom, when; `note` replaces its note when given)
        and retire the one published before."""
        ...


@dataclass
class PolicyDeciders:
    """Each tenant's decider under its published version, checked every `check_seconds`."""

    versions: PolicyVersionStore
    from_yaml: Callable[[str, str], Decider]
    """Builds a decider from a version's YAML text and a source name for errors."""
    seed_text: Callable[[str | None], tuple[str, str]]
    """The YAML text of a policy reference (path or bundled name) and where it came from."""
    now: Callable[[], datetime]
    default_policy: str | None = None
    check_seconds: float = CHECK_SECONDS
    _current: dict[str, tuple[Decider | None, float]] = field(default_factory=dict,
                                                                repr=False)
    _built: dict[tuple[str, int], Decider] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def published(self, tenant: Tenant) -> Decider | None:
        """The decider of the tenant's published version; None while it has none. Never
        writes, so it may be called inside another transaction."""
        cached = self._current.get(tenant.id)
        if cached is not None and cached[1] > monotonic():
            return cached[0]
        number = self.versions.published_number(tenant.id)
        decider = None if number is None else self._decider(tenant.id, number)
        self._current[tenant.id] = (decider, monotonic() + self.check_seconds)
        return decider

    def deciding(self, tenant: Tenant) -> Decider:
        """The decider a turn is decided with: the published version's, seeding version 1
        from the tenant's policy file first when it has none. Call it outside transactions."""
        decider = self.published(tenant)
        if decider is not None:
            return decider
        self.seed(tenant)
        self.forget(tenant.id)
        decider = self.published(tenant)
        assert decider is not None, "a seeded tenant has a published version"
        return decider

    def forget(self, tenant_id: str) -> None:
        """Read the published version again on the next turn (this worker published)."""
        self._current.pop(tenant_id, None)

    def seed(self, tenant: Tenant) -> PolicyVersion | None:
        """Version 1 from the tenant's policy file (or the server's default) when it has no
        version yet; None when it has."""
        text, source = self.seed_text(tenant.policy or self.default_policy)
        return self.versions.seed(tenant.id, text, author=SEED_AUTHOR,
                                  note=f"seeded from {source}", at=self.now())

    def _decider(self, tenant_id: str, number: int) -> Decider:
        with self._lock:
            decider = self._built.get((tenant_id, number))
        if decider is not None:
            return decider
        found = self.versions.get(tenant_id, number)
        assert found is not None, "a published version is never deleted"
        decider = self.from_yaml(found.yaml, f"policy version {number}")
        decider = decider.under_version(number)
        with self._lock:
            stale = [key for key in self._built if key[0] == tenant_id]
            for key in stale:  # a tenant keeps only its current version's decider
                del self._built[key]
            self._built[(tenant_id, number)] = decider
        return decider
