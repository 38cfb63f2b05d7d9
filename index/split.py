"""Paragraph-aware splitting into passages that keep exact offsets and never cut a sentence."""

from __future__ import annotations

import re

from index.sentences import sentence_spans, trimmed
from index.types import Article, Passage

MAX_CHARS = 900  # ~200 word pieces: all-MiniLM-L6-v2 truncates at 256
MIN_CHARS = 150  # shorter paragraphs (headlines, bylines) join a neighbour
SPLITTER_VERSION = "p1"  # part of the content hash: changing the splitter re-ingests
# An article of more passages is refused: embedding costs 20-85 ms per passage on two busy cores (287 in
# 24 s here; a 1.95 MB text made 7,058 passages and took 494 s), and a long news article of 5,000 words
# makes about 40 (the seeds make 8-14).
MAX_PASSAGES_PER_ARTICLE = 500


def passage_limit_error(count: int) -> str:
    """The reason an article of ``count`` passages is refused, or "" when it is within the limit."""
    if count <= MAX_PASSAGES_PER_ARTICLE:
        return ""
    return (
        f"it splits into {count:,} passages, over the limit of {MAX_PASSAGES_PER_ARTICLE:,} per article; "
        "split it into several shorter articles"
    )


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the non-blank lines/blocks of ``text`` (one paragraph per line, as news files are)."""
    lines = (trimmed(text, *match.span()) for match in re.finditer(r"[^\n]+", text))
    return [span for span in lines if span]


def _pieces(text: str, s: int, e: int, max_chars: int) -> list[tuple[int, int]]:
    """A paragraph as one span, or as consecutive runs of whole sentences of at most ``max_chars``."""
    if e - s <= max_chars:
        return [(s, e)]
    pieces: list[tuple[int, int]] = []
    for ss, se in sentence_spans(text, s, e):
        if pieces and se - pieces[-1][0] <= max_chars:
            pieces[-1] = (pieces[-1][0], se)
        else:
            pieces.append((ss, se))  # a single sentence longer than max_chars stays whole
    return pieces


def split_article(article: Article, max_chars: int = MAX_CHARS, min_chars: int = MIN_CHARS) -> list[Passage]:
    text = article.text
    units: list[tuple[int, int, int]] = []  # (start, end, paragraph index)
    for number, (s, e) in enumerate(paragraph_spans(text)):
        units.extend((ps, pe, number) for ps, pe in _pieces(text, s, e, max_chars))
    merged: list[list[int]] = []
    for s, e, number in units:
        if merged:
            last = merged[-1]
            last_short = last[1] - last[0] < min_chars
            if (last_short or e - s < min_chars) and e - last[0] <= max_chars:
                last[1] = e
                continue
        merged.append([s, e, number])
    return [Passage(article.id, text[s:e], s, e, number) for s, e, number in merged]
