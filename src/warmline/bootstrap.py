"""The composition root: builds deciders (policy + intent model) from names and paths.
Nothing is built at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache, partial

from warmline.adapters.intent_files import load_bundled_model, load_model
from warmline.adapters.language_files import bundled_language_model
from warmline.adapters.llm_summarizer import OpenAICompatibleSummarizer
from warmline.adapters.notify.slack import SlackNotifier
from warmline.adapters.notify.webhook import WebhookNotifier
from warmline.adapters.outbound import guarded_client, notify_target_problems
from warmline.adapters.policy_files import (
    load_policy,
    parse_policy_text,
    policy_text,
    text_locations,
)
from warmline.adapters.storage.conversation_reads import stored_conversations
from warmline.adapters.storage.memory import InMemoryStore
from warmline.adapters.storage.migrations import check_current, upgrade
from warmline.adapters.storage.pg_turns import PgTurnStore
from warmline.adapters.storage.policy_versions import MemoryPolicyVersions, SqlPolicyVersions
from warmline.adapters.storage.sql import SqlStore
from warmline.adapters.storage.sqlite_turns import SqliteTurnStore
from warmline.config import Settings
from warmline.core.analytics.cost import CostAssumptions
from warmline.core.errors import InvalidInput, Problem
from warmline.core.handoff import Tenant
from warmline.core.language.intents import IntentClassifier, ScopeOnly
from warmline.core.policy.model import Policy
from warmline.service.deciding import Decider
from warmline.service.dispatch import Dispatcher
from warmline.service.handoffs import HandoffService, RepService
from warmline.service.metrics import MetricsService
from warmline.service.outbox import Outbox, OutboxService
from warmline.service.policy_admin import PolicyAdmin
from warmline.service.policy_versions import PolicyDeciders, PolicyVersionStore
from warmline.service.ports import Clock, Notifier, Store, Summarizer, TurnStore
from warmline.service.tenants import TenantService
from warmline.service.transfers import TransferService
from warmline.service.turns import TurnService


@lru_cache(maxsize=8)
def _classifier(path: str | None) -> IntentClassifier:
    return ScopeOnly(load_bundled_model()) if path is None else load_model(path)


def classifier_for(policy: Policy) -> IntentClassifier:
    """The policy's own intent model (`intents: {model: PATH}`), else the bundled one."""
    return _classifier(policy.intent_model)


def build_decider(policy: Policy | str | os.PathLike[str] | None = None, *,
                  summarizer: Summarizer | None = None) -> Decider:
    """A `Decider` for a `Policy`, a policy file, or a bundled policy name (default
    `general`), with an optional prose summarizer and the bundled language model.

    Raises:
        InvalidInput: the bundled language model is missing or corrupt (naming the file).
    """
    loaded = policy if isinstance(policy, Policy) else load_policy(policy)
    return Decider(loaded, classifier_for(loaded), summarizer, bundled_language_model())


def build_summarizer(url: str | None, model: str, api_key: str | None,
                     timeout_s: float, *, allow_private: bool = False) -> Summarizer | None:
    """The OpenAI-compatible summarizer when a URL is configured, else None (the default)."""
    if not url:
        return None
    return OpenAICompatibleSummarizer(base_url=url, model=model, api_key=api_key,
                                      timeout_s=timeout_s, allow_private=allow_private)


@dataclass
class Services:
    """Everything the web app and the CLI's server commands use, built once."""

    settings: Settings
    store: Store
    clock: Clock
    tenants: TenantService
    turns: TurnService
    handoffs: HandoffService
    reps: RepService
    dispatcher: Dispatcher
    metrics: MetricsService
    transfers: TransferService
    outbox: OutboxService | None = None
    """Delivers webhooks and Slack messages; None where nothing should be sent."""
    fast_turns: TurnStore | None = None
    """PostgreSQL: turns stored and decided on the event loop (`TurnService.post_turns_async`)."""
    policy_admin: PolicyAdmin | None = None
    """Each tenant's policy versions: draft, check, publish, rollback (`/v1/policy`)."""

    def close(self) -> None:
        if self.outbox is not None:
            self.outbox.close()
        self.store.close()


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def build_store(url: str, *, migrate_sqlite: bool = True) -> Store:
    """The SQL store; SQLite is migrated on the spot, PostgreSQL must be migrated already
    (`warmline db upgrade`), else `SchemaNotCurrent` says what to run."""
    if url.startswith("memory:"):
        return InMemoryStore()
    if url.startswith("sqlite") and migrate_sqlite:
        upgrade(url)
    else:
        check_current(url)
    return SqlStore(url)


