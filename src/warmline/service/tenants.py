"""Tenants, API keys (stored as SHA-256 hashes: keys are random, so a fast hash is enough),
desk users (passwords through scrypt) and each tenant's decider (its policy and model)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from warmline.core.errors import AuthError, Conflict, InvalidInput
from warmline.core.handoff import Role, Tenant
from warmline.service.deciding import Decider
from warmline.service.ports import ApiKey, Clock, Store, User

KEY_PREFIX = "wl_"
AUTH_CACHE_SECONDS = 30.0
_AUTH_CACHE_MAX = 10_000
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt64, digest64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt64), **_SCRYPT)
    return hmac.compare_digest(digest, base64.b64decode(digest64))


_DUMMY_HASH = hash_password("not a real password: equalises login timing")


@dataclass
class TenantService:
    store: Store
    clock: Clock
    build_decider: Callable[[str | None], Decider]
    """Builds a decider from a policy reference (path or bundled name; None = default)."""
    default_policy: str | None = None
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

    def create_key(self, tenant_name: str) -> str:
        """Create the tenant if new and return a new API key (shown once, stored hashed)."""
        tenant = self.ensure_tenant(tenant_name)
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self.store.transaction() as tx:
            tx.add_api_key(ApiKey(id=new_id("k"), tenant_id=tenant.id, prefix=key[:10],
                                  key_hash=hash_key(key), created_at=self.clock.now()))
        return key

    def authenticate(self, key: str) -> Tenant:
        """The tenant of an API key; AuthError when the key is unknown or revoked. A known
        key is remembered for `AUTH_CACHE_SECONDS` (so a revocation takes that long to reach
        every worker); unknown keys are never cached."""
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
            raise AuthError("unknown or revoked API key")
        if len(self._auth_cache) > _AUTH_CACHE_MAX:
            self._auth_cache.clear()
        self._auth_cache[digest] = (tenant, time.monotonic() + AUTH_CACHE_SECONDS)
        return tenant

    def cached_tenant(self, key: str) -> Tenant | None:
        """The tenant of a recently authenticated key, without touching the store."""
        cached = self._auth_cache.get(hash_key(key))
        return cached[0] if cached is not None and cached[1] > time.monotonic() else None

    def add_user(self, tenant_name: str, username: str, password: str, role: Role,
                 rep_id: str | None = None) -> User:
        if len(password) < 8:
            raise InvalidInput("a desk password needs at least 8 characters")
        tenant = self.ensure_tenant(tenant_name)
        with self.store.transaction() as tx:
            if tx.find_user(tenant.id, username) is not None:
                raise Conflict(f"user {username!r} already exists in tenant {tenant_name!r}")
            user = User(id=new_id("u"), tenant_id=tenant.id, username=username,
                        password_hash=hash_password(password), role=role, rep_id=rep_id)
            tx.add_user(user)
        return user

    def login(self, tenant_name: str, username: str, password: str) -> User:
        with self.store.read() as tx:
            tenant = tx.find_tenant(tenant_name)
            user = tx.find_user(tenant.id, username) if tenant else None
        # Hash even when the user is unknown, so timing does not reveal which names exist.
        stored = user.password_hash if user is not None else _DUMMY_HASH
        if not verify_password(password, stored) or user is None:
            raise AuthError("wrong tenant, username or password")
        return user

    def decider_for(self, tenant: Tenant) -> Decider:
        """The tenant's decider, built once per policy and reused."""
        ref = tenant.policy or self.default_policy
        with self._lock:
            decider = self._deciders.get(ref)
            if decider is None:
                decider = self._deciders[ref] = self.build_decider(ref)
            return decider
