"""A real OpenAI-compatible HTTP server for tests: llama.cpp's own server via ``xllamacpp.Server``.

``openai_compatible_server(gguf_path)`` serves the GGUF on 127.0.0.1 (an ephemeral port unless ``port`` is
given), waits until ``GET /v1/models`` answers, yields the base URL ``http://127.0.0.1:N/v1`` and stops the
server on exit by dropping the only reference to it (xllamacpp's destructor joins its main loop), then
checks that the port no longer accepts connections. ``api_key`` makes the server require
``Authorization: Bearer <api_key>`` on the API routes (``/health`` stays open).

``MisbehavingEndpoint`` and ``serve_handler`` are the other kind: a tiny real HTTP server on 127.0.0.1 whose
handler (a subclass) answers like a broken OpenAI-compatible endpoint, for the failure tests.
"""

from __future__ import annotations

import gc
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

STARTUP_TIMEOUT = 60.0
SHUTDOWN_TIMEOUT = 10.0


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_http(url: str, ready, timeout: float, what: str, headers=None, interval: float = 0.1) -> None:
    """Poll ``url`` until ``ready(response)``; RuntimeError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready(httpx.get(url, headers=headers or {}, timeout=2.0)):
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer at {url} within {timeout:.0f} s")
        time.sleep(interval)


@contextmanager
def openai_compatible_server(
    gguf_path: str | Path,
    port: int | None = None,
    *,
    api_key: str = "",
    threads: int = 2,
    n_ctx: int = 2048,
) -> Iterator[str]:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(gguf_path)
    params.hostnames = ["127.0.0.1"]
    params.port = int(port or 0)  # 0: the OS picks a free port, read back from listening_address
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.verbosity = 0
    if api_key:
        params.api_keys = [api_key]
    server = xllamacpp.Server(params)
    address = server.listening_address.rstrip("/")  # e.g. http://127.0.0.1:40123
    bound_port = int(address.rsplit(":", 1)[1])
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        wait_for_http(
            f"{address}/v1/models", lambda r: r.status_code == 200, STARTUP_TIMEOUT, "the llama.cpp server", headers
        )
        yield f"{address}/v1"
    finally:
        del server
        gc.collect()
        deadline = time.monotonic() + SHUTDOWN_TIMEOUT
        while _accepts_connections(bound_port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama.cpp server on port {bound_port} still accepts connections after stop")
            time.sleep(0.1)


class MisbehavingEndpoint(BaseHTTPRequestHandler):
    """Base for handlers that misbehave on purpose; a subclass's ``do_POST`` picks how by the path.
    ``release`` (one Event per subclass) frees handlers that are holding a connection open."""

    release: threading.Event

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.release = threading.Event()

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def _send(self, status: int, ctype: str, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self._write(body)
        except OSError:
            pass

    def _write(self, body: bytes) -> None:
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            pass  # the client gave up (the timeout tests)


@contextmanager
def serve_handler(handler: type[MisbehavingEndpoint], name: str = "misbehaving-endpoint") -> Iterator[str]:
    """Serve ``handler`` on an ephemeral 127.0.0.1 port; yields ``http://127.0.0.1:N``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True, name=name)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        handler.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def served_fixture(handler: type[MisbehavingEndpoint]):
    """A module-scoped pytest fixture: ``handler`` served by ``serve_handler`` for one test module's tests."""
    import pytest

    @pytest.fixture(scope="module")
    def url() -> Iterator[str]:
        # A subclass per server: its own ``release``, so one module's server shutting down frees none of another's.
        with serve_handler(type(handler.__name__, (handler,), {})) as address:
            yield address

    return url
