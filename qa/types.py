"""The data answering makes: scored passages, citations, the answer (``Article`` and ``Passage`` are ingestion's:
index/types.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.retrieve import Retrieval

from index.types import Passage


@dataclass(frozen=True)
class ScoredPassage:
    """A passage with the scores retrieval gave it (``None`` where a stage did not score it)."""

    passage: Passage
    title: str
    score: float  # the score the last stage ordered by
    dense: float | None = None
    keyword: float | None = None
    rerank: float | None = None
    date: str | None = None  # the article's publication date, ISO
    page_starts: tuple[int, ...] = ()  # the article's pages (PDF), see Article


@dataclass(frozen=True)
class Citation:
    """A cited span: ``quote == article.text[start:end]``; ``n`` is the 1-based marker in the text."""

    n: int
    article_id: str
    title: str
    quote: str
    start: int
    end: int
    passage_start: int = 0  # the passage the quote lies in, for showing it in context
    passage_end: int = 0
    score: float | None = None
    date: str | None = None  # the article's publication date (ISO YYYY-MM-DD), None when unknown
    page: int | None = None  # the page the quote starts on, for a PDF
    language: str = ""  # the quote's language (ISO 639-1), as detected at ingestion


@dataclass(frozen=True)
class DroppedSentence:
    """A draft sentence the verifier refused, and why."""

    text: str
    reason: str


@dataclass(frozen=True)
class ShortAnswer:
    """The answer span the reader found: ``citation.quote[start:end] == text`` for the citation numbered ``n``."""

    text: str
    n: int
    start: int
    end: int


@dataclass(frozen=True)
class Progress:
    """A stage of answering, streamed to a user interface that asks for it (``Engine.stream(progress=True)``):
    ``stage`` in words ("Reading 6 passages"); ``draft``: a model's unverified text so far, while it writes."""

    stage: str
    draft: str = ""


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: list[Citation]
    abstained: bool
    timings: dict[str, float]
    standalone_question: str = ""  # the follow-up rewritten for retrieval ("" = same as question)
    generator: str = "extractive"
    dropped: list[DroppedSentence] = field(default_factory=list)
    closest: list[Citation] = field(default_factory=list)  # shown with a refusal
    conflict: str = ""  # a note when cited articles disagree
    notice: str = ""  # e.g. a fallback from a hosted model that failed
    short_answer: ShortAnswer | None = None  # the reader's span, shown in bold before the sentences
    # The reranked passages the answer was made from (the evaluation scores this ranked list); not serialized.
    retrieval: Retrieval | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        """The answer as JSON-ready data (``qa ask --json``, the API), without the retrieval trace."""
        data = asdict(replace(self, retrieval=None))
        del data["retrieval"]
        return data
