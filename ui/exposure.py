"""Who may reach the app: loopback unless a password is set, known Host names only, throttled logins.

``check_exposure`` refuses to serve on anything but loopback without ``QA_AUTH`` (``qa serve --insecure``
overrides it, with a warning). ``Guard`` is an ASGI middleware in front of gradio: a request whose ``Host``
header is not one of the configured names gets 400 (a DNS-rebinding page in the user's browser cannot
talk to the app), and more than ``login_attempts`` POSTs to ``/login`` from one address within
``login_window`` seconds get 429 until the window has passed.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

from qa.settings import Settings, SettingsError

log = logging.getLogger("ui.exposure")
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings, insecure: bool = False) -> None:
    """SettingsError when the app would be reachable from other machines with no password."""
    if is_loopback(settings.host) or settings.auth:
        return
    if not insecure:
        raise SettingsError(
            f"QA_HOST={settings.host} makes the app reachable from other machines, and QA_AUTH is not set: anyone "
            "who reaches the port could read, add and delete articles. Set QA_AUTH=user:password, or run "
            "`qa serve --insecure` to serve it without a password anyway"
        )
    log.warning("serving on %s without a password (--insecure): anyone who reaches the port can change the corpus",
                settings.host)  # fmt: skip


@dataclass(frozen=True)
class Exposure:
    allowed_hosts: frozenset[str]
    login_attempts: int = 5
    login_window: float = 60.0

    @classmethod
    def for_settings(cls, settings: Settings) -> Exposure:
        """The loopback names, the bound host (unless a wildcard) and ``QA_ALLOWED_HOSTS``."""
        names = set(LOOPBACK_NAMES)
        if settings.host not in ("0.0.0.0", "::", ""):
            names.add(settings.host.lower())
        names.update(h.strip().lower() for h in settings.allowed_hosts.split(",") if h.strip())
        return cls(frozenset(names))


def host_name(header: str) -> str:
    """The name in a Host header, without the port ("[::1]:7860" -> "::1")."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Guard:
    """ASGI middleware: the Host check and the login throttle (state: recent login attempts per address)."""

    def __init__(self, app, exposure: Exposure):
        self.app = app
        self.exposure = exposure
        self._attempts: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        host = host_name(headers.get(b"host", b"").decode("latin-1"))
        if host not in self.exposure.allowed_hosts:
            return await _refuse(scope, receive, send, 400, "This host name is not served here (QA_ALLOWED_HOSTS).")
        if scope["type"] == "http" and scope.get("method") == "POST" and scope["path"].rstrip("/").endswith("/login"):
            client = (scope.get("client") or ("?", 0))[0]
            if not self._allow_login(client):
                return await _refuse(scope, receive, send, 429, "Too many sign-in attempts; wait a minute.")
        return await self.app(scope, receive, send)

    def _allow_login(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = self._attempts.setdefault(client, deque())
            while recent and now - recent[0] > self.exposure.login_window:
                recent.popleft()
            if len(recent) >= self.exposure.login_attempts:
                return False
            recent.append(now)
            if len(self._attempts) > 10_000:  # bounded: forget addresses with no recent attempt
                for key in [k for k, v in self._attempts.items() if not v]:
                    del self._attempts[key]
            return True


async def _refuse(scope, receive, send, status: int, message: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = message.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    if status == 429:
        headers.append((b"retry-after", b"60"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
