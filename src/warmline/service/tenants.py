"""Tenants, API keys (stored as SHA-256 hashes: keys are random, so a fast hash is enough),
desk users (passwords through scrypt) and each tenant's decider (its policy and model)."""

from __future__ import annotations

import hashlib
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from time import monotonic

from warmline.core.errors import AuthError, Conflict, InvalidInput, NotFound
from warmline.core.handoff import Role, Tenant
from warmline.service.deciding import Decider
from warmline.service.passwords import (
    PASSWORD_LOG_N,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from warmline.service.policy_versions import PolicyDeciders
from warmline.service.ports import ApiKey, Clock, Store, User

KEY_PREFIX = "wl_"
#: How long a worker trusts a key it has checked: a revocation made elsewhere (the CLI,
#: another worker) reaches every worker within this time, at one store read per key and
#: worker per period on the hot path. The worker that revokes forgets the key at once.
AUTH_CACHE_SECONDS = 5.0
_AUTH_CACHE_MAX = 10_000


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class TenantService:
    store: Store
    clock: Clock
    build_decider: Callable[[str | None], Decider]
    """Builds a decider from a policy reference (path or bundled name; None = default)."""
    default_policy: str | None = None
    password_log_n: int = PASSWORD_LOG_N
    """scrypt's cost for new password hashes (log2 N); tests lower it, production keeps 17."""
    auth_cache_seconds: float = AUTH_CACHE_SECONDS
    policies: PolicyDeciders | None = field(default=None, repr=False)
    """Each tenant's published policy version (`service.policy_versions`); None: the
    tenant's policy file decides, unversioned."""
    _deciders: dict[str | None, Decider] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _auth_cache: dict[str, tuple[Tenant, float]] = field(default_factory=dict)

    def ensure_tenant(self, name: str, policy: str | None = None) -> Tenant:
        if not name.strip():
            raise InvalidInput("a tenant needs a name")
        with self.store.transaction() as tx:
            tenant = tx.find_tenant(name)
            if tenant is None:
                tenant = Tenant(id=new_id("t"), name=name, policy=policy)
                tx.create_tenant(tenant)
            return tenant

    def get(self, tenant_id: str) -> Tenant:
        with self.store.read() as tx:
            tenant = tx.get_tenant(tenant_id)
        if tenant is None:
            raise AuthError("your session's tenant no longer exists; log in again")
        return tenant

    def find(self, name: str) -> Tenant | None:
        """The tenant called `name`, or None (read-only; never creates one)."""
        with self.store.read() as tx:
            return tx.find_tenant(name)

    def all_tenants(self) -> list[Tenant]:
        with self.store.read() as tx:
            return tx.list_tenants()

    def existing(self, name: str) -> Tenant:
        """The tenant called `name`; NotFound (naming it) when there is none."""
        tenant = self.find(name)
        if tenant is None:
            raise NotFound(f"no tenant named {name!r}")
        return tenant

    # --- API keys ------------------------------------------------------------------------

    def create_key(self, tenant_name: str) -> str:
        """Create the tenant if new and return a new API key (shown once, stored hashed)."""
        return self.issue_key(self.ensure_tenant(tenant_name))[1]

    def issue_key(self, tenant: Tenant) -> tuple[ApiKey, str]:
        """A new key of `tenant`: its record (id, prefix) and the key itself, which is
        shown this once and stored only as a hash."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        record = ApiKey(id=new_id("k"), tenant_id=tenant.id, prefix=key[:10],
                        key_hash=hash_key(key), created_at=self.clock.now())
        with self.store.transaction() as tx:
            tx.add_api_key(record)
        return record, key

    def list_keys(self, tenant: Tenant | None = None) -> list[ApiKey]:
        """A tenant's keys, or every tenant's, oldest first (hashes, never keys)."""
        with self.store.read() as tx:
            return tx.list_api_keys(tenant.id if tenant else None)

    def revoke_key(self, tenant: Tenant | None, key_ref: str) -> ApiKey:
        """Revoke a key named by its id or its prefix (within `tenant`, or any tenant's):
        it gets 401 at once in this process and within `auth_cache_seconds` everywhere."""
        with self.store.transaction() as tx:
            found = [k for k in tx.list_api_keys(tenant.id if tenant else None)
                     if key_ref in (k.id, k.prefix)]
            if not found:
                raise NotFound(f"no API key {key_ref!r}" + (
                    f" in tenant {tenant.name!r}" if tenant else "") + " (see `keys list`)")
            if len(found) > 1:
                raise Conflict(f"{len(found)} keys start with {key_ref!r}; name one by its id")
            tx.revoke_api_key(found[0].tenant_id, found[0].id)
        self._auth_cache.pop(found[0].key_hash, None)
        return replace(found[0], revoked=True)

    def authenticate(self, key: str) -> Tenant:
        """The tenant of an API key; AuthError when the key is unknown or revoked. A known
        key is remembered for `auth_cache_seconds` (so a revocation takes that long to reach
        the other workers); unknown keys are never cached."""
        if not key.startswith(KEY_PREFIX):
            raise AuthError("not a Warmline API key")
        cached = self.cached_tenant(key)
        if cached is not None:
            return cached
        digest = hash_key(key)
        with self.store.read() as tx:
            record = tx.find_api_key(digest)
            tenant = tx.get_tenant(record.tenant_id) if record and not record.revoked else None
        if tenant is None:
            self._auth_cache.pop(digest, None)
            raise AuthError("unknown or revoked API key")
        if len(self._auth_cache) > _AUTH_CACHE_MAX:
            self._auth_cache.clear()
        self._auth_cache[digest] = (tenant, monotonic() + self.auth_cache_seconds)
        return tenant

    def cached_tenant(self, key: str) -> Tenant | None:
        """The tenant of a recently authenticated key, without touching the store."""
        cached = self._auth_cache.get(hash_key(key))
        return cached[0] if cached is not None and cached[1] > monotonic() else None

    # --- desk users ----------------------------------------------------------------------

    def add_user(self, tenant_name: str, username: str, password: str, role: Role,
                 rep_id: str | None = None) -> User:
        _check_password(password)
        if not username.strip():
            raise InvalidInput("a desk user needs a username")
        tenant = self.ensure_tenant(tenant_name)
        with self.store.transaction() as tx:
            if tx.find_user(tenant.id, username) is not None:
                raise Conflict(f"user {username!r} already exists in tenant {tenant_name!r}")
            user = User(id=new_id("u"), tenant_id=tenant.id, username=username,
                        password_hash=hash_password(password, self.password_log_n),
                        role=role, rep_id=rep_id)
            tx.add_user(user)
        return user

    def list_users(self, tenant: Tenant) -> list[User]:
        with self.store.read() as tx:
            return tx.list_users(tenant.id)

    def change_user(self, tenant: Tenant, username: str, *, password: str | None = None,
                    role: Role | None = None) -> User:
        """A new password and/or role; either ends every session of the user."""
        if password is not None:
            _check_password(password)
        new_hash = hash_password(password, self.password_log_n) if password else None
        with self.store.transaction() as tx:
            user = _need_user(tx.find_user(tenant.id, username), tenant, username)
            changed = replace(user, password_hash=new_hash or user.password_hash,
                              role=role or user.role,
                              session_version=user.session_version + 1)
            tx.update_user(changed)
        return changed

    def remove_user(self, tenant: Tenant, username: str) -> User:
        """Remove a desk login; its sessions end with it."""
        with self.store.transaction() as tx:
            user = _need_user(tx.find_user(tenant.id, username), tenant, username)
            tx.remove_user(tenant.id, user.id)
        return user

    def end_sessions(self, tenant_id: str, user_id: str) -> None:
        """Log the user out everywhere (every desk session, every worker)."""
        with self.store.transaction() as tx:
            user = tx.get_user(tenant_id, user_id)
            if user is not None:
                tx.update_user(replace(user, session_version=user.session_version + 1))

    def session_user(self, tenant_id: str, user_id: str, version: object
                     ) -> tuple[Tenant, User]:
        """The tenant and user of a desk session, read now: AuthError when the user is
        gone or the session's version is not the user's (logged out, password or role
        changed)."""
        with self.store.read() as tx:
            tenant = tx.get_tenant(tenant_id)
            user = tx.get_user(tenant_id, user_id) if tenant is not None else None
        if tenant is None or user is None or user.session_version != version:
            raise AuthError("this desk session has ended; log in again")
        return tenant, user

    def login(self, tenant_name: str, username: str, password: str) -> User:
        with self.store.read() as tx:
            tenant = tx.find_tenant(tenant_name)
            user = tx.find_user(tenant.id, username) if tenant else None
        # Hash even when the user is unknown, so timing does not reveal which names exist.
        stored = user.password_hash if user is not None else dummy_hash(self.password_log_n)
        if not verify_password(password, stored) or user is None:
            raise AuthError("wrong tenant, username or password")
        if needs_rehash(stored, self.password_log_n):
            user = self._rehash(user, password)
        return user

    def _rehash(self, user: User, password: str) -> User:
        """Store an older (cheaper) hash again at today's cost; sessions go on."""
        rehashed = replace(user, password_hash=hash_password(password, self.password_log_n))
        with self.store.transaction() as tx:
            current = tx.get_user(user.tenant_id, user.id)
            if current is None or current.password_hash != user.password_hash:
                return current or user  # changed meanwhile: that change wins
            tx.update_user(replace(current, password_hash=rehashed.password_hash))
        return replace(current, password_hash=rehashed.password_hash)

    def decider_for(self, tenant: Tenant) -> Decider:
        """The tenant's decider: its published policy version's where versions are kept,
        else (none published yet) its policy file's, built once per policy and reused.
        Never writes: a turn takes `deciding_decider`."""
        published = self.policies.published(tenant) if self.policies is not None else None
        if published is not None:
            return published
        ref = tenant.policy or self.default_policy
        with self._lock:
            decider = self._deciders.get(ref)
            if decider is None:
                decider = self._deciders[ref] = self.build_decider(ref)
            return decider

    def seed_policies(self) -> tuple[list[str], list[str]]:
        """Seed version 1 of every tenant that has no policy version from its policy file
        (or the default), as `warmline serve` does at start: the names of the tenants seeded,
        and a line for each whose policy file could not be read (its turns report it)."""
        seeded: list[str] = []
        failed: list[str] = []
        for tenant in self.all_tenants() if self.policies is not None else []:
            assert self.policies is not None
            try:
                if self.policies.seed(tenant) is not None:
                    seeded.append(tenant.name)
            except InvalidInput as err:
                failed.append(f"tenant {tenant.name}: no policy version seeded: {err}")
        return seeded, failed

    def deciding_decider(self, tenant: Tenant) -> Decider:
        """The decider a turn is decided with: as `decider_for`, but a tenant with no policy
        version gets version 1 seeded from its policy file first, so every decision names
        the version it was made under. Call it outside transactions."""
        if self.policies is not None:
            return self.policies.deciding(tenant)
        return self.decider_for(tenant)


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise InvalidInput("a desk password needs at least 8 characters")


def _need_user(user: User | None, tenant: Tenant, username: str) -> User:
    if user is None:
        raise NotFound(f"no user {username!r} in tenant {tenant.name!r}")
    return user
