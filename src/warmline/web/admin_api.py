"""`/v1/keys` and `/v1/users`: a tenant's API keys and desk logins, managed by its admins
(an admin's desk session; an API key cannot manage keys). A key is shown once, when it is
created; listings show its id and prefix, never the key or its hash."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from warmline.core.handoff import Role
from warmline.service.ports import ApiKey, User
from warmline.web.auth import AdminDep, ServicesDep
from warmline.web.schemas import ERROR_RESPONSES, ID_PATTERN, MAX_ID, Id, Strict

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES, tags=["admin"])

KeyRef = Annotated[str, Path(max_length=MAX_ID, pattern=ID_PATTERN)]
Username = Annotated[str, Path(max_length=200, pattern=ID_PATTERN)]
Password = Annotated[str, Field(min_length=8, max_length=1000)]
RoleName = Literal["rep", "supervisor", "admin"]


class NewUser(Strict):
    username: Annotated[str, Field(min_length=1, max_length=200, pattern=ID_PATTERN)]
    password: Password
    role: RoleName = "rep"
    rep_id: Id | None = Field(None, description="The rep this login acts as (a rep's "
                                                "default: its username).")


class UserChange(Strict):
    password: Password | None = None
    role: RoleName | None = None


def key_json(key: ApiKey) -> dict[str, Any]:
    return {"id": key.id, "prefix": key.prefix, "created_at": key.created_at.isoformat(),
            "revoked": key.revoked}


def user_json(user: User) -> dict[str, Any]:
    return {"username": user.username, "role": user.role.value, "rep_id": user.rep_id}


@router.get("/keys", summary="The tenant's API keys (id and prefix; admins)")
async def list_keys(admin: AdminDep, svc: ServicesDep) -> dict[str, Any]:
    keys = await run_in_threadpool(svc.tenants.list_keys, admin.tenant)
    return {"keys": [key_json(k) for k in keys]}


@router.post("/keys", status_code=201, summary="A new API key, shown this once (admins)")
async def create_key(admin: AdminDep, svc: ServicesDep) -> dict[str, Any]:
    record, key = await run_in_threadpool(svc.tenants.issue_key, admin.tenant)
    return {**key_json(record), "key": key}


@router.delete("/keys/{key_id}", summary="Revoke an API key by id or prefix (admins)")
async def revoke_key(key_id: KeyRef, admin: AdminDep, svc: ServicesDep) -> dict[str, Any]:
    record = await run_in_threadpool(svc.tenants.revoke_key, admin.tenant, key_id)
    return key_json(record)


@router.get("/users", summary="The tenant's desk logins (admins)")
async def list_users(admin: AdminDep, svc: ServicesDep) -> dict[str, Any]:
    users = await run_in_threadpool(svc.tenants.list_users, admin.tenant)
    return {"users": [user_json(u) for u in users]}


@router.post("/users", status_code=201, summary="Add a desk login (admins)")
async def add_user(body: NewUser, admin: AdminDep, svc: ServicesDep) -> dict[str, Any]:
    role = Role(body.role)
    rep_id = body.rep_id or (body.username if role is Role.REP else None)

    def add() -> User:
        user = svc.tenants.add_user(admin.tenant.name, body.username, body.password, role,
                                    rep_id)
        if role is Role.REP and rep_id is not None:
            svc.reps.put(admin.tenant, rep_id, name=body.username)
        return user

    return user_json(await run_in_threadpool(add))


@router.patch("/users/{username}",
              summary="New password and/or role; ends the user's sessions (admins)")
async def change_user(username: Username, body: UserChange, admin: AdminDep,
                      svc: ServicesDep) -> dict[str, Any]:
    user = await run_in_threadpool(lambda: svc.tenants.change_user(
        admin.tenant, username, password=body.password,
        role=Role(body.role) if body.role else None))
    return user_json(user)


@router.delete("/users/{username}", summary="Remove a desk login and end its sessions "
                                            "(admins)")
async def remove_user(username: Username, admin: AdminDep, svc: ServicesDep
                      ) -> dict[str, Any]:
    user = await run_in_threadpool(svc.tenants.remove_user, admin.tenant, username)
    return {**user_json(user), "removed": True}
