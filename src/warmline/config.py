"""Settings, from flags and `WARMLINE_*` environment variables (flags win). Built only by
the CLI and by tests, then passed down explicitly."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = "sqlite:///warmline.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WARMLINE_", extra="ignore")

    db: str = DEFAULT_DB
    policy: str | None = None
    """The default policy of tenants that name none: a file or a bundled name."""
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: SecretStr | None = None
    """Signs desk session cookies; a random one per start when unset (sessions then end
    with the process)."""
    secure_cookies: bool = False
    """Set behind HTTPS so session cookies are sent only over TLS."""
    async_turns: bool = True
    """PostgreSQL: store and decide plain turns on the event loop (psycopg async, two round
    trips); false sends every turn through the threaded SQLAlchemy path."""
    max_body_bytes: int = 1_000_000
    max_turns_per_request: int = 100
    max_turn_chars: int = 20_000
    llm_url: str | None = None
    allow_private_targets: bool = False
    """Let webhooks, Slack and the LLM URL reach loopback, link-local and private addresses
    (an on-premises CRM, a local model server); refused by default."""
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = None
    llm_timeout: float = 2.0
    sweep_seconds: float = 1.0
    away_after_missed_offers: int = Field(default=3, ge=1)
    """A rep who lets this many offers in a row ring out (ring-no-answer) is set away."""
    public_url: str | None = None
    """Where people reach this server (e.g. https://warmline.example.com): the base of the
    desk links in webhooks and Slack messages. Default: http://HOST:PORT."""
    outbox_seconds: float = 1.0
    """How often the outbox worker looks for due notifications (0 = no worker here)."""
    rate_limit_per_second: float = 200.0
    """Requests per second per API key and worker (0 = no limit)."""
    rate_limit_burst: float = 400.0
    password_log_n: int = Field(default=17, ge=10, le=20)
    """scrypt's cost for desk passwords, log2 N (17: OWASP's N=2^17, r=8, p=1; 128 MiB and
    about 0.6 s a hash). Older hashes are re-hashed at this cost at the next good login."""
    max_event_streams: int = Field(default=5, ge=0)
    """Open `GET /v1/events` streams per API key and per desk user, per worker (0 = no
    limit); one more is a 429 with Retry-After."""
    # What a handoff costs (SPEC §6 cost), in the operator's currency; see core/analytics/cost.py.
    platform_cost_per_minute: float = Field(default=0.07, ge=0)
    """The voice/chat platform's price per minute while a handed-off call is live
    (0.07: Retell's base rate)."""
    transfer_fee: float = Field(default=0.0, ge=0)
    """The platform's fee per live transfer (callbacks pay none)."""
    rep_cost_per_minute: float = Field(default=0.50, ge=0)
    """What a rep's minute costs, fully loaded (0.50: $30 an hour)."""
    prometheus_window_seconds: int = Field(default=3600, ge=60, le=31 * 86400)
    """The trailing window `GET /metrics` reports (its gauges are computed from the
    database at scrape time)."""
