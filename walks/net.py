"""Every outbound HTTP request goes through `request()` here (Open311 to recipients, later webhooks).

A recipient's address is typed by a coordinator, so the server must not become a way into its own
network: only http(s); the host must resolve to public addresses only (every address it resolves
to, IPv4 and IPv6), unless it is on OUTBOUND_ALLOWED_HOSTS or is the app's own PUBLIC_BASE_URL
host; the connection goes to the address that was checked (a second DNS answer cannot switch it:
no DNS rebinding), with the host name kept for the Host header, TLS SNI and the certificate check;
redirects are followed by hand and checked the same way; every request has timeouts; proxies from
the environment are not used.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from flask import current_app
from flask_babel import lazy_gettext as _l
from requests.adapters import HTTPAdapter

DEFAULT_TIMEOUT = (5, 20)  # connect, read (seconds)
MAX_REDIRECTS = 3
REDIRECT_CODES = {301, 302, 303, 307, 308}


class OutboundRefused(ValueError):
    """The address may not be contacted; str(error) says why, for a person."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (an IP address) and the host name it was given as."""
    url: str
    hostname: str
    address: str
    port: int


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        return _forbidden(mapped)
    return (address.is_loopback or address.is_private or address.is_link_local or address.is_reserved
            or address.is_multicast or address.is_unspecified or not address.is_global)


def allowed_hosts(config) -> set[str]:
    hosts = {h.strip().lower() for h in config.get("OUTBOUND_ALLOWED_HOSTS") or () if h.strip()}
    own = urlsplit(config.get("PUBLIC_BASE_URL") or "").hostname
    if own:
        hosts.add(own.lower())  # the app's own address: the demo's Open311 recipient is the app itself
    return hosts


def check_url(url: str, allowed: set[str] = frozenset(), resolve=socket.getaddrinfo,
              must_resolve: bool = True) -> Target | None:
    """The checked target of an http(s) URL, or OutboundRefused with a message a person understands.

    With must_resolve=False (saving an address typed in a form) a host name that cannot be found now
    passes (None): it is checked again when something is sent there.
    """
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise OutboundRefused(_l("“%(url)s” is not a valid web address.", url=url)) from None
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused(_l("Only http:// and https:// addresses can be used, not “%(url)s”.", url=url))
    hostname = (parts.hostname or "").lower()
    if not hostname or parts.username is not None or parts.password is not None:
        raise OutboundRefused(_l("“%(url)s” is not a valid web address.", url=url))
    try:
        infos = resolve(hostname, port, type=socket.SOCK_STREAM)
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    except (OSError, UnicodeError, ValueError):
        addresses = []
    if not addresses:
        if not must_resolve:
            return None
        raise OutboundRefused(_l("The host “%(host)s” could not be found.", host=hostname))
    if hostname not in allowed:
        bad = [str(a) for a in addresses if _forbidden(a)]
        if bad:
            raise OutboundRefused(_l(
                "“%(host)s” is an internal address (%(address)s): the server does not send there.",
                host=hostname, address=bad[0]))
    return Target(url=urlunsplit(parts), hostname=hostname, address=str(addresses[0]), port=port)


class _PinnedAdapter(HTTPAdapter):
    """Connects to the checked address; TLS still speaks to, and verifies, the host name."""

    def __init__(self, hostname: str):
        self._hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs["server_hostname"] = self._hostname
        pool_kwargs["assert_hostname"] = self._hostname
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)


def _send(target: Target, method: str, timeout, headers: dict, **kwargs) -> requests.Response:
    parts = urlsplit(target.url)
    host = f"[{target.address}]" if ":" in target.address else target.address
    pinned = urlunsplit(parts._replace(netloc=f"{host}:{target.port}"))
    default_port = target.port == (443 if parts.scheme == "https" else 80)
    headers = {**headers, "Host": target.hostname if default_port else f"{target.hostname}:{target.port}"}
    with requests.Session() as session:
        session.trust_env = False  # no proxies or .netrc from the environment
        session.mount(f"{parts.scheme}://", _PinnedAdapter(target.hostname))
        return session.request(method, pinned, headers=headers, timeout=timeout, allow_redirects=False, **kwargs)


def request(method: str, url: str, *, timeout=DEFAULT_TIMEOUT, headers: dict | None = None,
            allowed: set[str] | None = None, resolve=socket.getaddrinfo, allow_redirects: bool = True,
            **kwargs) -> requests.Response:
    """Send one request (following up to MAX_REDIRECTS redirects, each checked, unless allow_redirects
    is False); OutboundRefused when an address may not be contacted, requests.RequestException when
    the network fails."""
    if allowed is None:
        allowed = allowed_hosts(current_app.config)
    headers = dict(headers or {})
    for _hop in range(MAX_REDIRECTS + 1):
        target = check_url(url, allowed, resolve)
        response = _send(target, method, timeout or DEFAULT_TIMEOUT, headers, **kwargs)
        redirect = response.status_code in REDIRECT_CODES and "Location" in response.headers
        if not (allow_redirects and redirect):
            return response
        url = urljoin(target.url, response.headers["Location"])
        if response.status_code in (301, 302, 303) and method.upper() != "HEAD":
            method = "GET"
            kwargs.pop("data", None)
            kwargs.pop("json", None)
            kwargs.pop("files", None)
        response.close()
    raise OutboundRefused(_l("Too many redirects from %(url)s.", url=url))


def post(url: str, **kwargs) -> requests.Response:
    return request("POST", url, **kwargs)


def get(url: str, **kwargs) -> requests.Response:
    return request("GET", url, **kwargs)
