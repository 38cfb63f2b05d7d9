"""The conversations one browser keeps. They live in that browser's localStorage (gradio's BrowserState, encrypted
with a key kept in the data folder), so a reload keeps them and no other browser can see them; the server stores
none. What comes back from a browser is untrusted: ``cleaned`` keeps only well-formed conversations, within bounds."""

from __future__ import annotations

import contextlib
import os
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path

from ui.text import one_line

MAX_CONVERSATIONS = 30  # the most recent ones are kept
MAX_TURNS = 30  # per conversation (the chat keeps the same number)
TITLE_CHARS = 60


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def title_of(turns: list[dict]) -> str:
    """The first question, cut at a word boundary."""
    first = next((t["question"] for t in turns if t.get("question")), "")
    return one_line(first, TITLE_CHARS, ellipsis_within=False) or "New conversation"


def _turn_ok(turn: object) -> bool:
    return (
        isinstance(turn, dict)
        and isinstance(turn.get("question"), str)
        and (turn.get("answer") is None or isinstance(turn.get("answer"), dict))
        and isinstance(turn.get("error", ""), str)
    )


def cleaned(store: object) -> list[dict]:
    """The well-formed conversations of ``store`` (newest first as stored), at most MAX_CONVERSATIONS, each with at
    most MAX_TURNS turns; anything else is dropped."""
    if not isinstance(store, list):
        return []
    out = []
    for item in store:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("turns"), list):
            continue
        turns = [t for t in item["turns"] if _turn_ok(t)][-MAX_TURNS:]
        if not turns:
            continue
        updated = item.get("updated") if isinstance(item.get("updated"), str) else ""
        out.append({"id": item["id"][:40], "title": title_of(turns), "updated": updated, "turns": turns})
        if len(out) == MAX_CONVERSATIONS:
            break
    return out


def saved(store: object, conversation_id: str, turns: list[dict], now: datetime | None = None) -> list[dict]:
    """``store`` with ``turns`` saved as ``conversation_id``, moved to the front (the most recent)."""
    turns = [t for t in turns if _turn_ok(t)][-MAX_TURNS:]
    rest = [c for c in cleaned(store) if c["id"] != conversation_id]
    if not turns:
        return rest
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    entry = {"id": conversation_id, "title": title_of(turns), "updated": stamp, "turns": turns}
    return [entry, *rest][:MAX_CONVERSATIONS]


def removed(store: object, conversation_id: str) -> list[dict]:
    return [c for c in cleaned(store) if c["id"] != conversation_id]


def find(store: object, conversation_id: str) -> dict | None:
    return next((c for c in cleaned(store) if c["id"] == conversation_id), None)


def choices(store: object) -> list[tuple[str, str]]:
    """(label, id) for a list of the conversations, newest first."""
    out = []
    for c in cleaned(store):
        when = c["updated"][:16].replace("T", " ")
        out.append((f"{c['title']} · {when}" if when else c["title"], c["id"]))
    return out


def browser_secret(data_dir: Path) -> str:
    """The key the browsers' stored conversations are encrypted with: kept in ``data_dir`` so a restarted server
    can still read them; a fresh random one (conversations last until the server restarts) if it cannot be kept."""
    path = Path(data_dir) / "browser-state.key"
    try:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
    except (OSError, UnicodeDecodeError):
        pass
    key = secrets.token_hex(24)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key)
        try:
            os.link(temporary, path)  # atomic, and never over another process's key
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()  # another process made it first
    except OSError:
        pass  # not writable: this run's key
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
    return key