def server_prices(settings: Settings) -> CostAssumptions:
    """The server's prices (each tenant's policy adds its flat cost of a handoff)."""
    return CostAssumptions(platform_per_minute=settings.platform_cost_per_minute,
                           transfer_fee=settings.transfer_fee,
                           rep_per_minute=settings.rep_cost_per_minute)


def build_services(settings: Settings, *, store: Store | None = None,
                   clock: Clock | None = None) -> Services:
    bundled_language_model()  # a missing or corrupt model file stops start-up, named
    clock = clock or SystemClock()
    store = store or build_store(settings.db)
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    summarizer = build_summarizer(settings.llm_url, settings.llm_model, key,
                                  settings.llm_timeout,
                                  allow_private=settings.allow_private_targets)
    tenants = TenantService(store, clock, lambda ref: build_decider(ref, summarizer=summarizer),
                            default_policy=settings.policy,
                            password_log_n=settings.password_log_n)
    tenants.policies = PolicyDeciders(
        policy_version_store(store),
        lambda text, source: build_decider(parse_policy_text(text, source=source),
                                           summarizer=summarizer),
        policy_text, clock.now, default_policy=settings.policy)
    def policy_for(tenant: Tenant) -> Policy:
        return tenants.decider_for(tenant).policy

    public_url = settings.public_url or f"http://{settings.host}:{settings.port}"
    dispatcher = Dispatcher(outbox=Outbox(policy_for, public_url),
                            away_after_missed_offers=settings.away_after_missed_offers)
    outbox = OutboxService(store, clock, policy_for,
                           build_notifiers(allow_private=settings.allow_private_targets))
    return Services(
        settings=settings, store=store, clock=clock, tenants=tenants,
        turns=TurnService(store, clock, tenants, dispatcher),
        handoffs=HandoffService(store, clock, tenants, dispatcher),
        reps=RepService(store, clock, tenants, dispatcher), dispatcher=dispatcher,
        metrics=MetricsService(store, clock), transfers=TransferService(store, clock, dispatcher),
        outbox=outbox, fast_turns=build_turn_store(store) if settings.async_turns else None,
        policy_admin=PolicyAdmin(tenants, clock, lambda text, source: policy_problems(
            text, source, allow_private=settings.allow_private_targets),
            partial(stored_conversations, store)))


def policy_problems(text: str, source: str, *, allow_private: bool = False) -> list[Problem]:
    """What `warmline policy check` reports for policy YAML text, and an intent model file
    that cannot be loaded: each problem located."""
    try:
        policy = parse_policy_text(text, source=source)
        if not allow_private:
            problems = notify_target_problems(policy.notify, source=source,
                                              locate=text_locations(text).get)
            if problems:
                return problems
        classifier_for(policy)
    except InvalidInput as err:
        return list(err.problems)
    return []


def policy_version_store(store: Store) -> PolicyVersionStore:
    """Where the store's tenants keep their policy versions."""
    return SqlPolicyVersions(store) if isinstance(store, SqlStore) else MemoryPolicyVersions()


def build_turn_store(store: Store) -> TurnStore | None:
    """The lean path for turns that only store and decide: psycopg's async connections on
    PostgreSQL, the bare `sqlite3` connection on SQLite (`warmline.web.hot_path`); None for
    the in-memory store, whose turns are cheap already."""
    if not isinstance(store, SqlStore):
        return None
    if store.engine.dialect.name == "sqlite":
        return SqliteTurnStore(store)
    return PgTurnStore(store.engine.url)


def build_notifiers(*, allow_private: bool = False) -> dict[str, Notifier]:
    """The notifier of each notify target type, sharing one HTTP client that refuses
    private addresses unless `allow_private` (`warmline.adapters.outbound`)."""
    client = guarded_client(allow_private=allow_private)
    return {"webhook": WebhookNotifier(client), "slack": SlackNotifier(client)}
