"""Thumbs up and down on answers, appended one JSON line each to ``feedback.jsonl`` in the data folder."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import gradio as gr

from qa.settings import Settings


class FeedbackLog:
    """The chatbot's like/dislike handler, bound to one Settings (its data folder and default top_k)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()

    def feedback(self, turns: list[dict] | None, generator: str, top_k: float, data: gr.LikeData) -> None:
        """Append one thumbs up/down to data_dir/feedback.jsonl."""
        turns = list(turns or [])
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn_index = int(index) // 2
        if not 0 <= turn_index < len(turns):
            return
        turn = turns[turn_index]
        answer = turn.get("answer") or {}
        value = {True: "up", False: "down"}.get(data.liked, str(data.liked) or "cleared")
        record = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "feedback": value,
            "question": turn["question"],
            "standalone_question": answer.get("standalone_question", ""),
            "answer": answer.get("text", ""),
            "error": turn.get("error", ""),
            "abstained": answer.get("abstained"),
            "citations": [
                {k: c[k] for k in ("n", "article_id", "start", "end", "quote")} for c in answer.get("citations", [])
            ],
            "generator": answer.get("generator", generator),
            "top_k": int(top_k or self.settings.top_k),
        }
        path = Path(self.settings.data_dir) / "feedback.jsonl"
        try:
            with self._lock:
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        except OSError as exc:
            gr.Warning(f"Could not save the feedback: {exc.strerror}", duration=6)
            return
        gr.Info("Thanks, your feedback was saved.", duration=3)
