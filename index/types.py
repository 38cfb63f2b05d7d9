"""The data ingestion makes: an article, and the passages it is split into (offsets that slice back)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    """One news article. ``text`` is what offsets point into."""

    id: str  # path relative to the corpus folder, without extension
    title: str
    text: str
    source: str  # file path it was loaded from
    published: str = ""  # dateline or date, when the article gives one
    byline: str = ""
    date: str | None = None  # publication date, ISO YYYY-MM-DD, when one is found (never the indexing time)
    site: str = ""  # the site a web page came from
    url: str = ""  # the address it was fetched from (qa add)
    page_starts: tuple[int, ...] = ()  # a PDF's pages: where each starts in ``text`` (page 1 first)


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
