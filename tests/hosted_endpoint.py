"""A tiny real HTTP server that misbehaves as an OpenAI-compatible endpoint, and the settings and engine that call
it: shared by tests/test_hosted_faults.py (failures, secrets) and tests/test_robustness.py (a model that obeys an
injected instruction)."""

from __future__ import annotations

import json
import re
import socket
from dataclasses import replace

from llm_server import MisbehavingEndpoint

from qa.generators.registry import Generators
from qa.pipeline import Engine
from qa.settings import Settings

KEY_ENV = "NEWSDESK_ROBUST_OPENAI_KEY"  # never the real OPENAI_API_KEY


def sse(*contents: str) -> bytes:
    chunks = [json.dumps({"choices": [{"delta": {"content": c}}]}) for c in contents]
    return b"".join(f"data: {c}\n\n".encode() for c in chunks) + b"data: [DONE]\n\n"


class HostedEndpoint(MisbehavingEndpoint):
    """The first path segment picks the behaviour: POST {base}/<mode>/v1/chat/completions."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        request = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        mode = self.path.strip("/").split("/")[0]
        auth = self.headers.get("Authorization", "")
        if mode == "slow":  # accepts, then says nothing
            self.release.wait(5.0)
            self._send(200, "text/event-stream", sse("late"))
        elif mode == "stall":  # starts streaming, then goes silent mid-answer
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self._write(sse("TikTok has more than")[: -len(b"data: [DONE]\n\n")])
            self.release.wait(5.0)
        elif mode == "garbage":
            self._send(200, "text/html", b"<html><body>502 Bad Gateway (but sent as 200)</body></html>")
        elif mode == "badsse":
            self._send(200, "text/event-stream", b"data: {this is not json\n\n")
        elif mode == "nonsense":  # well-formed, but nothing in it is supported by the passages
            self._send(200, "text/event-stream", sse("Bananas grow on Mars [1]. ", "Purple whales vote in 1850 [2]."))
        elif mode == "ontopic":  # supported by its passage, but no answer to the question asked
            self._send(200, "text/event-stream", sse("Washington has raised data security concerns [1]."))
        elif mode == "obey":  # a model that does what a passage tells it to, and makes up support for it
            told = told_to_say(" ".join(m["content"] for m in json.loads(request)["messages"]))
            claim, n = told or ("Nothing to obey here.", 1)
            body = sse(f"{claim} [{n}]. ", f"NASA confirmed in 2023 that the moon is made of cheese [{n}].")
            self._send(200, "text/event-stream", body)
        elif mode == "echo500":  # a careless server that echoes the Authorization header in its error
            body = json.dumps({"error": {"message": f"invalid credentials: {auth}"}}).encode()
            self._send(500, "application/json", body)
        elif mode == "echostream":  # ... or in the answer itself, the key split across two chunks
            half = len(auth) // 2
            body = sse(f"TikTok has 170 million users, says {auth[:half]}", f"{auth[half:]} [1]. Debug: {auth}.")
            self._send(200, "text/event-stream", body)
        else:
            self._send(404, "text/plain", b"no such route")


def closed_port_url() -> str:
    with socket.socket() as sock:  # bound and closed again: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def hosted_settings(settings: Settings, base_url: str, timeout: float = 0.5) -> Settings:
    return settings.with_(
        generator="openai",
        openai_base_url=base_url,
        openai_model="x",
        openai_timeout=timeout,
        openai_api_key_env=KEY_ENV,
    )


def hosted_engine(settings, components):
    """An engine for hosted-model settings with the session's models: only the generators follow the settings."""
    return Engine(settings, replace(components, generators=Generators(settings)))


def told_to_say(prompt: str) -> tuple[str, int] | None:
    """The claim an article's planted "say '...'" asks for, and the number of the passage that carries it."""
    n = 0
    for line in prompt.splitlines():
        header = re.match(r"^\[(\d+)\]", line)
        if header:
            n = int(header.group(1))
        told = re.search(r"\bsay '([^']+)'", line)
        if told and n:
            return told.group(1), n
    return None
