"""Outbound HTTP targets (webhook and Slack notify targets, the LLM summarizer): an address
inside the operator's network — loopback, link-local, private, unspecified, multicast or
otherwise not global — is refused, at `warmline policy check` and again at every send,
unless the operator allows private targets (`WARMLINE_ALLOW_PRIVATE_TARGETS=true`, e.g. for
an on-premises CRM). Otherwise whoever edits a policy could make the server POST to
`http://169.254.169.254/` or an admin port on localhost.

At send time `GuardedTransport` resolves the host once, checks every address, then connects
to the checked address (the URL's host still goes in `Host` and in TLS's SNI and certificate
check): a DNS answer that changes between the check and the connection cannot slip through."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlsplit

import httpx2 as httpx

from warmline.core.errors import Problem
from warmline.core.policy.model import NotifyTarget

Resolver = Callable[[str, int], list[str]]
"""host, port -> the addresses a connection could go to (getaddrinfo's)."""
ALLOW_SETTING = "WARMLINE_ALLOW_PRIVATE_TARGETS"
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself, without DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def forbidden_range(address: str) -> str | None:
    """What kind of non-public address `address` is ("loopback", "private" ...), or None
    for a global (public) address."""
    ip: IpAddress = ipaddress.ip_address(address.split("%", 1)[0])  # fe80::1%eth0
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    for kind, found in (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
                        ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                        ("private", ip.is_private)):
        if found:
            return kind
    return None if ip.is_global else "not publicly routable"


def refusal(host: str, addresses: Iterable[str]) -> str | None:
    """Why `host` may not be a target, given the addresses it resolves to; None when every
    one is public."""
    for address in addresses:
        kind = forbidden_range(address)
        if kind is not None:
            shown = host if host == address else f"{host} resolves to {address}, which"
            return (f"{shown} is a {kind} address; outbound targets must be public "
                    f"(set {ALLOW_SETTING}=true to allow targets inside your network)")
    return None


def url_refusal(url: str, resolver: Resolver | None = None) -> str | None:
    """Why `url` may not be a target, or None when its host resolves only to public
    addresses — or does not resolve now (sends check again, on the address they use)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "${" in url:
        return None  # not a URL Warmline can send to: the notifier says so at send time
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = (resolver or resolve)(parts.hostname, port)
    except (OSError, ValueError, UnicodeError):
        return None
    return refusal(parts.hostname, addresses)


def notify_target_problems(notify: Mapping[str, NotifyTarget], *, source: str,
                           locate: Callable[[tuple[str | int, ...]], tuple[int, int] | None],
                           resolver: Resolver | None = None) -> list[Problem]:
    """A located problem for each notify target (`notify.<name>.url`) that resolves to a
    forbidden address."""
    problems = []
    for name, target in notify.items():
        reason = url_refusal(target.url, resolver) if target.url else None
        if reason is not None:
            path = ("notify", name, "url")
            line, column = locate(path) or (None, None)
            problems.append(Problem(f"notify target {name!r}: {reason}", file=source,
                                    path=f"notify.{name}.url", line=line, column=column))
    return problems


class TargetRefused(httpx.ConnectError):
    """A send refused before connecting: the target's address is not public."""


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that refuses forbidden addresses and pins each request to the
    address it checked. One pool per host name, so a TLS connection verified for one host
    is never reused for another that shares its address."""

    def __init__(self, *, allow_private: bool = False, resolver: Resolver | None = None
                 ) -> None:
        self.allow_private = allow_private
        self._resolver = resolver
        self._pools: dict[str, httpx.HTTPTransport] = {}
        self._lock = threading.Lock()

    def _pool(self, host: str) -> httpx.HTTPTransport:
        with self._lock:
            pool = self._pools.get(host)
            if pool is None:
                pool = self._pools[host] = httpx.HTTPTransport()
            return pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if self.allow_private:
            return self._pool(host).handle_request(request)
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            addresses = (self._resolver or resolve)(host, port)
        except (OSError, UnicodeError) as err:
            raise httpx.ConnectError(f"cannot resolve the target's host: {err}",
                                     request=request) from err
        reason = refusal(host, addresses) if addresses else f"{host} resolves to no address"
        if reason is not None:
            raise TargetRefused(f"refused: {reason}", request=request)
        if request.url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        request.url = request.url.copy_with(host=addresses[0])  # Host header: unchanged
        return self._pool(host).handle_request(request)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


def guarded_client(*, allow_private: bool, resolver: Resolver | None = None) -> httpx.Client:
    """An httpx client for outbound targets: no redirects (a 3xx could point anywhere), no
    proxies from the environment (they would connect on the client's behalf, unchecked)."""
    return httpx.Client(transport=GuardedTransport(allow_private=allow_private,
                                                   resolver=resolver),
                        follow_redirects=False, trust_env=False)
