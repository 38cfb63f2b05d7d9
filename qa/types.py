"""Core data types shared by ingestion, retrieval, answering, the UI and evaluation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Article:
    """One news article. ``text`` is what offsets point into."""

    id: str  # path relative to the corpus folder, without extension
    title: str
    text: str
    source: str  # file path it was loaded from
    published: str = ""  # dateline or date, when the article gives one
    byline: str = ""


@dataclass(frozen=True)
class Passage:
    """A contiguous span of an article: ``article.text[start:end] == text``."""

    article_id: str
    text: str
    start: int
    end: int
    paragraph: int  # index of the paragraph the passage starts in
    language: str = ""  # ISO 639-1 code detected at ingestion (index/language.py); "" when not known

    @property
    def id(self) -> str:
        return f"{self.article_id}#{self.start}-{self.end}"


@dataclass(frozen=True)
class ScoredPassage:
    """A passage with the scores retrieval gave it (``None`` where a stage did not score it)."""

    passage: Passage
    title: str
    score: float  # the score the last stage ordered by
    dense: float | None = None
    keyword: float | None = None
    rerank: float | None = None


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

    def to_dict(self) -> dict:
        return asdict(self)
