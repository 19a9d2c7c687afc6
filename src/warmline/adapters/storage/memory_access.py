"""The access half of `InMemoryTx`: tenants, API keys and desk users, with the SQL store's
constraints (unique names and hashes, every row's tenant must exist)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from warmline.core.errors import Conflict
from warmline.core.handoff import Tenant
from warmline.service.ports import ApiKey, User

from .records import as_utc

if TYPE_CHECKING:
    from .memory_tables import Tables


class InMemoryAccessTx:
    """Mixed into `InMemoryTx`; see the tenant, key and user methods of
    `warmline.service.ports.Tx`."""

    _t: Tables

    def _need_tenant(self, tenant_id: str) -> None:
        # Mirrors the SQL schema's foreign key from every row to its tenant.
        if tenant_id not in self._t.tenants:
            raise Conflict(f"tenant {tenant_id!r} does not exist")

    def create_tenant(self, tenant: Tenant) -> None:
        if tenant.id in self._t.tenants:
            raise Conflict(f"tenant {tenant.id!r} already exists")
        if self.find_tenant(tenant.name) is not None:
            raise Conflict(f"a tenant named {tenant.name!r} already exists")
        self._t.tenants[tenant.id] = tenant

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self._t.tenants.get(tenant_id)

    def find_tenant(self, name: str) -> Tenant | None:
        return next((t for t in self._t.tenants.values() if t.name == name), None)

    def list_tenants(self) -> list[Tenant]:
        return sorted(self._t.tenants.values(), key=lambda t: t.name)

    def add_api_key(self, key: ApiKey) -> None:
        self._need_tenant(key.tenant_id)
        if key.id in self._t.api_keys or self.find_api_key(key.key_hash) is not None:
            raise Conflict(f"API key {key.id!r} already exists")
        self._t.api_keys[key.id] = replace(key, created_at=as_utc(key.created_at))

    def find_api_key(self, key_hash: str) -> ApiKey | None:
        return next((k for k in self._t.api_keys.values() if k.key_hash == key_hash), None)

    def list_api_keys(self, tenant_id: str | None) -> list[ApiKey]:
        return sorted((k for k in self._t.api_keys.values()
                       if tenant_id is None or k.tenant_id == tenant_id),
                      key=lambda k: (k.created_at, k.id))

    def revoke_api_key(self, tenant_id: str, key_id: str) -> bool:
        key = self._t.api_keys.get(key_id)
        if key is None or key.tenant_id != tenant_id:
            return False
        self._t.api_keys[key_id] = replace(key, revoked=True)
        return True

    def add_user(self, user: User) -> None:
        self._need_tenant(user.tenant_id)
        if user.id in self._t.users or self.find_user(user.tenant_id, user.username):
            raise Conflict(f"user {user.username!r} already exists")
        self._t.users[user.id] = user

    def find_user(self, tenant_id: str, username: str) -> User | None:
        return next((u for u in self._t.users.values()
                     if u.tenant_id == tenant_id and u.username == username), None)

    def get_user(self, tenant_id: str, user_id: str) -> User | None:
        user = self._t.users.get(user_id)
        return user if user is not None and user.tenant_id == tenant_id else None

    def list_users(self, tenant_id: str) -> list[User]:
        return sorted((u for u in self._t.users.values() if u.tenant_id == tenant_id),
                      key=lambda u: u.username)

    def update_user(self, user: User) -> bool:
        stored = self.get_user(user.tenant_id, user.id)
        if stored is None:
            return False
        self._t.users[user.id] = replace(user, username=stored.username)
        return True

    def remove_user(self, tenant_id: str, user_id: str) -> bool:
        if self.get_user(tenant_id, user_id) is None:
            return False
        del self._t.users[user_id]
        return True
