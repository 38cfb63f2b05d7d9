"""Bounds on what one request may send, enforced before gradio reads it: bytes per request and files per upload.

gradio pins one file's size (``max_file_size``) but not a batch: ``/gradio_api/upload`` took 20 x 1.9 MB in 0.4 s
and would take any number of files. ``BodyLimit`` is an ASGI middleware in front of gradio that answers 413 with
a plain sentence when

* a request declares a ``Content-Length`` over ``max_bytes`` (nothing of the body is read), or
* a body without ``Content-Length`` (chunked) passes ``max_bytes`` while it streams in: the count stops there,
  the inner app is told the client went away, and the rest is never read, or
* a multipart body (an upload) holds more than ``max_files`` parts, counted from its boundary as it streams.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger("ui.bodylimit")


@dataclass(frozen=True)
class BodyLimits:
    max_bytes: int  # one request's body, all files of an upload together with their multipart framing
    max_files: int  # parts of one multipart body

    def too_large(self, size: int) -> str:
        return (
            f"The upload is over the limit of {self.max_bytes:,} bytes per batch ({size:,} bytes or more); "
            "upload the files in smaller batches."
        )

    def too_many(self) -> str:
        return f"The upload has more than {self.max_files} files; upload at most {self.max_files} at a time."


class _PartCounter:
    """Counts multipart parts (``--boundary`` followed by CRLF) across the chunks of a streamed body."""

    def __init__(self, boundary: bytes):
        self.delimiter = b"--" + boundary + b"\r\n"
        self.tail = b""
        self.parts = 0

    def feed(self, chunk: bytes) -> int:
        data = self.tail + chunk
        self.parts += data.count(self.delimiter)
        keep = len(self.delimiter) - 1
        self.tail = data[-keep:]  # shorter than a delimiter: a delimiter is never counted twice
        return self.parts


def _boundary(content_type: str) -> bytes:
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "multipart/form-data":
        return b""
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "boundary":
            return value.strip().strip('"').encode("latin-1")
    return b""


class BodyLimit:
    """ASGI middleware: 413 for a body over ``limits.max_bytes`` or a multipart body of more than
    ``limits.max_files`` parts (see the module's docstring)."""

    def __init__(self, app, limits: BodyLimits):
        self.app = app
        self.limits = limits

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                return await _refuse(send, 400, "The Content-Length header is not a number.")
            if size > self.limits.max_bytes:
                log.warning("refused a %d-byte request to %s", size, scope.get("path"))
                return await _refuse(send, 413, self.limits.too_large(size))
        boundary = _boundary(headers.get(b"content-type", b"").decode("latin-1"))
        counter = _PartCounter(boundary) if boundary else None
        state = {"received": 0, "refused": "", "started": False}

        async def limited_receive():
            if state["refused"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                state["received"] += len(chunk)
                if state["received"] > self.limits.max_bytes:
                    state["refused"] = self.limits.too_large(state["received"])
                elif counter is not None and counter.feed(chunk) > self.limits.max_files:
                    state["refused"] = self.limits.too_many()
                if state["refused"]:  # the rest is never read: to the app, the client has gone
                    log.warning("refused a request to %s: %s", scope.get("path"), state["refused"])
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            if state["refused"]:
                return  # we answer instead; whatever the app says after the cut is dropped
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not state["refused"]:
                raise  # the app's own failure; ours (a cut-off body) is answered below
        if state["refused"] and not state["started"]:
            await _refuse(send, 413, state["refused"])


async def _refuse(send, status: int, message: str) -> None:
    body = message.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
