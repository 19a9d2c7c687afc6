"""The console's administration page (`/desk/admin`): supervisors edit reps (name, skills,
capacity) and see each queue's skills and who can take it; admins also manage desk logins
(add, role, password, remove) and API keys (create — shown once —, list, revoke). Plain
forms with the session's CSRF token, no inline script or style (the pages' strict CSP). A rep
edit carries the ETag the page was rendered with: a save over someone else's later save is
refused, and nothing is lost."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from warmline.bootstrap import Services
from warmline.core.decision.situation import zone
from warmline.core.handoff import Role, has_skills
from warmline.service.handoffs import rep_etag
from warmline.web.auth import services
from warmline.web.desk import CheckedDep, DeskProblem, UserDep, _field, _render, _run
from warmline.web.desk_views import DeskUser

router = APIRouter(prefix="/desk/admin", include_in_schema=False)
ROLES = tuple(Role)
MAX_SKILLS = 50


def _need_supervisor(user: DeskUser) -> None:
    if not user.is_supervisor:
        raise DeskProblem(403, "Administration is for supervisors and admins.")


def _need_admin(user: DeskUser) -> None:
    if user.role is not Role.ADMIN:
        raise DeskProblem(403, "Logins and API keys are managed by admins.")


def parse_skills(text: str) -> tuple[str, ...]:
    """`"general, billing"` -> ("general", "billing"); an empty or spaced name is refused."""
    if not text.strip():
        return ()
    items = [item.strip() for item in text.split(",")]
    for i, item in enumerate(items, 1):
        if not item or any(ch.isspace() for ch in item):
            raise DeskProblem(422, f"Skill {i} of {text!r} is {'empty' if not item else 'spaced'}"
                                   ": give names without spaces, separated by commas.")
    if len(items) > MAX_SKILLS:
        raise DeskProblem(422, f"At most {MAX_SKILLS} skills, got {len(items)}.")
    return tuple(dict.fromkeys(items))


def admin_view(svc: Services, user: DeskUser) -> dict[str, Any]:
    """Reps with their ETags, queues with who can take them, and for admins users and keys."""
    policy = svc.tenants.decider_for(user.tenant).policy
    reps = svc.reps.list(user.tenant)
    local = svc.clock.now().astimezone(zone(policy.timezone))
    queues = [{"name": q.name, "skills": q.skills, "open": q.hours.is_open(local),
               "reps": [r.id for r in reps if has_skills(r, q.skills)]}
              for q in policy.queues.values() if q.is_staffed]
    view: dict[str, Any] = {"reps": [{"rep": r, "etag": rep_etag(r)} for r in reps],
                            "queues": queues, "roles": ROLES, "timezone": policy.timezone}
    if user.role is Role.ADMIN:
        view["users"] = svc.tenants.list_users(user.tenant)
        view["keys"] = svc.tenants.list_keys(user.tenant)
    return view


async def _page(request: Request, user: DeskUser, **extra: Any) -> HTMLResponse:
    view = await _run(admin_view, services(request), user)
    return _render(request, "desk/admin.html", user=user, **view, **extra)


def _back() -> Response:
    return RedirectResponse("/desk/admin", status_code=303)


@router.get("")
async def admin_page(request: Request, user: UserDep) -> HTMLResponse:
    _need_supervisor(user)
    return await _page(request, user)


@router.post("/reps/{rep_id}")
async def save_rep(rep_id: str, request: Request, user: CheckedDep) -> Response:
    _need_supervisor(user)
    form, svc = await request.form(), services(request)
    capacity_text = _field(form, "capacity").strip()
    if not capacity_text.isdigit():
        raise DeskProblem(422, f"Capacity must be a whole number from 1 to 50, got "
                               f"{capacity_text!r}.")
    skills = parse_skills(_field(form, "skills"))
    name = _field(form, "name").strip()[:200] or None
    etag = _field(form, "etag") or None
    await _run(lambda: svc.reps.put(user.tenant, rep_id, name=name, skills=skills,
                                    capacity=int(capacity_text), if_match=etag))
    request.app.state.notifier.wake()
    return _back()


@router.post("/users")
async def add_user(request: Request, user: CheckedDep) -> Response:
    _need_admin(user)
    form, svc = await request.form(), services(request)
    username = _field(form, "username").strip()
    role = _role(_field(form, "role"))
    skills = parse_skills(_field(form, "skills"))
    password = _field(form, "password")

    def add() -> None:
        svc.tenants.add_user(user.tenant.name, username, password, role,
                             username if role is Role.REP else None)
        if role is Role.REP:
            svc.reps.put(user.tenant, username, name=username, skills=skills)

    await _run(add)
    return _back()


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise DeskProblem(422, f"Role must be rep, supervisor or admin, got {value!r}.") from None


@router.post("/users/{username}/role")
async def change_role(username: str, request: Request, user: CheckedDep) -> Response:
    _need_admin(user)
    role, svc = _role(_field(await request.form(), "role")), services(request)
    await _run(lambda: svc.tenants.change_user(user.tenant, username, role=role))
    return _back()


@router.post("/users/{username}/password")
async def reset_password(username: str, request: Request, user: CheckedDep) -> Response:
    _need_admin(user)
    password, svc = _field(await request.form(), "password"), services(request)
    await _run(lambda: svc.tenants.change_user(user.tenant, username, password=password))
    return _back()


@router.post("/users/{username}/remove")
async def remove_user(username: str, request: Request, user: CheckedDep) -> Response:
    _need_admin(user)
    if username == user.username:
        raise DeskProblem(409, "You cannot remove your own login here; ask another admin.")
    svc = services(request)
    await _run(lambda: svc.tenants.remove_user(user.tenant, username))
    return _back()


@router.post("/keys")
async def create_key(request: Request, user: CheckedDep) -> Response:
    """The new key is shown on the page this once; it is stored only as a hash."""
    _need_admin(user)
    svc = services(request)
    record, key = await _run(lambda: svc.tenants.issue_key(user.tenant))
    return await _page(request, user, new_key=key, new_key_id=record.id)


@router.post("/keys/{key_id}/revoke")
async def revoke_key(key_id: str, request: Request, user: CheckedDep) -> Response:
    _need_admin(user)
    svc = services(request)
    await _run(lambda: svc.tenants.revoke_key(user.tenant, key_id))
    return _back()
