"""`warmline serve` (keys and users: `warmline.cli.access`)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from warmline.bootstrap import build_services
from warmline.config import Settings

DbOption = Annotated[str | None, typer.Option(
    "--db", help="Database URL (default: $WARMLINE_DB, else sqlite:///warmline.db). "
    "PostgreSQL: postgresql://user@host/db")]


def settings_from(**flags: object) -> Settings:
    """Settings from the environment, with the flags that were given on top."""
    given = {k: v for k, v in flags.items() if v is not None}
    return Settings(**given)  # type: ignore[arg-type]  # validated by pydantic


def serve_command(
    db: DbOption = None,
    policy: Annotated[str | None, typer.Option(help="Default policy for tenants that name "
                                               "none: a YAML file or a bundled name.")] = None,
    host: Annotated[str | None, typer.Option(help="Interface to bind (default 127.0.0.1).")]
    = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    access_log: Annotated[bool, typer.Option(
        help="Log every request (off when a proxy in front logs them: ~15 % of a turn's "
             "cost).")] = True,
) -> None:
    """Run the HTTP API, the event stream and the rep desk."""
    import uvicorn

    settings = settings_from(db=db, policy=policy, host=host, port=port)
    services = build_services(settings)  # migrates SQLite; refuses an un-migrated PostgreSQL
    seeded, failed = services.tenants.seed_policies()
    for name in seeded:
        typer.echo(f"tenant {name}: policy version 1 seeded from its policy file", err=True)
    for line in failed:
        typer.echo(f"warning: {line}", err=True)
    typer.echo(f"Warmline on http://{settings.host}:{settings.port}  (desk: /desk, API: /v1, "
               f"OpenAPI: /openapi.json, database: {settings.db})", err=True)
    if workers > 1:
        services.close()
        for name, value in (("DB", settings.db), ("POLICY", settings.policy)):
            if value:
                os.environ[f"WARMLINE_{name}"] = value
        if settings.secret_key is None:
            os.environ["WARMLINE_SECRET_KEY"] = os.urandom(32).hex()  # shared by the workers
        uvicorn.run("warmline.web.factory:create_app_from_env", factory=True,
                    host=settings.host, port=settings.port, workers=workers,
                    access_log=access_log, timeout_graceful_shutdown=3)
        return
    from warmline.web.app import create_app
    from warmline.web.factory import settle_heap

    app = create_app(services)
    settle_heap()
    uvicorn.run(app, host=settings.host, port=settings.port,
                access_log=access_log, timeout_graceful_shutdown=3)


def register(app: typer.Typer) -> None:
    from warmline.cli.access import keys_app, users_app
    from warmline.cli.reps import reps_app

    app.command("serve")(serve_command)
    app.add_typer(keys_app, name="keys")
    app.add_typer(users_app, name="users")
    app.add_typer(reps_app, name="reps")
