"""Stores for the storage contract: in memory, SQLite and PostgreSQL (databases from
`tests/conftest.py`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from warmline.adapters.storage import InMemoryStore
from warmline.adapters.storage.sql import SqlStore
from warmline.bootstrap import Services, build_services
from warmline.config import Settings
from warmline.core.handoff import Tenant
from warmline.service.ports import Store

StoreFactory = Callable[[], Store]
ServicesOn = Callable[..., Services]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_factory(request: pytest.FixtureRequest,
                  emptier: Callable[[SqlStore], None]) -> Iterator[StoreFactory]:
    """Opens stores on one empty database: a test's stores share rows, as workers do."""
    opened: list[Store] = []
    if request.param == "memory":
        memory = InMemoryStore()

        def factory() -> Store:
            return memory
    else:
        url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")

        def factory() -> Store:
            store = SqlStore(url)
            opened.append(store)
            return store

        cleaner = SqlStore(url)
        emptier(cleaner)
        cleaner.close()
    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(store_factory: StoreFactory) -> Store:
    return store_factory()


@pytest.fixture
def tenant(store: Store) -> Tenant:
    tenant = Tenant(id="t-acme", name="Acme")
    with store.transaction() as tx:
        tx.create_tenant(tenant)
    return tenant



@pytest.fixture
def services_on(emptier: Callable[[SqlStore], None]) -> Iterator[ServicesOn]:
    """Builds services (bundled `saas` policy) on a database URL, emptied first; closed
    after the test. Keyword arguments go to `build_services` (e.g. `clock=`)."""
    made: list[Services] = []

    def build(url: str, **options: object) -> Services:
        services = build_services(Settings(db=url, policy="saas"), **options)  # type: ignore[arg-type]
        made.append(services)
        emptier(services.store)  # type: ignore[arg-type]
        return services

    yield build
    for services in made:
        services.close()
