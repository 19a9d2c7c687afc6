"""Event ids as a tenant sees them. The event log numbers every tenant's events in one
sequence, so showing those numbers would let a tenant that saw 3 and 5 learn that another
tenant had event 4. A stream shows each id as an opaque token instead: the number encrypted
and authenticated with the server's secret and bound to the tenant (a deterministic
SIV-style construction on HMAC-SHA256). `Last-Event-ID` and `?after=` carry the token back;
any worker with the same secret (`WARMLINE_SECRET_KEY`) reads it, and no schema changes.

token = base64url(tag ‖ (id XOR HMAC(k_enc, tag)[:8])), tag = HMAC(k_mac, tenant ‖ id)[:16]
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

_TAG = 16
_ID = 8
TOKEN_CHARS = 32
"""Length of every token (24 bytes in unpadded base64url)."""


class EventIds:
    """Turns event-log ids into a tenant's opaque tokens and back."""

    def __init__(self, secret: bytes) -> None:
        self._mac_key = hmac.new(secret, b"warmline event id: tag", hashlib.sha256).digest()
        self._enc_key = hmac.new(secret, b"warmline event id: pad", hashlib.sha256).digest()

    def _tag(self, tenant_id: str, raw: bytes) -> bytes:
        signed = tenant_id.encode() + b"\0" + raw
        return hmac.new(self._mac_key, signed, hashlib.sha256).digest()[:_TAG]

    def _pad(self, tag: bytes) -> bytes:
        return hmac.new(self._enc_key, tag, hashlib.sha256).digest()[:_ID]

    def show(self, tenant_id: str, event_id: int) -> str:
        """The token `tenant_id`'s streams show for event `event_id`."""
        raw = event_id.to_bytes(_ID, "big")
        tag = self._tag(tenant_id, raw)
        hidden = bytes(a ^ b for a, b in zip(raw, self._pad(tag), strict=True))
        return base64.urlsafe_b64encode(tag + hidden).decode().rstrip("=")

    def read(self, tenant_id: str, token: str) -> int | None:
        """The event id behind `token`, or None when it is not a token this server gave
        `tenant_id` (another tenant's, another secret's, altered, or not a token)."""
        if len(token) != TOKEN_CHARS or not token.isascii():
            return None
        try:
            data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            return None
        tag, hidden = data[:_TAG], data[_TAG:]
        raw = bytes(a ^ b for a, b in zip(hidden, self._pad(tag), strict=True))
        if not hmac.compare_digest(tag, self._tag(tenant_id, raw)):
            return None
        return int.from_bytes(raw, "big")
