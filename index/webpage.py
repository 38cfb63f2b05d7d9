"""Saved web pages: the article's main text and metadata, extracted by trafilatura (navigation, ads,
comments and page furniture left out; title, author, publication date and site name from the page's
metadata, its ``<time>`` elements and its text, through trafilatura's htmldate)."""

from __future__ import annotations

from dataclasses import dataclass

# Also pruned before extraction: trafilatura's fallback extractors otherwise keep a page's menu when the page
# holds no article at all.
_PRUNE = ["//nav", "//header", "//footer", "//aside", "//form"]


@dataclass(frozen=True)
class WebPage:
    text: str  # one paragraph per block, blank lines between them
    title: str = ""
    author: str = ""
    date: str | None = None  # ISO YYYY-MM-DD
    site: str = ""
    url: str = ""  # where the page was fetched from


def extract_web_page(html: str | bytes, url: str | None = None) -> WebPage:
    """The page's article; ``text`` is empty when the page holds none."""
    import trafilatura

    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        favor_precision=True,
        prune_xpath=_PRUNE,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if document is None:
        return WebPage("")
    blocks = [" ".join(line.split()) for line in (document.text or "").split("\n")]
    return WebPage(
        text="\n\n".join(b for b in blocks if b),
        title=" ".join((document.title or "").split()),
        author=" ".join((document.author or "").split()),
        date=document.date or None,
        site=" ".join((document.sitename or "").split()),
        url=url or "",
    )
