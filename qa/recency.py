""" "Latest"/"most recent" questions prefer newer articles: among the passages that answer about as well as the
best one, those of older dated articles give way to the newest dated article's."""

from __future__ import annotations

import re

from qa.types import ScoredPassage

RECENT = re.compile(r"\b(?:latest|most recent(?:ly)?|newest|most up[- ]to[- ]date|recently|currently)\b", re.I)
MARGIN = 3.0  # cross-encoder logits: passages this close to the best one count as answering as well


def asks_for_latest(question: str) -> bool:
    return bool(RECENT.search(question))


def prefer_recent(passages: list[ScoredPassage], margin: float = MARGIN) -> list[ScoredPassage]:
    """``passages`` (reranked, best first) without the near-best passages of dated articles older than the
    newest near-best dated article; undated passages and weaker ones keep their places."""
    scores = [p.rerank for p in passages if p.rerank is not None]
    if not scores:
        return passages
    floor = max(scores) - margin
    close = [p for p in passages if p.rerank is not None and p.rerank >= floor]
    dates = [p.date for p in close if p.date]
    if len(set(dates)) < 2:
        return passages
    newest = max(dates)
    return [p for p in passages if not (p in close and p.date and p.date < newest)]
