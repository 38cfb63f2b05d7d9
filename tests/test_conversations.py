"""The logic behind kept conversations and their export (ui/conversations.py, ui/export.py), and the engine's stage
progress (qa/pipeline.py ``stream(progress=True)``) over the real seed engine."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from qa.types import Answer, Progress
from ui import conversations, export

ANSWER = {
    "question": "How many users?",
    "text": "**170 million**: TikTok has more than 170 million American users [1].",
    "citations": [
        {
            "n": 1,
            "article_id": "000_tiktok",
            "title": "Talks in *Madrid*",
            "quote": "TikTok, with more than 170 million American users, ![pix](http://127.0.0.1:9/x.png)",
            "start": 10,
            "end": 90,
        }
    ],
    "abstained": False,
}
REFUSAL = {
    "question": "Who won the match?",
    "text": "The articles don't say.",
    "citations": [],
    "abstained": True,
    "closest": [
        {"n": 1, "article_id": "003_soy", "title": "Soybeans", "quote": "Farmers wait.", "start": 0, "end": 13}
    ],
}


def turn(question: str, answer: dict | None = ANSWER, error: str = "") -> dict:
    return {"question": question, "answer": answer, "error": error}


def test_saving_puts_the_conversation_first_and_keeps_a_bounded_number():
    store: list = []
    for k in range(conversations.MAX_CONVERSATIONS + 3):
        store = conversations.saved(store, f"c{k}", [turn(f"question {k}")], datetime(2026, 12, 7, tzinfo=UTC))
    assert len(store) == conversations.MAX_CONVERSATIONS
    assert store[0]["id"] == f"c{conversations.MAX_CONVERSATIONS + 2}"
    store = conversations.saved(store, "c5", [turn("question 5"), turn("and then?")])
    assert [c["id"] for c in store[:2]] == ["c5", f"c{conversations.MAX_CONVERSATIONS + 2}"]
    assert len(conversations.find(store, "c5")["turns"]) == 2
    assert conversations.removed(store, "c5")[0]["id"] != "c5"
    label, ident = conversations.choices(store)[0]
    assert ident == "c5" and label.startswith("question 5 · ")


def test_what_a_browser_sends_back_is_cleaned():
    too_many_turns = [turn(f"q{k}") for k in range(conversations.MAX_TURNS + 5)]
    store = [
        "not a conversation",
        {"id": 7, "turns": []},
        {"id": "ok", "turns": [turn("fine"), {"question": 3}, {"question": "x", "answer": "not a dict"}]},
        {"id": "long", "title": "<script>", "turns": too_many_turns},
        {"id": "empty", "turns": []},
    ]
    cleaned = conversations.cleaned(store)
    assert [c["id"] for c in cleaned] == ["ok", "long"]
    assert [t["question"] for t in cleaned[0]["turns"]] == ["fine"]
    assert len(cleaned[1]["turns"]) == conversations.MAX_TURNS and cleaned[1]["title"] == "q5"  # title recomputed
    assert conversations.cleaned({"id": "x"}) == [] and conversations.cleaned(None) == []


def test_a_long_first_question_makes_a_short_title():
    title = conversations.title_of([turn("word " * 40)])
    assert title.endswith("…") and len(title) <= conversations.TITLE_CHARS + 1 and "  " not in title


def test_the_browser_key_is_made_once_kept_private_and_reused(tmp_path):
    key = conversations.browser_secret(tmp_path)
    assert len(key) >= 32 and conversations.browser_secret(tmp_path) == key
    assert oct(os.stat(tmp_path / "browser-state.key").st_mode & 0o777) == "0o600"
    (tmp_path / "a-file").write_text("x")
    other = conversations.browser_secret(tmp_path / "a-file" / "data")  # cannot be kept: a key for this run
    assert len(other) >= 32 and other != key


def test_markdown_export_has_answers_sources_quotes_and_a_refusals_closest_passages():
    text = export.conversation_markdown("Users", [turn("How many users?"), turn("Who won?", REFUSAL)])
    assert "## 1. How many users?" in text and "## 2. Who won?" in text
    assert "**170 million**: TikTok has more than 170 million American users \\[1\\]." in text
    assert "1. *Talks in \\*Madrid\\**" in text and "`000_tiktok`, characters 10-90" in text
    assert "\\!\\[pix\\]\\(http://127.0.0.1:9/x.png\\)" in text  # an article's Markdown stays text
    assert "Closest passages (none answers the question):" in text and "“Farmers wait.”" in text
    failed = export.conversation_markdown("t", [turn("Broken?", None, "the index is read-only")])
    assert (
        "Could not answer: the index is read\\-only" in failed or "Could not answer: the index is read-only" in failed
    )


def test_json_export_holds_the_answers_as_they_were():
    body = json.loads(export.conversation_json("Users", [turn("How many users?")]))
    assert body["title"] == "Users" and body["turns"][0]["answer"] == ANSWER


def test_stage_progress_comes_in_order_and_changes_nothing_else(seed_engine):
    question = "How many American users does TikTok have?"
    with_progress = list(seed_engine.stream(question, progress=True))
    stages = [item.stage for item in with_progress if isinstance(item, Progress)]
    assert stages[0] == "Searching the articles" and stages[1].startswith("Reading ")
    assert stages[2].startswith("Checking ")
    plain = list(seed_engine.stream(question))
    assert not any(isinstance(item, Progress) for item in plain)
    text = [item for item in with_progress if isinstance(item, str)]
    assert text == [item for item in plain if isinstance(item, str)]
    final, again = with_progress[-1], plain[-1]
    assert isinstance(final, Answer) and final.text == again.text and final.citations == again.citations
