"""The HTML the app shows, one module per part, gathered under one name for the app and its tests:

- ``ui/text.py``: escaping for HTML, chat messages and Markdown; dates; a line cut to a length;
- ``ui/messages.py``: the chat's messages (question, answer while it comes, finished answer, error);
- ``ui/sources_panel.py``: the sources panel's cards and the copy text;
- ``ui/article_view.py``: the whole article with the cited passage highlighted.
"""

from __future__ import annotations

from ui.article_view import PLANTED_TITLE, article_view, quoted_instructions
from ui.messages import (
    MARKER,
    answer_message,
    draft_message,
    error_message,
    pending_message,
    streaming_message,
    turn_messages,
    user_message,
)
from ui.sources_panel import EMPTY_PANEL, ArticleLookup, _card, copy_text, match_words, sources_panel
from ui.text import date_label, esc, md, one_line, plain

__all__ = [
    "EMPTY_PANEL",
    "MARKER",
    "PLANTED_TITLE",
    "ArticleLookup",
    "_card",  # tests/test_multilingual.py builds one card
    "answer_message",
    "article_view",
    "copy_text",
    "date_label",
    "draft_message",
    "error_message",
    "esc",
    "match_words",
    "md",
    "one_line",
    "pending_message",
    "plain",
    "quoted_instructions",
    "sources_panel",
    "streaming_message",
    "turn_messages",
    "user_message",
]
