"""The extractive generator: the answer is the passage sentences that best answer the question, verbatim.

Every sentence of the top passages is scored against the question with the cross-encoder; the best one
is kept, plus a few more that score nearly as well (from other articles first, so that agreeing or
disagreeing sources are both cited). No language model: it cannot invent anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from index.sentences import sentence_spans
from qa.rerank import CrossEncoder, shared_cross_encoder
from qa.types import ScoredPassage

MAX_SENTENCES = 3
NEAR_BEST = 2.5  # an extra sentence must score within this of the best one ...
MIN_EXTRA = 1.0  # ... and above this absolute logit
PASSAGE_FLOOR = -6.0  # passages scoring below this are not mined for sentences


@dataclass(frozen=True)
class ScoredSentence:
    source: int  # 0-based passage index
    start: int  # offsets into the passage text
    end: int
    text: str
    score: float


class ExtractiveGenerator:
    name = "extractive"

    def __init__(self, cross_encoder: CrossEncoder | None = None, threads: int = 2):
        self.cross_encoder = cross_encoder or shared_cross_encoder(threads)

    def score_sentences(self, question: str, passages: list[ScoredPassage]) -> list[ScoredSentence]:
        candidates = []
        best_passage = max((p.score for p in passages), default=0.0)
        for i, scored in enumerate(passages):
            if scored.score < max(PASSAGE_FLOOR, best_passage - 10):
                continue
            text = scored.passage.text
            for s, e in sentence_spans(text):
                if len(text[s:e]) >= 12:
                    candidates.append((i, s, e, text[s:e]))
        scores = self.cross_encoder.score(question, [c[3] for c in candidates])
        sentences = [ScoredSentence(i, s, e, t, sc) for (i, s, e, t), sc in zip(candidates, scores, strict=True)]
        return sorted(sentences, key=lambda x: -x.score)

    def select(self, question: str, passages: list[ScoredPassage]) -> list[ScoredSentence]:
        ranked = self.score_sentences(question, passages)
        if not ranked:
            return []
        best = ranked[0]
        chosen = [best]
        articles = {passages[best.source].passage.article_id}
        extras = [s for s in ranked[1:] if s.score >= max(best.score - NEAR_BEST, MIN_EXTRA)]
        # Other articles first: a second source that agrees (or disagrees) is worth more than more of the same.
        extras.sort(key=lambda s: (passages[s.source].passage.article_id in articles, -s.score))
        for sentence in extras:
            if len(chosen) >= MAX_SENTENCES:
                break
            if any(sentence.text == c.text for c in chosen):
                continue
            chosen.append(sentence)
            articles.add(passages[sentence.source].passage.article_id)
        # Read in source order within an article so that the answer flows as the article does.
        return chosen

    def draft(self, question: str, passages: list[ScoredPassage]) -> Iterator[str]:
        for k, sentence in enumerate(self.select(question, passages)):
            yield ("" if k == 0 else " ") + with_marker(sentence.text, sentence.source + 1)


def with_marker(sentence: str, n: int) -> str:
    """ "Claim." -> "Claim [n]."; a sentence closing with a quotation keeps it whole: "... said.” [n]"."""
    sentence = sentence.rstrip()
    if sentence.endswith((".", "!", "?")) and not sentence.endswith("..."):
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]"
