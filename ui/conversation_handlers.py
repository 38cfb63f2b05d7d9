"""The chat's surroundings: the conversations one browser keeps (saved after each answer, restored on page load,
reopened, deleted, exported as Markdown and JSON files), the sources panel redrawn, and the article viewer the
panel opens. The conversations themselves are checked and kept by ``ui/conversations.py``."""

from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr

from ui import conversations, export
from ui.article_view import article_view
from ui.messages import turn_messages
from ui.sources_panel import EMPTY_PANEL, ArticleLookup, sources_panel


class ConversationHandlers:
    """The handlers for the conversations sidebar, the sources panel and the article viewer; ``lookup`` finds the
    articles they show."""

    def __init__(self, lookup: ArticleLookup):
        self.lookup = lookup
        self._export_dir = tempfile.TemporaryDirectory(prefix="nq-export-")  # removed with the handlers

    def remember(self, conversation_id: str, turns: list[dict] | None, store: list | None):
        """After an answer: the conversation saved at the top of the browser's list."""
        conversation_id = conversation_id or conversations.new_id()
        store = conversations.saved(store, conversation_id, list(turns or []))
        return conversation_id, store, gr.update(choices=conversations.choices(store), value=conversation_id)

    def _shown(self, found: dict | None, show_scores: bool):
        turns = found["turns"] if found else []
        panel = sources_panel(turns, bool(show_scores), self.lookup) if turns else EMPTY_PANEL
        return turn_messages(turns), turns, panel, (found["id"] if found else "")

    def restore(self, store: list | None, show_scores: bool):
        """On page load: the browser's most recent conversation, and the list of all of them."""
        store = conversations.cleaned(store)
        found = store[0] if store else None
        listed = gr.update(choices=conversations.choices(store), value=found["id"] if found else None)
        return (*self._shown(found, show_scores), listed)

    def reopen(self, conversation_id: str, store: list | None, show_scores: bool):
        found = conversations.find(store, conversation_id or "")
        if found is None:
            raise gr.Error("That conversation is no longer saved in this browser.")
        return self._shown(found, show_scores)

    def forget(self, conversation_id: str, store: list | None):
        """Delete the open conversation from the browser's list and start a new one."""
        store = conversations.removed(store, conversation_id or "")
        listed = gr.update(choices=conversations.choices(store), value=None)
        return (store, listed, *self._shown(None, False))

    def exports(self, conversation_id: str, turns: list[dict] | None):
        """The open conversation as Markdown and JSON files for the two download buttons."""
        turns = list(turns or [])
        if not turns:
            return gr.update(value=None, interactive=False), gr.update(value=None, interactive=False)
        name = "".join(ch for ch in (conversation_id or "conversation") if ch.isalnum())[:40] or "conversation"
        title = conversations.title_of(turns)
        folder = Path(self._export_dir.name)
        markdown, body = folder / f"newsdesk-{name}.md", folder / f"newsdesk-{name}.json"
        markdown.write_text(export.conversation_markdown(title, turns), encoding="utf-8")
        body.write_text(export.conversation_json(title, turns), encoding="utf-8")
        return gr.update(value=str(markdown), interactive=True), gr.update(value=str(body), interactive=True)

    def repanel(self, turns: list[dict] | None, show_scores: bool) -> str:
        return sources_panel(list(turns or []), bool(show_scores), self.lookup)

    def open_article(self, request: dict) -> dict:
        """Server function for the panel: the whole article with [start, end) highlighted."""
        try:
            article_id = str(request["article_id"])
            start, end = int(request["start"]), int(request["end"])
        except (KeyError, TypeError, ValueError):
            return {"error": "bad request: expected article_id, start and end"}
        article = self.lookup(article_id)
        if article is None:
            return {"error": f"the article {article_id} is no longer in the corpus"}
        return article_view(article, start, end)
