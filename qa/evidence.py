"""The evidence an answer stands on: the best-supported sentences of the closest passages, and what our reader
finds in them.

``choose_evidence`` picks the sentences (qa/generators/extractive.py), with an article's byline for "who wrote
...?"; they decide whether the articles answer at all, whatever generates. ``read_evidence`` has the reader find
the short answer in them; ``reader_refuses`` says when the reader finds nothing like an answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from index.language import ENGLISH
from index.store import StoredPassage
from qa.generators.extractive import ScoredSentence, SentenceScorer, best_margin, select_sentences, with_short_answer
from qa.reader import Span
from qa.types import ScoredPassage

# Asks for an overview rather than a fact: the reader, which finds answer spans, is not asked whether one is there.
SUMMARY_REQUEST = re.compile(r"\b(?:summari[sz]e|summary|overview|main points|gist)\b", re.I)
AUTHOR_QUESTION = re.compile(r"\bwho (?:wrote|writes|authored)\b|\bauthor\b|\bbyline\b|\bwritten by\b", re.I)
BYLINE_LINE = re.compile(r"^\s*(By [A-Z][^\n]{2,60})$", re.M)


class SpanReader(Protocol):
    """What the engine needs of a reader (qa/reader.py's ``Reader``): its best span in each text and the margin
    over the no-answer score a span needs to count."""

    threshold: float

    def read(self, question: str, texts: list[str]) -> list[Span | None]: ...


@dataclass(frozen=True)
class Evidence:
    """``sentences`` (best first) from ``passages``: the passages mined, whose first top_k the generator sees,
    so ``[n]`` means the same in both; a byline's passage may follow them."""

    passages: list[ScoredPassage]
    sentences: list[ScoredSentence]

    @property
    def best_score(self) -> float:
        return self.sentences[0].score if self.sentences else float("-inf")


@dataclass(frozen=True)
class Reading:
    """The evidence's sentences with the reader's short answer set on the one that holds it; ``margin``: its
    best margin over the sentences it read (None: no span in any); ``read_all``: whether it could read them all
    (only then may it refuse: a sentence in another language may answer where it cannot see)."""

    sentences: list[ScoredSentence]
    margin: float | None
    read_all: bool

    @property
    def with_span(self) -> ScoredSentence | None:
        return next((e for e in self.sentences if e.span is not None), None)


def choose_evidence(
    scorer: SentenceScorer,
    asked: str,
    mined: list[ScoredPassage],
    article_passages: Callable[[str], list[StoredPassage]],
) -> Evidence:
    """The best-supported sentences of ``mined`` for ``asked``; for "who wrote ...?", the byline of the
    best-matching article (``article_passages``: an article's stored passages)."""
    evidence = Evidence(mined, select_sentences(scorer, asked, mined))
    if AUTHOR_QUESTION.search(asked) and mined:
        return byline_evidence(evidence, article_passages(mined[0].passage.article_id))
    return evidence


def byline_evidence(evidence: Evidence, passages: list[StoredPassage]) -> Evidence:
    """ "Who wrote ...?": the byline of the best-matching article, which rarely ranks on its own."""
    mined = evidence.passages
    for stored in passages:
        line = BYLINE_LINE.search(stored.passage.text)
        if line:
            source = ScoredPassage(
                stored.passage,
                stored.title,
                mined[0].score,
                rerank=mined[0].score,
                date=stored.date,
                page_starts=stored.page_starts,
            )
            sentence = ScoredSentence(len(mined), line.start(1), line.end(1), line.group(1), mined[0].score)
            return Evidence([*mined, source], [sentence])
    return evidence


def read_evidence(reader: SpanReader, question: str, evidence: Evidence, language: str) -> Reading:
    """The reader's short answer, from the chosen sentences it can read: it is English-only, so with
    multilingual on only English sentences for an English question (none for a question in another)."""
    sentences, mined = evidence.sentences, evidence.passages
    if not language:
        readable = list(range(len(sentences)))
    else:
        readable = [
            i
            for i, e in enumerate(sentences)
            if language == ENGLISH and mined[e.source].passage.language in ("", ENGLISH)
        ]
    if not readable:
        return Reading(sentences, None, False)
    chosen = [sentences[i] for i in readable]
    spans = reader.read(question, [c.text for c in chosen])
    read = with_short_answer(reader, reader.threshold, question, chosen, spans)
    out = list(sentences)
    for i, sentence in zip(readable, read, strict=True):
        out[i] = sentence
    return Reading(out, best_margin(spans), len(readable) == len(sentences))


def reader_refuses(setting: float, asked: str, margin: float | None) -> bool:
    """The reader finds nothing like an answer in the chosen sentences (its best margin is below ``setting``,
    ``reader_abstain_margin``): on-topic sentences that do not answer. Not for questions it does not read for
    an answer span: who wrote an article (the byline answers) and requests for a summary."""
    if setting <= -100 or AUTHOR_QUESTION.search(asked) or SUMMARY_REQUEST.search(asked):
        return False
    return margin is None or margin < setting


def answer_check(reader: SpanReader, question: str) -> Callable[[str], bool]:
    """A sentence that its passage supports but in which the reader finds no answer to ``question`` does not
    answer it (a model quoting an on-topic sentence)."""

    def answers(claim: str) -> bool:
        span = reader.read(question, [claim])[0]
        return span is not None and span.margin >= reader.threshold

    return answers
