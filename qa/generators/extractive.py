"""The extractive generator: the answer is the passage sentences that best answer the question, verbatim,
led by the answer span our reader finds in them.

Every sentence of the top passages is scored against the question with the cross-encoder; the best one
is kept, plus a few more that score nearly as well (from other articles first, so that agreeing or
disagreeing sources are both cited). Our reader (``qa.reader``) then reads the chosen sentences and its best
span, when its margin over the no-answer score reaches the calibrated threshold, becomes the short answer
shown in bold. No language model: it cannot invent anything.

Why the reader does not choose the sentences: on eval/seed.jsonl (171 items, 2026-12-04) reader-chosen
sentences were correct for 74.8 % of the answerable items against 83.9 % for these cross-encoder-chosen ones,
with citation precision 86.0 % against 92.3 %; the reader (EM 45 % on held-out data) pinpoints a span in a good
sentence better than it ranks sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Protocol

from index.instructions import planted_instructions
from index.keyword import tokenize
from index.patterns import NUMBER, SCALE_UNITS
from index.sentences import sentence_spans
from qa.reader import Reader, Span
from qa.types import ScoredPassage

MAX_SENTENCES = 3
NEAR_BEST = 2.5  # an extra sentence of the same article must score within this of the best one ...
MIN_EXTRA = 1.0  # ... and above this absolute logit
NEAR_BEST_OTHER = 1.0  # another article's sentence must score nearly as well as the best ...
MIN_EXTRA_OTHER = 2.0  # ... and well in absolute terms, unless it repeats the best sentence's figure;
# it must also share a word with the best sentence beyond the question's (eval/seed.jsonl citation precision
# 92.3 -> 93.1 %; SQuAD 300: citation precision 90.2 -> 90.5 %, gold span in the answer 242 -> 241)
PASSAGE_FLOOR = -6.0  # passages scoring below this are not mined for sentences


_FIGURE = re.compile(rf"{NUMBER}\s*(?:%|percent|{SCALE_UNITS})")
# A sentence's score leans this far toward its passage's: answers sit in passages that answer.
PASSAGE_WEIGHT = 0.4  # chosen on eval/seed.jsonl (0 -> 87.9%, 0.4 -> 88.9% correct)
PAIR_BONUS = 1.0  # two adjacent sentences replace the best single one only if they score this much higher


@dataclass(frozen=True)
class ScoredSentence:
    """One sentence, or two adjacent ones read together ("He argued ..." needs the sentence before it)."""

    source: int  # 0-based passage index
    start: int  # offsets into the passage text
    end: int
    text: str
    score: float
    parts: tuple[str, ...] = ()
    span: Span | None = None  # the reader's short answer, offsets into the passage text

    @property
    def sentences(self) -> tuple[str, ...]:
        return self.parts or (self.text,)


class SentenceScorer(Protocol):
    """What scores (question, text) pairs: the cross-encoder, or the cross-lingual scorer (qa/crosslingual.py)."""

    def score(self, query: str, texts: list[str]) -> list[float]: ...


def score_sentences(scorer: SentenceScorer, question: str, passages: list[ScoredPassage]) -> list[ScoredSentence]:
    candidates: list[ScoredSentence] = []
    best_passage = max((p.score for p in passages), default=0.0)
    for i, scored in enumerate(passages):
        if scored.score < max(PASSAGE_FLOOR, best_passage - 10):
            continue
        text = scored.passage.text
        planted = planted_instructions(text)  # an instruction to a reader or a model is never an answer
        sentences = sentence_spans(text)
        usable = [len(text[s:e]) >= 12 and not any(ps < e and s < pe for ps, pe in planted) for s, e in sentences]
        for k, (s, e) in enumerate(sentences):
            if not usable[k]:
                continue
            candidates.append(ScoredSentence(i, s, e, text[s:e], 0.0))
            if k + 1 < len(sentences) and usable[k + 1]:  # a pair never spans a sentence left out
                s2, e2 = sentences[k + 1]
                candidates.append(ScoredSentence(i, s, e2, text[s:e2], 0.0, (text[s:e], text[s2:e2])))
    scores = scorer.score(question, [c.text for c in candidates])
    singles: dict[tuple[int, int], float] = {}
    for c, sc in zip(candidates, scores, strict=True):
        if not c.parts:
            singles[(c.source, c.start)] = sc
    ranked = []
    for c, sc in zip(candidates, scores, strict=True):
        if c.parts:
            first = singles[(c.source, c.start)]
            second_start = c.start + c.text.index(c.parts[1], len(c.parts[0]))
            if sc < max(first, singles.get((c.source, second_start), sc)) + PAIR_BONUS:
                continue
        ranked.append(replace(c, score=sc + PASSAGE_WEIGHT * (passages[c.source].score - sc)))
    return sorted(ranked, key=lambda x: -x.score)


def select_sentences(scorer: SentenceScorer, question: str, passages: list[ScoredPassage]) -> list[ScoredSentence]:
    """The best-supported sentences of ``passages`` for ``question``: the best one and up to two more that score
    nearly as well (another article's first)."""
    ranked = score_sentences(scorer, question, passages)
    if not ranked:
        return []
    best = ranked[0]
    chosen = [best]
    articles = {passages[best.source].passage.article_id}
    best_figures = set(_FIGURE.findall(best.text))
    # What the best sentence says beyond the question's own words: a second source must share some of it.
    best_content = set(tokenize(best.text)) - set(tokenize(question))

    def worth_adding(s: ScoredSentence) -> bool:
        if passages[s.source].passage.article_id == passages[best.source].passage.article_id:
            return s.score >= max(best.score - NEAR_BEST, MIN_EXTRA)
        if best_figures & set(_FIGURE.findall(s.text)):  # corroborates or contradicts a figure: cite both
            return s.score >= min(MIN_EXTRA, best.score - NEAR_BEST)
        # Another article's sentence joins only when it speaks of the same thing as the best one (it
        # agrees, disagrees or adds to it), not merely because it is about the question's topic.
        return s.score >= max(best.score - NEAR_BEST_OTHER, MIN_EXTRA_OTHER) and bool(
            best_content & set(tokenize(s.text))
        )

    extras = [s for s in ranked[1:] if worth_adding(s)]
    # Other articles first: a second source that agrees (or disagrees) is worth more than more of the same.
    extras.sort(key=lambda s: (passages[s.source].passage.article_id in articles, -s.score))
    for sentence in extras:
        if len(chosen) >= MAX_SENTENCES:
            break
        if any(sentence.start < c.end and c.start < sentence.end and sentence.source == c.source for c in chosen):
            continue
        chosen.append(sentence)
        articles.add(passages[sentence.source].passage.article_id)
    return chosen


def with_short_answer(
    reader: Reader, threshold: float, question: str, chosen: list[ScoredSentence], spans: list | None = None
):
    """``chosen`` with the reader's best span across the chosen sentences set on the sentence that holds it (offsets
    into its passage), when the span's margin reaches ``threshold``; unchanged otherwise. ``spans``: the reader's
    reading of ``chosen``, when the caller has it already."""
    if not chosen:
        return chosen
    spans = reader.read(question, [c.text for c in chosen]) if spans is None else spans
    found = [(k, s) for k, s in enumerate(spans) if s is not None and s.margin >= threshold and s.text.strip()]
    if not found:
        return chosen
    k, span = max(found, key=lambda item: item[1].margin)
    c = chosen[k]
    moved = Span(c.source, c.start + span.start, c.start + span.end, span.text, span.score, span.null)
    return [*chosen[:k], replace(c, span=moved), *chosen[k + 1 :]]


def best_margin(spans: list) -> float | None:
    """The reader's strongest margin over its spans (None: it found a span in none of the sentences)."""
    margins = [s.margin for s in spans if s is not None and s.text.strip()]
    return max(margins) if margins else None


def draft_from(selection: list[ScoredSentence]) -> Iterator[str]:
    """The chosen sentences, each with its passage's marker; a sentence that several passages hold word for word (a
    wire story run by several papers, a digest repeating it) is said once with all their markers ("... [1][3].")."""
    said: dict[str, tuple[str, list[int]]] = {}  # spaces normalised -> (as first chosen, its passages' numbers)
    for chosen in selection:
        for sentence in chosen.sentences:
            key = " ".join(sentence.split())
            numbers = said.setdefault(key, (sentence, []))[1]
            if chosen.source + 1 not in numbers:
                numbers.append(chosen.source + 1)
    for i, (sentence, numbers) in enumerate(said.values()):
        yield ("" if i == 0 else " ") + with_marker(sentence, *numbers)


def with_marker(sentence: str, *numbers: int) -> str:
    """ "Claim." -> "Claim [n]."; a sentence closing with a quotation keeps it whole: "... said.” [n]"."""
    sentence = sentence.rstrip()
    markers = "".join(f"[{n}]" for n in numbers)
    if sentence.endswith((".", "!", "?")) and not sentence.endswith("..."):
        return f"{sentence[:-1]} {markers}{sentence[-1]}"
    return f"{sentence} {markers}"
