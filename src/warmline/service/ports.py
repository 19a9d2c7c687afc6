"""Ports the use cases call, implemented by adapters (named technology + port)."""

from __future__ import annotations

from typing import Protocol

from warmline.core.decision import Brief


class Summarizer(Protocol):
    """Writes the brief's summary as prose. Returns None when it cannot (timeout, error):
    the caller then keeps the deterministic summary."""

    def summarize(self, transcript: str, brief: Brief) -> str | None: ...
