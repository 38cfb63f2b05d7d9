"""HTML for the article viewer the sources panel opens: the whole article as paragraphs with the cited passage
highlighted, and any instruction planted in its text quoted and labelled as article text."""

from __future__ import annotations

import re
from pathlib import Path

from index.instructions import planted_instructions
from index.types import Article
from ui.text import date_label, plain

PLANTED_TITLE = "An instruction written in the article: shown as article text, never followed or used as support"


def quoted_instructions(text: str, begin: int, stop: int, planted: list[tuple[int, int]]) -> str:
    """``text[begin:stop]`` escaped, each planted instruction wholly inside it quoted and labelled as such."""
    out, cursor = [], begin
    for s, e in planted:
        if begin <= s and e <= stop:
            out.append(plain(text[cursor:s]))
            out.append(f'<q class="nq-planted" title="{PLANTED_TITLE}">{plain(text[s:e])}</q>')
            cursor = e
    out.append(plain(text[cursor:stop]))
    return "".join(out)


def article_view(article: Article, start: int, end: int) -> dict:
    """The whole article as paragraphs, with [start, end) highlighted (``<mark id="nq-hit">``)."""
    text = article.text
    start = max(0, min(int(start), len(text)))
    end = max(start, min(int(end), len(text)))

    planted = planted_instructions(text)

    def paragraphs(begin: int, stop: int) -> str:
        return quoted_instructions(text, begin, stop, planted).replace("\n", "</p><p>")

    hit = re.sub(r"\n+", '</mark></p><p><mark class="nq-hit-more">', quoted_instructions(text, start, end, planted))
    body = f'<p>{paragraphs(0, start)}<mark id="nq-hit">{hit}</mark>{paragraphs(end, len(text))}</p>'
    body = body.replace("<p></p>", "")
    meta = [plain(date_label(article.date))]
    if article.published:
        meta.append(plain(article.published))
    if article.byline:
        meta.append(plain(article.byline))
    meta.append(plain(Path(article.source).name if article.source else article.id))
    return {"title": plain(article.title), "meta": " · ".join(meta), "html": body}
