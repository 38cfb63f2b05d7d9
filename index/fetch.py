"""Fetching pages and feeds from the web, safely: http and https only, a timeout on every step, a size limit,
a content-type check, a bounded number of redirects (each one checked again), one request at a time with a
clear User-Agent, and no loopback, private, link-local or otherwise internal address, checked after DNS
resolution (the connection goes to the address that was checked) unless the policy allows that network."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from index.errors import UserError

USER_AGENT = "newsdesk-qa/0.1 (article fetcher; one request at a time)"
REDIRECTS = (301, 302, 303, 307, 308)
HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml")


class FetchError(UserError, RuntimeError):
    """A URL that was not fetched; the message says why, naming the URL."""


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float = 20.0  # seconds for connecting, and for the whole response
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    delay: float = 1.0  # seconds between two requests (politeness)
    allowed_networks: tuple[str, ...] = ()  # internal networks a setting allows ("127.0.0.1", "10.0.0.0/8")
    user_agent: str = USER_AGENT

    @classmethod
    def from_settings(cls, settings) -> FetchPolicy:
        """The policy ``QA_FETCH_*`` describe."""
        return cls(
            timeout=settings.fetch_timeout,
            max_bytes=settings.fetch_max_bytes,
            delay=settings.fetch_delay,
            allowed_networks=settings.fetch_networks(),
        )

    def allows(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address in ipaddress.ip_network(net, strict=False) for net in self.allowed_networks)


@dataclass(frozen=True)
class Fetched:
    url: str  # the URL asked for
    final_url: str  # after redirects
    content_type: str  # media type, lower case, without parameters
    charset: str
    body: bytes


def internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private, link-local (169.254.169.254, the cloud metadata service), multicast, reserved or
    unspecified: not the public web."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


class Fetcher:
    """Fetches one URL at a time under a ``FetchPolicy``; ``resolve`` maps a host name to its addresses."""

    def __init__(self, policy: FetchPolicy, resolve=None):
        self.policy = policy
        self._resolve = resolve or _resolve
        self._lock = threading.Lock()
        self._last = 0.0

    def fetch(self, url: str, accept: tuple[str, ...] = HTML_TYPES + FEED_TYPES) -> Fetched:
        with self._lock:  # one request at a time, ``delay`` apart
            wait = self._last + self.policy.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                return self._follow(url, accept)
            finally:
                self._last = time.monotonic()

    def _follow(self, url: str, accept: tuple[str, ...]) -> Fetched:
        seen = []
        current = url
        deadline = time.monotonic() + self.policy.timeout
        while True:
            if current in seen:
                raise FetchError(f"{url}: redirect loop ({' -> '.join([*seen, current])})")
            seen.append(current)
            try:
                status, headers, response, connection = self._request(current, deadline)
            except FetchError as exc:
                if current == url:
                    raise
                raise FetchError(f"{url}: redirected to {exc}") from None
            try:
                if status in REDIRECTS:
                    location = headers.get("location")
                    if not location:
                        raise FetchError(f"{url}: redirect ({status}) without a Location")
                    if len(seen) > self.policy.max_redirects:
                        raise FetchError(f"{url}: more than {self.policy.max_redirects} redirects")
                    current = urljoin(current, location.strip())
                    continue
                if status != 200:
                    raise FetchError(f"{url}: the server answered {status} {response.reason}".rstrip())
                media, charset = _content_type(headers.get("content-type", ""))
                if media not in accept:
                    raise FetchError(f"{url}: content type {media or 'missing'} is not a web page or feed")
                body = self._read(url, headers, response, deadline)
                return Fetched(url, current, media, charset, body)
            finally:
                connection.close()

    def _request(self, url: str, deadline: float):
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError(f"{url}: only http and https links are fetched, not {scheme or 'a bare path'}")
        if not parts.hostname:
            raise FetchError(f"{url}: no host name")
        if parts.username or parts.password:
            raise FetchError(f"{url}: links with a user name or password are not fetched")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise FetchError(f"{url}: bad port") from None
        address = self._address(url, parts.hostname, port)
        timeout = max(0.1, min(self.policy.timeout, deadline - time.monotonic()))
        if scheme == "https":
            connection = _PinnedHTTPS(parts.hostname, port, address, timeout)
        else:
            connection = _PinnedHTTP(parts.hostname, port, address, timeout)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            connection.request(
                "GET", path, headers={"User-Agent": self.policy.user_agent, "Accept": "*/*", "Connection": "close"}
            )
            response = connection.getresponse()
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            connection.close()
            raise FetchError(f"{url}: cannot fetch ({type(exc).__name__}: {exc})") from None
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, headers, response, connection

    def _address(self, url: str, host: str, port: int) -> str:
        """The one address to connect to: every address the name resolves to must be public or allowed."""
        try:
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in self._resolve(host, port)]
        except (OSError, ValueError) as exc:
            raise FetchError(f"{url}: cannot resolve {host} ({exc})") from None
        if not addresses:
            raise FetchError(f"{url}: {host} has no address")
        for address in addresses:
            if internal(address) and not self.policy.allows(address):
                where = f"{address} is" if host.strip("[]") == str(address) else f"{host} resolves to {address},"
                raise FetchError(
                    f"{url}: {where} a loopback, private or link-local address; such addresses are not fetched "
                    "unless QA_FETCH_ALLOW names them"
                )
        return str(addresses[0])

    def _read(self, url: str, headers: dict, response, deadline: float) -> bytes:
        limit = self.policy.max_bytes
        declared = headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"{url}: the response is {int(declared):,} bytes, over the {limit:,}-byte limit")
        chunks, size = [], 0
        while True:
            if time.monotonic() > deadline:
                raise FetchError(f"{url}: timed out after {self.policy.timeout:g} s")
            try:
                chunk = response.read1(65536)
            except (OSError, http.client.HTTPException) as exc:
                raise FetchError(f"{url}: the download failed ({type(exc).__name__}: {exc})") from None
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise FetchError(f"{url}: the response is over the {limit:,}-byte limit")
            chunks.append(chunk)


def _content_type(value: str) -> tuple[str, str]:
    media, _, params = value.partition(";")
    charset = ""
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip('"').lower()
    return media.strip().lower(), charset


def _resolve(host: str, port: int) -> list[str]:
    return list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address, not to whatever the host name resolves to by then."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
