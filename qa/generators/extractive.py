"""The extractive generator: our reader finds the answer span; the answer is that span in bold followed by the
passage sentence(s) that hold it, verbatim and cited. No language model: it cannot invent anything.

The reader (``qa.reader``) reads each of the top passages and gives its best span with a margin over its
no-answer score; a passage *answers* when the margin reaches the calibrated threshold. The best-answering
passage gives the short answer and its sentence. More answering passages add their sentences:
- for questions that ask for a description, a reason, a summary or a list ("How did ...", "Why ...",
  "Summarize ...", "What happened ...", "Which ... are ..."), every answering passage (other articles first),
  up to ``MAX_SENTENCES``;
- for other questions, another article's sentence only when its span gives the same answer or a figure
  beside the best one's (a second source that agrees or disagrees, for the conflict note).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from index.instructions import blank, planted_instructions
from index.sentences import sentence_spans
from qa.reader import Reader, Span
from qa.types import ScoredPassage

MAX_SENTENCES = 3
# Questions whose answer is a description, a reason, a summary or several things: more than one sentence.
EXPANSIVE = re.compile(
    r"^\s*(?:why\b|how (?!many|much|old|long|far|big|large|tall|often)\w+|summari[sz]e|describe|explain|list\b"
    r"|what (?:happened|did .+ (?:say|do|announce|argue|want)|were the|are the|are some|were some)"
    r"|which \w+s (?:are|were|did|have)|name (?:the|all))|\bsummary\b|\bwhat is (?:the )?(?:article|story) about\b",
    re.I,
)
_DIGIT = re.compile(r"\d")
_NOT_WORD = re.compile(r"[^\w\s]")


def _normal(answer: str) -> str:
    """Lower case, no punctuation, no articles: two spans that give the same answer compare equal."""
    return " ".join(w for w in _NOT_WORD.sub(" ", answer.lower()).split() if w not in ("a", "an", "the"))


@dataclass(frozen=True)
class ScoredSentence:
    """One answer sentence (or two, when the span crosses a sentence end) of passage ``source``."""

    source: int  # 0-based passage index
    start: int  # offsets into the passage text
    end: int
    text: str
    score: float  # the reader's margin for the span this sentence holds
    span: Span | None = None  # the span, offsets into the passage text

    @property
    def sentences(self) -> tuple[str, ...]:
        return (self.text,)


@dataclass(frozen=True)
class Reading:
    """What the reader found in each passage (None: nothing readable) and the threshold it was judged by."""

    spans: tuple[Span | None, ...]
    threshold: float

    def answering(self) -> list[int]:
        """Passages whose best span clears the threshold, best first."""
        found = [i for i, s in enumerate(self.spans) if s is not None and s.margin >= self.threshold]
        return sorted(found, key=lambda i: -self.spans[i].margin)

    @property
    def best_margin(self) -> float:
        return max((s.margin for s in self.spans if s is not None), default=float("-inf"))


def is_expansive(question: str) -> bool:
    return bool(EXPANSIVE.search(question))


def holding_sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence(s) of ``text`` holding ``[start, end)``."""
    spans = sentence_spans(text)
    inside = [(s, e) for s, e in spans if s < end and start < e]
    if not inside:
        return start, end
    return inside[0][0], inside[-1][1]


class ExtractiveGenerator:
    name = "extractive"

    def __init__(self, reader: Reader, threshold: float | None = None):
        self.reader = reader
        self.threshold = reader.threshold if threshold is None else threshold

    def read(self, question: str, passages: list[ScoredPassage]) -> Reading:
        """The reader's spans; it never reads a planted instruction (blanked, offsets kept), so no answer comes
        from one."""
        texts = [blank(p.passage.text, planted_instructions(p.passage.text)) for p in passages]
        spans = self.reader.read(question, texts)
        return Reading(tuple(spans), self.threshold)

    def select(self, question: str, passages: list[ScoredPassage], reading: Reading) -> list[ScoredSentence]:
        answering = reading.answering()
        if not answering:
            return []
        chosen: list[ScoredSentence] = []
        for i in answering:
            span = reading.spans[i]
            text = passages[i].passage.text
            s, e = holding_sentence(text, span.start, span.end)
            candidate = ScoredSentence(i, s, e, text[s:e], span.margin, span)
            if any(c.source == i and c.start < e and s < c.end for c in chosen):
                continue
            chosen.append(candidate)
        best, rest = chosen[0], chosen[1:]
        best_article = passages[best.source].passage.article_id
        if not is_expansive(question):
            answer = _normal(best.span.text)
            figure = bool(_DIGIT.search(best.span.text))
            rest = [
                c
                for c in rest
                if passages[c.source].passage.article_id != best_article
                and (_normal(c.span.text) == answer or (figure and _DIGIT.search(c.span.text)))
            ][:1]
        # Other articles first: a second source that agrees (or disagrees) is worth more than more of the same.
        rest.sort(key=lambda c: (passages[c.source].passage.article_id == best_article, -c.score))
        return [best, *rest][:MAX_SENTENCES]

    def draft(self, question: str, passages: list[ScoredPassage]) -> Iterator[str]:
        yield from draft_from(self.select(question, passages, self.read(question, passages)))


def draft_from(selection: list[ScoredSentence]) -> Iterator[str]:
    first = True
    for chosen in selection:
        for sentence in chosen.sentences:
            yield ("" if first else " ") + with_marker(sentence, chosen.source + 1)
            first = False


def with_marker(sentence: str, n: int) -> str:
    """ "Claim." -> "Claim [n]."; a sentence closing with a quotation keeps it whole: "... said.” [n]"."""
    sentence = sentence.rstrip()
    if sentence.endswith((".", "!", "?")) and not sentence.endswith("..."):
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]"
