"""Storage adapters for the `Store` port: `InMemoryStore` here, `SqlStore` in `.sql`
(imported from there, so memory-only users never load SQLAlchemy)."""

from .memory import InMemoryStore

__all__ = ["InMemoryStore"]
