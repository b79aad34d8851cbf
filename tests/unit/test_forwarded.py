"""Who the client is behind trusted proxies (berth.forwarded)."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from berth.forwarded import ForwardedHeaders, TrustedProxies, client_address, parse_networks

PROXIES = TrustedProxies(parse_networks("10.0.0.0/8, 192.168.1.1, fd00::/8"))


def scope(peer: str | None, *headers: tuple[str, str], scheme: str = "http") -> dict[str, Any]:
    return {"type": "http", "scheme": scheme, "client": (peer, 4711) if peer else None,
            "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers]}


def rewritten(peer: str | None, *headers: tuple[str, str], scheme: str = "http"
              ) -> tuple[str | None, str]:
    s = scope(peer, *headers, scheme=scheme)
    PROXIES.rewrite(s)
    return client_address(s), s["scheme"]


def test_a_trusted_proxy_names_the_client_and_the_scheme() -> None:
    assert rewritten("10.1.2.3", ("X-Forwarded-For", "203.0.113.7"),
                     ("X-Forwarded-Proto", "https")) == ("203.0.113.7", "https")


def test_an_untrusted_peer_cannot_claim_another_address_or_tls() -> None:
    assert rewritten("203.0.113.9", ("X-Forwarded-For", "10.1.1.1"),
                     ("X-Forwarded-Proto", "https")) == ("203.0.113.9", "http")


def test_addresses_the_client_wrote_left_of_its_own_are_ignored() -> None:
    # the client sent "X-Forwarded-For: 10.9.9.9"; the proxy appended its real address
    assert rewritten("10.1.2.3", ("X-Forwarded-For", "10.9.9.9, 198.51.100.4"))[0] \
        == "198.51.100.4"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right() -> None:
    # client -> 192.168.1.1 -> 10.0.0.2 -> berth, each header line appended
    assert rewritten("10.0.0.2", ("X-Forwarded-For", "1.2.3.4, 198.51.100.4"),
                     ("X-Forwarded-For", "192.168.1.1"))[0] == "198.51.100.4"


def test_when_every_hop_is_trusted_the_leftmost_is_the_client() -> None:
    assert rewritten("10.0.0.2", ("X-Forwarded-For", "10.5.5.5, 192.168.1.1"))[0] \
        == "10.5.5.5"


def test_an_entry_that_is_no_address_stops_the_walk_at_a_real_address() -> None:
    # a string no IpAddress condition can compare would slip past NotIpAddress denies
    assert rewritten("10.0.0.2", ("X-Forwarded-For", "unknown, 10.0.0.7"))[0] == "10.0.0.7"
    assert rewritten("10.0.0.2", ("X-Forwarded-For", "<script>"))[0] == "10.0.0.2"


@pytest.mark.parametrize(("written", "address"), [
    ("203.0.113.7:51234", "203.0.113.7"),
    ("[2001:db8::1]:443", "2001:db8::1"),
    ("2001:db8::1", "2001:db8::1"),
    ("::ffff:203.0.113.7", "203.0.113.7"),
])
def test_addresses_as_proxies_write_them(written: str, address: str) -> None:
    assert rewritten("10.0.0.2", ("X-Forwarded-For", written))[0] == address


def test_the_nearest_proxys_scheme_counts() -> None:
    assert rewritten("10.0.0.2", ("X-Forwarded-Proto", "https, http"))[1] == "http"
    assert rewritten("10.0.0.2", ("X-Forwarded-Proto", "http"), ("X-Forwarded-Proto", "HTTPS"))[1] \
        == "https"


def test_the_scheme_counts_without_an_address() -> None:
    assert rewritten("10.0.0.2", ("X-Forwarded-Proto", "https")) == ("10.0.0.2", "https")


def test_an_unknown_scheme_changes_nothing() -> None:
    assert rewritten("10.0.0.2", ("X-Forwarded-Proto", "gopher"), scheme="https")[1] == "https"


def test_a_proxy_can_report_plain_http_to_a_tls_listener() -> None:
    assert rewritten("10.0.0.2", ("X-Forwarded-Proto", "http"), scheme="https")[1] == "http"


def test_a_dual_stack_peer_is_trusted_and_reported_as_ipv4() -> None:
    assert rewritten("::ffff:10.0.0.2", ("X-Forwarded-For", "203.0.113.7"))[0] == "203.0.113.7"
    assert client_address(scope("::ffff:203.0.113.9")) == "203.0.113.9"


def test_no_peer_no_rewrite() -> None:
    assert rewritten(None, ("X-Forwarded-For", "203.0.113.7")) == (None, "http")


def test_parse_networks() -> None:
    assert parse_networks(" 10.0.0.0/8 ,, ::1 ") == (
        ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"))
    assert parse_networks("10.1.2.3/8") == (ipaddress.ip_network("10.0.0.0/8"),)
    with pytest.raises(ValueError, match=r"'proxy\.internal' is not an IP address"):
        parse_networks("10.0.0.0/8,proxy.internal")


@given(st.lists(st.ip_addresses(v=4).map(str), max_size=6), st.ip_addresses(v=4).map(str))
def test_the_client_is_never_a_trusted_hop_unless_all_are(chain: list[str], peer: str) -> None:
    s = scope(peer, ("X-Forwarded-For", ", ".join(chain)))
    PROXIES.rewrite(s)
    client = ipaddress.ip_address(client_address(s) or "")
    hops = [peer, *reversed(chain)]
    if not PROXIES.trusts(ipaddress.ip_address(peer)):
        assert str(client) == peer
    elif any(not PROXIES.trusts(ipaddress.ip_address(h)) for h in hops):
        first_untrusted = next(h for h in hops if not PROXIES.trusts(ipaddress.ip_address(h)))
        assert str(client) == first_untrusted
    else:
        assert str(client) == hops[-1]


async def test_the_middleware_rewrites_http_requests_only() -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(dict(scope))

    async def receive() -> Any:
        return {}

    async def send(message: Any) -> None:
        return None

    middleware = ForwardedHeaders(app, PROXIES)
    await middleware(scope("10.0.0.2", ("X-Forwarded-For", "203.0.113.7")), receive, send)
    await middleware({"type": "lifespan"}, receive, send)
    assert seen[0]["client"] == ("203.0.113.7", 0)
    assert seen[1] == {"type": "lifespan"}
