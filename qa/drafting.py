"""A draft checked sentence by sentence: what the verifier accepted, numbered as the reader will see it.

``SentenceVerifier`` takes a draft's pieces as they are written (a model's stream, or the extractive answer's
sentences), verifies each sentence against the passage it cites as soon as it is complete (qa/verify.py) and
yields the accepted ones with their citation markers renumbered; ``Draft`` collects the citations and the
dropped sentences.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from index.language import quote_frame
from index.pdf import page_of
from qa.citations import strip_markers
from qa.generators.extractive import ScoredSentence, SentenceScorer
from qa.refusal import MODEL_ABSTAINED, says_articles_dont_say
from qa.types import Citation, DroppedSentence, Progress, ScoredPassage, ShortAnswer
from qa.verify import VerifiedSentence, check_sentence, draft_sentences

_CLOSED = re.compile(r"[.!?][\"'”’)\]]*$")  # a sentence end, maybe inside closing quotes or brackets
NOT_AN_ANSWER = "its passage supports it, but it does not answer the question"


@dataclass
class Draft:
    """What the verifier has accepted so far, numbered as the reader will see it."""

    passages: list[ScoredPassage]
    language: str = ""  # the question's language ("" when multilingual is off): quotes in another are labelled
    citations: list[Citation] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    dropped: list[DroppedSentence] = field(default_factory=list)
    framed: str = ""  # the language the last sentence's quote was framed as being in ("": none)

    def accept(self, verified: VerifiedSentence) -> str:
        numbers = []
        for source, (start, end) in zip(verified.sources, verified.quotes, strict=True):
            scored = self.passages[source]
            existing = next(
                (c for c in self.citations if c.article_id == scored.passage.article_id and c.start == start),
                None,
            )
            if existing is None:
                p = scored.passage
                quote = p.text[start - p.start : end - p.start]
                existing = Citation(
                    n=len(self.citations) + 1,
                    article_id=p.article_id,
                    title=scored.title,
                    quote=quote,
                    start=start,
                    end=end,
                    passage_start=p.start,
                    passage_end=p.end,
                    score=scored.rerank,
                    date=scored.date,
                    page=page_of(scored.page_starts, start),
                    language=p.language,
                )
                self.citations.append(existing)
            numbers.append(existing.n)
        claim = verified.claim
        markers = "".join(f"[{n}]" for n in numbers)
        if claim and claim[-1] in ".!?":
            sentence = f"{claim[:-1]} {markers}{claim[-1]}"
        elif _CLOSED.search(claim):  # '... said.”': the marker follows the quotation
            sentence = f"{claim} {markers}"
        else:  # a headline or fragment: end it, or it would run into the next sentence when read back
            sentence = f"{claim} {markers}."
        quoted_in = {self.passages[source].passage.language for source in verified.sources} - {"", self.language}
        quoted = sorted(quoted_in)[0] if self.language and quoted_in else ""
        if quoted and quoted != self.framed:  # the quote stays verbatim; the frame says which language it is in
            sentence = f"{quote_frame(quoted, self.language)} {sentence}"  # once for a run of quotes in it
        self.framed = quoted
        self.sentences.append(sentence)
        return sentence


def short_answer(best: ScoredSentence, passages: list[ScoredPassage], citations: list[Citation]) -> ShortAnswer | None:
    """The best span, located inside the citation whose quote holds it."""
    span = best.span
    if span is None:
        return None
    passage = passages[best.source].passage
    start, end = passage.start + span.start, passage.start + span.end
    for c in citations:
        if c.article_id == passage.article_id and c.start <= start and end <= c.end:
            return ShortAnswer(span.text, c.n, start - c.start, end - c.start)
    return None


class SentenceVerifier:
    """Verifies a draft's sentences against ``draft.passages``. ``scorer``: what scores support (the
    cross-encoder, or the cross-lingual scorer for a question that involves another language). ``answers``: a
    check that an accepted sentence answers the question (a model's sentences; None for the extractive answer)."""

    def __init__(self, draft: Draft, scorer: SentenceScorer | None, answers: Callable[[str], bool] | None = None):
        self.draft = draft
        self.scorer = scorer
        self.answers = answers

    def sentences(self, pieces: Iterator[str]) -> Iterator[str]:
        """Each piece is one sentence already (the extractive draft), so a headline without a full stop is not
        read together with the sentence after it."""
        for piece in pieces:
            yield from self.check(piece.strip())

    def stream(self, pieces: Iterator[str], progress: bool = False) -> Iterator[str | Progress]:
        """Verify each drafted sentence as soon as it is complete, yield the accepted ones; ``progress``: also
        yield the unverified text so far."""
        buffer = ""
        for piece in pieces:
            buffer += piece
            sentences = draft_sentences(buffer)
            if len(sentences) >= 2:
                for sentence in sentences[:-1]:
                    yield from self.check(sentence)
                buffer = sentences[-1]
            if progress:  # the sentence being written, not yet checked
                yield Progress("Writing; each sentence is checked against its passage", draft=buffer)
        for sentence in draft_sentences(buffer):
            yield from self.check(sentence)

    def check(self, sentence: str) -> Iterator[str]:
        draft, answers = self.draft, self.answers
        claim = strip_markers(sentence).strip()
        if not claim:
            return
        if says_articles_dont_say(claim):
            draft.dropped.append(DroppedSentence(claim, MODEL_ABSTAINED))
            return
        result = check_sentence(sentence, draft.passages, self.scorer)
        if isinstance(result, VerifiedSentence) and answers is not None and not answers(result.claim):
            result = DroppedSentence(result.claim, NOT_AN_ANSWER)
        if isinstance(result, DroppedSentence):
            draft.dropped.append(result)
            return
        accepted = draft.accept(result)
        yield ("" if len(draft.sentences) == 1 else " ") + accepted
