"""The client behind a trusted reverse proxy: ``X-Forwarded-For`` and ``X-Forwarded-Proto``.

Behind a load balancer or an ingress, every request comes from the proxy's address and,
where the proxy ends TLS, over plain HTTP. Policies then see the proxy: ``aws:SourceIp``
conditions match its address, ``aws:SecureTransport`` is false (so the usual "deny unless
TLS" repository policy refuses everything), and the audit log names the proxy.

With trusted proxies set, a request whose peer is one of them is rewritten before berth
sees it (the rule of nginx's ``set_real_ip_from`` with ``real_ip_recursive on``):

- the client is the right-most ``X-Forwarded-For`` address that is not a trusted proxy:
  every proxy appends the address it was called from, so addresses left of the first
  untrusted one may be anything the client wrote. If all of them are trusted, the
  left-most is taken. An entry that is not an IP address ends the walk: the hop after it
  (a trusted proxy's own address) is the client, never a string a policy cannot compare;
- the scheme is the right-most ``X-Forwarded-Proto`` value, the one the nearest proxy set,
  when it is ``http`` or ``https``.

A request from any other peer is left as it is: a client cannot claim another address or
TLS by sending these headers itself. Granian's ``wrap_asgi_with_proxy_headers`` is not
used: it takes any ``X-Forwarded-For`` string as the client, and applies the scheme only
alongside an address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Scope = MutableMapping[str, Any]
Asgi = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                Awaitable[None]]


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated addresses and CIDR blocks (``10.0.0.0/8, 127.0.0.1, ::1``); a
    ValueError names the entry that is neither."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or CIDR block") from None
    return tuple(networks)


class TrustedProxies:
    """Which peers may say who the client is."""

    def __init__(self, networks: tuple[Network, ...]) -> None:
        self.networks = networks

    def trusts(self, address: Address) -> bool:
        return any(address in network for network in self.networks)

    def client(self, peer: Address, forwarded_for: list[str]) -> Address:
        """The first untrusted address walking ``peer`` and then ``forwarded_for`` from
        the right; the last trusted one when an entry is not an address."""
        client = peer
        for entry in reversed(forwarded_for):
            if not self.trusts(client):
                return client
            address = _parse(entry)
            if address is None:
                return client
            client = address
        return client

    def rewrite(self, scope: Scope) -> None:
        client = scope.get("client")
        peer = _parse(str(client[0])) if client else None
        if peer is None or not self.trusts(peer):
            return
        forwarded_for: list[str] = []
        proto: list[str] = []
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded_for.extend(_values(value))
            elif name == b"x-forwarded-proto":
                proto.extend(_values(value))
        if forwarded_for:
            origin = self.client(peer, forwarded_for)
            if origin != peer:
                scope["client"] = (str(origin), 0)
        if proto and proto[-1].lower() in ("http", "https"):
            scope["scheme"] = proto[-1].lower()


class ForwardedHeaders:
    """ASGI middleware: each HTTP request rewritten by ``proxies`` before the app sees it."""

    def __init__(self, app: Asgi, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] == "http":
            self.proxies.rewrite(scope)
        await self.app(scope, receive, send)


def client_address(scope: Mapping[str, Any]) -> str | None:
    """The client's address as policies and the audit log see it: IPv4 for an
    IPv4-mapped IPv6 peer of a dual-stack listener, so ``10.0.0.0/8`` matches it."""
    client = scope.get("client")
    if not client:
        return None
    host = str(client[0])
    if ":" not in host:  # IPv4: as it is, without parsing on every request
        return host
    address = _parse(host)
    return str(address) if address is not None else host


def _values(raw: bytes) -> list[str]:
    return [part.strip() for part in raw.decode("latin-1").split(",") if part.strip()]


def _parse(text: str) -> Address | None:
    """An address as proxies write it: bare, ``1.2.3.4:port`` or ``[v6]:port`` (as
    Azure's gateways do); IPv4-mapped IPv6 (a dual-stack listener's) as IPv4."""
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
