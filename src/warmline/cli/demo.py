"""`warmline demo`: the server on embedded SQLite, plus simulated AI-agent traffic and
simulated reps, so a newcomer sees handoffs arrive on /desk within seconds."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from importlib import resources
from typing import Annotated

import httpx2 as httpx
import typer

from warmline.bootstrap import Services, build_services
from warmline.cli.server import settings_from
from warmline.core.errors import Conflict
from warmline.core.handoff import RepStatus, Role

DEMO_TENANT = "demo"
DEMO_PASSWORD = "warmline-demo"  # noqa: S105 - a documented demo login on a local database


def _prepare(services: Services) -> str:
    """The demo tenant with its policy, two desk logins, and a fresh API key."""
    policy = str(resources.files("warmline.demo").joinpath("policy.yaml"))
    tenant = services.tenants.ensure_tenant(DEMO_TENANT, policy=policy)
    for username, role in (("rep", Role.REP), ("lead", Role.SUPERVISOR)):
        with contextlib.suppress(Conflict):  # a second run on the same database keeps them
            services.tenants.add_user(DEMO_TENANT, username, DEMO_PASSWORD, role,
                                      rep_id="you" if role is Role.REP else None)
    services.reps.put(tenant, "you", name="You", capacity=2, status=RepStatus.AVAILABLE,
                      skills=("general", "billing", "integrations", "retention", "accounts"))
    return services.tenants.create_key(DEMO_TENANT)


def _show_slack_messages() -> None:
    """The demo policy's Slack target is in log mode: its messages go to stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    slack_log = logging.getLogger("warmline.adapters.notify.slack")
    slack_log.setLevel(logging.INFO)
    slack_log.addHandler(handler)


def _wait_until_up(base_url: str, server_thread: threading.Thread) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and server_thread.is_alive():
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise typer.Exit(1)


def demo_command(
    db: Annotated[str | None, typer.Option(help="Database URL (default: sqlite:///"
                                           "warmline-demo.db in this folder).")] = None,
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    duration: Annotated[float | None, typer.Option(
        help="Stop after this many seconds (default: run until Ctrl-C).")] = None,
    pace: Annotated[float, typer.Option(min=0.05, help="Time scale of the simulation "
                                        "(0.5 = twice as fast).")] = 1.0,
) -> None:
    """Serve Warmline with simulated AI-agent traffic and simulated reps."""
    import uvicorn

    from warmline.demo.simulator import Simulation
    from warmline.web.app import create_app

    _show_slack_messages()
    settings = settings_from(db=db or "sqlite:///warmline-demo.db", port=port)
    services = build_services(settings)
    key = _prepare(services)
    base_url = f"http://{settings.host}:{settings.port}"
    server = uvicorn.Server(uvicorn.Config(create_app(services), host=settings.host,
                                           port=settings.port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="server", daemon=True)
    thread.start()
    _wait_until_up(base_url, thread)
    simulation = Simulation(base_url, key, pace=pace)
    simulation.start()
    typer.echo(f"""
Warmline demo is running ({settings.db}).

  Rep desk:    {base_url}/desk   tenant: {DEMO_TENANT}   user: rep   password: {DEMO_PASSWORD}
  Supervisor:  {base_url}/desk/supervisor   user: lead   password: {DEMO_PASSWORD}
  Admin:       {base_url}/desk/admin   (reps, skills, queues; log in as lead)
  Dashboard:   {base_url}/dashboard   (log in as lead)
  API:         {base_url}/v1  (OpenAPI: {base_url}/docs)   API key: {key}

Simulated AI agents are posting conversations; simulated reps accept and complete them.
Handoffs offered to you appear on the desk; one left for 20 s goes to another rep.
Press Ctrl-C to stop.
""")
    try:
        _report_until(simulation, duration)
    except KeyboardInterrupt:
        pass
    finally:
        simulation.close()
        server.should_exit = True
        thread.join(timeout=10)
        services.close()
    stats = simulation.stats
    typer.echo(f"demo stopped: {stats.conversations} conversations, {stats.turns} turns, "
               f"{stats.handoffs} handoffs, {stats.accepted} accepted, {stats.completed} "
               "completed by simulated reps")


def _report_until(simulation: object, duration: float | None) -> None:
    from warmline.demo.simulator import Simulation

    assert isinstance(simulation, Simulation)
    started = time.monotonic()
    next_report = started + 10
    while duration is None or time.monotonic() - started < duration:
        time.sleep(0.2)
        if time.monotonic() >= next_report:
            s = simulation.stats
            typer.echo(f"  {s.conversations} conversations, {s.handoffs} handoffs, "
                       f"{s.accepted} accepted, {s.completed} completed", err=True)
            next_report += 10
