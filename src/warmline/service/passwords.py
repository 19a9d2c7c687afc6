"""Desk passwords through scrypt at OWASP's parameters (N=2^17, r=8, p=1). A hash names its
own cost (`scrypt$ln=17,r=8,p=1$salt$digest`), so older, cheaper hashes still verify and are
re-hashed at the user's next good login."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import threading

#: log2 of scrypt's N: OWASP's Password Storage Cheat Sheet asks for N=2^17, r=8, p=1.
PASSWORD_LOG_N = 17
_R, _P, _DKLEN = 8, 1, 32
#: The first hashes named no cost: `scrypt$salt$digest` was N=2^14.
_LEGACY_LOG_N = 14
#: scrypt needs 128·r·N bytes (128 MiB at 2^17), over OpenSSL's 32 MiB default `maxmem`;
#: at most this many hashes run at once, so a burst of logins cannot take the memory.
_AT_ONCE = 4
_hashing = threading.BoundedSemaphore(_AT_ONCE)


def _scrypt(password: str, salt: bytes, log_n: int) -> bytes:
    n = 2**log_n
    with _hashing:
        return hashlib.scrypt(password.encode(), salt=salt, n=n, r=_R, p=_P, dklen=_DKLEN,
                              maxmem=128 * _R * (n + _P + 2) + 2**20)


def hash_password(password: str, log_n: int = PASSWORD_LOG_N) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, log_n)
    return (f"scrypt$ln={log_n},r={_R},p={_P}$" + base64.b64encode(salt).decode() + "$"
            + base64.b64encode(digest).decode())


def _cost(stored: str) -> tuple[int, bytes, bytes] | None:
    """(log2 N, salt, digest) of a stored hash; None when it is not one of ours."""
    parts = stored.split("$")
    try:
        if len(parts) == 3 and parts[0] == "scrypt":
            return _LEGACY_LOG_N, base64.b64decode(parts[1]), base64.b64decode(parts[2])
        if len(parts) == 4 and parts[0] == "scrypt":
            params = dict(item.split("=", 1) for item in parts[1].split(","))
            if params != {"ln": params.get("ln"), "r": str(_R), "p": str(_P)}:
                return None
            return int(params["ln"]), base64.b64decode(parts[2]), base64.b64decode(parts[3])
    except ValueError:
        return None
    return None


def verify_password(password: str, stored: str) -> bool:
    cost = _cost(stored)
    if cost is None or not 10 <= cost[0] <= 20:
        return False
    log_n, salt, digest = cost
    return hmac.compare_digest(_scrypt(password, salt, log_n), digest)


def needs_rehash(stored: str, log_n: int = PASSWORD_LOG_N) -> bool:
    """Whether a (verified) hash was made at another cost than `log_n`."""
    cost = _cost(stored)
    return cost is None or cost[0] != log_n


@functools.cache
def dummy_hash(log_n: int) -> str:
    """A hash to check unknown users' passwords against, so timing does not reveal which
    names exist."""
    return hash_password("not a real password: equalises login timing", log_n)
