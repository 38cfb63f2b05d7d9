"""Bounds on the chat history a caller sends with a question, checked at every entry point.

``Engine.stream`` checks the history it is given; the API and ``qa ask --history FILE`` parse their JSON
with the same rules first, so every caller gets the same one-line message. Without a bound, the rewrite
of a follow-up borrows the last user turn whole: a 4 MB turn took 41 s and was echoed back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from index.errors import UserError

ROLES = ("user", "assistant")


class HistoryError(UserError):
    """The history cannot be used as sent; the message says what is wrong and what is allowed."""


@dataclass(frozen=True)
class HistoryLimits:
    turns: int = 40  # messages, user and assistant together
    user_chars: int = 2_000  # as long as a question may be
    assistant_chars: int = 20_000
    total_chars: int = 100_000
    file_bytes: int = 1_000_000  # a --history file


LIMITS = HistoryLimits()


def check_history(history: object, limits: HistoryLimits = LIMITS) -> list[dict]:
    """``history`` as a list of {"role", "content"} dicts, or HistoryError saying what is wrong with it."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise HistoryError('the history must be a list of {"role": "user" or "assistant", "content": "..."} objects')
    if len(history) > limits.turns:
        raise HistoryError(f"the history has {len(history):,} turns; send at most the last {limits.turns}")
    total = 0
    clean = []
    for number, turn in enumerate(history, start=1):
        if not isinstance(turn, dict) or not isinstance(turn.get("content"), str):
            raise HistoryError(f'history turn {number} must be an object with a text "content"')
        role = turn.get("role")
        if role not in ROLES:
            raise HistoryError(f'history turn {number} has the role {str(role)[:20]!r}; use "user" or "assistant"')
        content = turn["content"]
        limit = limits.user_chars if role == "user" else limits.assistant_chars
        if len(content) > limit:
            raise HistoryError(
                f"history turn {number} ({role}) is {len(content):,} characters long; the limit is {limit:,}"
            )
        total += len(content)
        if total > limits.total_chars:
            raise HistoryError(f"the history is over {limits.total_chars:,} characters; send fewer or shorter turns")
        clean.append({"role": role, "content": content})
    return clean


def parse_history_json(text: str, limits: HistoryLimits = LIMITS) -> list[dict]:
    """The API's ``history_json`` (empty means no history)."""
    if not text or not text.strip():
        return []
    if len(text) > limits.file_bytes:
        raise HistoryError(f"the history is {len(text):,} characters of JSON; the limit is {limits.file_bytes:,}")
    try:
        history = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HistoryError(f"the history is not valid JSON ({exc.msg} at position {exc.pos})") from None
    return check_history(history, limits)


def load_history_file(path: str | Path, limits: HistoryLimits = LIMITS) -> list[dict]:
    """``qa ask --history FILE``: the file's turns, or HistoryError naming the file and the problem."""
    shown = str(path)  # as the user typed it
    path = Path(path)
    try:
        if path.is_dir():
            raise HistoryError(f"the history file {shown} is a folder; give a JSON file")
        size = path.stat().st_size
        if size > limits.file_bytes:
            raise HistoryError(f"the history file {shown} is {size:,} bytes; the limit is {limits.file_bytes:,}")
        data = path.read_bytes()
    except FileNotFoundError:
        raise HistoryError(f"the history file {shown} does not exist") from None
    except OSError as exc:
        raise HistoryError(f"cannot read the history file {shown} ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HistoryError(f"the history file {shown} is not UTF-8 (invalid byte at offset {exc.start})") from None
    if not text.strip():
        raise HistoryError(f"the history file {shown} is empty; give a JSON list of turns ([] for none)")
    try:
        return parse_history_json(text, limits)
    except HistoryError as exc:
        raise HistoryError(f"{shown}: {exc}") from None
