"""Editing a tenant's policy in the product: the draft (with an ETag), checks, publish,
versions, diffs and rollback. Every change names who made it; an invalid policy can be saved
as a draft but never published."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from warmline.core.errors import Conflict, NotFound, Problem, StaleWrite
from warmline.core.handoff import Tenant
from warmline.service.policy_versions import PolicyDeciders, PolicyVersion, VersionState
from warmline.service.ports import Clock
from warmline.service.tenants import TenantService
from warmline.service.what_if import what_if

#: The ETag of "no draft yet": `If-Match` with it creates the first draft.
NO_DRAFT_ETAG = '"none"'


class StoredConversations(Protocol):
    def __call__(self, tenant_id: str, *, last: int | None, since: datetime | None,
                 until: datetime | None) -> Iterable[Mapping[str, Any]]: ...


class PolicyRefused(Conflict):
    """A policy that does not validate cannot be published or rolled back to (409)."""

    def __init__(self, message: str, problems: Sequence[Problem]) -> None:
        super().__init__(message)
        self.problems = list(problems)


def draft_etag(draft: PolicyVersion | None) -> str:
    if draft is None:
        return NO_DRAFT_ETAG
    digest = hashlib.sha256(f"{draft.yaml}\0{draft.note}".encode()).hexdigest()[:16]
    return f'"{draft.version}-{digest}"'


@dataclass
class PolicyAdmin:
    tenants: TenantService
    clock: Clock
    validate: Callable[[str, str], list[Problem]]
    """The located problems of policy YAML text (source name for them): what `warmline policy
    check` reports, and an intent model file that cannot be loaded."""
    conversations: StoredConversations | None = None
    """The tenant's stored conversations, newest first (for what-if)."""

    @property
    def _policies(self) -> PolicyDeciders:
        policies = self.tenants.policies
        if policies is None:
            raise NotFound("this server keeps no policy versions")
        return policies

    def published(self, tenant: Tenant) -> PolicyVersion:
        """The version in force (seeding version 1 from the policy file when none)."""
        policies = self._policies
        decider = policies.deciding(tenant)
        return self.version(tenant, decider.version or 1)

    def draft(self, tenant: Tenant) -> PolicyVersion:
        found = self._draft(tenant)
        if found is None:
            raise NotFound("no draft: PUT /v1/policy/draft to start one")
        return found

    def _draft(self, tenant: Tenant) -> PolicyVersion | None:
        drafts = [v for v in self._policies.versions.all_versions(tenant.id)
                  if v.state is VersionState.DRAFT]
        return drafts[-1] if drafts else None

    def save_draft(self, tenant: Tenant, yaml: str, note: str, *, author: str,
                   if_match: str | None) -> PolicyVersion:
        """Write the draft; with `if_match`, a draft changed since (another ETag) is refused
        with StaleWrite (412) and nothing is written. An invalid draft is kept."""
        self.published(tenant)  # version 1 first, so a first draft is version 2

        def check(current: PolicyVersion | None) -> None:
            if if_match is not None and if_match.strip() not in (draft_etag(current), "*"):
                raise StaleWrite("the draft changed since you read it (its ETag is "
                                 f"{draft_etag(current)}); GET it again and redo your edit")

        return self._policies.versions.save_draft(tenant.id, yaml, author=author, note=note,
                                                  at=self.clock.now(), check=check)

    def check(self, yaml: str, source: str = "draft") -> list[Problem]:
        return self.validate(yaml, source)

    def publish(self, tenant: Tenant, note: str | None, *, by: str) -> PolicyVersion:
        """Publish the draft: refused (PolicyRefused, with the located problems) when it
        does not validate."""
        draft = self.draft(tenant)
        problems = self.validate(draft.yaml, f"draft (version {draft.version})")
        if problems:
            raise PolicyRefused(f"the draft (version {draft.version}) has {len(problems)} "
                                "problem(s); fix them before publishing", problems)
        done = self._policies.versions.publish(tenant.id, draft.version, by=by, note=note,
                                               at=self.clock.now())
        self._policies.forget(tenant.id)
        return done

    def versions(self, tenant: Tenant) -> list[PolicyVersion]:
        self.published(tenant)
        return self._policies.versions.all_versions(tenant.id)

    def version(self, tenant: Tenant, number: int) -> PolicyVersion:
        found = self._policies.versions.get(tenant.id, number)
        if found is None:
            raise NotFound(f"no policy version {number}")
        return found

    def diff(self, tenant: Tenant, number: int, against: int) -> str:
        """A unified diff from version `against` to version `number`."""
        new, old = self.version(tenant, number), self.version(tenant, against)
        return "".join(difflib.unified_diff(
            old.yaml.splitlines(keepends=True), new.yaml.splitlines(keepends=True),
            fromfile=f"version {against}", tofile=f"version {number}"))

    def what_if(self, tenant: Tenant, *, yaml: str | None = None, last: int | None = None,
                since: datetime | None = None, until: datetime | None = None
                ) -> dict[str, Any]:
        """The draft (or `yaml`) against the published version over the tenant's last
        `last` stored conversations, or those last updated in [since, until)."""
        text = self.draft(tenant).yaml if yaml is None else yaml
        problems = self.validate(text, "what-if policy")
        if problems:
            raise PolicyRefused(f"the policy has {len(problems)} problem(s)", problems)
        if self.conversations is None:
            raise NotFound("this server cannot read its stored conversations")
        policies = self._policies
        before = replace(policies.deciding(tenant), summarizer=None)
        after = replace(policies.from_yaml(text, "what-if policy"), summarizer=None)
        stored = self.conversations(tenant.id, last=last, since=since, until=until)
        return {"published_version": before.version, **what_if(stored, before, after)}

    def rollback(self, tenant: Tenant, number: int, *, by: str) -> PolicyVersion:
        """Publish version `number`'s text again as a new version; refused (PolicyRefused,
        with the reason) when it no longer validates (a model file gone, a target now
        refused)."""
        old = self.version(tenant, number)
        problems = self.validate(old.yaml, f"version {number}")
        if problems:
            raise PolicyRefused(f"version {number} no longer validates: {problems[0]}",
                                problems)
        done = self._policies.versions.add(tenant.id, old.yaml, author=by,
                                           note=f"rollback to version {number}",
                                           at=self.clock.now(), state=VersionState.PUBLISHED)
        self._policies.forget(tenant.id)
        return done
