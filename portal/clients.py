"""Who is asking: the client's address, read through the proxies the clinic trusts.

Behind nginx (or any load balancer) ``REMOTE_ADDR`` is the proxy itself, so every lockout,
rate limit and audit line would name one address for everyone. The proxy appends the
address it received the request from to ``X-Forwarded-For``; only the entries that
trusted proxies appended can be believed, because anything to their left came from the
client and may be made up. ``TRUSTED_PROXIES`` (addresses or networks) names them.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings


@functools.cache
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:51234
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def from_trusted_proxy(request) -> bool:
    """Did `request` come straight from one of the proxies the clinic trusts?"""
    return _trusted(_address(request.META.get("REMOTE_ADDR", "")), _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str | None:
    """The address of the client that sent `request`: ``REMOTE_ADDR`` unless that is a
    trusted proxy, then the right-most ``X-Forwarded-For`` entry not added by a trusted
    proxy. A client that is not a trusted proxy cannot change the answer with the header."""
    if request is None:
        return None
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not _trusted(remote, networks):
        return str(remote) if remote is not None else None
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    client = remote
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage from the client's side: the last good hop is who we know
        client = address
        if not _trusted(address, networks):
            break
    return str(client)
