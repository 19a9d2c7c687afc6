"""The access half of `SqlTx`: tenants, API keys (hashes only) and desk users."""

from __future__ import annotations

import sqlalchemy as sa

from warmline.core.handoff import Tenant
from warmline.service.ports import ApiKey, User

from . import rows
from .tables import api_keys, tenants, users


class SqlAccessTx:
    """Mixed into `SqlTx`; see the tenant, key and user methods of
    `warmline.service.ports.Tx`."""

    _c: sa.Connection

    def create_tenant(self, tenant: Tenant) -> None:
        self._c.execute(sa.insert(tenants).values(
            id=tenant.id, name=tenant.name, policy=tenant.policy))

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        row = self._c.execute(sa.select(tenants).where(tenants.c.id == tenant_id)).first()
        return rows.tenant(row) if row else None

    def find_tenant(self, name: str) -> Tenant | None:
        row = self._c.execute(sa.select(tenants).where(tenants.c.name == name)).first()
        return rows.tenant(row) if row else None

    def list_tenants(self) -> list[Tenant]:
        query = sa.select(tenants).order_by(tenants.c.name)
        return [rows.tenant(row) for row in self._c.execute(query)]

    def add_api_key(self, key: ApiKey) -> None:
        self._c.execute(sa.insert(api_keys).values(rows.api_key_values(key)))

    def find_api_key(self, key_hash: str) -> ApiKey | None:
        row = self._c.execute(
            sa.select(api_keys).where(api_keys.c.key_hash == key_hash)).first()
        return rows.api_key(row) if row else None

    def list_api_keys(self, tenant_id: str | None) -> list[ApiKey]:
        query = sa.select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)
        if tenant_id is not None:
            query = query.where(api_keys.c.tenant_id == tenant_id)
        return [rows.api_key(row) for row in self._c.execute(query)]

    def revoke_api_key(self, tenant_id: str, key_id: str) -> bool:
        done = self._c.execute(sa.update(api_keys).where(
            api_keys.c.tenant_id == tenant_id, api_keys.c.id == key_id).values(revoked=True))
        return done.rowcount == 1

    def add_user(self, user: User) -> None:
        self._c.execute(sa.insert(users).values(rows.user_values(user)))

    def find_user(self, tenant_id: str, username: str) -> User | None:
        row = self._c.execute(sa.select(users).where(
            users.c.tenant_id == tenant_id, users.c.username == username)).first()
        return rows.user(row) if row else None

    def get_user(self, tenant_id: str, user_id: str) -> User | None:
        row = self._c.execute(sa.select(users).where(
            users.c.tenant_id == tenant_id, users.c.id == user_id)).first()
        return rows.user(row) if row else None

    def list_users(self, tenant_id: str) -> list[User]:
        query = sa.select(users).where(users.c.tenant_id == tenant_id).order_by(
            users.c.username)
        return [rows.user(row) for row in self._c.execute(query)]

    def update_user(self, user: User) -> bool:
        values = rows.user_values(user)
        for fixed in ("id", "tenant_id", "username"):
            del values[fixed]
        done = self._c.execute(sa.update(users).where(
            users.c.tenant_id == user.tenant_id, users.c.id == user.id).values(values))
        return done.rowcount == 1

    def remove_user(self, tenant_id: str, user_id: str) -> bool:
        done = self._c.execute(sa.delete(users).where(
            users.c.tenant_id == tenant_id, users.c.id == user_id))
        return done.rowcount == 1
