"""Drafts from any OpenAI-compatible chat endpoint (OpenAI, llama.cpp's server, vLLM, Ollama, ...).

``settings.openai_base_url`` is the API root *including* the version path, as in the OpenAI SDK:
``https://api.openai.com/v1`` or ``http://127.0.0.1:8080/v1``. We POST to ``{base_url}/chat/completions``
and never add or remove ``/v1`` ourselves (a 404 error message hints at it). A trailing slash is fine.

The request is ``model=settings.openai_model``, the messages from ``build_messages``, ``temperature=0``,
``max_tokens=MAX_TOKENS`` and ``stream=True``; the reply is read as server-sent events (``data: {json}``
lines, ``data: [DONE]`` at the end, ``:`` comment lines ignored). A server that ignores ``stream`` and
answers with one JSON ``chat.completion`` body is accepted too. ``Authorization: Bearer <key>`` is sent
only when the variable named by ``settings.openai_api_key_env`` is non-empty.

``settings.openai_timeout`` applies to connecting and to each read (the wait for the next chunk), so a
server that streams steadily is not cut off while one that goes silent is.

Every failure raises ``GeneratorError`` naming the base URL and the problem. The key is never part of a
message: errors are built from our own text plus the server's reply with any occurrence of the key
masked, and httpx exceptions are not chained (their repr could carry request details).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx

from qa.generators.prompt import build_messages
from qa.generators.registry import GeneratorError

if TYPE_CHECKING:
    from qa.settings import Settings
    from qa.types import ScoredPassage

MAX_TOKENS = 200
MAX_TIMEOUT = 86_400.0  # httpx/select overflow on huge timeouts and refuse NaN or negative ones
_SNIPPET = 200  # characters of a bad reply quoted in an error


class OpenAIGenerator:
    name = "openai"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base_url = settings.openai_base_url.strip().rstrip("/")
        self.model = settings.openai_model
        self.timeout = float(settings.openai_timeout)

    # -- helpers -----------------------------------------------------------------------------------------

    def _headers(self, key: str, accept: str) -> dict[str, str]:
        headers = {"Accept": accept}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _check_timeout(self) -> None:
        if not 0 < self.timeout <= MAX_TIMEOUT:  # also False for NaN
            raise GeneratorError(
                f"QA_OPENAI_TIMEOUT must be a number of seconds above 0 and at most {MAX_TIMEOUT:,.0f}, "
                f"not {self.timeout:g}"
            )

    def _fail(self, problem: str, key: str) -> GeneratorError:
        message = f"OpenAI-compatible endpoint {self.base_url}: {problem}"
        if key:
            message = message.replace(key, "***")
        return GeneratorError(message)

    def _transport_problem(self, exc: httpx.HTTPError | httpx.InvalidURL) -> str:
        if isinstance(exc, httpx.TimeoutException):
            kind = {
                httpx.ConnectTimeout: "connecting",
                httpx.ReadTimeout: "waiting for the reply",
                httpx.WriteTimeout: "sending the request",
                httpx.PoolTimeout: "waiting for a connection",
            }.get(type(exc), "talking to the server")
            return f"timed out after {self.timeout:g} s {kind} (QA_OPENAI_TIMEOUT)"
        if isinstance(exc, httpx.ConnectError):
            return f"cannot connect ({exc or 'connection failed'}); is the server running?"
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return "the base URL is not a valid http(s) URL"
        if isinstance(exc, httpx.RemoteProtocolError):
            return f"the server broke the connection or the HTTP protocol ({exc})"
        return f"request failed ({type(exc).__name__}: {exc})"

    @staticmethod
    def _status_problem(response: httpx.Response, body: str) -> str:
        detail = body.strip()
        try:
            err = json.loads(detail).get("error")
            if isinstance(err, dict) and err.get("message"):
                detail = str(err["message"])
            elif isinstance(err, str):
                detail = err
        except (ValueError, AttributeError):
            pass
        problem = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
        if response.status_code in (401, 403):
            problem += " (check the API key in the variable named by QA_OPENAI_API_KEY_ENV)"
        elif response.status_code == 404:
            problem += " (the base URL should include the version path, e.g. .../v1)"
        return f"{problem}: {detail[:_SNIPPET]}" if detail else problem

    # -- API ---------------------------------------------------------------------------------------------

    def draft(self, question: str, passages: list[ScoredPassage], hint: str = "") -> Iterator[str]:
        if not self.base_url or not self.model:
            raise GeneratorError("the openai generator needs QA_OPENAI_BASE_URL and QA_OPENAI_MODEL")
        self._check_timeout()
        key = self.settings.api_key()
        payload = {
            "model": self.model,
            "messages": build_messages(question, passages, hint=hint),
            "temperature": 0,
            "max_tokens": MAX_TOKENS,
            "stream": True,
        }
        produced = False
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
                with client.stream(
                    "POST",
                    f"{self.base_url}/chat/completions",
                    json=payload,
                    headers=self._headers(key, "text/event-stream"),
                ) as response:
                    if response.status_code != 200:
                        body = response.read().decode("utf-8", "replace")
                        raise self._fail(self._status_problem(response, body), key)
                    ctype = response.headers.get("content-type", "")
                    if "text/event-stream" in ctype:
                        pieces = self._sse_pieces(response, key)
                    else:
                        pieces = self._json_pieces(response, key, ctype)
                    for piece in _masked(pieces, key):
                        produced = produced or bool(piece.strip())
                        yield piece
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self._fail(self._transport_problem(exc), key) from None
        if not produced:
            raise self._fail(f"the model {self.model!r} returned an empty answer", key)

    def _sse_pieces(self, response: httpx.Response, key: str) -> Iterator[str]:
        for raw in response.iter_lines():
            line = raw.strip()
            if not line or line.startswith(":"):
                continue  # event separator or SSE comment / keep-alive
            field, _, value = line.partition(":")
            if field in ("event", "id", "retry"):
                continue
            if field != "data":
                raise self._fail(f"malformed event stream: unexpected line {line[:_SNIPPET]!r}", key)
            data = value.strip()
            if data == "[DONE]":
                return
            try:
                chunk = json.loads(data)
            except ValueError:
                raise self._fail(f"malformed event stream: data is not JSON: {data[:_SNIPPET]!r}", key) from None
            yield from self._chunk_text(chunk, key, "delta")

    def _json_pieces(self, response: httpx.Response, key: str, ctype: str) -> Iterator[str]:
        body = response.read().decode("utf-8", "replace")
        try:
            reply = json.loads(body)
        except ValueError:
            shown = ctype or "no content type"
            snippet = body.strip()[:_SNIPPET]
            raise self._fail(
                f"malformed reply: expected an event stream or JSON, got {shown}: {snippet!r}", key
            ) from None
        yield from self._chunk_text(reply, key, "message")

    def _chunk_text(self, chunk: object, key: str, field: str) -> Iterator[str]:
        if not isinstance(chunk, dict):
            raise self._fail(f"malformed reply: expected a JSON object, got {str(chunk)[:_SNIPPET]!r}", key)
        if chunk.get("error"):
            err = chunk["error"]
            message = err.get("message", err) if isinstance(err, dict) else err
            raise self._fail(f"the server reported an error: {str(message)[:_SNIPPET]}", key)
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            raise self._fail(f"malformed reply: no 'choices' list in {json.dumps(chunk)[:_SNIPPET]}", key)
        for choice in choices:
            part = choice.get(field) if isinstance(choice, dict) else None
            text = part.get("content") if isinstance(part, dict) else None
            if isinstance(text, str) and text:
                yield text

    def list_models(self) -> list[str]:
        """Model ids from ``GET {base_url}/models``."""
        self._check_timeout()
        key = self.settings.api_key()
        try:
            response = httpx.get(
                f"{self.base_url}/models",
                headers=self._headers(key, "application/json"),
                timeout=self.timeout,
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self._fail(self._transport_problem(exc), key) from None
        if response.status_code != 200:
            raise self._fail(self._status_problem(response, response.text), key)
        try:
            data = response.json()["data"]
            return [str(m["id"]) for m in data]
        except (ValueError, KeyError, TypeError):
            raise self._fail(f"malformed /models reply: {response.text.strip()[:_SNIPPET]!r}", key) from None


def _masked(pieces: Iterator[str], key: str) -> Iterator[str]:
    """``pieces`` with every occurrence of ``key`` replaced by ``***``, even one split across pieces (a
    server that echoes the Authorization header into the answer): the last ``len(key) - 1`` characters
    are held back until the next piece shows they do not start the key."""
    if not key:
        yield from pieces
        return
    pending = ""
    for piece in pieces:
        pending = (pending + piece).replace(key, "***")
        safe = len(pending) - (len(key) - 1)
        if safe > 0:
            yield pending[:safe]
            pending = pending[safe:]
    if pending:
        yield pending
