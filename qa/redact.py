"""Exception text made fit for a user: no absolute paths, no memory addresses, no library internals.

``redact`` is applied wherever an exception's text reaches the chat, the API or an answer's notice; the full
text goes to the log first. A path keeps its last part (``/srv/models/x.gguf`` -> ``x.gguf``), which names the
file without telling where the server keeps it.
"""

from __future__ import annotations

import re

_PATH = re.compile(r"(?<![\w.:/])(?:~|[A-Za-z]:)?[/\\](?:[^\s/\\'\"(),;:]+[/\\])+([^\s/\\'\"(),;:]+)?")
_ADDRESS = re.compile(r"\s*\bat 0x[0-9a-fA-F]+")
_HEX = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
_INTERNAL = re.compile(r"'?\w+'? object has no attribute '?\w+'?|Traceback \(most recent call last\)")


def redact(text: str, limit: int = 400) -> str:
    """``text`` without absolute paths, addresses or Python internals, at most ``limit`` characters."""
    text = _INTERNAL.sub("an internal error", str(text))
    text = _ADDRESS.sub("", text)
    text = _HEX.sub("…", text)
    text = _PATH.sub(lambda m: m.group(1) or "…", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
