"""Bounds on one request to the running app: bytes per upload batch (declared or streamed) and files per upload.

Each request goes over a real socket to the real app (gradio behind ui/bodylimit.py's middleware). Without the
middleware gradio parks any number of files of up to 20 MB each: these tests then fail (200, or no answer while
gradio waits for a body it was promised)."""

from __future__ import annotations

import asyncio
import socket
import threading
from urllib.parse import urlparse

import pytest
from ui_server import running_app

from ui import corpus
from ui.app import BODY_LIMITS
from ui.bodylimit import BodyLimit, BodyLimits

pytestmark = pytest.mark.slow
BOUNDARY = "nqboundary7MA4YWxkTrZu0gW"


def _part(name: str, data: bytes) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    )
    return head.encode() + data + b"\r\n"


def _multipart(files: dict[str, bytes]) -> bytes:
    return b"".join(_part(n, d) for n, d in files.items()) + f"--{BOUNDARY}--\r\n".encode()


def _post(url: str, headers: dict[str, str], chunks, timeout: float = 30.0) -> tuple[int, str, bool]:
    """POST to /gradio_api/upload over a raw socket, sending ``chunks`` while reading the answer in parallel.
    Returns (status, body, whether every chunk was sent before the server stopped reading)."""
    parsed = urlparse(url)
    sock = socket.create_connection((parsed.hostname, parsed.port), timeout=timeout)
    lines = ["POST /gradio_api/upload HTTP/1.1", f"Host: {parsed.netloc}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    sent_all = threading.Event()

    def send_body():
        try:
            for chunk in chunks:
                sock.sendall(chunk)
            sent_all.set()
        except OSError:
            pass  # the server answered and closed: it stopped reading

    sender = threading.Thread(target=send_body, daemon=True)
    sender.start()
    received = b""
    try:
        while b"\r\n\r\n" not in received or len(received.split(b"\r\n\r\n", 1)[1]) < _length(received):
            data = sock.recv(65536)
            if not data:
                break
            received += data
    except TimeoutError:
        pytest.fail(f"no answer within {timeout} s (got {received[:200]!r})")
    finally:
        sender.join(timeout)
        sock.close()
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, body.decode("utf-8", "replace"), sent_all.is_set()


def _length(received: bytes) -> int:
    head = received.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    for line in head.split("\r\n"):
        if line.startswith("content-length:"):
            return int(line.split(":", 1)[1])
    return 1 << 62  # chunked or unknown: read until the server closes


def _chunked(body: bytes, size: int = 256 * 1024):
    for i in range(0, len(body), size):
        piece = body[i : i + size]
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
STORY = b"A short story about the harbour, told in one sentence.\n"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    from qa.settings import Settings

    base = tmp_path_factory.mktemp("bodylimit")
    (base / "corpus").mkdir()
    settings = Settings(corpus_dir=base / "corpus", index_dir=base / "index", data_dir=base / "data")
    with running_app(settings) as url:
        yield url


def test_the_limits_are_the_upload_batch_limits():
    assert BODY_LIMITS.max_files == corpus.MAX_UPLOAD_FILES == 20
    assert corpus.MAX_BATCH_BYTES <= BODY_LIMITS.max_bytes <= corpus.MAX_BATCH_BYTES + 100_000


def test_a_declared_length_over_the_batch_limit_is_refused_before_any_byte_is_read(app_url):
    # the body is never sent: gradio alone would wait for it; the middleware answers from the header
    headers = {**MULTIPART, "Content-Length": str(BODY_LIMITS.max_bytes + 1)}
    status, body, _ = _post(app_url, headers, [], timeout=20)
    assert status == 413 and f"over the limit of {BODY_LIMITS.max_bytes:,} bytes per batch" in body


def test_a_streamed_upload_over_the_batch_limit_is_cut_off(app_url):
    files = {f"big{i}.txt": STORY * (1_900_000 // len(STORY)) for i in range(11)}  # 20.9 MB, 1.9 MB each
    body = _multipart(files)
    assert len(body) > BODY_LIMITS.max_bytes
    status, text, _ = _post(app_url, {**MULTIPART, "Transfer-Encoding": "chunked"}, _chunked(body))
    assert status == 413 and "per batch" in text and "smaller batches" in text


def test_more_files_than_the_limit_in_one_upload_are_refused(app_url):
    many = {f"story{i}.txt": STORY for i in range(corpus.MAX_UPLOAD_FILES + 1)}
    body = _multipart(many)
    status, text, _ = _post(app_url, {**MULTIPART, "Content-Length": str(len(body))}, [body])
    assert status == 413 and f"more than {corpus.MAX_UPLOAD_FILES} files" in text
    status, text, _ = _post(app_url, {**MULTIPART, "Transfer-Encoding": "chunked"}, _chunked(body, 100))
    assert status == 413 and f"more than {corpus.MAX_UPLOAD_FILES} files" in text


def test_an_upload_within_the_limits_is_accepted(app_url):
    body = _multipart({f"story{i}.txt": STORY for i in range(corpus.MAX_UPLOAD_FILES)})
    status, text, _ = _post(app_url, {**MULTIPART, "Content-Length": str(len(body))}, [body])
    assert status == 200 and text.count("story") == corpus.MAX_UPLOAD_FILES


def test_gradio_refuses_one_file_over_the_per_file_limit(app_url):
    body = _multipart({"big.pdf": b"x" * (corpus.MAX_PDF_BYTES + 1)})  # the largest file the app takes: a PDF
    status, text, _ = _post(app_url, {**MULTIPART, "Content-Length": str(len(body))}, [body])
    assert status == 413 and "maximum allowed size" in text


def test_the_middleware_stops_reading_at_the_limit():
    """Logic on a fake ASGI app: the inner app sees no byte past the limit and is told the client has gone."""
    seen = {"bytes": 0, "last": None}

    async def inner(scope, receive, send):
        while True:
            message = await receive()
            seen["last"] = message["type"]
            if message["type"] != "http.request":
                return
            seen["bytes"] += len(message.get("body", b""))
            if not message.get("more_body"):
                await send({"type": "http.response.start", "status": 200, "headers": []})
                await send({"type": "http.response.body", "body": b"ok"})
                return

    sent_chunks = []

    async def receive():
        sent_chunks.append(1)
        return {"type": "http.request", "body": b"x" * 1000, "more_body": len(sent_chunks) < 50}

    answers = []

    async def send(message):
        answers.append(message)

    middleware = BodyLimit(inner, BodyLimits(max_bytes=10_500, max_files=3))
    scope = {"type": "http", "method": "POST", "path": "/gradio_api/upload", "headers": []}
    asyncio.run(middleware(scope, receive, send))
    assert seen == {"bytes": 10_000, "last": "http.disconnect"} and len(sent_chunks) == 11
    assert answers[0]["status"] == 413 and b"10,500 bytes per batch" in answers[1]["body"]
