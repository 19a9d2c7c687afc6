"""`OpenAICompatibleSummarizer`: the brief's summary written by any OpenAI-compatible chat
endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp server). Off unless configured; it only ever
sees text that redaction has already cleaned, and any failure falls back to the deterministic
summary."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx2 as httpx

from warmline.adapters.outbound import guarded_client
from warmline.core.decision.model import Brief

log = logging.getLogger(__name__)

_SYSTEM = (
    "You brief a contact-center rep who is about to take over a conversation from an AI "
    "agent. Write at most 3 short lines: who the customer is and what they want; the key "
    "details and what the AI already tried, with the result; why it is being handed over now. "
    "Use only facts from the transcript and notes. No greeting, no markdown."
)


@dataclass(frozen=True, slots=True)
class OpenAICompatibleSummarizer:
    """Calls `POST {base_url}/chat/completions`.

    Args:
        base_url: e.g. ``https://api.openai.com/v1`` or ``http://127.0.0.1:11434/v1``.
        model: the model name the endpoint expects.
        api_key: sent as a bearer token when given.
        timeout_s: the whole call's budget; a handoff must not wait on prose.
        allow_private: let `base_url` be a loopback or private address (a local model
            server); refused otherwise (`warmline.adapters.outbound`).
    """

    base_url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 2.0
    max_chars: int = 6000
    allow_private: bool = False

    def summarize(self, transcript: str, brief: Brief) -> str | None:
        notes = f"Deterministic brief:\n{brief.summary}\nAttempted: {list(brief.attempted)}"
        body = {
            "model": self.model,
            "temperature": 0,
            "max_tokens": 160,
            "messages": [
                {"role": "system", "content": _SYSTEM},
                {"role": "user", "content": f"{notes}\n\nTranscript:\n"
                                            f"{transcript[-self.max_chars:]}"},
            ],
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        url = self.base_url.rstrip("/") + "/chat/completions"
        try:
            with guarded_client(allow_private=self.allow_private) as client:
                response = client.post(url, json=body, headers=headers,
                                       timeout=self.timeout_s)
            response.raise_for_status()
            text = response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as err:
            log.warning("LLM summary failed, keeping the deterministic brief: %s", err)
            return None
        if not isinstance(text, str) or not text.strip():
            return None
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        return "\n".join(lines[:3])
